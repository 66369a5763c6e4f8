"""Items written by other tools: an attribute stored with another DynamoDB type than the field's.

A convertible value loads (a list for a set, a numeric string for a number); an unconvertible one
raises ``InvalidItem`` naming the model, the key and the field, and nothing is written back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pydantic
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, HashKey, InvalidItem, col
from tests.engines import MakeEngine


class Tagged(Base):
    id: Annotated[str, HashKey()]
    views: int = 0
    tags: set[str] = set()
    note: str | None = None


def _put(client: DynamoDBClient, table: str, **attributes: Any) -> None:
    client.put_item(TableName=table, Item={"id": {"S": "k"}, **attributes})


def _stored(client: DynamoDBClient, table: str) -> dict[str, Any]:
    answer = client.get_item(TableName=table, Key={"id": {"S": "k"}}, ConsistentRead=True)
    return dict(answer.get("Item", {}))


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"tags": {"L": [{"S": "a"}, {"S": "b"}]}}, {"tags": {"a", "b"}}),
        ({"views": {"S": "12"}}, {"views": 12}),
        ({"note": {"NULL": True}}, {"note": None}),
    ],
)
def test_a_convertible_stored_type_loads(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    attributes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    engine = make_engine()
    engine.bind(Tagged)
    _put(client, f"{table_prefix}Tagged", **attributes)
    got = engine.get(Tagged, id="k")
    for name, value in expected.items():
        assert getattr(got, name) == value
    [queried] = engine.query(Tagged).key(col(Tagged.id) == "k").all()
    assert queried == got


UNCONVERTIBLE: list[tuple[dict[str, Any], str]] = [
    ({"tags": {"L": [{"N": "1"}, {"M": {}}]}}, "tags"),
    ({"views": {"S": "many"}}, "views"),
    ({"note": {"N": "5"}}, "note"),
    ({"tags": {"S": "a"}}, "tags"),
]


@pytest.mark.parametrize(("attributes", "field"), UNCONVERTIBLE)
def test_an_unconvertible_stored_type_is_an_error_and_nothing_is_written(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    attributes: dict[str, Any],
    field: str,
) -> None:
    engine = make_engine()
    engine.bind(Tagged)
    table = f"{table_prefix}Tagged"
    _put(client, table, **{"views": {"N": "1"}, **attributes})
    before = _stored(client, table)
    with pytest.raises(InvalidItem) as caught:
        engine.get(Tagged, id="k")
    message = str(caught.value)
    assert "Tagged" in message and "'k'" in message and field in message
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)
    assert caught.value.key == {"id": {"S": "k"}}
    with pytest.raises(InvalidItem):
        engine.query(Tagged).key(col(Tagged.id) == "k").all()
    obj = Tagged(id="k")
    with pytest.raises(InvalidItem):
        engine.load(obj)
    assert _stored(client, table) == before


class Dated(Base):
    id: Annotated[str, HashKey()]
    when: datetime | None = None
    days: list[datetime] = []
    labels: list[str | None] = []
    counts: list[int] = []


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (  # what pydantic_bloop writes: the shared timezone.utc, not a TzInfo per value
            {"when": {"S": "2024-05-06T07:08:09.000010Z"}},
            {"when": datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=UTC)},
        ),
        (  # another offset: the same instant
            {"when": {"S": "2024-05-06T07:08:09+05:30"}},
            {"when": datetime(2024, 5, 6, 1, 38, 9, tzinfo=UTC)},
        ),
        ({"when": {"S": "1700000000"}}, {"when": datetime.fromtimestamp(1700000000, UTC)}),
        (
            {"days": {"L": [{"S": "2024-01-01T00:00:00Z"}, {"S": "2024-01-02T00:00:00Z"}]}},
            {"days": [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)]},
        ),
        ({"labels": {"L": [{"S": "a"}, {"NULL": True}]}}, {"labels": ["a", None]}),
        ({"counts": {"L": [{"N": "1"}, {"S": "2"}]}}, {"counts": [1, 2]}),  # one stored as S
    ],
)
def test_datetimes_and_list_elements_load_alike_by_get_and_query(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    attributes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    engine = make_engine()
    engine.bind(Dated)
    _put(client, f"{table_prefix}Dated", **attributes)
    got = engine.get(Dated, id="k")
    [queried] = engine.query(Dated).key(col(Dated.id) == "k").all()
    [projected] = (
        engine.query(Dated)
        .key(col(Dated.id) == "k")
        .select(*(col(getattr(Dated, n)) for n in ["id", *expected]))
        .all()
    )
    for obj in (got, queried, projected):
        for name, value in expected.items():
            assert getattr(obj, name) == value
        whens: list[datetime] = [obj.when] if "when" in expected and obj.when else []
        whens += obj.days if "days" in expected else []
        for when in whens:
            if attributes.get("when", {}).get("S", "Z").endswith("Z"):
                assert when.tzinfo is UTC  # no pydantic-core TzInfo kept per value
    assert queried.model_dump_json() == got.model_dump_json()


def test_a_loaded_datetime_dumps_and_saves_as_the_one_saved(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine()
    engine.bind(Dated)
    saved = Dated(
        id="k",
        when=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        days=[datetime.min.replace(tzinfo=UTC)],
    )
    engine.save(saved)
    stored = _stored(client, f"{table_prefix}Dated")
    loaded = engine.get(Dated, id="k")
    assert loaded == saved and loaded.model_dump_json() == saved.model_dump_json()
    assert Dated.model_validate(saved.model_dump(mode="json")) == loaded  # pydantic's own reading
    engine.save(loaded)  # nothing changed: the stored item stays as it was
    assert _stored(client, f"{table_prefix}Dated") == stored


class Listed(Base):
    """Lists without defaults: the fast reader reads their elements from the tagged form."""

    id: Annotated[str, HashKey()]
    labels: list[str | None]
    counts: list[int | None]
    days: list[datetime]
    maybe_days: list[datetime | None]


_LISTED: dict[str, Any] = {name: {"L": []} for name in ("labels", "counts", "days", "maybe_days")}


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [  # a NULL element or one stored with another type: what the general path reads
        ({"labels": {"L": [{"S": "a"}, {"NULL": True}]}}, {"labels": ["a", None]}),
        ({"maybe_days": {"L": [{"NULL": True}]}}, {"maybe_days": [None]}),
        ({"counts": {"L": [{"S": "2"}, {"NULL": True}]}}, {"counts": [2, None]}),
        (
            {"days": {"L": [{"N": "1700000000"}]}},
            {"days": [datetime.fromtimestamp(1700000000, UTC)]},
        ),
    ],
)
def test_list_elements_null_or_of_another_type_load_as_the_general_path_reads_them(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    attributes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    engine = make_engine()
    engine.bind(Listed)
    table = f"{table_prefix}Listed"
    _put(client, table, **{**_LISTED, **attributes})
    before = _stored(client, table)
    got = engine.get(Listed, id="k")
    [queried] = engine.query(Listed).key(col(Listed.id) == "k").all()
    for obj in (got, queried):
        for name, value in expected.items():
            assert getattr(obj, name) == value
    if "labels" in attributes or "maybe_days" in attributes:  # as pydantic_bloop stores them
        engine.save(got)  # nothing changed: nothing rewritten
        assert _stored(client, table) == before


UNREADABLE_ELEMENTS: list[tuple[dict[str, Any], str]] = [
    # never a silent None for a value of another type, never a raw TypeError
    ({"labels": {"L": [{"N": "5"}]}}, "labels.0"),
    ({"labels": {"L": [{"L": []}]}}, "labels.0"),
    ({"days": {"L": [{"NULL": True}]}}, "days.0"),
    ({"maybe_days": {"L": [{"BOOL": True}]}}, "maybe_days.0"),
]


@pytest.mark.parametrize(("attributes", "field"), UNREADABLE_ELEMENTS)
def test_an_unreadable_list_element_is_invalid_item_naming_it(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    attributes: dict[str, Any],
    field: str,
) -> None:
    engine = make_engine()
    engine.bind(Listed)
    table = f"{table_prefix}Listed"
    _put(client, table, **{**_LISTED, **attributes})
    for read in (
        lambda: engine.get(Listed, id="k"),
        lambda: engine.query(Listed).key(col(Listed.id) == "k").all(),
    ):
        with pytest.raises(InvalidItem) as caught:
            read()
        assert "Listed" in str(caught.value) and field in str(caught.value)
