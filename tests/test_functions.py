"""The rest of DynamoDB's condition language: ``size()``, ``attribute_type()``, and another
attribute as the operand of a comparison, ``contains`` and ``begins_with``. Rendering, errors when
a condition is built, and every form evaluated by the server as a save condition."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import BaseModel

from pydantic_bloop import (
    Base,
    BloopConfig,
    Column,
    Condition,
    ConstraintViolation,
    DynamoName,
    Engine,
    HashKey,
    InvalidCondition,
    col,
)
from pydantic_bloop.conditions import Renderer
from tests.engines import MakeEngine


class Inner(BaseModel):
    x: int = 0


class Rec(Base):
    model_config = BloopConfig(table_name="records")
    id: Annotated[str, HashKey()]
    views: int = 0
    likes: int = 0
    limit: int = 0
    score: float = 0.0
    flag: bool = False
    title: str = ""
    word: Annotated[str, DynamoName("w")] = ""
    data: bytes | None = None
    head: bytes | None = None
    tags: set[str] = set()
    tag: str = ""
    nums: set[int] = set()
    items: list[str] = []
    meta: dict[str, int] = {}
    inner: Inner | None = None


class Other(Base):
    key: Annotated[str, HashKey()]
    views: int = 0


def render(condition: Condition) -> tuple[str, dict[str, str], dict[str, Any]]:
    r = Renderer()
    text = r.condition(condition)
    return text, r.names, r.values


def loose(column: object) -> Column[Any]:
    """The column typed loosely: these tests build what a type checker rejects."""
    return col(column)


def anything(value: object) -> Any:
    return value


@pytest.mark.parametrize(
    ("build", "expression", "names", "values"),
    [
        (
            lambda: col(Rec.tags).size() > 3,
            "size(#n0) > :v0",
            {"#n0": "tags"},
            {":v0": {"N": "3"}},
        ),
        (
            lambda: col(Rec.title).size() == 0,
            "size(#n0) = :v0",
            {"#n0": "title"},
            {":v0": {"N": "0"}},
        ),
        (
            lambda: col(Rec.items).size() != 2,
            "size(#n0) <> :v0",
            {"#n0": "items"},
            {":v0": {"N": "2"}},
        ),
        (
            lambda: col(Rec.meta).size() <= 1,
            "size(#n0) <= :v0",
            {"#n0": "meta"},
            {":v0": {"N": "1"}},
        ),
        (
            lambda: col(Rec.data).size() >= 4,
            "size(#n0) >= :v0",
            {"#n0": "data"},
            {":v0": {"N": "4"}},
        ),
        (lambda: col(Rec.nums).size() < 9, "size(#n0) < :v0", {"#n0": "nums"}, {":v0": {"N": "9"}}),
        (
            lambda: col(Rec.word).size().between(1, 5),
            "size(#n0) BETWEEN :v0 AND :v1",
            {"#n0": "w"},
            {":v0": {"N": "1"}, ":v1": {"N": "5"}},
        ),
        (
            lambda: col(Rec.tags).size() > col(Rec.limit),
            "size(#n0) > #n1",
            {"#n0": "tags", "#n1": "limit"},
            {},
        ),
        (
            lambda: col(Rec.tags).size() == col(Rec.items).size(),
            "size(#n0) = size(#n1)",
            {"#n0": "tags", "#n1": "items"},
            {},
        ),
        (
            lambda: loose(Rec.inner).size() > 0,  # a nested model is a map
            "size(#n0) > :v0",
            {"#n0": "inner"},
            {":v0": {"N": "0"}},
        ),
        (
            lambda: col(Rec.title).attribute_type("S"),
            "attribute_type(#n0, :v0)",
            {"#n0": "title"},
            {":v0": {"S": "S"}},
        ),
        (
            lambda: col(Rec.views) > col(Rec.likes),
            "#n0 > #n1",
            {"#n0": "views", "#n1": "likes"},
            {},
        ),
        (
            lambda: col(Rec.views) == col(Rec.likes),
            "#n0 = #n1",
            {"#n0": "views", "#n1": "likes"},
            {},
        ),
        (
            lambda: col(Rec.title).contains(col(Rec.word)),
            "contains(#n0, #n1)",
            {"#n0": "title", "#n1": "w"},
            {},
        ),
        (
            lambda: col(Rec.tags).contains(col(Rec.tag)),
            "contains(#n0, #n1)",
            {"#n0": "tags", "#n1": "tag"},
            {},
        ),
        (
            lambda: col(Rec.title).begins_with(col(Rec.word)),
            "begins_with(#n0, #n1)",
            {"#n0": "title", "#n1": "w"},
            {},
        ),
        (
            lambda: (col(Rec.tags).size() > 1) & col(Rec.data).attribute_type("NULL"),
            "size(#n0) > :v0 AND attribute_type(#n1, :v1)",
            {"#n0": "tags", "#n1": "data"},
            {":v0": {"N": "1"}, ":v1": {"S": "NULL"}},
        ),
    ],
)
def test_renders(
    build: Callable[[], Condition],
    expression: str,
    names: dict[str, str],
    values: dict[str, Any],
) -> None:
    assert render(build()) == (expression, names, values)


def test_functions_name_their_columns() -> None:
    """A save checks that a condition names only the saved model's attributes: every column
    of a function is visible to that check."""
    condition = (col(Rec.tags).size() > col(Rec.limit)) & col(Rec.title).attribute_type("S")
    assert [c.label for c in condition.columns()] == ["Rec.tags", "Rec.limit", "Rec.title"]
    between = col(Rec.tags).size().between(col(Rec.items).size(), col(Rec.views))
    assert [c.label for c in between.columns()] == ["Rec.tags", "Rec.items", "Rec.views"]
    assert [c.label for c in col(Rec.tags).contains(col(Rec.tag)).columns()] == [
        "Rec.tags",
        "Rec.tag",
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: loose(Rec.views).size(), "Rec.views.size(): size applies to strings"),
        (lambda: loose(Rec.flag).size(), "this attribute is stored as BOOL"),
        (lambda: col(Rec.tags).size() > anything("3"), "Rec.tags.size() > '3'"),
        (lambda: col(Rec.tags).size() > anything(1.5), "a size is compared with an int"),
        (lambda: col(Rec.tags).size() == anything(True), "a size is compared with an int"),
        (lambda: col(Rec.tags).size() > loose(Rec.title), "Rec.title is stored as S"),
        (lambda: col(Rec.tags).size().between(5, 1), "the low bound is above the high one"),
        (lambda: loose(Rec.title).attribute_type(anything("STRING")), "attribute_type('STRING')"),
        (lambda: loose(Rec.views) > loose(Rec.title), "Rec.views > Rec.title"),
        (lambda: loose(Rec.views) == loose(Rec.title), "Rec.title is stored as S, N is needed"),
        (lambda: loose(Rec.views).in_(loose(Rec.tags)), "Rec.tags is stored as SS"),
        (lambda: loose(Rec.views) > loose(Other.views), "one item"),
        (lambda: loose(Rec.title).contains(loose(Rec.views)), "Rec.views is stored as N, S"),
        (lambda: loose(Rec.tags).contains(loose(Rec.views)), "Rec.views is stored as N, S"),
        (lambda: loose(Rec.nums).contains(loose(Rec.tag)), "Rec.tag is stored as S, N"),
        (lambda: loose(Rec.data).contains(loose(Rec.title)), "Rec.title is stored as S, B"),
        (lambda: loose(Rec.title).begins_with(loose(Rec.head)), "Rec.head is stored as B, S"),
        (lambda: loose(Rec.title).begins_with(loose(Rec.views)), "S or B is needed"),
        (lambda: loose(Rec.views).contains(loose(Rec.views)), "contains applies to strings"),
    ],
)
def test_wrong_uses_fail_when_built(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidCondition, match=re.escape(message)):
        build()


def test_a_size_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="combine conditions"):
        bool(col(Rec.tags).size() > 1)


# -- against the server ------------------------------------------------------------------------

STORED: dict[str, Any] = {
    "id": {"S": "r"},
    "views": {"N": "5"},
    "likes": {"N": "3"},
    "limit": {"N": "2"},
    "title": {"S": "hello world"},
    "w": {"S": "hell"},
    "data": {"B": b"\x00\x01\x02"},
    "head": {"B": b"\x00"},
    "tags": {"SS": ["a", "b", "c"]},
    "tag": {"S": "b"},
    "nums": {"NS": ["1", "2"]},
    "items": {"L": [{"S": "a"}, {"S": "b"}]},
    "meta": {"M": {"k": {"N": "3"}}},
}

# (name, condition, does the stored item above satisfy it)
CASES: list[tuple[str, Callable[[], Condition], bool]] = [
    ("size-string", lambda: col(Rec.title).size() == 11, True),
    ("size-string-false", lambda: col(Rec.title).size() > 11, False),
    ("size-binary", lambda: col(Rec.data).size() == 3, True),
    ("size-binary-false", lambda: col(Rec.data).size() < 3, False),
    ("size-set", lambda: col(Rec.tags).size() > 2, True),
    ("size-set-false", lambda: col(Rec.tags).size() > 3, False),
    ("size-number-set", lambda: col(Rec.nums).size() == 2, True),
    ("size-list", lambda: col(Rec.items).size() == 2, True),
    ("size-list-false", lambda: col(Rec.items).size() != 2, False),
    ("size-map", lambda: col(Rec.meta).size() == 1, True),
    ("size-map-false", lambda: col(Rec.meta).size() >= 2, False),
    ("size-between", lambda: col(Rec.tags).size().between(3, 4), True),
    ("size-between-false", lambda: col(Rec.tags).size().between(4, 5), False),
    ("size-vs-attribute", lambda: col(Rec.tags).size() > col(Rec.limit), True),
    ("size-vs-attribute-false", lambda: col(Rec.items).size() > col(Rec.limit), False),
    ("size-vs-size", lambda: col(Rec.tags).size() > col(Rec.items).size(), True),
    ("type-string", lambda: col(Rec.title).attribute_type("S"), True),
    ("type-string-false", lambda: col(Rec.title).attribute_type("N"), False),
    ("type-set", lambda: col(Rec.tags).attribute_type("SS"), True),
    ("type-map", lambda: col(Rec.meta).attribute_type("M"), True),
    ("type-list-false", lambda: col(Rec.meta).attribute_type("L"), False),
    ("attributes-gt", lambda: col(Rec.views) > col(Rec.likes), True),
    ("attributes-gt-false", lambda: col(Rec.likes) > col(Rec.views), False),
    ("attributes-eq-false", lambda: col(Rec.views) == col(Rec.likes), False),
    ("attributes-ne", lambda: col(Rec.views) != col(Rec.likes), True),
    (
        "attributes-between",
        lambda: col(Rec.likes).between(anything(col(Rec.limit)), anything(col(Rec.views))),
        True,
    ),
    ("contains-attribute-string", lambda: col(Rec.title).contains(col(Rec.word)), True),
    ("contains-attribute-string-false", lambda: col(Rec.word).contains(col(Rec.title)), False),
    ("contains-attribute-set", lambda: col(Rec.tags).contains(col(Rec.tag)), True),
    ("contains-attribute-set-false", lambda: col(Rec.tags).contains(col(Rec.word)), False),
    ("begins-with-attribute", lambda: col(Rec.title).begins_with(col(Rec.word)), True),
    ("begins-with-attribute-false", lambda: col(Rec.word).begins_with(col(Rec.title)), False),
]


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Rec)
    return engine


def _stored(client: DynamoDBClient, engine: Engine) -> dict[str, Any] | None:
    response = client.get_item(
        TableName=engine.table_name(Rec), Key={"id": {"S": "r"}}, ConsistentRead=True
    )
    return response.get("Item")


def test_every_form_as_a_save_condition(client: DynamoDBClient, engine: Engine) -> None:
    table = engine.table_name(Rec)
    outcomes: dict[str, bool] = {}
    for name, build, _ in CASES:
        client.put_item(TableName=table, Item=STORED)
        try:
            engine.save(Rec(id="r", views=100), condition=build())
        except ConstraintViolation:
            outcomes[name] = False
            assert _stored(client, engine) == STORED, name  # nothing was written
        else:
            outcomes[name] = True
            stored = _stored(client, engine)
            assert stored is not None and stored["views"] == {"N": "100"}, name
    assert outcomes == {name: expected for name, _, expected in CASES}


def test_a_function_of_another_model_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidCondition, match=re.escape("Other.views")):
        engine.save(Rec(id="r"), condition=col(Rec.tags).size() > col(Other.views))
