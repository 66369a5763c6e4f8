"""AsyncEngine against the sync Engine, in the same run, against dynalite (issue 8).

1. N concurrent gets: ``asyncio.gather`` of N ``await engine.get(Item, ...)`` on an
   AsyncEngine (the aiohttp pool, ``AioConfig(max_pool_connections=WIDTH)``, bounds the
   requests in flight), against the sync Engine doing the same gets (a) one after the other
   and (b) from a ``ThreadPoolExecutor`` of WIDTH threads (botocore pool of WIDTH too).
2. A bulk save of N items in one call, ``engine.context(persist="overwrite")`` then
   ``save(*objs)`` (BatchWriteItem), and the same objects loaded back with ``load(*objs)``
   (BatchGetItem), at ``max_concurrency`` 8 and 16; every save goes to a fresh table.

Both engines share one dynalite and take turns round by round (in a rotating order, after a
small warm-up round), so they see the same machine load. Each measurement records wall time,
this process's CPU time (``time.process_time``: every thread, the event loop included) and
dynalite's CPU time, so a reader can see what is client and what is server on a shared machine.

    .venv/bin/python benchmarks/scenarios/async_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":  # run alone: import the harness's modules as benchmarks/run.py does
    if sys.path and Path(sys.path[0]).resolve() == HERE:
        sys.path[0] = str(HERE.parent)  # not scenarios/ itself: its modules are not top level
    else:
        sys.path.insert(0, str(HERE.parent))

from common import many_values  # noqa: E402
from report import DASH, TIMES, Row, paired_ratios, table  # noqa: E402

from pydantic_bloop import AsyncEngine, Engine  # noqa: E402
from scenarios import Options  # noqa: E402
from scenarios.bulk import _cpu_seconds as cpu_seconds  # noqa: E402  # pyright: ignore[reportPrivateUsage]
from scenarios.bulk import dynalite  # noqa: E402
from scenarios.model import Item  # noqa: E402

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
R = TypeVar("R")
WIDTH = 16  # requests in flight for the gets: aiohttp pool, botocore pool, threads
ROUNDS = 4  # measured rounds (after a warm-up round); --quick: 1
GET_PASSES = 2  # the gets are quick: each round measures each of them this many times
CONCURRENCIES = (8, 16)  # max_concurrency of the bulk save / load
GETS = "AsyncEngine vs Engine: {n:,} gets (GetItem), width {w}"
SAVE = "AsyncEngine vs Engine: save {n:,} (BatchWriteItem), max_concurrency={c}"
LOAD = "AsyncEngine vs Engine: load {n:,} (BatchGetItem), max_concurrency={c}"
REGION, KEY_ID, SECRET = "us-east-1", "bench", "bench"
RETRIES = {"mode": "standard", "max_attempts": 10}


def sync_client(endpoint: str, pool: int) -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    config = Config(retries=RETRIES, max_pool_connections=pool)  # type: ignore[arg-type]
    client: DynamoDBClient = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=config,
    )
    return client


async def open_async_client(endpoint: str, pool: int) -> tuple[Any, Any]:
    """An aiobotocore client (entered) and its context manager, to close it with."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    session: Any = get_session()  # its stubs overload every AWS service
    config = AioConfig(retries=RETRIES, max_pool_connections=pool)
    manager = session.create_client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=config,
    )
    return manager, await manager.__aenter__()


@dataclass(frozen=True)
class Sample:
    """One measurement of ``items`` items: seconds of wall, of our CPU and of dynalite's CPU."""

    items: int
    wall: float
    client: float
    server: float

    @property
    def rate(self) -> float:
        return self.items / self.wall


def measure(fn: Callable[[], R], items: int, server: int) -> tuple[Sample, R]:
    """``fn()``'s result, and what it took."""
    wall, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(server)
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Sample(items, wall, cpu, cpu_seconds(server) - server_cpu), result


@dataclass(frozen=True)
class Case:
    """A row of the table: ``run(count)`` gets ``count`` items once."""

    key: str
    impl: str
    short: str  # its label in the breakdown table
    run: Callable[[int], Sequence[Item]]
    floor: bool = False


