"""One unreadable stored item (issue 18, failure 8) never stops a query, a scan or a load.

Items are written with the raw client, as another tool would: ``value`` (an int field) stored
as ``{"S": "abc"}``. A query raises ``InvalidItem`` naming the model, the item's key and the
field, and has moved past the item (``next()`` and the token go on after it); with
``on_invalid("skip")`` it goes on, with ``"collect"`` it also keeps ``(key, error)`` records;
``page()`` ends before such an item and loses none read before it.
A ``load()`` of several objects loads every readable one, then raises one ``InvalidItem``
naming every unreadable key. Both engines, both readers (the fast one, and the general path a
model validator or a projection takes).
"""

from __future__ import annotations

from typing import Annotated, Any, Self, cast

import pydantic
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    Engine,
    HashKey,
    InvalidItem,
    InvalidQuery,
    InvalidResult,
    MissingObjects,
    Query,
    RangeKey,
    col,
    key_only,
)
from pydantic_bloop.models import model_info
from tests.engines import MakeEngine


class Reading(Base):
    sensor: Annotated[str, HashKey()]
    at: Annotated[int, RangeKey()]
    value: int = 0
    note: str | None = None


class Checked(Base):
    """The same shape read by the general path: a model validator rules out the fast reader."""

    sensor: Annotated[str, HashKey()]
    at: Annotated[int, RangeKey()]
    value: int = 0
    note: str | None = None

    @pydantic.model_validator(mode="after")
    def _checked(self) -> Self:
        return self


Model = type[Reading] | type[Checked]
BAD = {"S": "abc"}  # not an int


def _fill(engine: Engine, client: DynamoDBClient, model: Model, bad: tuple[int, ...]) -> None:
    """Items at 0..5 with value == at; those at ``bad`` have an unreadable value."""
    engine.bind(model)
    table = engine.table_name(model)
    for at in range(6):
        value = BAD if at in bad else {"N": str(at)}
        item: dict[str, Any] = {"sensor": {"S": "s"}, "at": {"N": str(at)}, "value": value}
        client.put_item(TableName=table, Item=item)


def _query(engine: Engine, model: Model) -> Query[Any]:
    query: Query[Any] = engine.query(model).key(col(model.sensor) == "s")
    return query


def _key(at: int) -> dict[str, Any]:
    return {"sensor": {"S": "s"}, "at": {"N": str(at)}}


@pytest.fixture(params=[Reading, Checked], ids=["fast", "general"])
def model(request: pytest.FixtureRequest) -> Model:
    chosen: Model = request.param
    return chosen


@pytest.mark.parametrize("page_size", [None, 2, 3])
def test_raising_names_the_key_and_field_and_moves_past_the_item(
    make_engine: MakeEngine, client: DynamoDBClient, model: Model, page_size: int | None
) -> None:
    engine = make_engine()
    _fill(engine, client, model, bad=(2,))
    query = _query(engine, model)
    if page_size is not None:  # 3: the bad item ends a page; 2: it begins one
        query = query.page_size(page_size)
    results = iter(query)
    assert [next(results).at, next(results).at] == [0, 1]
    with pytest.raises(InvalidItem) as caught:
        next(results)
    error = caught.value
    message = str(error)
    assert model.__name__ in message and "sensor='s'" in message and "at='2'" in message
    assert "value" in message
    assert error.key == _key(2)
    assert error.keys == [_key(2)]
    assert isinstance(error.__cause__, pydantic.ValidationError)
    token = results.token
    assert token is not None and error.token == token
    assert [r.at for r in results] == [3, 4, 5]  # the same iteration goes on after it
    assert [r.at for r in query.resume(token)] == [3, 4, 5]  # and so does a resumed one
    assert results.count == 5


@pytest.mark.parametrize("size", [None, 4])
def test_a_page_ends_before_a_bad_item_and_loses_nothing(
    make_engine: MakeEngine, client: DynamoDBClient, model: Model, size: int | None
) -> None:
    engine = make_engine()
    _fill(engine, client, model, bad=(2,))
    query = _query(engine, model)

    first = query.page(size)  # page() and page(n) alike: one DynamoDB page, or n items
    assert [r.at for r in first.items] == [0, 1]  # what was read before the bad item
    assert first.token is not None
    with pytest.raises(InvalidItem) as caught:  # the next page begins with it
        query.resume(first.token).page(size)
    assert caught.value.key == _key(2)
    after = caught.value.token  # the error says where to go on
    assert after is not None
    rest = query.resume(after).page(size)
    assert [r.at for r in rest.items] == [3, 4, 5]


