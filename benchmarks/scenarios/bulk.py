"""Scenario 4: saving N new items in one call and loading them back in one call against
dynalite, against a sequential raw boto3 BatchWriteItem / BatchGetItem loop, for several
``max_concurrency`` values.

Every measurement writes to a fresh table (created before the clock starts, deleted after), so
neither side finds the other's items.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from common import many_values, time_ns
from report import Row, Target, paired_ratios

from . import Options
from .model import TABLE, Item, wire_items

ROOT = Path(__file__).resolve().parents[2]
DYNALITE = ROOT / "node_modules" / "dynalite" / "cli.js"
SAVE = "4. bulk save (BatchWriteItem)"
LOAD = "4. bulk load (BatchGetItem)"
CPU = "4. bulk, client CPU only (canned server)"


@contextmanager
def dynalite(log_dir: Path) -> Iterator[tuple[str, int]]:
    node = shutil.which("node")
    if node is None or not DYNALITE.exists():
        raise RuntimeError("needs node and node_modules/dynalite (npm ci)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [node, str(DYNALITE), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--createTableMs", "0", "--deleteTableMs", "0"]
    with (log_dir / "dynalite.log").open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dynalite did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def client_of(endpoint: str, *, parameter_validation: bool = True) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(
            retries={"mode": "standard", "max_attempts": 10},
            max_pool_connections=64,
            parameter_validation=parameter_validation,
        ),
    )


def raw_write(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for i in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def raw_get(client: Any, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for i in range(0, len(keys), 100):
        request: dict[str, Any] = {table: {"Keys": keys[i : i + 100]}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            found += response["Responses"].get(table, [])
            request = response.get("UnprocessedKeys") or {}
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class _Usage:
    """Where the wall time of one kind of measurement went, summed over rounds."""

    items: int = 0
    wall: float = 0.0
    client: float = 0.0
    server: float = 0.0

    def text(self) -> str:
        per_item = 1e6 / self.items
        return (
            f"wall {self.wall * per_item:.0f} µs/item = this process's CPU "
            f"{self.client * per_item:.0f} µs/item + dynalite's CPU "
            f"{self.server * per_item:.0f} µs/item + waiting "
            f"({max(0.0, self.wall - self.client - self.server) * per_item:.0f} µs/item)"
        )


def run(options: Options) -> tuple[list[Row], list[str]]:
    try:
        with dynalite(options.log_dir) as (endpoint, pid):
            rows, notes = _run(options, endpoint, pid)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        rows = [Row(s, "pydantic_bloop", "items/s", error=reason) for s in (SAVE, LOAD)]
        notes = []
    try:
        rows += _client_cpu(options)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        rows.append(Row(CPU, "pydantic_bloop", "µs/item", error=reason))
    return rows, notes


def _client_cpu(options: Options) -> list[Row]:
    """The client's CPU per item of the same bulk calls, the server answering from memory
    (:mod:`.canned`): what the mapper adds to boto3, with no server to wait for."""
    from pydantic_bloop import Engine

    from .canned import CannedDynamo
    from .query import canned_client

    n = 1_000 if options.quick else 5_000
    repeats = 3 if options.quick else 5
    values = many_values(n)
    items = wire_items(values)
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items]
    objs = [Item(**v) for v in values]
    canned = CannedDynamo([], 0, 1, cache=False)
    canned.store(items)
    client = canned_client(canned)
    engine = Engine(client=client, max_concurrency=1)  # one thread: its CPU clock says it all
    engine.bind(Item)
    assert len(raw_get(client, TABLE, keys)) == n
    # botocore validates every request against the service model; requests the library builds
    # are valid by construction, so its clients could skip that
    unchecked = canned_client(canned, parameter_validation=False)
    fast = Engine(client=unchecked, max_concurrency=1)
    fast.bind(Item)

    def save(engine: Engine = engine) -> None:
        with engine.context(persist="overwrite") as e:
            e.save(*objs)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("raw save", partial(raw_write, client, TABLE, items)),
        ("save", save),
        ("fast save", partial(save, fast)),
        ("raw load", partial(raw_get, client, TABLE, keys)),
        ("load", partial(engine.load, *objs)),
        ("fast load", partial(fast.load, *objs)),
    ]
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    for r in range(1 + repeats):
        for name, fn in cases[r % len(cases) :] + cases[: r % len(cases)]:
            ns = time_ns(fn, gc_off=False)
            if r:
                samples[name].append(ns / n / 1000)
    rows = []
    for kind, call in (
        ("save", 'context(persist="overwrite").save(*objs)'),
        ("load", "load(*objs)"),
    ):
        raw = samples[f"raw {kind}"]
        what = "BatchWriteItem (25 items)" if kind == "save" else "BatchGetItem (100 keys)"
        rows.append(
            Row(CPU, f"raw boto3: sequential {what} loop ({n:,} items)", "µs/item", raw, floor=True)
        )
        rows.append(
            Row(
                CPU,
                f"pydantic_bloop: engine.{call}, max_concurrency=1",
                "µs/item",
                samples[kind],
                ratios=paired_ratios(samples[kind], raw),
            )
        )
        rows.append(
            Row(
                CPU,
                "same, on a client made with Config(parameter_validation=False)",
                "µs/item",
                samples[f"fast {kind}"],
                ratios=paired_ratios(samples[f"fast {kind}"], raw),
                detail=True,
            )
        )
    return rows


RTT = 0.010  # the simulated network round trip of the second variant


def _delayed(client: Any, seconds: float) -> Any:
    """``client`` with every request held ``seconds`` before it is sent (as a network round
    trip would; the GIL is free meanwhile, as it is while waiting for a real server)."""

    def wait(**_: Any) -> None:
        time.sleep(seconds)

    client.meta.events.register("before-send.dynamodb", wait)
    return client


def _run(options: Options, endpoint: str, server: int) -> tuple[list[Row], list[str]]:
    from pydantic_bloop import Engine

    n = 2_000 if options.quick else 10_000
    repeats = 1 if options.quick else 2
    client = client_of(endpoint)
    variants = [
        # (label, client, max_concurrency values, items)
        ("", client, (1, 8) if options.quick else (1, 4, 8, 16), n),
        (
            f", +{RTT * 1000:.0f} ms simulated RTT",
            _delayed(client_of(endpoint), RTT),
            (8, 16),
            n // 2,  # the sequential loop is slow here: fewer items keep the run short
        ),
    ]
    values = many_values(n)
    items = wire_items(values)
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items]
    objs = [Item(**v) for v in values]
    counter = itertools.count()

    def fresh_engine(via: Any, concurrency: int) -> tuple[Engine, str]:
        """An engine bound to a new table, and the table's name."""
        prefix = f"bench{next(counter)}-"
        engine = Engine(
            client=via, max_concurrency=concurrency, table_name_template=prefix + "{table_name}"
        )
        engine.bind(Item)
        return engine, prefix + TABLE

    Key = tuple[str, str, int]  # (variant, save|load, max_concurrency; 0: the raw loop)
    rates: dict[Key, list[float]] = {}
    usage: dict[Key, _Usage] = {}

    def timed(key: Key, fn: Callable[[], object], count: int, keep: bool) -> None:
        wall, cpu, server_cpu = time.perf_counter(), time.process_time(), _cpu_seconds(server)
        fn()
        wall = time.perf_counter() - wall
        if keep:
            rates.setdefault(key, []).append(count / wall)
            spent = usage.setdefault(key, _Usage())
            spent.items += count
            spent.wall += wall
            spent.client += time.process_time() - cpu
            spent.server += _cpu_seconds(server) - server_cpu

    for r in range(1 + repeats):  # round 0: a smaller warm-up of every path
        keep = r > 0
        for label, via, concurrencies, size in variants:
            count = size if keep else 200
            _, table = fresh_engine(via, 1)
            timed((label, "save", 0), partial(raw_write, via, table, items[:count]), count, keep)
            timed((label, "load", 0), partial(raw_get, via, table, keys[:count]), count, keep)
            client.delete_table(TableName=table)
            for c in concurrencies:
                engine, table = fresh_engine(via, c)
                batch = objs[:count]

                def save(engine: Engine = engine, batch: list[Item] = batch) -> None:
                    with engine.context(persist="overwrite") as e:
                        e.save(*batch)

                timed((label, "save", c), save, count, keep)
                timed((label, "load", c), partial(engine.load, *batch), count, keep)
                client.delete_table(TableName=table)

    rows: list[Row] = []
    notes: list[str] = []
    for label, _via, concurrencies, size in variants:
        for kind, scenario in (("save", SAVE), ("load", LOAD)):
            floor = rates[(label, kind, 0)]
            notes.append(f"bulk {kind}{label}, raw loop: {usage[(label, kind, 0)].text()}")
            what = "BatchWriteItem (25 items)" if kind == "save" else "BatchGetItem (100 keys)"
            rows.append(
                Row(
                    scenario + label,
                    f"raw boto3, sequential {what} loop ({size:,} items)",
                    "items/s",
                    floor,
                    floor=True,
                )
            )
            call = 'context(persist="overwrite").save(*objs)' if kind == "save" else "load(*objs)"
            for c in concurrencies:
                samples = rates[(label, kind, c)]
                rows.append(
                    Row(
                        scenario + label,
                        f"pydantic_bloop: engine.{call}, max_concurrency={c}",
                        "items/s",
                        samples,
                        ratios=paired_ratios(samples, floor),
                        target=Target("ratio_min", 3.0),
                    )
                )
                text = usage[(label, kind, c)].text()
                notes.append(f"bulk {kind}{label}, max_concurrency={c}: {text}")
    return rows, notes
