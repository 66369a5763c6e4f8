"""Scenario 7: the lean transport (`LeanTransport`) on dynalite, client CPU per item against
raw boto3 doing the same requests: single gets, batch write, batch get, a query of one
partition. pydantic_bloop on its default boto3 transport is measured beside it.

Client CPU is this thread's CPU time (``max_concurrency=1``: every request runs on it); dynalite
is another process, so its time is not counted. Rounds alternate the implementations and each
ratio is taken within a round, so drift of the machine's load cancels.

Each run starts after ``gc.collect()`` with the collector on (as `common.time_ns`); the notes
give the part of it spent in the cyclic collector, the collector's full passes (each walks the
whole heap of the process), and the ratio net of the collector's time. A full pass comes when
the containers that survived into the oldest generation since the last one outnumber a quarter
of that generation: a run that keeps enough objects alive pays for one, a smaller run does not.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from common import many_values
from report import TIMES, Row, Target, paired_ratios

from . import Options
from .bulk import client_of, dynalite, raw_get, raw_write
from .model import TABLE, Item, wire_items

SCENARIO = "7. lean transport, client CPU on dynalite"
TARGETS = {"get": 0.4, "batch write": 0.4, "batch get": 0.5, "query": 0.4}


def run(options: Options, items: int | None = None) -> tuple[list[Row], list[str]]:
    """The rows, and notes on the collector's share of each case; ``items`` per bulk case
    (default 5,000, quick 1,000)."""
    try:
        with dynalite(options.log_dir) as (endpoint, _pid):
            return _run(options, endpoint, items)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return [Row(SCENARIO, "pydantic_bloop lean", "µs/item", error=reason)], []


@dataclass
class _Collector:
    """The thread CPU the cyclic collector took during a run, and its full passes."""

    ns: int = 0
    full: int = 0
    _start: int = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.thread_time_ns()
            return
        self.ns += time.thread_time_ns() - self._start
        self.full += info["generation"] == 2


def _timed(fn: Callable[[], object]) -> tuple[int, _Collector]:
    """Run ``fn`` once after ``gc.collect()``, the collector on: this thread's CPU
    nanoseconds, and what the collector took of them."""
    gc.collect()
    collector = _Collector()
    gc.callbacks.append(collector)
    try:
        start = time.thread_time_ns()
        fn()
        return time.thread_time_ns() - start, collector
    finally:
        gc.callbacks.remove(collector)


def raw_gets(client: Any, keys: list[dict[str, Any]]) -> None:
    for key in keys:
        client.get_item(TableName=TABLE, Key=key)


def raw_query(client: Any, pk: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "TableName": TABLE,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "pk"},
        "ExpressionAttributeValues": {":pk": {"S": pk}},
    }
    while True:
        page = client.query(**params)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _run(options: Options, endpoint: str, items: int | None) -> tuple[list[Row], list[str]]:
    from botocore.session import get_session

    from pydantic_bloop import Engine, LeanTransport

    n = items or (1_000 if options.quick else 5_000)
    gets = 100 if options.quick else 500
    rounds = 2 if options.quick else 5
    client = client_of(endpoint)
    session = get_session()
    session.set_credentials("bench", "bench")
    lean = LeanTransport(
        region="us-east-1", endpoint_url=endpoint, session=session, max_pool_connections=64
    )
    default = Engine(client=client, max_concurrency=1)
    engines = {"lean": Engine(transport=lean, max_concurrency=1), "boto3": default}
    default.bind(Item)
    engines["lean"].bind(Item)

    values = many_values(n, pk="bench")
    items = wire_items(values)
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items]
    objs = [Item(**v) for v in values]
    raw_write(client, TABLE, items)  # the stored items every read below finds

    def save(engine: Engine) -> None:
        with engine.context(persist="overwrite") as overwriting:
            overwriting.save(*objs)

    def get(engine: Engine) -> None:
        for v in values[:gets]:
            engine.get(Item, pk=v["pk"], sk=v["sk"])

    def query(engine: Engine) -> None:
        assert len(engine.query(Item).key(Item.pk == "bench").all()) == n

    kinds: dict[str, tuple[int, Callable[[], object], Callable[[Engine], object]]] = {
        "get": (gets, partial(raw_gets, client, keys[:gets]), get),
        "batch write": (n, partial(raw_write, client, TABLE, items), save),
        "batch get": (n, partial(raw_get, client, TABLE, keys), lambda e: e.load(*objs)),
        "query": (n, partial(raw_query, client, "bench"), query),
    }
    rows: list[Row] = []
    notes: list[str] = []
    for kind, (count, raw, ours) in kinds.items():
        cases: list[tuple[str, Callable[[], object]]] = [("raw", raw)]
        cases += [(name, partial(ours, engine)) for name, engine in engines.items()]
        samples: dict[str, list[float]] = {name: [] for name, _ in cases}
        collected: dict[str, list[float]] = {name: [] for name, _ in cases}
        full: dict[str, int] = dict.fromkeys(samples, 0)
        for r in range(1 + rounds):  # the first round warms up
            for name, fn in cases[r % len(cases) :] + cases[: r % len(cases)]:
                ns, collector = _timed(fn)
                if r:
                    samples[name].append(ns / count / 1000)
                    collected[name].append(collector.ns / count / 1000)
                    full[name] += collector.full
        notes.append(_collector_note(kind, count, rounds, samples, collected, full))
        rows.append(
            Row(
                SCENARIO,
                f"{kind}: raw boto3 ({count:,} items)",
                "µs/item",
                samples["raw"],
                floor=True,
            )
        )
        rows.append(
            Row(
                SCENARIO,
                f"{kind}: pydantic_bloop, LeanTransport",
                "µs/item",
                samples["lean"],
                ratios=paired_ratios(samples["lean"], samples["raw"]),
                target=Target("ratio_max", TARGETS[kind]),
            )
        )
        rows.append(
            Row(
                SCENARIO,
                f"{kind}: pydantic_bloop, boto3 client",
                "µs/item",
                samples["boto3"],
                ratios=paired_ratios(samples["boto3"], samples["raw"]),
                detail=True,
            )
        )
    lean.close()
    return rows, notes


def _collector_note(
    kind: str,
    count: int,
    rounds: int,
    samples: dict[str, list[float]],
    collected: dict[str, list[float]],
    full: dict[str, int],
) -> str:
    """The collector's share of each case of ``kind``, and the ratios net of it."""
    names = {"raw": "raw boto3", "lean": "LeanTransport", "boto3": "boto3 client"}
    net = {
        name: [t - c for t, c in zip(samples[name], collected[name], strict=True)] for name in names
    }
    parts = [
        f"{shown} {statistics.median(collected[name]):.1f} µs/item "
        f"({full[name]} full passes in {rounds} runs)"
        for name, shown in names.items()
    ]
    ratios = [
        f"{shown} {statistics.median(paired_ratios(net[name], net['raw'])):.2f}{TIMES}"
        for name, shown in names.items()
        if name != "raw"
    ]
    return (
        f"{kind} ({count:,} items), the collector: "
        + ", ".join(parts)
        + "; net of the collector's time: "
        + ", ".join(ratios)
    )
