"""Multi-attribute global index keys (DynamoDB, November 2025): up to four hash and four range
attributes. Create, validate, query with every legal key prefix, refuse every illegal one
before sending, and resume from tokens exactly.

dynalite 4.0.0 refuses such a key schema at CreateTable ("Member must have length less than or
equal to 2"), so the server tests skip there; the class-definition and refusal tests run on both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, ClassVar

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    InvalidQuery,
    KeyCondition,
    TableMismatch,
    col,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine

DYNALITE = "dynalite 4.0.0 refuses multi-attribute key schemas (KeySchema length <= 2)"


class Sale(Base):
    model_config = BloopConfig(table_name="sales")
    id: Annotated[str, HashKey()]
    tenant: str
    region: str
    day: date
    amount: int
    note: str = ""
    by_place: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key=("tenant", "region"), range_key=("day", "amount"), projection="all"
    )


class SaleSwapped(Base):
    """The same table, with the range parts in another order: a mismatch."""

    model_config = BloopConfig(table_name="sales")
    id: Annotated[str, HashKey()]
    tenant: str
    region: str
    day: date
    amount: int
    by_place: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key=("tenant", "region"), range_key=("amount", "day"), projection="all"
    )


SALES = [
    Sale(
        id=f"s{i:03}",
        tenant="acme" if i % 3 else "globex",
        region="eu" if i % 2 else "us",
        day=date(2025, 11, 1 + i % 5),
        amount=i % 7,
    )
    for i in range(90)
]


def place(s: Sale) -> tuple[date, int, str]:
    return s.day, s.amount, s.id


@pytest.fixture
def engine(make_engine: MakeEngine, request_log: RequestLog, backend: str) -> Engine:
    if backend == "dynalite":
        pytest.skip(f"unsupported on dynalite: {DYNALITE}")
    e = make_engine()
    e.bind(Sale)
    with e.context(persist="overwrite") as bulk:
        bulk.save(*SALES)
    request_log.clear()
    return e


def test_bind_creates_the_multi_attribute_key_and_validates_it(
    engine: Engine, client: DynamoDBClient, table_prefix: str, make_engine: MakeEngine
) -> None:
    described = client.describe_table(TableName=f"{table_prefix}sales")["Table"]
    (gsi,) = described.get("GlobalSecondaryIndexes", [])
    assert gsi.get("IndexName") == "by_place"
    assert [(k["AttributeName"], k["KeyType"]) for k in gsi.get("KeySchema", [])] == [
        ("tenant", "HASH"),
        ("region", "HASH"),
        ("day", "RANGE"),
        ("amount", "RANGE"),
    ]
    defined = described.get("AttributeDefinitions", [])
    types = {a["AttributeName"]: a["AttributeType"] for a in defined}
    assert types == {"id": "S", "tenant": "S", "region": "S", "day": "S", "amount": "N"}

    make_engine().bind(Sale)  # the same definition validates
    with pytest.raises(TableMismatch) as caught:
        make_engine().bind(SaleSwapped)
    assert caught.value.differences == [
        "global index 'by_place' key schema: expected tenant (HASH), region (HASH), "
        "amount (RANGE), day (RANGE), found tenant (HASH), region (HASH), day (RANGE), "
        "amount (RANGE)"
    ]


T, R = col(Sale.tenant) == "acme", col(Sale.region) == "eu"
D = date(2025, 11, 3)
LEGAL: list[tuple[str, KeyCondition, Callable[[Sale], bool]]] = [
    ("hash parts", T & R, lambda s: True),
    ("day ==", T & R & (col(Sale.day) == D), lambda s: s.day == D),
    ("day >=", T & R & (col(Sale.day) >= D), lambda s: s.day >= D),
    ("day <", T & R & (col(Sale.day) < D), lambda s: s.day < D),
    (
        "day between",
        T & R & col(Sale.day).between(date(2025, 11, 2), D),
        lambda s: date(2025, 11, 2) <= s.day <= D,
    ),
    (
        "day == & amount ==",
        T & R & (col(Sale.day) == D) & (col(Sale.amount) == 2),
        lambda s: s.day == D and s.amount == 2,
    ),
    (
        "day == & amount >",
        T & R & (col(Sale.day) == D) & (col(Sale.amount) > 2),
        lambda s: s.day == D and s.amount > 2,
    ),
    (
        "day == & amount <=",
        T & R & (col(Sale.day) == D) & (col(Sale.amount) <= 2),
        lambda s: s.day == D and s.amount <= 2,
    ),
    (
        "day == & amount between",
        T & R & (col(Sale.day) == D) & col(Sale.amount).between(1, 4),
        lambda s: s.day == D and 1 <= s.amount <= 4,
    ),
]


@pytest.mark.parametrize(("label", "key", "keep"), LEGAL, ids=[c[0] for c in LEGAL])
def test_every_legal_prefix_queries_exactly_its_items(
    engine: Engine, label: str, key: KeyCondition, keep: Callable[[Sale], bool]
) -> None:
    expected = sorted(
        (s for s in SALES if s.tenant == "acme" and s.region == "eu" and keep(s)), key=place
    )
    assert expected, label  # every case selects something
    found = engine.query(Sale.by_place).key(key).all()
    # DynamoDB orders by the range attributes left to right (the id breaks no ties: sort it)
    assert [(s.day, s.amount) for s in found] == [(s.day, s.amount) for s in expected]
    assert sorted(found, key=place) == expected
    descending = engine.query(Sale.by_place).key(key).descending().all()
    assert [(s.day, s.amount) for s in descending] == [(s.day, s.amount) for s in expected][::-1]


ILLEGAL: list[tuple[str, KeyCondition, str]] = [
    ("no region", T, "needs region == value (every hash key attribute)"),
    ("no tenant", R & (col(Sale.day) == D), "needs tenant == value"),
    ("range on a hash part", T & (col(Sale.region) >= "e"), "hash key region"),
    ("amount without day", T & R & (col(Sale.amount) == 2), "amount is given but day is not"),
    (
        "range before equality",
        T & R & (col(Sale.day) >= D) & (col(Sale.amount) == 2),
        "Sale.day >= ",
    ),
    ("two conditions on day", T & R & (col(Sale.day) >= D) & (col(Sale.day) <= D), "second"),
    ("not a key", T & R & (col(Sale.note) == "x"), "Sale.note is not a key of Sale.by_place"),
]


@pytest.mark.parametrize(("label", "key", "message"), ILLEGAL, ids=[c[0] for c in ILLEGAL])
def test_illegal_key_conditions_are_refused_before_sending(
    make_engine: MakeEngine, request_log: RequestLog, label: str, key: KeyCondition, message: str
) -> None:
    engine = make_engine()  # never bound: nothing may be sent
    with pytest.raises(InvalidQuery, match=re.escape(message)):
        engine.query(Sale.by_place).key(key)
    assert request_log.operations == [], label


def test_tokens_resume_exactly(engine: Engine) -> None:
    query = engine.query(Sale.by_place).key(T & R).page_size(4)
    expected = [s.id for s in query]
    seen: list[str] = []
    token: str | None = ""
    while token is not None:
        page = query.resume(token or None).page(5)
        seen.extend(s.id for s in page.items)
        token = page.token
    assert seen == expected
    assert len(expected) == len([s for s in SALES if s.tenant == "acme" and s.region == "eu"])


def test_a_token_from_another_partition_is_refused(engine: Engine) -> None:
    page = engine.query(Sale.by_place).key(T & R).page(3)
    assert page.token is not None
    other = (col(Sale.tenant) == "acme") & (col(Sale.region) == "us")
    with pytest.raises(InvalidQuery, match="the token is from a query of region == 'eu'"):
        engine.query(Sale.by_place).key(other).resume(page.token).all()


def test_more_than_four_parts_or_unknown_fields_are_refused_at_class_definition() -> None:
    with pytest.raises(InvalidModel, match="hash_key has 5 attributes; DynamoDB allows at most 4"):

        class Five(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            a: str
            b: str
            c: str
            d: str
            e: str
            by_all: ClassVar[GlobalIndex] = GlobalIndex(hash_key=("a", "b", "c", "d", "e"))

    with pytest.raises(InvalidModel, match="range_key 'nope' is not a field of Unknown"):

        class Unknown(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            a: str
            by_a: ClassVar[GlobalIndex] = GlobalIndex(hash_key="a", range_key=("id", "nope"))

    with pytest.raises(InvalidModel, match="a is named twice"):

        class Twice(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            a: str
            by_a: ClassVar[GlobalIndex] = GlobalIndex(hash_key=("a",), range_key=("a",))


def test_four_and_four_parts_are_accepted() -> None:
    class Wide(Base):
        id: Annotated[str, HashKey()]
        a: str
        b: int
        c: bytes
        d: str
        e: str
        f: int
        g: str
        h: str
        wide: ClassVar[GlobalIndex] = GlobalIndex(
            hash_key=("a", "b", "c", "d"), range_key=("e", "f", "g", "h")
        )

    spec = Wide.wide.spec
    assert [f.name for f in spec.hash_keys] == ["a", "b", "c", "d"]
    assert [f.name for f in spec.range_keys] == ["e", "f", "g", "h"]
