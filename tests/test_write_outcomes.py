"""What a save leaves stored when the object was never loaded, and what an object believes after
a write whose outcome is unknown (issue 18, failures 3, 4, 11 and 16)."""

from __future__ import annotations

from typing import Annotated, Any

from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, HashKey
from tests.engines import MakeEngine


class Shelf(Base):
    id: Annotated[str, HashKey()]
    views: int = 0
    tags: set[str] = set()
    note: str | None = None


def _stored(client: DynamoDBClient, table: str, key: str = "k") -> dict[str, Any]:
    answer = client.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True)
    return dict(answer.get("Item", {}))


def test_a_new_object_saved_over_an_existing_item_replaces_its_declared_attributes(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine()
    engine.bind(Shelf)
    table = f"{table_prefix}Shelf"
    client.put_item(
        TableName=table,
        Item={
            "id": {"S": "k"},
            "views": {"N": "9"},
            "tags": {"SS": ["old"]},
            "note": {"S": "old"},
            "other": {"S": "not the model's"},
        },
    )
    engine.save(Shelf(id="k", views=2))
    assert _stored(client, table) == {
        "id": {"S": "k"},
        "views": {"N": "2"},
        "other": {"S": "not the model's"},  # unknown to the model: untouched
    }
    assert engine.get(Shelf, id="k") == Shelf(id="k", views=2)