@dataclass(frozen=True)
class BulkCase:
    """One engine at one ``max_concurrency``: ``run(count)`` saves ``count`` items to a fresh
    table and loads them back, and returns the two measurements."""

    key: str
    run: Callable[[int], tuple[Sample, Sample]]


def rotated(cases: Sequence[T], r: int) -> list[T]:
    k = r % len(cases)
    return [*cases[k:], *cases[:k]]


@dataclass(frozen=True)
class Outcome:
    rows: list[Row]  # items/s; a ratio is to the scenario's sync Engine row (its floor)
    notes: list[str]  # each row's wall per item split into client CPU, dynalite CPU, the rest
    breakdown: list[list[str]]  # the same split as table cells
    async_over_sequential: float  # gets: the AsyncEngine's rate over the sequential loop's


def run(options: Options) -> tuple[list[Row], list[str]]:
    """The harness's entry point (benchmarks/run.py): the rows and notes."""
    try:
        outcome = measured(options)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return [Row(GETS.format(n=1_000, w=WIDTH), "AsyncEngine", "items/s", error=reason)], []
    return outcome.rows, outcome.notes


def measured(options: Options) -> Outcome:
    with dynalite(options.log_dir) as (endpoint, pid), asyncio.Runner() as runner:
        manager, aclient = runner.run(open_async_client(endpoint, WIDTH))
        try:
            return _run(options, endpoint, pid, runner, aclient)
        finally:
            runner.run(manager.__aexit__(None, None, None))


