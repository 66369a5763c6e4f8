"""Scenario 7: the lean transport (`LeanTransport`) on dynalite, client CPU per item against
raw boto3 doing the same requests: single gets, batch write, batch get, a query of one
partition. pydantic_bloop on its default boto3 transport is measured beside it.

Client CPU is this thread's CPU time (``max_concurrency=1``: every request runs on it); dynalite
is another process, so its time is not counted. Rounds alternate the implementations and each
ratio is taken within a round, so drift of the machine's load cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from common import many_values, time_ns
from report import Row, Target, paired_ratios

from . import Options
from .bulk import client_of, dynalite, raw_get, raw_write
from .model import TABLE, Item, wire_items

SCENARIO = "7. lean transport, client CPU on dynalite"
TARGETS = {"get": 0.4, "batch write": 0.4, "batch get": 0.5, "query": 0.4}


def run(options: Options) -> list[Row]:
    try:
        with dynalite(options.log_dir) as (endpoint, _pid):
            return _run(options, endpoint)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return [Row(SCENARIO, "pydantic_bloop lean", "µs/item", error=reason)]


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


def _run(options: Options, endpoint: str) -> list[Row]:
    from botocore.session import get_session

    from pydantic_bloop import Engine, LeanTransport

    n = 1_000 if options.quick else 5_000
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
    for kind, (count, raw, ours) in kinds.items():
        cases: list[tuple[str, Callable[[], object]]] = [("raw", raw)]
        cases += [(name, partial(ours, engine)) for name, engine in engines.items()]
        samples: dict[str, list[float]] = {name: [] for name, _ in cases}
        for r in range(1 + rounds):  # the first round warms up
            for name, fn in cases[r % len(cases) :] + cases[: r % len(cases)]:
                ns = time_ns(fn, gc_off=False)
                if r:
                    samples[name].append(ns / count / 1000)
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
    return rows
