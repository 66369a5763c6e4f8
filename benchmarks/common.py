"""What the harness and the peer runners share: the benchmark item, timing, and the worker
protocol. Standard library only: each peer runner imports this file from its own virtualenv.

The item (issue 7) has 8 fields: str hash key, int range key, str, int, Decimal, bool, aware
datetime, list[str]. ``item_values(i)`` gives the plain Python values of item ``i``; every
implementation builds its objects from exactly these values.

Worker protocol (one JSON document a line): a worker first prints
``{"cases": [{"key", "impl", "items"}...], "meta": {...}}`` (or ``{"error": ...}``), then answers
each ``{"run": index}`` read from stdin with ``{"ns": elapsed}`` or ``{"error": message}``, until
stdin closes (cases on the process clock add ``"wall"``). The harness thereby interleaves the
rounds of every process, so all implementations see the same machine load.
"""

from __future__ import annotations

import gc
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

FIELDS = ("pk", "sk", "title", "views", "price", "active", "created", "tags")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def item_values(i: int, pk: str | None = None) -> dict[str, Any]:
    """The plain values of benchmark item ``i`` (deterministic)."""
    return {
        "pk": pk if pk is not None else f"user#{i % 50}",
        "sk": i,
        "title": f"A post about item number {i}",
        "views": i * 7 + 3,
        "price": Decimal(f"{i % 1000}.{i % 100:02d}"),
        "active": i % 2 == 0,
        "created": EPOCH + timedelta(seconds=i * 37, microseconds=i % 1_000_000),
        "tags": [f"tag{i % 5}", f"topic{i % 3}", "bench"],
    }


def many_values(n: int, pk: str | None = None) -> list[dict[str, Any]]:
    return [item_values(i, pk) for i in range(n)]


def process_time_ns(fn: Callable[[], object]) -> tuple[int, int]:
    """Run ``fn`` once, the collector on (as an application runs): the nanoseconds of CPU the
    whole process took (every thread: a client with I/O threads of its own counts whole) and of
    wall time."""
    gc.collect()
    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
    fn()
    return time.process_time_ns() - cpu, time.perf_counter_ns() - wall


@dataclass(frozen=True)
class SideBySide:
    """The item counts of the side-by-side scenario's cases (on dynalite)."""

    query: int  # one partition, read whole
    gets: int  # single GetItems of keys in it
    write: int  # BatchWriteItem of new items (another partition)
    batch_get: int  # BatchGetItem of keys in the query partition


def side_by_side_counts(items: int) -> SideBySide:
    """``items`` per bulk case, a tenth of them as single gets."""
    return SideBySide(query=items, gets=max(1, items // 10), write=items, batch_get=items)


def time_ns(fn: Callable[[], object], *, gc_off: bool = True) -> int:
    """Run ``fn`` once and return the nanoseconds of CPU it took this thread (with the
    collector off, as timeit does, for microbenchmarks).

    CPU time, not wall time: on a shared machine the wall clock also counts the time other
    processes held the core, which inflates long batches more than short ones.
    """
    gc.collect()
    enabled = gc.isenabled()
    if gc_off:
        gc.disable()
    try:
        start = time.thread_time_ns()
        fn()
        return time.thread_time_ns() - start
    finally:
        if enabled:
            gc.enable()


@dataclass
class Case:
    """One measured implementation of a scenario: ``run`` processes ``items`` items once."""

    key: str  # the scenario row group, e.g. "dump"
    impl: str  # what the table shows
    items: int
    run: Callable[[], object]
    gc_off: bool = True
    clock: str = "thread"  # "process": process CPU (all threads) and wall time, collector on

    def measure(self) -> int:
        return time_ns(self.run, gc_off=self.gc_off)

    def answer(self) -> dict[str, int]:
        """What a worker sends for one run: ``ns`` of CPU (and ``wall`` on the process clock)."""
        if self.clock == "process":
            cpu, wall = process_time_ns(self.run)
            return {"ns": cpu, "wall": wall}
        return {"ns": self.measure()}


def serve(build: Callable[[int], tuple[list[Case], dict[str, Any]]]) -> None:
    """The main loop of a peer runner: ``build(items)`` makes the cases (``--items N``)."""
    items = int(sys.argv[sys.argv.index("--items") + 1]) if "--items" in sys.argv else 1000
    try:
        cases, meta = build(items)
    except Exception:
        _send({"error": traceback.format_exc(limit=3).strip().splitlines()[-1]})
        return
    _send(
        {
            "cases": [{"key": c.key, "impl": c.impl, "items": c.items} for c in cases],
            "meta": meta,
        }
    )
    for line in sys.stdin:
        request = json.loads(line)
        try:
            _send(cases[request["run"]].answer())
        except Exception as exc:
            _send({"error": f"{type(exc).__name__}: {exc}"})


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def check_round_trip(label: str, loaded: dict[str, Any], expected: dict[str, Any]) -> None:
    """Fail loudly when an implementation does not load back what it dumped (a benchmark of
    a wrong conversion would be meaningless)."""
    for name in FIELDS:
        got, want = loaded[name], expected[name]
        if isinstance(want, Decimal):
            same = Decimal(str(got)) == want
        elif isinstance(want, datetime):
            same = isinstance(got, datetime) and got == want
        else:
            same = got == want
        if not same:
            raise AssertionError(f"{label}: {name} loaded as {got!r}, expected {want!r}")


def boto3_plain(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` as boto3's TypeSerializer takes them (it knows no datetime: ISO text)."""
    plain = dict(values)
    plain["created"] = values["created"].isoformat()
    return plain


def boto3_cases(all_values: list[dict[str, Any]], suffix: str = "") -> list[Case]:
    """boto3's TypeSerializer / TypeDeserializer on plain dicts: a floor, and (measured in
    every peer process too) a calibration of one process against another."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    plains = [boto3_plain(v) for v in all_values]
    serialize, deserialize = serializer.serialize, deserializer.deserialize
    wires = [{k: serialize(v) for k, v in p.items()} for p in plains]
    assert {k: deserialize(v) for k, v in wires[1].items()} == plains[1]

    def dump() -> None:
        for p in plains:
            {k: serialize(v) for k, v in p.items()}

    def load() -> None:
        for w in wires:
            {k: deserialize(v) for k, v in w.items()}

    n = len(plains)
    return [
        Case("dump", f"boto3 TypeSerializer, plain dict{suffix}", n, dump),
        Case("load", f"boto3 TypeDeserializer, plain dict{suffix}", n, load),
    ]
