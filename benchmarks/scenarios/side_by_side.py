"""Scenario 6 (issue 17): raw boto3, pydantic_bloop and the peers with an HTTP client of their
own (pydynox), side by side on dynalite, in the same rounds.

Five cases, each a fixed batch of items: query one partition into objects (following
``LastEvaluatedKey``), single ``GetItem``s in a loop, BatchWriteItem of new objects,
BatchGetItem of keys, and the query on the async engine (floor: raw aiobotocore). Every run is
timed by this process's CPU clock (all threads) and the wall clock, the collector on; peers run
in their worker processes (:mod:`peers.manager`), timed the same way there. The table shows
client CPU per item with its ratio to raw boto3 measured in the same round, and wall per item.

Implementations are entries of ``LOCAL`` (this process) and ``SERVER_PEERS`` (workers): adding
one (a transport, say) is one function returning its runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import SideBySide, many_values, process_time_ns, side_by_side_counts
from peers.manager import SERVER_PEERS, Worker, ensure_all
from report import Row, paired_ratios

from . import Options
from .bulk import client_of, dynalite, raw_get, raw_write
from .model import Item, wire_items

OPS = ("query", "get", "batch write", "batch get", "async query")
CPU = "6. on dynalite, client CPU: {op}"
WALL = "6. on dynalite, wall: {op}"
TEMPLATE = "bench-side-{table_name}"
TABLE = TEMPLATE.format(table_name=Item.model_config["table_name"])
QUERY_PK, WRITE_PK = "bench#q", "bench#w"  # as the peers' runners use them
RAW = "raw boto3"  # the floor's implementation name


@dataclass(frozen=True)
class Setup:
    """What every implementation gets: dynalite's address, the table (filled with the query
    partition), the item counts and an event loop for the async cases."""

    endpoint: str
    table: str
    counts: SideBySide
    runner: asyncio.Runner
    stack: ExitStack  # closes what an implementation opened, after the last round


Runs = dict[str, tuple[str, Callable[[], object]]]  # op -> (label, run once)


def raw_boto3(setup: Setup) -> Runs:
    """What a boto3 / aiobotocore user writes: items stay wire dicts."""
    client = client_of(setup.endpoint)
    counts, table = setup.counts, setup.table
    values = many_values(counts.query, pk=QUERY_PK)
    keys = [{"pk": {"S": QUERY_PK}, "sk": {"N": str(v["sk"])}} for v in values]
    writes = wire_items(many_values(counts.write, pk=WRITE_PK))
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#k = :v",
        "ExpressionAttributeNames": {"#k": "pk"},
        "ExpressionAttributeValues": {":v": {"S": QUERY_PK}},
    }

    def query() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params = dict(request)
        while True:
            response = client.query(**params)
            items += response["Items"]
            if "LastEvaluatedKey" not in response:
                return items
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get() -> None:
        for key in keys[: counts.gets]:
            if "Item" not in client.get_item(TableName=table, Key=key):
                raise AssertionError(f"raw boto3: {key} not found")

    aclient = setup.runner.run(_open_async_client(setup))

    async def query_async() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params = dict(request)
        while True:
            response = await aclient.query(**params)
            items += response["Items"]
            if "LastEvaluatedKey" not in response:
                return items
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    return {
        "query": ("raw boto3: client.query + pagination, wire dicts", query),
        "get": ("raw boto3: client.get_item in a loop", get),
        "batch write": (
            "raw boto3: sequential BatchWriteItem (25 items) loop",
            lambda: raw_write(client, table, writes),
        ),
        "batch get": (
            "raw boto3: sequential BatchGetItem (100 keys) loop",
            lambda: raw_get(client, table, keys[: counts.batch_get]),
        ),
        "async query": (
            "raw aiobotocore: await client.query + pagination",
            lambda: setup.runner.run(query_async()),
        ),
    }


def pydantic_bloop(setup: Setup) -> Runs:
    """The engines on the client ``Engine()`` makes itself (no parameter validation)."""
    from pydantic_bloop import AsyncEngine, Engine

    counts = setup.counts
    template = TEMPLATE
    engine = Engine(
        client=client_of(setup.endpoint, parameter_validation=False),
        max_concurrency=1,
        table_name_template=template,
    )
    engine.bind(Item)
    objs = [Item(**v) for v in many_values(counts.query, pk=QUERY_PK)]
    writes = [Item(**v) for v in many_values(counts.write, pk=WRITE_PK)]
    aengine = AsyncEngine(
        client=setup.runner.run(_open_async_client(setup)), table_name_template=template
    )
    setup.runner.run(aengine.bind(Item))

    def get() -> None:
        for obj in objs[: counts.gets]:
            engine.get(Item, pk=obj.pk, sk=obj.sk)

    def save() -> None:
        with engine.context(persist="overwrite") as e:
            e.save(*writes)

    return {
        "query": (
            "pydantic_bloop: engine.query(Item).key(...).all()",
            lambda: engine.query(Item).key(Item.pk == QUERY_PK).all(),
        ),
        "get": ("pydantic_bloop: engine.get(Item, pk=..., sk=...) in a loop", get),
        "batch write": ('pydantic_bloop: engine.context(persist="overwrite").save(*objs)', save),
        "batch get": (
            "pydantic_bloop: engine.load(*objs)",
            lambda: engine.load(*objs[: counts.batch_get]),
        ),
        "async query": (
            "pydantic_bloop: await AsyncEngine.query(Item).key(...).all()",
            lambda: setup.runner.run(aengine.query(Item).key(Item.pk == QUERY_PK).all()),
        ),
    }


LOCAL: dict[str, Callable[[Setup], Runs]] = {RAW: raw_boto3, "pydantic_bloop": pydantic_bloop}


async def _open_async_client(setup: Setup) -> Any:
    """An aiobotocore client on dynalite, closed with the setup's stack."""
    from .async_engine import open_async_client

    manager, client = await open_async_client(setup.endpoint, 16)
    setup.stack.callback(setup.runner.run, manager.__aexit__(None, None, None))
    return client


