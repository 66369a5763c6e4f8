"""Keys made from fields (``Template``): written on save, read back on load, refilled on
assignment, and queried, got and transacted in terms of the fields. Both engines, moto and
dynalite (transactions and streams: moto only)."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import ValidationError

from pydantic_bloop import (
    Base,
    BloopConfig,
    Collection,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    InvalidQuery,
    InvalidValue,
    MissingObjects,
    RangeKey,
    Template,
    col,
    parse_changes,
)
from pydantic_bloop.templates import ENCODINGS
from tests.conftest import RequestLog
from tests.engines import MakeEngine

T0 = datetime(2025, 3, 1, tzinfo=UTC)


class Store(Base):
    model_config = BloopConfig(table_name="store")


class Customer(Store):
    model_config = BloopConfig(entity="C")
    id: str
    name: str
    pk: Annotated[str, HashKey(), DynamoName("PK")] = Template("CUSTOMER#{id}")
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = Template("#PROFILE")


class Order(Store):
    model_config = BloopConfig(entity="O")
    customer: str
    id: int
    status: Literal["open", "shipped"]
    placed: datetime
    total: int = 0
    pk: Annotated[str, HashKey(), DynamoName("PK")] = Template("CUSTOMER#{customer}")
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = Template("ORDER#{id}")
    gsi1pk: Annotated[str, DynamoName("GSI1PK")] = Template("STATUS#{status}")
    gsi1sk: Annotated[str, DynamoName("GSI1SK")] = Template("{placed}#{id}")
    by_status: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="gsi1pk", range_key="gsi1sk", name="gsi1", projection="keys"
    )


class Note(Store):
    model_config = BloopConfig(entity="N")
    owner: str
    topic: str
    day: date
    pk: Annotated[str, HashKey(), DynamoName("PK")] = Template("NOTES#{owner}")
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = Template("{topic}#{day}")


IDS = [-(10**18), -1000, -7, -1, 0, 1, 2, 9, 10, 11, 99, 100, 10**12, 10**18]


def orders() -> list[Order]:
    return [
        Order(
            customer="ada",
            id=n,
            status="open" if i % 3 else "shipped",
            placed=T0 + timedelta(hours=i, microseconds=i),
            total=i,
        )
        for i, n in enumerate(IDS)
    ]


@pytest.fixture
def engine(make_engine: MakeEngine, request_log: RequestLog) -> Engine:
    e = make_engine()
    e.bind(Store)
    e.save(
        Customer(id="ada", name="Ada"),
        Customer(id="bob", name="Bob"),
        *orders(),
        Order(customer="bob", id=1, status="open", placed=T0),
    )
    request_log.clear()
    return e


def test_keys_are_written_from_the_fields(
    engine: Engine, client: DynamoDBClient, table_prefix: str
) -> None:
    item = client.get_item(
        TableName=f"{table_prefix}store",
        Key={"PK": {"S": "CUSTOMER#ada"}, "SK": {"S": "ORDER#-9999999999999999993"}},
    ).get("Item", {})
    assert item["GSI1PK"] == {"S": "STATUS#open"}
    assert item["GSI1SK"] == {"S": "2025-03-01T02:00:00.000002Z#-9999999999999999993"}
    assert item["id"] == {"N": "-7"}  # the fields are stored too


def test_get_and_delete_by_the_fields(engine: Engine) -> None:
    order = engine.get(Order, customer="ada", id=10)
    assert (order.id, order.total, order.pk) == (10, 8, "CUSTOMER#ada")
    assert engine.get(Customer, id="bob").name == "Bob"
    assert engine.get(Order, pk="CUSTOMER#ada", sk=order.sk) == order  # the keys still work
    with pytest.raises(InvalidValue, match=r"Order.sk is made from id .*missing id"):
        engine.get(Order, customer="ada")
    engine.delete(order)
    with pytest.raises(MissingObjects) as missing:
        # validated like the field: "10" is 10 (mypy with init_typed wants the int)
        engine.get(Order, customer="ada", id="10")  # type: ignore[arg-type]
    # messages name an object by the fields its key is made from, as the caller's code does
    assert "no Order with key {customer: 'ada', id: 10}" in str(missing.value)
    with pytest.raises(MissingObjects, match=re.escape("no Customer with key {id: 'nobody'}")):
        engine.get(Customer, id="nobody")


def test_constructing_with_a_key_that_disagrees_with_the_fields_fails() -> None:
    assert Order(customer="x", id=1, status="open", placed=T0, pk="CUSTOMER#x").pk == "CUSTOMER#x"
    with pytest.raises(ValidationError, match="not what its key template"):
        Order(customer="x", id=1, status="open", placed=T0, pk="CUSTOMER#y")
    with pytest.raises(ValidationError, match="contains '#', which ends it"):
        Note(owner="ada", topic="a#b", day=date(2025, 1, 1))


def test_assigning_a_field_refills_its_keys(engine: Engine) -> None:
    order = engine.get(Order, customer="bob", id=1)
    order.status = "shipped"
    assert order.gsi1pk == "STATUS#shipped"
    engine.save(order)
    shipped = engine.query(Order.by_status).key(col(Order.status) == "shipped").all()
    assert order.id in [o.id for o in shipped]
    assert engine.get(Order, customer="bob", id=1).gsi1pk == "STATUS#shipped"


def test_a_query_by_the_hash_fields_reads_only_the_templates_prefix(
    engine: Engine, request_log: RequestLog
) -> None:
    found = engine.query(Order).key(col(Order.customer) == "ada").all()
    assert [o.id for o in found] == sorted(IDS)  # negative numbers sort first
    sent = request_log.of("Query")[0]
    assert "begins_with" in sent["KeyConditionExpression"]
    assert {"S": "ORDER#"} in sent["ExpressionAttributeValues"].values()


@pytest.mark.parametrize(
    ("op", "bound"),
    [(op, b) for op in ("<", "<=", ">", ">=", "==") for b in (-7, -1, 0, 10, 11, 10**18, -5, 50)],
)
def test_range_conditions_on_an_int_in_the_sort_key(engine: Engine, op: str, bound: int) -> None:
    column = col(Order.id)
    condition = {
        "<": column < bound,
        "<=": column <= bound,
        ">": column > bound,
        ">=": column >= bound,
        "==": column == bound,
    }[op]
    found = engine.query(Order).key((col(Order.customer) == "ada") & condition).all()
    expected = sorted(
        n
        for n in IDS
        if {"<": n < bound, "<=": n <= bound, ">": n > bound, ">=": n >= bound, "==": n == bound}[
            op
        ]
    )
    assert [o.id for o in found] == expected


def test_between_on_an_int_and_descending(engine: Engine) -> None:
    q = engine.query(Order).key((col(Order.customer) == "ada") & col(Order.id).between(-7, 11))
    assert [o.id for o in q.descending()] == [11, 10, 9, 2, 1, 0, -1, -7]


def test_an_index_key_made_from_a_datetime_and_an_int(engine: Engine) -> None:
    # keys-only projection: the fields are parsed back from the keys (status, placed, id,
    # customer); total is not projected
    opened = engine.query(Order.by_status).key(col(Order.status) == "open")
    first = opened.first()
    assert (first.status, first.customer, first.id, first.placed) == ("open", "bob", 1, T0)
    second = opened.all()[1]
    assert (second.customer, second.id) == ("ada", -1000)
    assert second.placed == T0 + timedelta(hours=1, microseconds=1)
    later = engine.query(Order.by_status).key(
        (col(Order.status) == "open")
        & (col(Order.placed) > T0 + timedelta(hours=4, microseconds=4))
    )
    assert [o.placed.hour for o in later] == [5, 7, 8, 10, 11, 13]
    at = engine.query(Order.by_status).key(
        (col(Order.status) == "shipped")
        & (col(Order.placed) == T0 + timedelta(hours=3, microseconds=3))
    )
    assert [o.id for o in at] == [IDS[3]]  # == on the first field: begins_with "<placed>#"
    bob = engine.query(Order.by_status).key(
        (col(Order.status) == "open") & (col(Order.placed) <= T0)
    )
    assert [o.customer for o in bob] == ["bob"]


def test_key_conditions_on_fields_are_checked_before_sending(
    engine: Engine, request_log: RequestLog
) -> None:
    with pytest.raises(InvalidQuery, match=r"needs status == value"):
        engine.query(Order.by_status).key(col(Order.placed) >= T0)
    with pytest.raises(InvalidQuery, match=r"placed must be on the last field given.*id"):
        engine.query(Order.by_status).key(
            (col(Order.status) == "open") & (col(Order.placed) >= T0) & (col(Order.id) == 1)
        )
    with pytest.raises(InvalidQuery, match=r"id is given but placed is not"):
        engine.query(Order.by_status).key((col(Order.status) == "open") & (col(Order.id) == 1))
    with pytest.raises(InvalidQuery, match=r"Note.topic is a str .*== or begins_with only"):
        engine.query(Note).key((col(Note.owner) == "x") & (col(Note.topic) > "y"))
    assert request_log.operations == []


def test_string_and_date_fields_in_a_sort_key(engine: Engine) -> None:
    days = [date(2024, 12, 31), date(2025, 1, 1), date(2025, 2, 1)]
    engine.save(*(Note(owner="ada", topic=t, day=d) for t in ("tax", "taxi", "t") for d in days))
    q = engine.query(Note)
    tax = q.key((col(Note.owner) == "ada") & (col(Note.topic) == "tax")).all()
    assert [(n.topic, n.day) for n in tax] == [("tax", d) for d in days]  # not "taxi"
    ta = q.key((col(Note.owner) == "ada") & col(Note.topic).begins_with("ta")).all()
    assert {n.topic for n in ta} == {"tax", "taxi"}
    recent = q.key(
        (col(Note.owner) == "ada") & (col(Note.topic) == "t") & (col(Note.day) > date(2024, 12, 31))
    )
    assert [n.day for n in recent] == days[1:]


def test_a_collection_query_by_the_fields(engine: Engine) -> None:
    found = engine.query(Collection(Customer, Order)).key(col(Customer.id) == "bob").all()
    assert [type(x).__name__ for x in found] == ["Customer", "Order"]


def test_batch_load_and_save_of_templated_objects(engine: Engine) -> None:
    stale = orders()[:5]
    for order in stale:
        order.total = -1  # not saved: load() refreshes it from the stored item
    engine.load(*stale)
    assert [o.total for o in stale] == [0, 1, 2, 3, 4]


@pytest.mark.dynalite_unsupported("no transactions in dynalite")
def test_transactions_write_and_load_templated_keys(engine: Engine) -> None:
    with engine.transaction() as tx:
        tx.save(Order(customer="cy", id=5, status="open", placed=T0, total=50))
        tx.delete(engine.get(Order, customer="bob", id=1))
    got = engine.get(Order, customer="cy", id=5)
    assert got.total == 50
    got.total = 0
    engine.load(got, transaction=True)
    assert got.total == 50
    with pytest.raises(MissingObjects):
        engine.get(Order, customer="bob", id=1)


def test_stream_records_of_templated_items() -> None:
    image = {
        "PK": {"S": "CUSTOMER#ada"},
        "SK": {"S": "ORDER#0000000000000000003"},
        "GSI1PK": {"S": "STATUS#open"},
        "GSI1SK": {"S": "2025-03-01T00:00:00.000000Z#0000000000000000003"},
        "customer": {"S": "ada"},
        "id": {"N": "3"},
        "status": {"S": "open"},
        "placed": {"S": "2025-03-01T00:00:00.000000Z"},
        "total": {"N": "9"},
        "_et": {"S": "O"},
    }
    keys = {"PK": image["PK"], "SK": image["SK"]}
    record: dict[str, Any] = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": keys, "NewImage": image, "StreamViewType": "NEW_IMAGE"},
    }
    (change,) = parse_changes([record], Order)
    assert change.new is not None and (change.new.customer, change.new.id) == ("ada", 3)
    assert change.key == {"pk": "CUSTOMER#ada", "sk": "ORDER#0000000000000000003"}


# -- the encodings ----------------------------------------------------------------------------


def test_the_encodings_sort_like_the_values() -> None:
    rng = random.Random(14)
    ints = [rng.randint(-(10**19), 10**19 - 1) for _ in range(500)] + [-(10**19), 10**19 - 1, 0]
    text = ENCODINGS["int"]
    assert sorted(ints) == sorted(ints, key=text.dump)
    assert all(text.load(text.dump(n)) == n for n in ints)
    with pytest.raises(ValueError, match="out of the range"):
        text.dump(10**19)
    times = [
        datetime(1, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randint(0, 2**58))
        for _ in range(300)
    ]
    stamp = ENCODINGS["datetime"]
    assert sorted(times) == sorted(times, key=stamp.dump)
    days = [date(2025, 1, 1) + timedelta(days=rng.randint(-700_000, 2_900_000)) for _ in range(300)]
    assert sorted(days) == sorted(days, key=ENCODINGS["date"].dump)


# -- bad templates are refused at class definition ---------------------------------------------


def test_a_template_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(InvalidModel, match=r"Bad.pk: the key template 'X#\{nope\}' names 'nope'"):

        class Bad(Base):  # pyright: ignore[reportUnusedClass]
            pk: Annotated[str, HashKey()] = Template("X#{nope}")


def test_a_field_that_does_not_sort_is_refused() -> None:
    with pytest.raises(InvalidModel, match=r"price \(float\) cannot be written into a key"):

        class Bad(Base):  # pyright: ignore[reportUnusedClass]
            price: float
            pk: Annotated[str, HashKey()] = Template("P#{price}")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{a}{b}", "need text between them"),
        ("{a:>5}", "takes no format"),
        ("{pk}", "names the field itself"),
        ("{a", "cannot be read"),
    ],
)
def test_malformed_templates_are_refused(text: str, match: str) -> None:
    with pytest.raises(InvalidModel, match=match):

        class Bad(Base):  # pyright: ignore[reportUnusedClass]
            a: int
            b: UUID
            pk: Annotated[str, HashKey()] = Template(text)


def test_a_templated_field_must_be_a_string() -> None:
    with pytest.raises(InvalidModel, match="makes a string"):

        class Bad(Base):  # pyright: ignore[reportUnusedClass]
            a: int
            pk: Annotated[int, HashKey()] = Template("{a}")  # type: ignore[assignment]


def test_two_entities_writing_one_attribute_with_the_same_prefix_must_agree() -> None:
    class Ok1(Base):  # other prefixes, other shapes: fine
        model_config = BloopConfig(table_name="shapes", entity="a")
        n: int
        pk: Annotated[str, HashKey()] = Template("A#{n}")

    class Ok2(Base):
        model_config = BloopConfig(table_name="shapes", entity="b")
        n: str
        pk: Annotated[str, HashKey()] = Template("B#{n}")

    with pytest.raises(InvalidModel, match=r"like Ok1.pk \('A#\{n\}'\) does"):

        class Clash(Base):  # pyright: ignore[reportUnusedClass]
            model_config = BloopConfig(table_name="shapes", entity="c")
            n: str
            pk: Annotated[str, HashKey()] = Template("A#{n}")

    assert Ok1(n=1).pk != Ok2(n="1").pk


class Flagged(Base):
    model_config = BloopConfig(table_name="flagged")
    id: int
    flag: str | None = None
    pk: Annotated[str, HashKey()] = Template("ITEM#{id}")
    by_flag_key: Annotated[str | None, DynamoName("F")] = Template("FLAG#{flag}")
    by_flag: ClassVar[GlobalIndex] = GlobalIndex(hash_key="by_flag_key", projection="keys")


def test_an_optional_field_in_a_template_makes_a_sparse_index_key(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Flagged)
    unflagged = Flagged(id=1)
    assert unflagged.by_flag_key is None
    engine.save(unflagged, Flagged(id=2, flag="late"))
    found = engine.query(Flagged.by_flag).key(col(Flagged.flag) == "late").all()
    assert [(f.id, f.flag) for f in found] == [(2, "late")]  # parsed back from the keys
    assert engine.scan(Flagged.by_flag).count() == 1
    unflagged.flag = "late"
    engine.save(unflagged)
    assert engine.scan(Flagged.by_flag).count() == 2
