"""Helpers without an engine: key-only objects, objects to stored items and back, and the clear
error for an index declared without ``ClassVar``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidItem,
    InvalidModel,
    InvalidValue,
    RangeKey,
    Template,
    col,
    from_item,
    key_only,
    to_item,
)
from pydantic_bloop.models import model_info
from tests.engines import MakeEngine

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
AUTHOR = UUID("00000000-0000-0000-0000-0000000000aa")


class Note(Base):
    model_config = BloopConfig(table_name="notes")
    forum: Annotated[str, HashKey()]
    id: Annotated[UUID, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]
    date: datetime
    views: int = 0
    content: str | None = None
    tags: set[str] = set()
    price: Decimal = Decimal(0)


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01))
    engine.bind(Note)
    return engine


def new_note(**changes: object) -> Note:
    note = Note(forum="dynamo", id=uuid4(), user=AUTHOR, date=WHEN, content="hi", tags={"a"})
    return note.model_copy(update=changes)


def test_key_only_holds_its_key_validated_and_loads(engine: Engine) -> None:
    stored = new_note(views=3)
    engine.save(stored)
    # a key as it arrives from a URL: the UUID is validated into the field's type
    # (mypy with init_typed wants the field's type, as for Note(...))
    wanted = key_only(Note, forum="dynamo", id=str(stored.id))  # type: ignore[arg-type]
    assert wanted.id == stored.id
    assert wanted.model_fields_set == {"forum", "id"}
    engine.load(wanted)
    assert wanted == stored


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({"forum": "dynamo"}, "missing id"),
        ({"forum": "dynamo", "id": uuid4(), "views": 1}, "not key fields: views"),
        ({"forum": "dynamo", "id": "not-a-uuid"}, "Note.id = 'not-a-uuid'"),
        ({"forum": "", "id": uuid4()}, "Note.forum = '': a key attribute cannot be empty"),
    ],
)
def test_key_only_refuses_a_bad_key(key: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValue, match=re.escape(message)):
        key_only(Note, **key)


def test_update_by_key_only(engine: Engine) -> None:
    stored = new_note(views=1)
    engine.save(stored)
    updated = engine.update(key_only(Note, forum="dynamo", id=stored.id), col(Note.views).add(2))
    assert (updated.views, updated.content) == (3, "hi")


def test_to_item_is_what_the_engine_stores(engine: Engine, client: DynamoDBClient) -> None:
    note = new_note(price=Decimal("2.5"))  # servers may store "2.50" as "2.5"
    engine.save(note)
    got = client.get_item(
        TableName=engine.table_name(Note),
        Key={"forum": {"S": "dynamo"}, "id": {"S": str(note.id)}},
        ConsistentRead=True,
    )
    assert to_item(note) == got.get("Item")
    assert to_item(note)["u"] == {"S": str(AUTHOR)}  # stored names, attribute-value form
    assert "content" not in to_item(new_note(content=None))  # None is an absent attribute


def test_from_item_reads_a_raw_item(engine: Engine, client: DynamoDBClient) -> None:
    note = new_note(views=7, tags={"x", "y"})
    client.put_item(TableName=engine.table_name(Note), Item=to_item(note))
    got = client.get_item(
        TableName=engine.table_name(Note),
        Key={"forum": {"S": "dynamo"}, "id": {"S": str(note.id)}},
        ConsistentRead=True,
    )
    back = from_item(Note, got.get("Item", {}))
    assert back == note
    assert engine.get(Note, forum="dynamo", id=note.id) == back


def test_round_trip_without_a_server() -> None:
    note = new_note(price=Decimal("0.1"), views=2)
    assert from_item(Note, to_item(note)) == note


def test_from_item_names_model_and_field_of_a_bad_item() -> None:
    item = to_item(new_note())
    item["views"] = {"S": "many"}
    with pytest.raises(InvalidItem, match=r"Note.*views"):
        from_item(Note, item)


def test_to_item_of_a_key_only_object_refuses_to_guess() -> None:
    with pytest.raises(InvalidValue, match=r"Note\.user was never loaded"):
        to_item(key_only(Note, forum="dynamo", id=uuid4()))


class Blob(Base):
    model_config = BloopConfig(table_name="blobs")
    title: str
    data: Annotated[bytes, HashKey()]  # a key declared after another field
    n: Annotated[int, RangeKey()]


def _general_item(obj: Base) -> dict[str, Any]:
    """The item as the checked, field-by-field path dumps it: the key first (`key_of`), then
    every other field through its codec."""
    info = model_info(type(obj))
    item: dict[str, Any] = info.key_of(obj)
    for spec in info.fields.values():
        if spec.role is None:
            dumped = info.dump_field(spec, vars(obj)[spec.name])
            if dumped is not None:
                item[spec.dynamo_name] = dumped
    return item


@pytest.mark.parametrize(
    "forum", ["dynamo", "é" * 10, "x" * 2048, "日本語のフォーラム", "ascii-🙂"]
)
def test_to_item_dumps_the_key_in_the_same_walk_bit_exact(forum: str) -> None:
    """One walk dumps key and fields; keys that are not short ASCII text are checked field by
    field: the item, and its order (key first), are the general path's."""
    note = new_note(forum=forum)
    assert list(to_item(note).items()) == list(_general_item(note).items())
    blob = Blob(title="t", data=b"\x00\xff", n=-12)
    assert list(to_item(blob).items()) == list(_general_item(blob).items())
    assert list(to_item(blob)) == ["data", "n", "title"]


