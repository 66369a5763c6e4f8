"""Scenario 3: a query end to end through botocore, the responses coming from memory
(:mod:`.canned`): ``engine.query(Item).key(...).all()`` against raw ``client.query`` with
pagination over the same responses, and where the mapper's extra time goes."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from typing import Any

from common import many_values, time_ns
from report import Row, Target, paired_ratios

from . import Options
from .canned import CannedDynamo
from .model import INFO, TABLE, Item, PlainItem, wire_items

SCENARIO = "3. query e2e, ~1 MB pages"
PK = "forum#1"


def canned_client(canned: CannedDynamo, *, parameter_validation: bool = True) -> Any:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # never contacted: the canned answer comes first
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(
            retries={"mode": "standard", "max_attempts": 1},
            parameter_validation=parameter_validation,
        ),
    )
    canned.install(client)
    return client


def raw_query(client: Any) -> list[dict[str, Any]]:
    """What a boto3 user writes: query, and follow LastEvaluatedKey."""
    request: dict[str, Any] = {
        "TableName": TABLE,
        "KeyConditionExpression": "#k = :v",
        "ExpressionAttributeNames": {"#k": "pk"},
        "ExpressionAttributeValues": {":v": {"S": PK}},
    }
    items: list[dict[str, Any]] = []
    while True:
        response = client.query(**request)
        items.extend(response["Items"])
        last = response.get("LastEvaluatedKey")
        if last is None:
            return items
        request["ExclusiveStartKey"] = last


def json_items(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """The engine's fast path on raw boto3 (``lifting`` does this for the engine's own calls): a
    ``before-parse`` hook that takes the
    items out of the body with ``json.loads`` and hands them over as they are, so botocore's
    shape-driven parser only walks the rest. The wire JSON of S, N, BOOL, NULL, L, M, SS and
    NS is already what botocore would return; B and BS would stay base64 text."""
    if response_dict.get("status_code") != 200:
        return
    body = json.loads(response_dict["body"])
    items = body.pop("Items", None)
    if items is not None:
        customized_response_dict["Items"] = items
        response_dict["body"] = json.dumps(body).encode()


def run(options: Options) -> list[Row]:
    try:
        return _run(options)
    except Exception as exc:
        return [Row(SCENARIO, "pydantic_bloop", "µs/item", error=f"{type(exc).__name__}: {exc}")]


def _rounds(
    cases: list[tuple[str, Callable[[], object]]],
    repeats: int,
    *,
    gc_off: bool,
    total: int,
) -> dict[str, list[float]]:
    """Every case once a round (a warm-up round first), in a rotating order: µs per item."""
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    for r in range(1 + repeats):
        shift = r % len(cases)
        for name, fn in cases[shift:] + cases[:shift]:
            ns = time_ns(fn, gc_off=gc_off)
            if r:
                samples[name].append(ns / total / 1000)
    return samples


def _run(options: Options) -> list[Row]:
    from boto3.dynamodb.types import TypeDeserializer

    from pydantic_bloop import Engine, tracking

    pages = 1 if options.quick else 2
    repeats = 3 if options.quick else 7
    sample = wire_items(many_values(4000, pk=PK))
    canned = CannedDynamo.by_size(sample, cache=True)
    canned.total = pages * canned.per_page
    client = canned_client(canned)
    engine = Engine(client=client)
    engine.bind(Item)
    total = canned.total
    del sample
    fast_client = canned_client(canned)
    fast_client.meta.events.register("before-parse.dynamodb.Query", json_items)

    def checked(name: str, fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            before = canned.pages_served
            result = fn()
            served = canned.pages_served - before
            assert served in (0, pages), f"{name}: {served} requests for {pages} pages (a retry?)"
            return result

        return run

    items = raw_query(client)
    objs = engine.query(Item).key(Item.pk == PK).all()
    assert len(items) == len(objs) == total and canned.pages == pages
    assert objs[-1].model_dump() == INFO.instance_from(items[-1], None).model_dump()
    assert raw_query(fast_client) == items
    del items, objs
    deserialize = TypeDeserializer().deserialize

    def raw() -> None:
        raw_query(client)

    def mapper() -> None:
        engine.query(Item).key(Item.pk == PK).all()

    def fast_raw() -> None:
        raw_query(fast_client)

    def hand_rolled() -> None:
        validate = PlainItem.model_validate
        for item in raw_query(client):
            validate({k: deserialize(v) for k, v in item.items()})

    # end to end as an application runs it: the collector on, nothing else held in memory
    e2e = _rounds(
        [
            ("raw", checked("raw", raw)),
            ("mapper", checked("mapper", mapper)),
            ("hand", checked("hand", hand_rolled)),
            ("fast raw", checked("fast raw", fast_raw)),
        ],
        repeats,
        gc_off=False,
        total=total,
    )

    # where the time goes, the collector off: botocore on the lifted body, the wire reader,
    # tracking, and what is left (query, cursor, engine)
    items = raw_query(client)
    instances = [INFO.instance_from(i, None) for i in items]

    def reader() -> None:
        for item in items:
            INFO.instance_from(item, None)

    def remember() -> None:
        for obj, item in zip(instances, items, strict=True):
            tracking.loaded(INFO, obj, item, None)

    parts = _rounds(
        [
            ("raw", raw),
            ("mapper", mapper),
            ("lifted", fast_raw),
            ("reader", reader),
            ("remember", remember),
        ],
        max(3, repeats - 2),
        gc_off=True,
        total=total,
    )
    median = statistics.median
    rest = median(parts["mapper"]) - sum(median(parts[k]) for k in ("lifted", "reader", "remember"))
    title = f"{pages} page{'s' if pages > 1 else ''} of {canned.per_page:,} items"
    raw_samples = e2e["raw"]
    return [
        Row(
            SCENARIO,
            f"raw boto3 client.query + pagination ({title})",
            "µs/item",
            raw_samples,
            floor=True,
        ),
        Row(
            SCENARIO,
            "pydantic_bloop: engine.query(Item).key(...).all()",
            "µs/item",
            e2e["mapper"],
            ratios=paired_ratios(e2e["mapper"], raw_samples),
            target=Target("ratio_max", 0.5),
        ),
        Row(
            SCENARIO,
            "hand-rolled: raw + TypeDeserializer + model_validate",
            "µs/item",
            e2e["hand"],
            ratios=paired_ratios(e2e["hand"], raw_samples),
        ),
        Row(
            SCENARIO,
            "raw boto3 + a before-parse hook json.loads-ing the Items (the engine's lift)",
            "µs/item",
            e2e["fast raw"],
            ratios=paired_ratios(e2e["fast raw"], raw_samples),
        ),
        Row(
            SCENARIO,
            "pydantic_bloop, collector off",
            "µs/item",
            parts["mapper"],
            ratios=paired_ratios(parts["mapper"], parts["raw"]),
            detail=True,
        ),
        Row(
            SCENARIO,
            "botocore: sign, canned send, parse of the lifted body",
            "µs/item",
            parts["lifted"],
            detail=True,
        ),
        Row(
            SCENARIO,
            "wire reader: info.instance_from(item)",
            "µs/item",
            parts["reader"],
            detail=True,
        ),
        Row(
            SCENARIO,
            "tracking: loaded(...)",
            "µs/item",
            parts["remember"],
            detail=True,
        ),
        Row(
            SCENARIO,
            "the rest: query, cursor, engine (difference of medians)",
            "µs/item",
            [rest],
            detail=True,
        ),
    ]