@dataclass
class _Measured:
    label: str
    cpu: list[float]  # µs per item, one a round
    wall: list[float]


def run(options: Options, *, peers: bool) -> tuple[list[Row], list[str]]:
    try:
        return _run(options, peers=peers)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return [Row(CPU.format(op="query"), "pydantic_bloop", "µs/item", error=reason)], []


def _run(options: Options, *, peers: bool) -> tuple[list[Row], list[str]]:
    items = 1_000 if options.quick else 5_000
    repeats = 3 if options.quick else 7
    counts = side_by_side_counts(items)
    notes: list[str] = []
    with (
        dynalite(options.log_dir) as (endpoint, _pid),
        asyncio.Runner() as runner,
        ExitStack() as stack,
    ):
        setup = Setup(endpoint, TABLE, counts, runner, stack)
        _fill(setup)
        workers = stack.enter_context(_workers(options.log_dir, peers, items, endpoint, notes))
        runs: dict[str, Runs] = {name: build(setup) for name, build in LOCAL.items()}
        for worker in workers:
            worker.ready()
            if worker.error is not None:
                notes.append(f"{worker.peer.name}: unavailable ({worker.error})")
        ready = [w for w in workers if w.error is None]
        # (implementation, op) -> a measurement of one run: (cpu ns, wall ns)
        cases: dict[tuple[str, str], tuple[str, Callable[[], tuple[int, int]]]] = {}
        for name, impl_runs in runs.items():
            for op, (label, fn) in impl_runs.items():
                fn()  # a wrong result fails before anything is measured
                cases[(name, op)] = (label, _timed(fn))
        for worker in ready:
            for case in worker.cases:
                cases[(worker.peer.name, case.key)] = (
                    case.impl,
                    lambda w=worker, i=case.index: w.measure_both(i),
                )
        samples = {key: _Measured(label, [], []) for key, (label, _fn) in cases.items()}
        order = list(cases)
        for r in range(1 + repeats):  # round 0 warms every path up
            shift = r % len(order)
            for key in order[shift:] + order[:shift]:
                cpu, wall = cases[key][1]()
                if r:
                    per = getattr(counts, _COUNT[key[1]]) * 1000
                    samples[key].cpu.append(cpu / per)
                    samples[key].wall.append(wall / per)
    return _rows(samples), notes


_COUNT = {
    "query": "query",
    "get": "gets",
    "batch write": "write",
    "batch get": "batch_get",
    "async query": "query",
}


def _timed(fn: Callable[[], object]) -> Callable[[], tuple[int, int]]:
    return lambda: process_time_ns(fn)


def _fill(setup: Setup) -> None:
    """Create the table and store the query partition (raw BatchWriteItem)."""
    client = client_of(setup.endpoint)
    client.create_table(
        TableName=setup.table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=setup.table)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{setup.table} did not become active")
        time.sleep(0.05)
    raw_write(client, setup.table, wire_items(many_values(setup.counts.query, pk=QUERY_PK)))


@contextmanager
def _workers(
    log_dir: Path, peers: bool, items: int, endpoint: str, notes: list[str]
) -> Iterator[list[Worker]]:
    """The server peers' workers (started; ``ready()`` is the caller's), stopped at the end."""
    workers: list[Worker] = []
    if peers:
        pythons = ensure_all(SERVER_PEERS)
        with (log_dir / "server-peers.log").open("w") as log:
            for peer in SERVER_PEERS:
                python = pythons[peer.name]
                if isinstance(python, Exception):
                    notes.append(f"{peer.name}: unavailable ({python})")
                    continue
                args = ("--endpoint", endpoint, "--table", TABLE)
                workers.append(Worker.start(peer, python, items, log, args))
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def _rows(samples: dict[tuple[str, str], _Measured]) -> list[Row]:
    rows: list[Row] = []
    for op in OPS:
        floor = samples.get((RAW, op))
        if floor is None:
            continue
        names = [RAW, *sorted({n for n, o in samples if o == op and n != RAW}, key=_order)]
        for name in names:
            measured = samples.get((name, op))
            if measured is None:
                continue
            is_floor = name == RAW
            rows.append(
                Row(
                    CPU.format(op=op),
                    measured.label,
                    "µs/item",
                    measured.cpu,
                    ratios=None if is_floor else paired_ratios(measured.cpu, floor.cpu),
                    floor=is_floor,
                )
            )
        for name in names:
            measured = samples.get((name, op))
            if measured is not None:
                rows.append(
                    Row(
                        WALL.format(op=op),
                        measured.label,
                        "µs/item",
                        measured.wall,
                        ratios=None if name == RAW else paired_ratios(measured.wall, floor.wall),
                        floor=name == RAW,
                    )
                )
    return rows


def _order(name: str) -> tuple[int, str]:
    """This library's rows first, then the peers."""
    return (0 if name in LOCAL else 1, name)
