"""Sparse indexes (an optional field as index key) and index names that differ from the class
attribute (several models sharing one generic index)."""

from __future__ import annotations

from typing import Annotated, ClassVar

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    col,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Member(Base):
    model_config = BloopConfig(table_name="members")
    id: Annotated[str, HashKey()]
    name: str
    referrer: str | None = None  # only some members were referred
    by_referrer: ClassVar[GlobalIndex] = GlobalIndex(hash_key="referrer", projection="all")


def test_an_optional_field_makes_a_sparse_index(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine()
    engine.bind(Member)
    members = [
        Member(id=f"m{i}", name=f"n{i}", referrer=None if i % 3 else f"r{i % 2}") for i in range(12)
    ]
    engine.save(*members)

    in_index = engine.scan(Member.by_referrer).all()
    assert sorted(m.id for m in in_index) == sorted(m.id for m in members if m.referrer)
    assert len(in_index) == 4
    found = engine.query(Member.by_referrer).key(col(Member.referrer) == "r0").all()
    assert sorted(m.id for m in found) == ["m0", "m6"]
    # the table holds every member, and a None referrer is an absent attribute
    assert engine.scan(Member).count() == 12
    item = client.get_item(TableName=f"{table_prefix}members", Key={"id": {"S": "m1"}}).get(
        "Item", {}
    )
    assert "referrer" not in item

    # clearing the attribute takes the item out of the index
    first = engine.get(Member, id="m0")
    first.referrer = None
    engine.save(first)
    found = engine.query(Member.by_referrer).key(col(Member.referrer) == "r0").all()
    assert [m.id for m in found] == ["m6"]


def test_table_keys_must_still_be_required() -> None:
    with pytest.raises(InvalidModel, match=r"Loose\.id is a key and cannot be optional"):

        class Loose(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str | None, HashKey()] = None


class Order(Base):
    model_config = BloopConfig(table_name="generic")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    status: Annotated[str, DynamoName("GSI1PK")]
    total: int = 0
    by_status: ClassVar[GlobalIndex] = GlobalIndex(hash_key="status", name="gsi1")


class Product(Base):
    model_config = BloopConfig(table_name="generic")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    category: Annotated[str, DynamoName("GSI1PK")]
    in_category: ClassVar[GlobalIndex] = GlobalIndex(hash_key="category", name="gsi1")


def test_two_models_share_one_named_index(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine: Engine = make_engine()
    engine.bind(Order, Product)
    described = client.describe_table(TableName=f"{table_prefix}generic")["Table"]
    indexes = described.get("GlobalSecondaryIndexes", [])
    assert [(i.get("IndexName"), i.get("KeySchema")) for i in indexes] == [
        ("gsi1", [{"AttributeName": "GSI1PK", "KeyType": "HASH"}])
    ]
    engine.save(Order(pk="o1", status="open"), Product(pk="p1", category="toys"))
    request_log.clear()

    (order,) = engine.query(Order.by_status).key(col(Order.status) == "open").all()
    assert order.pk == "o1"
    assert request_log.of("Query")[0]["IndexName"] == "gsi1"
    assert repr(Order.by_status) == "<Index Order.gsi1>"


def test_index_names_follow_dynamodb_rules() -> None:
    with pytest.raises(InvalidModel, match="3 to 255 characters long, not 'g1'"):

        class Short(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            a: str
            by_a: ClassVar[GlobalIndex] = GlobalIndex(hash_key="a", name="g1")
