"""The stream reader against the server, on both engines: every change in order per key, a
position saved midway and resumed in a fresh engine with no gap and no duplicate, latest.

dynalite has no DynamoDB Streams; moto serves them (one shard per table). Items are created
with PutItem (``persist="overwrite"``), which batches them; UpdateItem works as well (see
test_local_server_streams.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    Change,
    Engine,
    HashKey,
    RangeKey,
    StreamError,
    StreamReader,
)
from pydantic_bloop.types import AttributeValue
from tests.engines import MakeEngine

pytestmark = pytest.mark.dynalite_unsupported("no streams in dynalite")


class Event(Base):
    model_config = BloopConfig(table_name="events", stream="new_and_old_images")
    id: Annotated[str, HashKey()]
    n: int = 0
    tags: set[str] = set()
    data: bytes = b""


class Plain(Base):
    model_config = BloopConfig(table_name="plain")
    id: Annotated[str, HashKey()]


Summary = tuple[str, str, int | None, int | None]


def summary(change: Change[Event]) -> Summary:
    old = change.old.n if change.old else None
    new = change.new.n if change.new else None
    return change.kind, change.key["id"], old, new


def test_every_change_in_order_and_a_resumed_position_loses_and_repeats_none(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine(persist="overwrite")
    engine.bind(Event)
    items = [Event(id=f"k{i:03}", tags={"new"}, data=bytes([i % 256, 0])) for i in range(500)]
    engine.save(*items)
    for obj in items[:100]:
        obj.n = 1
    with engine.context(persist="update") as updating:
        updating.save(*items[:100])  # UpdateItem of "n" alone
    engine.delete(*items[400:450])

    expected: dict[str, list[Summary]] = {}
    for i, obj in enumerate(items):
        steps: list[Summary] = [("insert", obj.id, None, 0)]
        if i < 100:
            steps.append(("modify", obj.id, 0, 1))
        if 400 <= i < 450:
            steps.append(("remove", obj.id, 0, None))
        expected[obj.id] = steps

    reader = engine.stream(Event)
    head = reader.read(limit=260)
    position = reader.position
    assert len(head) == 260

    fresh = make_engine()
    fresh.bind(Event)
    rest = fresh.stream(Event, start=position)
    tail = rest.read(limit=1000)
    changes = head + tail
    assert len(changes) == 650

    numbers = [c.sequence_number for c in changes]
    assert len(set(numbers)) == 650  # no duplicate
    assert [int(n or 0) for n in numbers] == sorted(int(n or 0) for n in numbers)
    got: dict[str, list[Summary]] = {}
    for change in changes:
        got.setdefault(change.key["id"], []).append(summary(change))
    assert got == expected
    assert Counter(c.kind for c in changes) == {"insert": 500, "modify": 100, "remove": 50}

    first = next(c for c in changes if c.key == {"id": "k000"})  # batches go in parallel
    assert first.kind == "insert" and isinstance(first.new, Event)
    assert first.new == items[0].model_copy(update={"n": 0})
    assert first.new.data == bytes([0, 0])  # binary arrives as bytes through botocore
    assert first.new.tags == {"new"}
    modify = next(c for c in changes if c.kind == "modify")
    assert modify.changed() == ("n",)
    assert all(c.table == engine.table_name(Event) for c in changes)

    # read to the end: the next read waits (at most its timeout) and finds nothing, until
    # something is written
    assert rest.read(timeout=0.2) == []
    engine.save(Event(id="late"))
    (late,) = rest.read(timeout=30.0)
    assert summary(late) == ("insert", "late", None, 0)
    again = fresh.stream(Event, start=rest.position)
    assert again.read() == []


def test_latest_starts_after_what_is_already_there(make_engine: MakeEngine) -> None:
    engine = make_engine(persist="overwrite")
    engine.bind(Event)
    engine.save(Event(id="before"))
    reader = engine.stream(Event, start="latest")
    assert reader.read() == []
    engine.save(Event(id="after"))
    assert [c.key for c in reader.read(timeout=30.0)] == [{"id": "after"}]


def test_a_table_without_a_stream_is_refused(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Plain)
    reader: Any = engine.stream(Plain)
    with pytest.raises(StreamError, match=r"table '.*plain' has no stream"):
        reader.read()


class Customer(Base):
    model_config = BloopConfig(table_name="shop", stream="new_image")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str


class Order(Base):
    model_config = BloopConfig(table_name="shop", stream="new_image")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: int


def kind_of(image: Mapping[str, AttributeValue]) -> type[Customer | Order] | None:
    return Customer if image["sk"]["S"] == "profile" else Order


def test_several_models_of_one_table_in_one_reader(
    client: DynamoDBClient, table_prefix: str
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Customer, Order)
    with engine.context(persist="overwrite") as writer:
        writer.save(Customer(pk="c1", sk="profile", name="Ada"))
        writer.save(Order(pk="c1", sk="order#1", total=12))
    reader = StreamReader[Customer | Order](engine, Customer, Order, match=kind_of)
    customer, order = reader.read()
    assert isinstance(customer.new, Customer) and customer.new.name == "Ada"
    assert isinstance(order.new, Order) and order.new.total == 12
