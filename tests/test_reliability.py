"""Saves store what the object is, and only what can be read back (issue 18)."""

from __future__ import annotations

import copy
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import Field

from pydantic_bloop import Base, ConstraintViolation, HashKey
from tests.engines import MakeEngine


class Shelf(Base):
    id: Annotated[str, HashKey()]
    views: int = 0
    tags: set[str] = set()
    note: str | None = None
    stock: int = Field(default=0, ge=0)


def _stored(client: DynamoDBClient, table: str, key: str = "k") -> dict[str, Any]:
    answer = client.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True)
    return dict(answer.get("Item", {}))


def test_a_new_object_in_atomic_mode_still_may_not_overwrite(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Shelf)
    client.put_item(TableName=f"{table_prefix}Shelf", Item={"id": {"S": "k"}, "note": {"S": "x"}})
    with pytest.raises(ConstraintViolation):
        engine.save(Shelf(id="k"))
    assert _stored(client, f"{table_prefix}Shelf")["note"] == {"S": "x"}


@pytest.mark.parametrize("how", ["model_copy", "deepcopy", "copy"])
def test_a_copy_of_a_loaded_object_carries_its_history(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, how: str
) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Shelf)
    engine.save(Shelf(id="k", views=1, note="n"))
    loaded = engine.get(Shelf, id="k")
    if how == "model_copy":
        twin = loaded.model_copy(update={"views": 2})
    else:
        twin = copy.deepcopy(loaded) if how == "deepcopy" else copy.copy(loaded)
        twin.views = 2
    engine.save(twin)  # atomic: conditioned on what the original saw, not "no item exists"
    assert _stored(client, f"{table_prefix}Shelf")["views"] == {"N": "2"}
    assert _stored(client, f"{table_prefix}Shelf")["note"] == {"S": "n"}
