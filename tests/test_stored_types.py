"""Items written by other tools: an attribute stored with another DynamoDB type than the field's.

A convertible value loads (a list for a set, a numeric string for a number); an unconvertible one
raises ``InvalidItem`` naming the model, the key and the field, and nothing is written back.
"""

from __future__ import annotations

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
