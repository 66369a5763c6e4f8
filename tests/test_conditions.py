"""The condition algebra: exact rendering, values dumped through field codecs, errors when a
condition is built, and every operator evaluated by the server as a save / delete condition."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any
from uuid import UUID

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
from pydantic_bloop.conditions import PathEquals, Renderer
from pydantic_bloop.types import AttributeValue
from tests.engines import MakeEngine

REF = UUID("12345678-1234-5678-1234-567812345678")
OTHER_REF = UUID("87654321-4321-8765-4321-876543218765")
WHEN = datetime(2024, 5, 6, 7, 8, 9, 120, tzinfo=UTC)


class Inner(BaseModel):
    x: int = 0
    label: str = ""


class Doc(Base):
    model_config = BloopConfig(table_name="docs")
    id: Annotated[str, HashKey()]
    views: int = 0
    flag: bool = False
    title: str = ""
    ref: UUID | None = None
    tags: set[str] = set()
    nums: set[int] = set()
    items: list[str] = []
    meta: dict[str, int] = {}
    inner: Inner | None = None
    when: datetime | None = None
    data: bytes | None = None
    score: Annotated[float, DynamoName("s")] = 0.0


def render(condition: Condition) -> tuple[str, dict[str, str], dict[str, Any]]:
    r = Renderer()
    text = r.condition(condition)
    return text, r.names, r.values


# -- rendering ---------------------------------------------------------------------------------

VIEWS = {"#n0": "views"}


@pytest.mark.parametrize(
    ("build", "expression", "names", "values"),
    [
        (lambda: col(Doc.views) == 3, "#n0 = :v0", VIEWS, {":v0": {"N": "3"}}),
        (lambda: col(Doc.views) != 3, "#n0 <> :v0", VIEWS, {":v0": {"N": "3"}}),
        (lambda: col(Doc.views) < 3, "#n0 < :v0", VIEWS, {":v0": {"N": "3"}}),
        (lambda: col(Doc.views) <= 3, "#n0 <= :v0", VIEWS, {":v0": {"N": "3"}}),
        (lambda: col(Doc.views) > 3, "#n0 > :v0", VIEWS, {":v0": {"N": "3"}}),
        (lambda: col(Doc.views) >= 3, "#n0 >= :v0", VIEWS, {":v0": {"N": "3"}}),
        (
            lambda: col(Doc.views).between(1, 9),
            "#n0 BETWEEN :v0 AND :v1",
            VIEWS,
            {":v0": {"N": "1"}, ":v1": {"N": "9"}},
        ),
        (
            lambda: col(Doc.views).in_(1, 2, 3),
            "#n0 IN (:v0, :v1, :v2)",
            VIEWS,
            {":v0": {"N": "1"}, ":v1": {"N": "2"}, ":v2": {"N": "3"}},
        ),
        (
            lambda: col(Doc.title).begins_with("he"),
            "begins_with(#n0, :v0)",
            {"#n0": "title"},
            {":v0": {"S": "he"}},
        ),
        (
            lambda: col(Doc.title).contains("ell"),
            "contains(#n0, :v0)",
            {"#n0": "title"},
            {":v0": {"S": "ell"}},
        ),
        (
            lambda: col(Doc.tags).contains("x"),
            "contains(#n0, :v0)",
            {"#n0": "tags"},
            {":v0": {"S": "x"}},
        ),
        (
            lambda: col(Doc.nums).contains(7),
            "contains(#n0, :v0)",
            {"#n0": "nums"},
            {":v0": {"N": "7"}},
        ),
        (
            lambda: col(Doc.items).contains("b"),
            "contains(#n0, :v0)",
            {"#n0": "items"},
            {":v0": {"S": "b"}},
        ),
        (lambda: col(Doc.ref).is_(None), "attribute_not_exists(#n0)", {"#n0": "ref"}, {}),
        (lambda: col(Doc.ref).is_not(None), "attribute_exists(#n0)", {"#n0": "ref"}, {}),
        # == None and != None mean absence / presence (None is stored as no attribute)
        (lambda: col(Doc.ref) == None, "attribute_not_exists(#n0)", {"#n0": "ref"}, {}),  # noqa: E711
        (lambda: col(Doc.ref) != None, "attribute_exists(#n0)", {"#n0": "ref"}, {}),  # noqa: E711
        # an empty set is stored as no attribute too
        (lambda: col(Doc.tags) == set(), "attribute_not_exists(#n0)", {"#n0": "tags"}, {}),
        (
            lambda: col(Doc.meta)["k"] > 2,
            "#n0.#n1 > :v0",
            {"#n0": "meta", "#n1": "k"},
            {":v0": {"N": "2"}},
        ),
        (
            lambda: col(Doc.items)[0] == "a",
            "#n0[0] = :v0",
            {"#n0": "items"},
            {":v0": {"S": "a"}},
        ),
        (
            lambda: col(Doc.inner)["x"] == 1,
            "#n0.#n1 = :v0",
            {"#n0": "inner", "#n1": "x"},
            {":v0": {"N": "1"}},
        ),
        # the stored name of a DynamoName field; a float dumped as a number
        (lambda: col(Doc.score) >= 1.5, "#n0 >= :v0", {"#n0": "s"}, {":v0": {"N": "1.5"}}),
        # a column on the right-hand side is a path, not a value
        (
            lambda: col(Doc.views) < any_col(Doc.score),
            "#n0 < #n1",
            {"#n0": "views", "#n1": "s"},
            {},
        ),
    ],
)
def test_operator_renders(
    build: Callable[[], Condition],
    expression: str,
    names: dict[str, str],
    values: dict[str, Any],
) -> None:
    assert render(build()) == (expression, names, values)


def test_and_or_not_group_and_flatten() -> None:
    views, title = col(Doc.views), col(Doc.title)
    condition = (views > 1) & ((title == "a") | ~(views < 3)) & (title != "b")
    assert render(condition) == (
        "#n0 > :v0 AND (#n1 = :v1 OR (NOT #n0 < :v2)) AND #n1 <> :v3",
        {"#n0": "views", "#n1": "title"},
        {":v0": {"N": "1"}, ":v1": {"S": "a"}, ":v2": {"N": "3"}, ":v3": {"S": "b"}},
    )
    # ~ of a conjunction keeps it grouped; | of | flattens; ~~ nests
    assert render(~((views == 1) & (views == 2)))[0] == "NOT (#n0 = :v0 AND #n0 = :v1)"
    assert render((views == 1) | ((views == 2) | (views == 3)))[0] == (
        "#n0 = :v0 OR #n0 = :v1 OR #n0 = :v2"
    )
    assert render(((views == 1) | (views == 2)) & (views == 3))[0] == (
        "(#n0 = :v0 OR #n0 = :v1) AND #n0 = :v2"
    )
    assert render(~~(views == 1))[0] == "NOT (NOT #n0 = :v0)"


def test_one_renderer_numbers_placeholders_across_expressions() -> None:
    """Names are shared within a request, values never collide."""
    r = Renderer()
    first = r.condition(col(Doc.views) == 1)
    second = r.condition((col(Doc.title) == "x") & (col(Doc.views) > 2))
    assert (first, second) == ("#n0 = :v0", "#n1 = :v1 AND #n0 > :v2")
    assert r.names == {"#n0": "views", "#n1": "title"}
    assert r.into({}) == {
        "ExpressionAttributeNames": {"#n0": "views", "#n1": "title"},
        "ExpressionAttributeValues": {
            ":v0": {"N": "1"},
            ":v1": {"S": "x"},
            ":v2": {"N": "2"},
        },
    }
    assert Renderer().into({"k": 1}) == {"k": 1}  # no empty maps: DynamoDB rejects them


# -- values go through the field's codec -------------------------------------------------------


def test_values_are_dumped_by_the_field_codec() -> None:
    assert render(col(Doc.ref) == REF)[2] == {":v0": {"S": str(REF)}}
    assert render(col(Doc.ref).in_(REF, OTHER_REF))[2] == {
        ":v0": {"S": str(REF)},
        ":v1": {"S": str(OTHER_REF)},
    }
    # datetimes: UTC, fixed width (microseconds always written), whatever the offset
    plus_two = timezone(timedelta(hours=2))
    assert render(col(Doc.when) < WHEN.astimezone(plus_two))[2] == {
        ":v0": {"S": "2024-05-06T07:08:09.000120Z"}
    }
    assert render(col(Doc.when) >= datetime(2024, 1, 1, tzinfo=UTC))[2] == {
        ":v0": {"S": "2024-01-01T00:00:00.000000Z"}
    }
    assert render(col(Doc.tags) == {"b", "a"})[2] == {":v0": {"SS": ["a", "b"]}}
    assert render(col(Doc.inner) == Inner(x=1, label="l"))[2] == {
        ":v0": {"M": {"x": {"N": "1"}, "label": {"S": "l"}}}
    }
    assert render(col(Doc.flag) == True)[2] == {":v0": {"BOOL": True}}  # noqa: E712
    assert render(col(Doc.data).begins_with(b"\x00"))[2] == {":v0": {"B": b"\x00"}}
    assert render(col(Doc.items) == ["a", "b"])[2] == {":v0": {"L": [{"S": "a"}, {"S": "b"}]}}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: any_col(Doc.views).begins_with("1"), "only string and binary"),
        (lambda: any_col(Doc.views).contains(1), "contains applies to strings, sets and lists"),
        (lambda: any_col(Doc.flag).contains(True), "contains applies to strings, sets and lists"),
        (lambda: any_col(Doc.views) > "ten", "Doc.views > 'ten'"),
        (lambda: any_col(Doc.views) == "ten", "Doc.views == 'ten'"),
        (lambda: any_col(Doc.views) == 1.5, "Doc.views == 1.5"),
        (lambda: any_col(Doc.views).between(1, "9"), "Doc.views between"),
        (lambda: any_col(Doc.views).in_(1, "two"), "in_"),
        (lambda: any_col(Doc.views).in_(*[]), "in_() takes 1 to 100 values, not 0"),
        (lambda: col(Doc.views).in_(*range(101)), "in_() takes 1 to 100 values, not 101"),
        (lambda: any_col(Doc.flag) < True, "DynamoDB orders only strings, numbers and binary"),
        (lambda: any_col(Doc.tags) > {"a"}, "DynamoDB orders only strings, numbers and binary"),
        (lambda: any_col(Doc.tags).contains(3), "Doc.tags.contains(3)"),
        (lambda: any_col(Doc.nums).contains("3"), "Doc.nums.contains('3')"),
        (lambda: any_col(Doc.title).contains(3), "a string contains only a str"),
        (lambda: any_col(Doc.ref) == "not a uuid", "Doc.ref"),
        (lambda: any_col(Doc.when) > datetime(2024, 1, 1), "naive datetime"),  # noqa: DTZ001
        (lambda: any_col(Doc.score) > float("nan"), "Doc.score"),
        (lambda: any_col(Doc.meta)[0], "no such path"),
        (lambda: any_col(Doc.items)["a"], "no such path"),
        (lambda: any_col(Doc.views)["a"], "no such path"),
        (lambda: any_col(Doc.items)[-1], "list indexes must be >= 0"),
        (lambda: any_col(Doc.inner)["nope"], "no such path"),
        (lambda: any_col(Doc.meta)["k"] > "x", "Doc.meta['k'] > 'x'"),
        (lambda: any_col(Doc.ref).is_(any_value(REF)), "is_() takes None"),
        (lambda: any_col(Doc.ref).is_not(any_value(REF)), "is_not() takes None"),
        (lambda: any_col(Doc.ref) < None, "absent attribute"),
        (lambda: any_col(Doc.tags).between(set(), {"a"}), "DynamoDB orders only"),
        (lambda: (col(Doc.views) == 1) & any_value(True), "cannot combine"),
        (lambda: col(Doc.views) >= 10**38 + 1, "Doc.views"),  # 39 digits
        # DynamoDB rejects the whole request when BETWEEN's bounds are reversed
        (lambda: col(Doc.views).between(9, 1), "the low bound is above the high one"),
        (lambda: col(Doc.score).between(10.0, 9.5), "the low bound is above the high one"),
        (lambda: col(Doc.title).between("b", "a"), "the low bound is above the high one"),
        (lambda: col(Doc.when).between(WHEN, WHEN - timedelta(1)), "the low bound is above"),
        # a prefix of the attribute's own type
        (lambda: any_col(Doc.title).begins_with(b"x"), "the prefix must be str"),
        (lambda: any_col(Doc.data).begins_with("x"), "the prefix must be bytes"),
        (lambda: any_col(Doc.title).begins_with(any_value(1)), "the prefix must be str"),
    ],
)
def test_invalid_conditions_fail_when_built(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidCondition, match=_escaped(message)):
        build()


def test_between_bounds_may_be_equal_and_are_compared_by_value() -> None:
    assert render(col(Doc.views).between(3, 3))[0] == "#n0 BETWEEN :v0 AND :v1"
    assert render(col(Doc.views).between(9, 10))[2] == {":v0": {"N": "9"}, ":v1": {"N": "10"}}
    assert render(col(Doc.views).between(any_value(col(Doc.score)), 1))[0] == (
        "#n0 BETWEEN #n1 AND :v0"  # a path bound: its order is the server's to judge
    )


def test_a_condition_has_no_truth_value() -> None:
    condition = col(Doc.views) == 1
    with pytest.raises(TypeError, match=_escaped("combine conditions with &, | and ~")):
        bool(condition)
    with pytest.raises(TypeError):
        _ = condition and (col(Doc.views) == 2)
    with pytest.raises(TypeError):
        _ = condition or (col(Doc.views) == 2)
    with pytest.raises(TypeError):
        _ = not condition


def test_col_rejects_a_value() -> None:
    with pytest.raises(InvalidCondition, match="col\\(\\) takes a model column"):
        col(3)


def any_col(column: object) -> Column[Any]:
    """The column, typed loosely: these tests build what a type checker would reject."""
    return col(column)


def any_value(value: object) -> Any:
    return value


def _escaped(text: str) -> str:
    return re.escape(text)


# -- against the server ------------------------------------------------------------------------

STORED: dict[str, Any] = {
    "id": {"S": "doc"},
    "views": {"N": "5"},
    "flag": {"BOOL": True},
    "title": {"S": "hello world"},
    "ref": {"S": str(REF)},
    "tags": {"SS": ["x", "y"]},
    "nums": {"NS": ["1", "2"]},
    "items": {"L": [{"S": "a"}, {"S": "b"}]},
    "meta": {"M": {"k": {"N": "3"}}},
    "inner": {"M": {"x": {"N": "1"}, "label": {"S": "in"}}},
    "when": {"S": "2024-05-06T07:08:09.000120Z"},
    "s": {"N": "2.5"},
}

# (name, condition, does the stored item above satisfy it)
SERVER_CASES: list[tuple[str, Callable[[], Condition], bool]] = [
    ("eq", lambda: col(Doc.views) == 5, True),
    ("eq-false", lambda: col(Doc.views) == 6, False),
    ("ne", lambda: col(Doc.views) != 6, True),
    ("ne-false", lambda: col(Doc.views) != 5, False),
    ("lt", lambda: col(Doc.views) < 6, True),
    ("lt-false", lambda: col(Doc.views) < 5, False),
    ("le", lambda: col(Doc.views) <= 5, True),
    ("le-false", lambda: col(Doc.views) <= 4, False),
    ("gt", lambda: col(Doc.views) > 4, True),
    ("gt-false", lambda: col(Doc.views) > 5, False),
    ("ge", lambda: col(Doc.views) >= 5, True),
    ("ge-false", lambda: col(Doc.views) >= 6, False),
    ("between", lambda: col(Doc.views).between(5, 9), True),
    ("between-false", lambda: col(Doc.views).between(6, 9), False),
    ("in", lambda: col(Doc.views).in_(1, 5), True),
    ("in-false", lambda: col(Doc.views).in_(1, 2), False),
    ("begins_with", lambda: col(Doc.title).begins_with("hell"), True),
    ("begins_with-false", lambda: col(Doc.title).begins_with("world"), False),
    ("contains-str", lambda: col(Doc.title).contains("o w"), True),
    ("contains-str-false", lambda: col(Doc.title).contains("xyz"), False),
    ("contains-set", lambda: col(Doc.tags).contains("y"), True),
    ("contains-set-false", lambda: col(Doc.tags).contains("z"), False),
    ("contains-numbers", lambda: col(Doc.nums).contains(2), True),
    ("contains-numbers-false", lambda: col(Doc.nums).contains(3), False),
    ("contains-list", lambda: col(Doc.items).contains("b"), True),
    ("contains-list-false", lambda: col(Doc.items).contains("c"), False),
    ("is-none", lambda: col(Doc.data).is_(None), True),
    ("is-none-false", lambda: col(Doc.ref).is_(None), False),
    ("is-not-none", lambda: col(Doc.ref).is_not(None), True),
    ("is-not-none-false", lambda: col(Doc.data).is_not(None), False),
    ("uuid", lambda: col(Doc.ref) == REF, True),
    ("uuid-false", lambda: col(Doc.ref) == OTHER_REF, False),
    ("datetime", lambda: col(Doc.when) > WHEN - timedelta(microseconds=1), True),
    ("datetime-false", lambda: col(Doc.when) > WHEN, False),
    ("map-path", lambda: col(Doc.meta)["k"] == 3, True),
    ("map-path-false", lambda: col(Doc.meta)["k"] > 3, False),
    ("list-path", lambda: col(Doc.items)[1] == "b", True),
    ("list-path-false", lambda: col(Doc.items)[0] == "b", False),
    ("model-path", lambda: col(Doc.inner)["label"] == "in", True),
    ("model-path-false", lambda: col(Doc.inner)["x"] == 2, False),
    ("set-equal", lambda: col(Doc.tags) == {"y", "x"}, True),
    ("bool", lambda: col(Doc.flag) == True, True),  # noqa: E712
    ("bool-false", lambda: col(Doc.flag) == False, False),  # noqa: E712
    ("dynamo-name", lambda: col(Doc.score) > 2, True),
    ("column-operand", lambda: col(Doc.views) > any_col(Doc.score), True),
    ("column-operand-false", lambda: col(Doc.views) < any_col(Doc.score), False),
    ("and", lambda: (col(Doc.views) == 5) & (col(Doc.flag) == True), True),  # noqa: E712
    ("and-false", lambda: (col(Doc.views) == 5) & (col(Doc.views) == 6), False),
    ("or", lambda: (col(Doc.views) == 6) | (col(Doc.title).begins_with("h")), True),
    ("or-false", lambda: (col(Doc.views) == 6) | (col(Doc.views) == 7), False),
    ("not", lambda: ~(col(Doc.views) == 6), True),
    ("not-false", lambda: ~(col(Doc.views) == 5), False),
    (
        "grouping",  # NOT (a AND b) OR c, where a and b hold and c does not
        lambda: ~((col(Doc.views) == 5) & (col(Doc.flag) == True)) | (col(Doc.views) == 7),  # noqa: E712
        False,
    ),
    (
        "grouping-true",  # a AND (b OR c): b fails, c holds
        lambda: (col(Doc.views) == 5) & ((col(Doc.views) == 6) | col(Doc.ref).is_not(None)),
        True,
    ),
]


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    """An engine of each kind (sync, async): every test here runs for both."""
    engine = make_engine()
    engine.bind(Doc)
    return engine


def _stored(client: DynamoDBClient, engine: Engine) -> dict[str, Any] | None:
    response = client.get_item(
        TableName=engine.table_name(Doc), Key={"id": {"S": "doc"}}, ConsistentRead=True
    )
    return response.get("Item")


def test_every_operator_as_a_save_condition(client: DynamoDBClient, engine: Engine) -> None:
    table = engine.table_name(Doc)
    outcomes: dict[str, bool] = {}
    for name, build, _ in SERVER_CASES:
        client.put_item(TableName=table, Item=STORED)
        doc = Doc(id="doc", views=100)
        try:
            engine.save(doc, condition=build())
        except ConstraintViolation as error:
            outcomes[name] = False
            assert error.obj is doc
            assert _stored(client, engine) == STORED, name  # nothing was written
        else:
            outcomes[name] = True
            stored = _stored(client, engine)
            assert stored is not None and stored["views"] == {"N": "100"}, name
    assert outcomes == {name: expected for name, _, expected in SERVER_CASES}


def test_every_operator_as_a_delete_condition(client: DynamoDBClient, engine: Engine) -> None:
    table = engine.table_name(Doc)
    outcomes: dict[str, bool] = {}
    for name, build, _ in SERVER_CASES:
        client.put_item(TableName=table, Item=STORED)
        try:
            engine.delete(Doc(id="doc"), condition=build())
        except ConstraintViolation:
            outcomes[name] = False
            assert _stored(client, engine) == STORED, name
        else:
            outcomes[name] = True
            assert _stored(client, engine) is None, name
    assert outcomes == {name: expected for name, _, expected in SERVER_CASES}


def test_overwrite_save_condition(client: DynamoDBClient, engine: Engine) -> None:
    """PutItem carries the condition too."""
    table = engine.table_name(Doc)
    client.put_item(TableName=table, Item=STORED)
    with engine.context(persist="overwrite") as overwrite:
        with pytest.raises(ConstraintViolation):
            overwrite.save(Doc(id="doc"), condition=col(Doc.views) > 5)
        assert _stored(client, engine) == STORED
        overwrite.save(Doc(id="doc", score=1.5), condition=col(Doc.views) == 5)
    assert _stored(client, engine) == {
        "id": {"S": "doc"},
        "views": {"N": "0"},
        "flag": {"BOOL": False},
        "title": {"S": ""},
        "s": {"N": "1.5"},
        "items": {"L": []},
        "meta": {"M": {}},
    }


def test_condition_on_an_absent_item(engine: Engine, client: DynamoDBClient) -> None:
    """Conditions are evaluated against an empty item when none is stored."""
    with pytest.raises(ConstraintViolation) as failed:
        engine.save(Doc(id="doc"), condition=col(Doc.views) == 0)
    assert failed.value.item is None  # nothing stored: nothing to return
    assert _stored(client, engine) is None
    engine.save(Doc(id="doc", views=1), condition=col(Doc.ref).is_(None))
    stored = _stored(client, engine)
    assert stored is not None and stored["views"] == {"N": "1"}


def test_condition_on_another_model_is_refused(engine: Engine) -> None:
    class Other(Base):
        key: Annotated[str, HashKey()]
        views: int = 0

    with pytest.raises(InvalidCondition, match=_escaped("Other.views")):
        engine.save(Doc(id="doc"), condition=col(Other.views) == 1)


def test_atomic_equality_of_small_documents_is_element_wise() -> None:
    """A list or map seen is compared by size and element by element (what DynamoDB means by
    equal, and what every emulator can evaluate); a large one whole."""
    value: AttributeValue = {"L": [{"S": "a"}, {"M": {"k": {"N": "1"}}}]}
    r = Renderer()
    text = PathEquals(("doc",), value).render(r)
    assert text == ("size(#n0) = :v0 AND #n0[0] = :v1 AND size(#n0[1]) = :v2 AND #n0[1].#n1 = :v3")
    assert r.names == {"#n0": "doc", "#n1": "k"}
    assert r.values == {":v0": {"N": "2"}, ":v1": {"S": "a"}, ":v2": {"N": "1"}, ":v3": {"N": "1"}}

    big: AttributeValue = {"L": [{"N": str(i)} for i in range(100)]}
    r = Renderer()
    assert PathEquals(("doc",), big).render(r) == "#n0 = :v0"
    assert r.values == {":v0": big}
    assert PathEquals(("doc",), None).render(Renderer()) == "attribute_not_exists(#n0)"
    assert PathEquals(("doc",), {"L": []}).render(Renderer()) == "#n0 = :v0"
