"""pydynox's index suites (ferrumio/pydynox, tests/integration/indexes/: test_gsi.py,
test_lsi.py, test_gsi_pagination.py, test_lsi_pagination.py), ported: queries of global and
local indexes by their keys, with range conditions, filters, limits, order, empty results, and
pages of an index resumed by token.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import pytest

from pydantic_bloop import (
    Base,
    Engine,
    GlobalIndex,
    HashKey,
    LocalIndex,
    MissingObjects,
    RangeKey,
    col,
)
from tests.engines import MakeEngine


class User(Base):
    """test_gsi.py's ``User`` (and test_lsi.py's local index on ``age``)."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()] = "PROFILE"
    email: str
    status: str
    name: str
    age: int
    email_index: ClassVar[GlobalIndex] = GlobalIndex(hash_key="email", projection="all")
    status_index: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="status", range_key="pk", projection="all"
    )
    by_age: ClassVar[LocalIndex] = LocalIndex(range_key="age", projection="all")


USERS = [
    User(pk="USER#1", email="john@example.com", status="active", name="John", age=30),
    User(pk="USER#2", email="jane@example.com", status="active", name="Jane", age=25),
    User(pk="USER#3", email="bob@example.com", status="inactive", name="Bob", age=40),
]


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(User)
    with engine.context(persist="overwrite") as batch:
        batch.save(*(user.model_copy() for user in USERS))
    return engine


def test_global_index_queries(engine: Engine) -> None:
    """test_gsi_sync_query_by_email, ..._by_status, ..._with_sort_key_condition,
    ..._with_filter, ..._with_limit, ..._descending, ..._returns_model_instances,
    ..._empty_result, test_async_gsi_query_first(_empty)"""
    by_email = engine.query(User.email_index).key(col(User.email) == "john@example.com").all()
    assert by_email == [USERS[0]] and type(by_email[0]) is User
    active = engine.query(User.status_index).key(col(User.status) == "active")
    assert [u.pk for u in active] == ["USER#1", "USER#2"]
    ranged = active.key((col(User.status) == "active") & col(User.pk).begins_with("USER#"))
    assert len(ranged.all()) == 2
    assert [u.pk for u in active.filter(col(User.age) > 26)] == ["USER#1"]
    assert len(active.limit(1).all()) == 1
    assert [u.pk for u in active.descending()] == ["USER#2", "USER#1"]
    nobody = engine.query(User.email_index).key(col(User.email) == "nonexistent@example.com")
    assert nobody.all() == []
    with pytest.raises(MissingObjects):
        nobody.first()
    assert (
        engine.query(User.email_index).key(col(User.email) == "jane@example.com").first().name
        == "Jane"
    )


def test_local_index_queries(engine: Engine) -> None:
    """test_lsi.py: a local index of the same partition, ordered by its range key"""
    engine.save(
        User(pk="USER#1", sk="ORDER#1", email="o1", status="x", name="o", age=3),
        User(pk="USER#1", sk="ORDER#2", email="o2", status="x", name="o", age=1),
    )
    by_age = engine.query(User.by_age).key(col(User.pk) == "USER#1")
    assert [u.age for u in by_age] == [1, 3, 30]
    assert [u.sk for u in by_age.descending().limit(2)] == ["PROFILE", "ORDER#1"]
    older = by_age.key((col(User.pk) == "USER#1") & (col(User.age) >= 3))
    assert [u.sk for u in older] == ["ORDER#1", "PROFILE"]
    assert [u.sk for u in by_age.consistent().filter(col(User.email) == "o2")] == ["ORDER#2"]


def test_index_pages_resume_by_token(engine: Engine) -> None:
    """test_gsi_pagination.py, test_lsi_pagination.py: pages of 2 over 9 items, in order"""
    many = [User(pk=f"PAGE#{n}", email=f"p{n}", status="paged", name="p", age=n) for n in range(9)]
    engine.save(*many)
    query = engine.query(User.status_index).key(col(User.status) == "paged")
    seen: list[str] = []
    page = query.page(2)
    while True:
        assert len(page.items) <= 2
        seen += [u.pk for u in page.items]
        if page.token is None:
            break
        page = query.resume(page.token).page(2)
    assert seen == sorted(u.pk for u in many)
    results = iter(engine.query(User.by_age).key(col(User.pk) == "PAGE#3").page_size(1))
    assert next(results).age == 3
