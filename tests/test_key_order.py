"""Key conditions are sent hash part first, then range parts left to right, whatever order
the caller wrote them in (issue 18, failure 13: moto answers a range part written first with
HTTP 500)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

import pytest

from pydantic_bloop import Base, BloopConfig, GlobalIndex, HashKey, RangeKey, col
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Entry(Base):
    model_config = BloopConfig(table_name="entries")
    user: Annotated[str, HashKey()]
    day: Annotated[date, RangeKey()]


class Placed(Base):
    model_config = BloopConfig(table_name="placed")
    id: Annotated[str, HashKey()]
    tenant: str
    region: str
    day: date
    amount: int
    by_place: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key=("tenant", "region"), range_key=("day", "amount"), projection="all"
    )


DAYS = [date(2025, 1, d) for d in range(1, 8)]


def test_a_range_part_written_first_is_sent_after_the_hash_part(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Entry)
    engine.save(*(Entry(user=u, day=d) for u in ("ann", "bob") for d in DAYS))
    request_log.clear()

    found = (
        engine.query(Entry)
        .key(col(Entry.day).between(DAYS[1], DAYS[3]) & (col(Entry.user) == "bob"))
        .all()
    )

    assert [(e.user, e.day) for e in found] == [("bob", d) for d in DAYS[1:4]]
    (request,) = request_log.of("Query")
    names = request["ExpressionAttributeNames"]
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"
    assert (names["#n0"], names["#n1"]) == ("user", "day")


def test_multi_attribute_key_parts_are_sent_hash_parts_then_range_parts_in_order(
    make_engine: MakeEngine, request_log: RequestLog, backend: str
) -> None:
    if backend == "dynalite":
        pytest.skip("unsupported on dynalite: it refuses multi-attribute key schemas")
    engine = make_engine()
    engine.bind(Placed)
    items = [
        Placed(id=f"p{i}", tenant="acme", region=r, day=d, amount=i % 3)
        for i, (r, d) in enumerate((r, d) for r in ("eu", "us") for d in DAYS)
    ]
    engine.save(*items)
    request_log.clear()

    key = (
        (col(Placed.amount) >= 1)
        & (col(Placed.region) == "eu")
        & (col(Placed.day) == DAYS[2])
        & (col(Placed.tenant) == "acme")
    )
    found = engine.query(Placed.by_place).key(key).all()

    expected = [p for p in items if p.region == "eu" and p.day == DAYS[2] and p.amount >= 1]
    assert found == expected
    (request,) = request_log.of("Query")
    names = request["ExpressionAttributeNames"]
    rendered = request["KeyConditionExpression"]
    for placeholder, name in names.items():
        rendered = rendered.replace(placeholder, name)
    assert rendered.split(" AND ") == ["tenant = :v0", "region = :v1", "day = :v2", "amount >= :v3"]