def _run(
    options: Options, endpoint: str, server: int, runner: asyncio.Runner, aclient: Any
) -> Outcome:
    n_gets = 200 if options.quick else 1_000
    n_bulk = 2_000 if options.quick else 10_000
    rounds = 1 if options.quick else ROUNDS
    warm = 100  # items of the warm-up round (round 0, not kept)
    client = sync_client(endpoint, WIDTH)
    values = many_values(max(n_gets, n_bulk))
    objs = [Item(**v) for v in values]
    keys = [{"pk": v["pk"], "sk": v["sk"]} for v in values]
    counter = itertools.count()

    def template() -> str:
        return f"bench-async{next(counter)}-{{table_name}}"

    # the gets read one table, filled once
    engine = Engine(client=client, max_concurrency=WIDTH, table_name_template=template())
    engine.bind(Item)
    with engine.context(persist="overwrite") as e:
        e.save(*objs[:n_gets])
    aengine = AsyncEngine(
        client=aclient, max_concurrency=WIDTH, table_name_template=engine.config.table_name_template
    )
    runner.run(aengine.bind(Item))
    threads = ThreadPoolExecutor(WIDTH, thread_name_prefix="bench-get")

    def check(got: Sequence[Item], count: int) -> None:
        if [(o.pk, o.sk, o.title) for o in got] != [
            (v["pk"], v["sk"], v["title"]) for v in values[:count]
        ]:
            raise AssertionError("the gets did not return the stored items")

    def get_one(key: dict[str, Any]) -> Item:
        return engine.get(Item, **key)

    def gets_sequential(count: int) -> list[Item]:
        return [get_one(k) for k in keys[:count]]

    def gets_threads(count: int) -> list[Item]:
        return list(threads.map(get_one, keys[:count]))

    async def gather_gets(count: int) -> list[Item]:
        return await asyncio.gather(*(aengine.get(Item, **k) for k in keys[:count]))

    def gets_async(count: int) -> list[Item]:
        return runner.run(gather_gets(count))

    get_cases = [
        Case(
            "get threads",
            f"Engine: ThreadPoolExecutor({WIDTH}).map(engine.get), botocore pool {WIDTH}",
            f"gets: Engine, {WIDTH} threads",
            gets_threads,
            floor=True,
        ),
        Case(
            "get sequential",
            "Engine: engine.get in a loop",
            "gets: Engine, sequential",
            gets_sequential,
        ),
        Case(
            "get async",
            f"AsyncEngine: asyncio.gather of engine.get, AioConfig(max_pool_connections={WIDTH})",
            "gets: AsyncEngine, gather",
            gets_async,
        ),
    ]

    # the bulk save and load: a fresh table per measurement, made and dropped off the clock
    def sync_bulk(c: int, count: int) -> tuple[Sample, Sample]:
        fresh = Engine(client=client, max_concurrency=c, table_name_template=template())
        fresh.bind(Item)

        def save() -> None:
            with fresh.context(persist="overwrite") as e:
                e.save(*objs[:count])

        done = (
            measure(save, count, server)[0],
            measure(lambda: fresh.load(*objs[:count]), count, server)[0],
        )
        client.delete_table(TableName=fresh.table_name(Item))
        return done

    def async_bulk(c: int, count: int) -> tuple[Sample, Sample]:
        fresh = AsyncEngine(client=aclient, max_concurrency=c, table_name_template=template())
        runner.run(fresh.bind(Item))

        async def save() -> None:
            async with fresh.context(persist="overwrite") as e:
                await e.save(*objs[:count])

        done = (
            measure(lambda: runner.run(save()), count, server)[0],
            measure(lambda: runner.run(fresh.load(*objs[:count])), count, server)[0],
        )
        client.delete_table(TableName=fresh.table_name(Item))
        return done

    bulk_cases = [
        BulkCase(f"{kind} {c}", partial(bulk, c))
        for c in CONCURRENCIES
        for kind, bulk in (("sync", sync_bulk), ("async", async_bulk))
    ]

    samples: dict[str, list[Sample]] = {}
    for r in range(1 + rounds):  # round 0: a small warm-up of every path, not kept
        for case in rotated(get_cases, r) * GET_PASSES:
            count = n_gets if r else warm
            sample, got = measure(partial(case.run, count), count, server)
            check(got, count)
            samples.setdefault(case.key, []).append(sample)
        for bulk_case in rotated(bulk_cases, r):
            save, load = bulk_case.run(n_bulk if r else warm)
            samples.setdefault(f"{bulk_case.key} save", []).append(save)
            samples.setdefault(f"{bulk_case.key} load", []).append(load)
    threads.shutdown()
    client.delete_table(TableName=engine.table_name(Item))
    samples = {  # without the warm-up round's
        key: kept[GET_PASSES if key.startswith("get ") else 1 :] for key, kept in samples.items()
    }

    # the rows: each scenario's sync row is its floor; the others' ratios are to it
    gets = GETS.format(n=n_gets, w=WIDTH)
    lines = [(case.key, gets, case.impl, case.short, case.floor) for case in get_cases]
    for c in CONCURRENCIES:
        for kind, name, call in (
            ("save", SAVE, 'engine.context(persist="overwrite") + save(*objs)'),
            ("load", LOAD, "engine.load(*objs)"),
        ):
            scenario = name.format(n=n_bulk, c=c)
            short = f"{kind}, max_concurrency={c}"
            lines.append(
                (f"sync {c} {kind}", scenario, f"Engine: {call}", f"{short}: Engine", True)
            )
            lines.append(
                (
                    f"async {c} {kind}",
                    scenario,
                    f"AsyncEngine: await {call}",
                    f"{short}: AsyncEngine",
                    False,
                )
            )
    floors = {scenario: key for key, scenario, _, _, floor in lines if floor}
    rows: list[Row] = []
    notes: list[str] = []
    breakdown: list[list[str]] = []
    for key, scenario, impl, short, floor in lines:
        rates = [s.rate for s in samples[key]]
        base = [s.rate for s in samples[floors[scenario]]]
        ratios = None if floor else paired_ratios(rates, base)
        rows.append(Row(scenario, impl, "items/s", rates, ratios=ratios, floor=floor))
        spent = Spent.of(samples[key])
        notes.append(f"{scenario}, {impl}: {spent.text()}")
        cpu = [s.client / s.items for s in samples[key]]
        base_cpu = [s.client / s.items for s in samples[floors[scenario]]]
        cpu_ratio = (
            "floor" if floor else f"{statistics.median(paired_ratios(cpu, base_cpu)):.2f}{TIMES}"
        )
        breakdown.append([short, *spent.cells(), cpu_ratio])
    sequential = [s.rate for s in samples["get sequential"]]
    asynchronous = [s.rate for s in samples["get async"]]
    ratio = statistics.median(paired_ratios(asynchronous, sequential))
    notes.append(f"gets: AsyncEngine over the sequential Engine loop: {ratio:.2f}{TIMES}")
    return Outcome(rows, notes, breakdown, ratio)


