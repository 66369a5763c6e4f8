"""Scenarios 1 and 2: dump / load of one item, and building the save request of a one-field
change, for pydantic_bloop, its floors, and the peers (each in its own process).

Every round runs every case once (a batch of N distinct items, collector off, as timeit), the
processes taking turns, so all see the same load; ratios are taken round by round against the
floor measured in the same round.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common import Case, boto3_cases, many_values
from peers.manager import Worker
from report import Row, Target, paired_ratios

from . import Options
from .model import INFO, Item, PlainItem, wire_items

SCENARIOS = {
    "dump": "1. dump (model → item)",
    "load": "1. load (item → model)",
    "save": "2. save request, 1 field changed",
}
FLOORS = {"dump": "pydantic model_dump()", "load": "pydantic model_validate()"}


@dataclass
class _Entry:
    key: str
    impl: str
    items: int
    measure: Callable[[], int]
    floor: bool = False
    detail: bool = False
    target: Target | None = None
    origin: str = "pydantic_bloop"
    samples: list[float] = field(default_factory=list)
    error: str | None = None


def local_cases(n: int) -> list[_Entry]:
    """The cases measured in this process: the floors and pydantic_bloop."""
    from pydantic_bloop import tracking, writes
    from pydantic_bloop.plans import Backoff
    from pydantic_bloop.wire import item_reader

    values = many_values(n)
    plains = [PlainItem(**v) for v in values]
    objs = [Item(**v) for v in values]
    wires = wire_items(values)
    fields = tuple(INFO.fields.values())
    entries: list[_Entry] = []

    def add(case: Case, **kwargs: Any) -> None:
        entries.append(_Entry(case.key, case.impl, case.items, case.measure, **kwargs))

    # -- floors
    def model_dump() -> None:
        for p in plains:
            p.model_dump()

    def model_validate() -> None:
        validate = PlainItem.model_validate
        for v in values:
            validate(v)

    add(
        Case("dump", f"{FLOORS['dump']}, plain BaseModel of the same fields", n, model_dump),
        floor=True,
    )
    add(Case("load", f"{FLOORS['load']} of plain Python values", n, model_validate), floor=True)
    for case in boto3_cases(values):
        add(case)

    # -- pydantic_bloop: what engine.save(persist="overwrite") and queries do per item
    def dump() -> None:
        dump_item = INFO.dump_item
        for o in objs:
            dump_item(o)

    def load() -> None:  # what a query or a get does per item
        instance_from, loaded = INFO.instance_from, tracking.loaded
        for w in wires:
            loaded(INFO, instance_from(w, None), w, None)

    loaded = INFO.instance_from(wires[7], None)
    assert loaded.model_dump() == PlainItem(**values[7]).model_dump(), "pydantic_bloop round trip"
    add(
        Case("dump", "pydantic_bloop: model_info(Item).dump_item(obj)", n, dump),
        target=Target("ratio_max", 2.5),  # issue 17: dump <= 2.5x model_dump
    )
    add(
        Case("load", "pydantic_bloop: instance_from + tracking.loaded", n, load),
        target=Target("ratio_max", 2.0),
    )

    # the load's parts, to show where its time goes: the one-call reader (wire.py) that
    # instance_from uses, and the tracking; then the general path it falls back to
    reader = item_reader(Item, fields)
    assert reader is not None
    loaded_values = [INFO.values_from(w, fields) for w in wires]
    instances = [INFO.instance_from(w, None) for w in wires]

    def read() -> None:
        for w in wires:
            reader.read(w)

    def remember_seen() -> None:
        loaded = tracking.loaded
        for obj, w in zip(instances, wires, strict=True):
            loaded(INFO, obj, w, None)

    def values_from() -> None:
        for w in wires:
            INFO.values_from(w, fields)

    def validate_loaded() -> None:
        validate = Item.model_validate
        for v in loaded_values:
            validate(v, by_name=True)

    add(Case("load", "wire reader: one pydantic-core call", n, read), detail=True)
    add(Case("load", "tracking: loaded(...)", n, remember_seen), detail=True)
    add(Case("load", "general path: values_from(item)", n, values_from), detail=True)
    add(
        Case("load", "general path: model_validate(values, by_name=True)", n, validate_loaded),
        detail=True,
    )

    # -- scenario 2: diff against what was read + render the UpdateItem with placeholders. The
    # objects are read as get, query and scan read them (tracking.loaded: the item and the kept
    # values in slots, no Snapshot); until Stop 26 they were remembered without kept values,
    # which made the diff dump every field
    changed: list[Item] = []
    for w in wires:
        obj = INFO.instance_from(w, None)
        assert isinstance(obj, Item)
        tracking.loaded(INFO, obj, w, None)
        obj.views += 1
        changed.append(obj)
    options = writes.WriteOptions("update", False, Backoff())
    write = writes.save_write(changed[0], lambda m: "t", options, None)
    assert write is not None
    assert write.request().params["UpdateExpression"] == "SET #n0=:v0", write

    def save() -> None:
        save_write = writes.save_write
        for obj in changed:
            write = save_write(obj, lambda m: "t", options, None)
            assert write is not None
            write.request()

    add(
        Case("save", "pydantic_bloop: writes.save_write (diff + UpdateItem)", n, save),
        target=Target("value_max", 10.0, "µs"),
    )
    return entries


def remote_cases(worker: Worker) -> list[_Entry]:
    entries = []
    for case in worker.cases:

        def measure(index: int = case.index) -> int:
            return worker.measure(index)

        entries.append(_Entry(case.key, case.impl, case.items, measure, origin=worker.peer.name))
    return entries


def run(
    options: Options, workers: list[Worker], items: int, unavailable: dict[str, str]
) -> tuple[list[Row], list[str]]:
    notes: list[str] = []
    try:
        entries = local_cases(items)
    except Exception as exc:  # the library changed under the harness: say so, go on
        reason = f"{type(exc).__name__}: {exc}"
        return [Row(s, "pydantic_bloop", "µs/item", error=reason) for s in SCENARIOS.values()], []
    for worker in workers:
        if worker.error is None:
            entries += remote_cases(worker)

    rounds = 1 + options.repeats  # the first is a warm-up
    for r in range(rounds):
        shift = r % len(entries)
        for entry in entries[shift:] + entries[:shift]:
            if entry.error is not None:
                continue
            try:
                ns = entry.measure()
            except Exception as exc:
                entry.error = f"{type(exc).__name__}: {exc}"[:200]
                continue
            if r > 0:
                entry.samples.append(ns / entry.items / 1000)

    floors = {e.key: e for e in entries if e.floor}
    main_calib = {
        e.key: e for e in entries if e.origin == "pydantic_bloop" and e.impl.startswith("boto3")
    }
    rows: list[Row] = []
    for key, scenario in SCENARIOS.items():
        floor = floors.get(key)
        # floors first, then this process, then the peers (in the order they were started)
        for entry in sorted((e for e in entries if e.key == key), key=lambda e: not e.floor):
            row = Row(
                scenario,
                entry.impl,
                "µs/item",
                entry.samples,
                floor=entry.floor,
                target=entry.target,
                error=entry.error,
                detail=entry.detail,
            )
            if floor is not None and not entry.floor and floor.samples and entry.samples:
                row.ratios = paired_ratios(entry.samples, floor.samples)
            rows.append(row)
        if key != "save":
            for name, reason in unavailable.items():
                rows.append(Row(scenario, name, "µs/item", error=reason))
    # how fast each peer process runs the same boto3 code as this one (like-with-like check)
    for worker in workers:
        if worker.error is not None:
            continue
        parts = []
        for kind in ("dump", "load"):
            mine = main_calib.get(kind)
            theirs = next(
                (e for e in entries if e.origin == worker.peer.name and e.key == f"calib-{kind}"),
                None,
            )
            if mine and theirs and mine.samples and theirs.samples:
                ratio = statistics.median(paired_ratios(theirs.samples, mine.samples))
                parts.append(
                    f"{'TypeSerializer' if kind == 'dump' else 'TypeDeserializer'} {ratio:.2f}x"
                )
        if parts:
            notes.append(
                f"{worker.peer.name} process ({worker.meta.get('version', '?')}): "
                + ", ".join(parts)
            )
    return rows, notes
