"""Stream records of several entities in one table (single-table design): each record becomes
the model its discriminator tag names, subclasses included, with no rule to write."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    Engine,
    HashKey,
    RangeKey,
    StreamReader,
    parse_changes,
)
from pydantic_bloop.types import AttributeValue


class Customer(Base):
    model_config = BloopConfig(table_name="mall", entity="customer", stream="new_image")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str


class Order(Base):
    model_config = BloopConfig(table_name="mall", entity="order", stream="new_image")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: Decimal


class RushOrder(Order):  # an entity of its own, tagged with its class name
    due: datetime


def record(sk: str, image: dict[str, AttributeValue], view: str = "NEW_IMAGE") -> dict[str, Any]:
    keys = {"pk": {"S": "c#1"}, "sk": {"S": sk}}
    data: dict[str, Any] = {"Keys": keys, "SequenceNumber": f"7{len(sk):020}"}
    data["StreamViewType"] = view
    if view != "KEYS_ONLY":
        data["NewImage"] = {**keys, **image}
    return {"eventName": "INSERT", "dynamodb": data}


def test_records_become_the_entity_their_tag_names() -> None:
    event = [
        record("profile", {"_et": {"S": "customer"}, "name": {"S": "Ada"}}),
        record("order#1", {"_et": {"S": "order"}, "total": {"N": "9.5"}}),
        record(
            "order#2",
            {
                "_et": {"S": "RushOrder"},
                "total": {"N": "20"},
                "due": {"S": "2026-12-24T18:00:00.000000Z"},
            },
        ),
        record("invoice#1", {"_et": {"S": "invoice"}, "total": {"N": "1"}}),
        record("order#3", {}, view="KEYS_ONLY"),
    ]
    changes = parse_changes(event, Customer, Order, errors="collect")
    customer, order, rush = changes
    assert type(customer.new) is Customer and customer.new.name == "Ada"
    assert type(order.new) is Order and order.new.total == Decimal("9.5")
    assert type(rush.new) is RushOrder
    assert rush.new.due == datetime(2026, 12, 24, 18, tzinfo=UTC)
    unknown, keys_only = changes.errors
    assert "no model given for entity {'S': 'invoice'}" in str(unknown)
    assert "carries no entity tag" in str(keys_only)


@pytest.mark.dynalite_unsupported("no streams in dynalite")
def test_a_reader_of_a_single_table_needs_no_rule(
    client: DynamoDBClient, table_prefix: str
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Customer, Order)
    with engine.context(persist="overwrite") as writer:
        writer.save(Customer(pk="c#1", sk="profile", name="Ada"))
        writer.save(Order(pk="c#1", sk="order#1", total=Decimal(3)))
    reader = StreamReader[Customer | Order](engine, Customer, Order)
    customer, order = reader.read()
    assert type(customer.new) is Customer and type(order.new) is Order