def _without(obj: Base, name: str) -> Base:
    del vars(obj)[name]  # as an object built with model_construct, the field never given
    return obj


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (lambda: new_note(forum=""), "Note.forum = '': a key attribute cannot be empty"),
        (lambda: new_note(forum="x" * 2049), "over DynamoDB's limit of 2,048 bytes"),
        (lambda: Blob(title="t", data=b"", n=1), "Blob.data = b'': a key attribute cannot"),
        (lambda: _without(new_note(), "forum"), "Note.forum: the key field has no value"),
        (lambda: new_note(forum="\ud800"), "lone surrogate"),
    ],
)
def test_to_item_names_the_key_field_at_fault(obj: Callable[[], Base], message: str) -> None:
    with pytest.raises(InvalidValue, match=re.escape(message)):
        to_item(obj())


def test_decimal_column_compared_with_int_and_float_literals(engine: Engine) -> None:
    engine.save(new_note(price=Decimal("2.5")), new_note(price=Decimal(9)))
    assert engine.scan(Note).filter(Note.price > 5).count() == 1
    assert engine.scan(Note).filter(Note.price <= 2.5).count() == 1


def test_an_index_without_classvar_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidModel, match=r"Mail\.by_to: .*`by_to: ClassVar\[GlobalIndex\]"):

        class Mail(Base):
            id: Annotated[str, HashKey()]
            to: str
            by_to: GlobalIndex = GlobalIndex(hash_key="to")

        raise AssertionError(f"{Mail} was defined")


def test_an_index_with_classvar_is_fine() -> None:
    class Mail(Base):
        id: Annotated[str, HashKey()]
        to: str
        by_to: ClassVar[GlobalIndex] = GlobalIndex(hash_key="to")

    assert Mail.by_to.name == "by_to"


# -- key_only with keys made from fields (issue 19, item 8) ------------------------------------


class Lamp(Base):
    model_config = BloopConfig(table_name="lamps")
    sku: str
    batch: int
    name: str = ""
    stock: int = 0
    pk: Annotated[str, HashKey(), DynamoName("PK")] = Template("PRODUCT#{sku}")
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = Template("BATCH#{batch}")


def test_key_only_holds_the_fields_a_templated_key_is_made_from() -> None:
    lamp = key_only(Lamp, sku="lamp", batch="7")  # type: ignore[arg-type]
    assert (lamp.sku, lamp.batch) == ("lamp", 7)  # validated into the fields' types
    assert (lamp.pk, lamp.sk) == ("PRODUCT#lamp", "BATCH#0000000000000000007")
    assert lamp.model_fields_set == {"sku", "batch", "pk", "sk"}
    by_key = key_only(Lamp, pk="PRODUCT#lamp", sk="BATCH#0000000000000000007")
    assert (by_key.sku, by_key.batch) == ("lamp", 7)  # read back from the keys
    with pytest.raises(InvalidValue, match=re.escape("Lamp.sk: 'LOT#7'")):
        key_only(Lamp, pk="PRODUCT#lamp", sk="LOT#7")
    with pytest.raises(InvalidValue, match="missing batch"):
        key_only(Lamp, sku="lamp")


def test_a_templated_key_only_object_gets_loads_and_updates(
    make_engine: MakeEngine, client: DynamoDBClient
) -> None:
    engine = make_engine()
    engine.bind(Lamp)
    stored = Lamp(sku="lamp", batch=7, name="Desk lamp", stock=3)
    engine.save(stored)
    assert engine.get(Lamp, sku="lamp", batch=7) == stored
    wanted = key_only(Lamp, sku="lamp", batch=7)
    engine.load(wanted)
    assert wanted == stored
    updated = engine.update(key_only(Lamp, sku="lamp", batch=7), col(Lamp.stock).add(1))
    assert (updated.stock, updated.name) == (4, "Desk lamp")  # by key: only the action sent
    key: dict[str, Any] = {"PK": {"S": "PRODUCT#lamp"}, "SK": {"S": "BATCH#0000000000000000007"}}
    item = client.get_item(TableName=engine.table_name(Lamp), Key=key).get("Item", {})
    assert (item["name"], item["stock"], item["sku"]) == (
        {"S": "Desk lamp"},
        {"N": "4"},
        {"S": "lamp"},
    )
    engine.delete(key_only(Lamp, sku="lamp", batch=7))
    assert engine.query(Lamp).key(col(Lamp.sku) == "lamp").all() == []