def test_the_fast_reader_is_what_reads_reading(
    make_engine: MakeEngine, client: DynamoDBClient
) -> None:
    engine = make_engine()
    _fill(engine, client, Reading, bad=(2,))
    assert len(_query(engine, Reading).on_invalid("skip").all()) == 5
    assert model_info(Reading)._reader is not None  # pyright: ignore[reportPrivateUsage]
    assert model_info(Checked)._reader is None  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("scan", [False, True], ids=["query", "scan"])
def test_skip_goes_on_past_bad_items(
    make_engine: MakeEngine, client: DynamoDBClient, model: Model, scan: bool
) -> None:
    engine = make_engine()
    _fill(engine, client, model, bad=(0, 2, 5))
    query = engine.scan(model) if scan else _query(engine, model)
    results = iter(query.on_invalid("skip").page_size(2))
    assert sorted(r.at for r in results) == [1, 3, 4]
    assert results.invalid == []  # skipped, not kept
    assert results.token is None
    assert [r.at for r in _query(engine, model).on_invalid("skip").limit(2)] == [1, 3]
    assert _query(engine, model).on_invalid("skip").first().at == 1


def test_collect_keeps_key_and_error_of_each_bad_item(
    make_engine: MakeEngine, client: DynamoDBClient, model: Model
) -> None:
    engine = make_engine()
    _fill(engine, client, model, bad=(2, 4))
    query = _query(engine, model).on_invalid("collect")
    results = iter(query.page_size(2))
    assert [r.at for r in results] == [0, 1, 3, 5]
    invalid = results.invalid
    assert [record.key for record in invalid] == [_key(2), _key(4)]
    for record in invalid:
        key, error = record
        assert isinstance(cast(object, record), InvalidResult) and error.key == key
        assert "value" in str(error)

    first = query.page(3)
    assert [r.at for r in first.items] == [0, 1, 3]
    assert [record.key for record in first.invalid] == [_key(2)]
    second = query.resume(first.token).page(3)
    assert [r.at for r in second.items] == [5]
    assert [record.key for record in second.invalid] == [_key(4)]
    assert second.token is None
    whole = query.page()  # one DynamoDB page
    assert [r.at for r in whole.items] == [0, 1, 3, 5]
    assert len(whole.invalid) == 2


def test_a_projection_reads_partial_objects_past_bad_items(
    make_engine: MakeEngine, client: DynamoDBClient, model: Model
) -> None:
    engine = make_engine()
    _fill(engine, client, model, bad=(1,))
    query = _query(engine, model).select(col(model.value))
    with pytest.raises(InvalidItem, match="value"):
        query.all()
    assert [r.value for r in query.on_invalid("skip")] == [0, 2, 3, 4, 5]


def test_on_invalid_takes_only_its_three_modes(make_engine: MakeEngine) -> None:
    engine = make_engine()
    with pytest.raises(InvalidQuery, match="'raise', 'skip' or 'collect'"):
        engine.query(Reading).on_invalid("ignore")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_a_load_of_several_loads_the_good_ones_then_names_every_bad_key(
    make_engine: MakeEngine, client: DynamoDBClient, model: Model
) -> None:
    engine = make_engine()
    _fill(engine, client, model, bad=(2, 4))
    objs = [key_only(model, sensor="s", at=at) for at in (1, 2, 3, 4)]
    with pytest.raises(InvalidItem) as caught:
        engine.load(*objs)
    error = caught.value
    assert sorted(error.keys, key=lambda k: k["at"]["N"]) == [_key(2), _key(4)]
    assert len(error.errors) == 2 and "at='2'" in str(error) and "at='4'" in str(error)
    assert [objs[0].value, objs[2].value] == [1, 3]  # the readable ones are loaded
    assert "value" not in objs[1].model_fields_set  # the others stay as they were

    one = key_only(model, sensor="s", at=2)
    with pytest.raises(InvalidItem) as single:
        engine.load(one, key_only(model, sensor="s", at=5))
    assert single.value.errors == [single.value]
    assert isinstance(single.value.__cause__, pydantic.ValidationError)

    absent = key_only(model, sensor="s", at=99)
    with pytest.raises(InvalidItem, match="not found") as both:
        engine.load(key_only(model, sensor="s", at=2), absent)
    assert isinstance(both.value.__cause__, MissingObjects)
    assert both.value.__cause__.objects == [absent]


@pytest.mark.dynalite_unsupported("needs transactions")
def test_a_transactional_load_loads_the_good_ones_then_names_every_bad_key(
    make_engine: MakeEngine, client: DynamoDBClient
) -> None:
    engine = make_engine()
    _fill(engine, client, Reading, bad=(2, 4))
    objs = [key_only(Reading, sensor="s", at=at) for at in (1, 2, 3, 4)]
    with pytest.raises(InvalidItem) as caught:
        engine.load(*objs, transaction=True)
    assert sorted(caught.value.keys, key=lambda k: k["at"]["N"]) == [_key(2), _key(4)]
    assert [objs[0].value, objs[2].value] == [1, 3]
