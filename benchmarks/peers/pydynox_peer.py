"""pydynox 1.8 (Rust core, its own HTTP client) on dynalite, as a peer of the side-by-side
scenario (:mod:`scenarios.side_by_side`). Run by the harness inside pydynox's virtualenv:

    python pydynox_peer.py --items N --endpoint URL --table NAME

The table exists and holds the query partition when this starts (the harness fills it). The
cases are those of ``common.SIDE_BY_SIDE``; each is timed by the process's CPU clock (the Rust
runtime's threads included) and the wall clock.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import FIELDS, Case, check_round_trip, many_values, serve, side_by_side_counts

QUERY_PK, WRITE_PK = "bench#q", "bench#w"


def _arg(name: str) -> str:
    return sys.argv[sys.argv.index(name) + 1]


def build(items: int) -> tuple[list[Case], dict[str, Any]]:
    import pydynox
    from pydynox import DynamoDBClient, Model, ModelConfig, SyncBatchWriter
    from pydynox.attributes import (
        BooleanAttribute,
        DatetimeAttribute,
        DecimalAttribute,
        ListAttribute,
        NumberAttribute,
        StringAttribute,
    )

    table = _arg("--table")
    client = DynamoDBClient(
        region="us-east-1",
        endpoint_url=_arg("--endpoint"),
        access_key="bench",
        secret_key="bench",
    )

    class PItem(Model):
        model_config = ModelConfig(table=table, client=client)
        pk = StringAttribute(partition_key=True)
        sk = NumberAttribute(sort_key=True)
        title = StringAttribute()
        views = NumberAttribute()
        price = DecimalAttribute()
        active = BooleanAttribute()
        created = DatetimeAttribute()
        tags = ListAttribute()

    counts = side_by_side_counts(items)
    query_values = many_values(counts.query, pk=QUERY_PK)
    keys = [{"pk": QUERY_PK, "sk": v["sk"]} for v in query_values]
    gets = keys[: counts.gets]
    writes = [PItem(**v) for v in many_values(counts.write, pk=WRITE_PK)]

    def query() -> list[Any]:
        return list(PItem.sync_query(partition_key=QUERY_PK))

    def get() -> None:
        for key in gets:
            if PItem.sync_get(**key) is None:
                raise AssertionError(f"pydynox: {key} not found")

    def batch_write() -> None:
        with SyncBatchWriter(client, table) as batch:
            for obj in writes:
                batch.put(obj.to_dict())

    def batch_get() -> list[Any]:
        return PItem.sync_batch_get(keys[: counts.batch_get])

    async def query_all() -> list[Any]:
        return [obj async for obj in PItem.query(partition_key=QUERY_PK)]

    runner = asyncio.Runner()

    def async_query() -> list[Any]:
        return runner.run(query_all())

    # it must read back what the others wrote, and its own writes must land
    found = query()
    if len(found) != counts.query:
        raise AssertionError(f"pydynox: the query found {len(found)} of {counts.query} items")
    check_round_trip("pydynox", {n: getattr(found[-1], n) for n in FIELDS}, query_values[-1])
    batch_write()
    if len(batch_get()) != counts.batch_get or len(async_query()) != counts.query:
        raise AssertionError("pydynox: batch get or async query found the wrong number")

    cases = [
        Case("query", "pydynox 1.8: Model.sync_query(partition_key=...)", counts.query, query),
        Case("get", "pydynox 1.8: Model.sync_get(pk=..., sk=...) in a loop", counts.gets, get),
        Case(
            "batch write",
            "pydynox 1.8: SyncBatchWriter + put(obj.to_dict())",
            counts.write,
            batch_write,
        ),
        Case("batch get", "pydynox 1.8: Model.sync_batch_get(keys)", counts.batch_get, batch_get),
        Case("async query", "pydynox 1.8: async for obj in Model.query(...)", counts.query,
             async_query),
    ]  # fmt: skip
    for case in cases:
        case.clock = "process"
    return cases, {"version": pydynox.__version__, "python": sys.version.split()[0]}


if __name__ == "__main__":
    serve(build)