@dataclass(frozen=True)
class Spent:
    """Medians over rounds, in µs per item: wall, this process's CPU, dynalite's CPU."""

    wall: float
    client: float
    server: float

    @staticmethod
    def of(samples: Sequence[Sample]) -> Spent:
        def per_item(part: Callable[[Sample], float]) -> float:
            return statistics.median(part(s) / s.items * 1e6 for s in samples)

        return Spent(
            per_item(lambda s: s.wall), per_item(lambda s: s.client), per_item(lambda s: s.server)
        )

    @property
    def rest(self) -> float:
        return max(0.0, self.wall - self.client - self.server)

    def cells(self) -> list[str]:
        values = (self.wall, self.client, self.server, self.rest)
        return [f"{v:,.0f}" for v in values] + [f"{self.client / self.wall:.0%}"]

    def text(self) -> str:
        return (
            f"wall {self.wall:.0f} µs/item = this process's CPU {self.client:.0f} µs/item"
            f" + dynalite's CPU {self.server:.0f} µs/item + the rest ({self.rest:.0f} µs/item)"
        )


BREAKDOWN = (
    "Row",
    "Wall µs/item",
    "Client CPU µs/item",
    "dynalite CPU µs/item",
    "Rest µs/item",
    "Client CPU / wall",
    "Client CPU ratio",
)


def markdown(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]

    def fmt(cells: Sequence[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])


def load_average() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer items and one round")
    args = parser.parse_args(argv)
    started, load_start = time.monotonic(), load_average()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    options = Options(
        quick=args.quick, repeats=1, log_dir=Path(tempfile.mkdtemp(prefix="bloop-bench-async-"))
    )
    outcome = measured(options)
    rounds = 1 if args.quick else ROUNDS
    elapsed = time.monotonic() - started
    command = "benchmarks/scenarios/async_engine.py" + (" --quick" if args.quick else "")
    print("## AsyncEngine vs Engine (dynalite)")
    print()
    print(
        f"`.venv/bin/python {command}`, {when}, {elapsed:.0f} s; `nproc` {os.cpu_count()}; "
        f"load average {load_start} at the start, {load_average()} at the end."
    )
    print()
    print(table(outcome.rows))
    print()
    print(
        f"items/s (gets/s for the gets): median over {rounds} round(s) ({rounds * GET_PASSES} "
        f"passes for the gets) (min{DASH}max); ratio: the row's rate over the floor row's (the "
        "sync Engine's) in the same round, median over rounds; the AsyncEngine's gets over the "
        f"sequential loop's: {outcome.async_over_sequential:.2f}{TIMES}. "
        f"Both engines use one client each with a connection pool of {WIDTH} (botocore "
        f"`Config(max_pool_connections={WIDTH})`, aiobotocore "
        f"`AioConfig(max_pool_connections={WIDTH})`); the bulk rows write each save to a fresh "
        "table; a warm-up round of every path comes first."
    )
    print()
    print(
        "Where the time goes, per item (medians over rounds): wall = this process's CPU "
        "(`time.process_time`, every thread) + dynalite's CPU (/proc) + the rest (neither ran: "
        "waiting, or the machine's other processes had the cores; 0 where the two overlapped). "
        "Client CPU ratio: this row's client CPU per item over the floor row's, round by round."
    )
    print()
    print(markdown(BREAKDOWN, outcome.breakdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
