"""pydynox's attribute and key-operation suites (ferrumio/pydynox, tests/integration/operations/
async_/test_attributes.py, test_key_operations.py, test_model_scan.py, test_projections.py),
ported: JSON, enum, datetime, set and typed-JSON values stored and read back, values changed in
place saved, updates and deletes by key with conditions, scans and counts with filters, and
queries of some fields.

pydynox's ``get(..., as_dict=True)`` and a get with a projection are listed in
tests/peers/README.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Json

from pydantic_bloop import (
    Base,
    ConstraintViolation,
    Engine,
    HashKey,
    MissingObjects,
    UnloadedField,
    col,
    key_only,
)


class Status(Enum):
    ACTIVE = "active"
    PENDING = "pending"


class Payload(BaseModel):
    region: str
    score: float


class Record(Base):
    """The attributes of test_attributes.py's models, in one."""

    pk: Annotated[str, HashKey()]
    data: Json[Any] = None
    status: Status = Status.PENDING
    when: datetime | None = None
    tags: set[str] = set()
    scores: set[float] = set()
    payload: Payload | None = None
    typed: Json[Payload] | None = None
    history: list[dict[str, Any]] = []


class User(Base):
    """test_key_operations.py's and test_model_scan.py's ``User``."""

    pk: Annotated[str, HashKey()]
    name: str
    age: int = 0
    status: str = "active"


MODELS = (Record, User)


def test_values_of_each_kind_read_back(engine: Engine) -> None:
    """test_json_attribute_roundtrip, ..._with_list, test_enum_attribute_roundtrip, ..._with_
    default, test_datetime_attribute_roundtrip, test_string_set_attribute_roundtrip,
    test_number_set_attribute_roundtrip, ..._with_floats, test_typed_json_attribute_roundtrip,
    ..._none_roundtrip, test_untyped_json_still_works"""
    when = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    full = Record(
        pk="R1",
        data='{"key": "value", "nested": {"a": [1, 2]}}',
        status=Status.ACTIVE,
        when=when,
        tags={"a", "b"},
        scores={1.5, 2.25, 3.0},
        payload=Payload(region="us-east-1", score=0.95),
        typed='{"region": "eu-west-1", "score": 0.5}',  # type: ignore[arg-type]
    )
    listed = Record(pk="R2", data="[1, 2, 3]")
    engine.save(full, listed, Record(pk="R3"))
    got = engine.get(Record, pk="R1")
    assert got.data == {"key": "value", "nested": {"a": [1, 2]}}
    assert (got.status, got.when, got.tags, got.scores) == (
        Status.ACTIVE,
        when,
        {"a", "b"},
        {1.5, 2.25, 3.0},
    )
    assert got.payload == Payload(region="us-east-1", score=0.95)
    assert got.typed == Payload(region="eu-west-1", score=0.5)
    assert engine.get(Record, pk="R2").data == [1, 2, 3]
    empty = engine.get(Record, pk="R3")
    assert (empty.data, empty.status, empty.payload, empty.typed) == (
        None,
        Status.PENDING,
        None,
        None,
    )


def test_values_changed_in_place_are_saved(engine: Engine) -> None:
    """test_typed_json_attribute_inplace_mutation (and in-place changes of a set, a list and
    a dict inside it)"""
    engine.save(
        Record(
            pk="M1",
            payload=Payload(region="us-east-1", score=0.95),
            tags={"a"},
            history=[{"n": 1}],
        )
    )
    loaded = engine.get(Record, pk="M1")
    assert loaded.payload is not None
    loaded.payload.score = 0.99
    loaded.tags.add("b")
    loaded.history[0]["n"] = 2
    loaded.history.append({"n": 3})
    engine.save(loaded)
    result = engine.get(Record, pk="M1")
    assert result.payload == Payload(region="us-east-1", score=0.99)
    assert result.tags == {"a", "b"}
    assert result.history == [{"n": 2}, {"n": 3}]


def test_updates_and_deletes_by_key(engine: Engine) -> None:
    """test_update_by_key_updates_item, ..._partial_update, ..._creates_item_if_not_exists,
    ..._with_condition_success, ..._with_condition_fails, test_delete_by_key_deletes_item,
    ..._nonexistent_item_no_error, ..._with_condition_success, ..._with_condition_fails"""
    engine.save(User(pk="U1", name="John", age=30))
    engine.update(key_only(User, pk="U1"), col(User.name).set("Jane"))
    assert engine.get(User, pk="U1") == User(pk="U1", name="Jane", age=30)
    created = engine.update(key_only(User, pk="U2"), col(User.name).set("New"))
    assert (created.name, created.age, created.status) == ("New", 0, "active")
    engine.update(key_only(User, pk="U1"), col(User.age).add(1), condition=col(User.age) == 30)
    with pytest.raises(ConstraintViolation):
        engine.update(key_only(User, pk="U1"), col(User.age).add(1), condition=col(User.age) == 30)
    assert engine.get(User, pk="U1").age == 31
    with pytest.raises(ConstraintViolation):
        engine.delete(key_only(User, pk="U1"), condition=col(User.name) == "John")
    engine.delete(key_only(User, pk="U1"), condition=col(User.name) == "Jane")
    engine.delete(key_only(User, pk="U1"), key_only(User, pk="NEVER"))
    with pytest.raises(MissingObjects):
        engine.get(User, pk="U1")


def test_scans_and_counts(engine: Engine) -> None:
    """test_model_scan_all_items, ..._with_filter, ..._with_numeric_filter, ..._with_complex_
    filter, ..._first, ..._first_with_filter, ..._first_empty, ..._empty_result, ..._with_limit,
    ..._consistent_read, test_model_count_all, ..._with_filter, ..._with_numeric_filter,
    ..._with_complex_filter, ..._empty_table, ..._no_matches, ..._consistent_read"""
    scan = engine.scan(User)
    assert scan.all() == [] and scan.count() == 0
    with pytest.raises(MissingObjects):
        scan.first()
    users = [
        User(pk=f"U{n}", name=f"user{n}", age=20 + 5 * n, status="active" if n < 3 else "inactive")
        for n in range(5)
    ]
    engine.save(*users)
    active, older = col(User.status) == "active", col(User.age) >= 25
    assert sorted(u.pk for u in scan) == [u.pk for u in users]
    assert scan.consistent().count() == 5
    assert scan.filter(active).count() == len(scan.filter(active).all()) == 3
    assert scan.filter(older).count() == 4
    assert sorted(u.pk for u in scan.filter(active & older)) == ["U1", "U2"]
    assert scan.filter(col(User.age) > 100).count() == 0
    assert scan.filter(active).first().status == "active"
    assert len(scan.limit(2).all()) == 2


def test_queries_and_scans_of_some_fields(engine: Engine) -> None:
    """test_query_with_projection_expression, test_scan_with_projection_expression,
    test_model_query_with_fields, test_model_scan_with_fields"""
    engine.save(User(pk="P1", name="John", age=30))
    found = engine.query(User).key(col(User.pk) == "P1").select(col(User.name)).one()
    assert (found.pk, found.name) == ("P1", "John")
    with pytest.raises(UnloadedField, match="age"):
        found.age  # noqa: B018
    [scanned] = engine.scan(User).select(col(User.age)).all()
    assert scanned.age == 30
    with pytest.raises(UnloadedField, match="name"):
        scanned.name  # noqa: B018
