"""pydynox's operation suites (ferrumio/pydynox, tests/integration/operations/: test_atomic.py,
test_conditions.py, test_smart_save.py, test_optimistic_lock.py, test_query_pagination.py,
test_parallel_scan.py, sync/test_large_numbers.py, sync/test_bool_in_sets.py), ported: update
actions with conditions, conditional saves and deletes, saves that send only what changed,
versions under concurrent writers, limits and page sizes, parallel scans, 38-digit numbers and
sets of booleans.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    ConstraintViolation,
    Engine,
    HashKey,
    MissingObjects,
    RangeKey,
    Version,
    col,
    key_only,
)
from tests.conftest import RequestLog


class User(Base):
    """pydynox's ``User`` of test_atomic.py and test_conditions.py."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()] = "PROFILE"
    name: str = "John"
    count: int | None = None
    balance: int = 100
    tags: list[str] = []
    status: str = "active"
    age: int = 25


class Doc(Base):
    """test_optimistic_lock.py's ``VersionedDoc``."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    content: str
    version: Annotated[int, Version()] = 0


class Large(Base):
    """test_smart_save.py's ``LargeItem`` and test_large_numbers.py's items."""

    pk: Annotated[str, HashKey()]
    field1: str = "a" * 100
    field2: str = "b" * 100
    counter: int = 0
    large_number: int = 0
    nums: set[int] = set()


MODELS = (User, Doc, Large)


def fresh(engine: Engine, user: User) -> User:
    return engine.get(User, pk=user.pk, sk=user.sk, consistent=True)


# ---------------------------------------------------------------------------------------------
# test_atomic.py


def test_update_actions(engine: Engine) -> None:
    """test_atomic_add_increments_value, ..._decrements_with_negative, ..._set_updates_value,
    ..._remove_deletes_attribute, ..._append_adds_to_list, ..._prepend_adds_to_front,
    ..._if_not_exists_sets_when_missing, ..._if_not_exists_keeps_existing"""
    user = User(pk="USER#1", tags=["b"])
    engine.save(user)
    engine.update(user, col(User.count).add(1))
    assert fresh(engine, user).count == 1
    engine.update(user, col(User.balance).add(-25))
    assert fresh(engine, user).balance == 75
    engine.update(user, col(User.name).set("Jane"))
    assert fresh(engine, user).name == "Jane"
    engine.update(user, col(User.count).remove())
    assert fresh(engine, user).count is None
    engine.update(user, col(User.tags).append("c", "d"))
    engine.update(user, col(User.tags).prepend("a"))
    assert fresh(engine, user).tags == ["a", "b", "c", "d"]
    engine.update(user, col(User.count).set_default(100))
    assert fresh(engine, user).count == 100
    engine.update(user, col(User.count).set_default(50))
    assert fresh(engine, user).count == 100


def test_several_actions_in_one_update(engine: Engine) -> None:
    """test_multiple_atomic_operations, test_atomic_set_and_remove_combined"""
    user = User(pk="USER#2", count=4, tags=["a"])
    engine.save(user)
    engine.update(
        user, col(User.count).add(1), col(User.tags).append("b"), col(User.name).set("Jane")
    )
    stored = fresh(engine, user)
    assert (stored.count, stored.tags, stored.name) == (5, ["a", "b"], "Jane")
    engine.update(user, col(User.name).set("Joe"), col(User.count).remove())
    stored = fresh(engine, user)
    assert (stored.name, stored.count, stored.balance) == ("Joe", None, 100)


def test_update_actions_with_conditions(engine: Engine) -> None:
    """test_atomic_with_condition_succeeds, ..._fails, test_atomic_add_with_string_condition,
    ..._fails, test_atomic_multiple_ops_with_condition"""
    user = User(pk="USER#3", balance=100)
    engine.save(user)
    engine.update(user, col(User.balance).add(-50), condition=col(User.balance) >= 50)
    assert fresh(engine, user).balance == 50
    engine.update(user, col(User.balance).add(-20), condition=col(User.balance) >= 20)
    with pytest.raises(ConstraintViolation):
        engine.update(user, col(User.balance).add(-50), condition=col(User.balance) >= 50)
    assert fresh(engine, user).balance == 30
    engine.update(user, col(User.balance).add(120), condition=col(User.name) == "John")
    with pytest.raises(ConstraintViolation):
        engine.update(user, col(User.balance).add(50), condition=col(User.name) == "Jane")
    assert fresh(engine, user).balance == 150
    engine.update(
        user,
        col(User.balance).add(-10),
        col(User.count).add(1),
        condition=(col(User.status) == "active") & (col(User.balance) > 0),
    )
    stored = fresh(engine, user)
    assert (stored.balance, stored.count) == (140, 1)


# ---------------------------------------------------------------------------------------------
# test_conditions.py


def test_conditional_saves_and_deletes(engine: Engine) -> None:
    """test_save_with_does_not_exist_condition_succeeds, ..._fails_on_existing,
    test_save_with_eq_condition_succeeds, ..._fails_on_mismatch, test_delete_with_condition_
    succeeds, ..._fails_on_mismatch, test_save_with_combined_condition, ..._exists_condition,
    test_delete_with_gt_condition, test_save_with_or_condition, ..._not_condition,
    ..._complex_condition"""
    absent = col(User.pk).is_(None)
    alice = User(pk="USER#alice", name="Alice")
    engine.save(alice, condition=absent)
    assert fresh(engine, alice).name == "Alice"
    with pytest.raises(ConstraintViolation, match="condition"):
        engine.save(User(pk="USER#alice", name="Other"), condition=absent)
    assert fresh(engine, alice).name == "Alice"
    status = col(User.status)
    accepted = [
        status == "active",
        (status == "active") & (col(User.age) == 25),
        col(User.name).is_not(None),
        (status == "active") | (status == "pending"),
        ~(status == "deleted"),
        ((status == "active") | (status == "pending")) & ~(col(User.age) < 18),
    ]
    for n, condition in enumerate(accepted):
        alice.name = f"Alice {n}"
        engine.save(alice, condition=condition)
        assert fresh(engine, alice).name == f"Alice {n}", repr(condition)
    alice.name = "Diana"
    with pytest.raises(ConstraintViolation):
        engine.save(alice, condition=status == "inactive")
    assert fresh(engine, alice).name == "Alice 5"
    with pytest.raises(ConstraintViolation):
        engine.delete(alice, condition=status == "inactive")
    engine.delete(alice, condition=col(User.age) > 20)
    with pytest.raises(MissingObjects):
        fresh(engine, alice)


# ---------------------------------------------------------------------------------------------
# test_smart_save.py


def test_a_save_sends_only_what_changed(engine: Engine, request_log: RequestLog) -> None:
    """test_smart_save_uses_update_item, test_full_replace_uses_put_item,
    test_smart_save_with_condition, test_smart_save_condition_fails"""
    engine.save(Large(pk="L1"))
    loaded = engine.get(Large, pk="L1")
    loaded.counter = 1
    request_log.clear()
    engine.save(loaded)
    [update] = request_log.of("UpdateItem")
    assert update["ExpressionAttributeNames"] == {"#n0": "counter"}
    stored = engine.get(Large, pk="L1")
    assert (stored.counter, stored.field1) == (1, "a" * 100)
    loaded.counter = 2
    request_log.clear()
    with engine.context(persist="overwrite") as overwrite:
        overwrite.save(loaded)
    [put] = request_log.of("PutItem")
    assert put["Item"]["field1"] == {"S": "a" * 100}
    assert engine.get(Large, pk="L1").counter == 2
    loaded.counter = 3
    engine.save(loaded, condition=col(Large.counter) == 2)
    loaded.counter = 4
    with pytest.raises(ConstraintViolation):
        engine.save(loaded, condition=col(Large.counter) == 999)
    assert engine.get(Large, pk="L1").counter == 3
    request_log.clear()
    engine.save(engine.get(Large, pk="L1"))  # test_is_dirty_and_changed_fields: nothing changed
    assert request_log.operations == ["GetItem"]


# ---------------------------------------------------------------------------------------------
# test_optimistic_lock.py


def test_versions_count_saves(engine: Engine) -> None:
    """test_version_starts_at_one, test_version_increments_on_save, test_version_loaded_from_db"""
    doc = Doc(pk="VERSION#2", sk="DOC#1", content="Hello")
    assert doc.version == 0
    engine.save(doc)
    assert doc.version == 1
    for n, content in enumerate(["Updated", "Updated again"], start=2):
        doc.content = content
        engine.save(doc)
        assert doc.version == n
    assert engine.get(Doc, pk="VERSION#2", sk="DOC#1").version == 3


def test_stale_writers_fail(engine: Engine) -> None:
    """test_concurrent_update_fails, test_delete_with_version_check, test_new_item_fails_if_
    exists"""
    doc = Doc(pk="VERSION#4", sk="DOC#1", content="Original")
    engine.save(doc)
    doc1, doc2 = (engine.get(Doc, pk="VERSION#4", sk="DOC#1") for _ in range(2))
    assert doc1.version == doc2.version == 1
    doc1.content = "Update from client 1"
    engine.save(doc1)
    assert doc1.version == 2
    doc2.content = "Update from client 2"
    with pytest.raises(ConstraintViolation) as caught:
        engine.save(doc2)
    assert caught.value.stale
    with pytest.raises(ConstraintViolation):
        engine.delete(doc2)
    with pytest.raises(ConstraintViolation):
        engine.save(Doc(pk="VERSION#4", sk="DOC#1", content="Second"))
    engine.delete(doc1)
    with pytest.raises(MissingObjects):
        engine.get(Doc, pk="VERSION#4", sk="DOC#1")


def test_a_condition_joins_the_version_check(engine: Engine, backend: str) -> None:
    """test_version_with_user_condition: a failed condition stores nothing and keeps the
    version"""
    engine.save(Doc(pk="VERSION#7", sk="DOC#1", content="Hello"))
    doc = engine.get(Doc, pk="VERSION#7", sk="DOC#1")
    doc.content = "Updated"
    with pytest.raises(ConstraintViolation) as caught:
        engine.save(doc, condition=col(Doc.content) == "Wrong")
    # the version held, the condition failed: told from the stored item the failure returns,
    # which dynalite does not (ReturnValuesOnConditionCheckFailure), so "no item" there
    assert caught.value.stale is (backend == "dynalite")
    assert doc.version == 1
    assert engine.get(Doc, pk="VERSION#7", sk="DOC#1").version == 1
    engine.save(doc, condition=col(Doc.content) == "Hello")
    assert doc.version == 2


def test_only_one_of_concurrent_writers_wins(engine: Engine) -> None:
    """test_high_concurrency_only_one_wins, test_high_concurrency_new_item_race"""
    engine.save(Doc(pk="CONCURRENT#1", sk="DOC#1", content="Original"))
    loaded = [engine.get(Doc, pk="CONCURRENT#1", sk="DOC#1") for _ in range(6)]
    for n, doc in enumerate(loaded):
        doc.content = f"Updated by worker {n}"

    def outcome(doc: Doc) -> bool:
        try:
            engine.save(doc)
        except ConstraintViolation:
            return False
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sorted(pool.map(outcome, loaded)) == [False] * 5 + [True]
        assert engine.get(Doc, pk="CONCURRENT#1", sk="DOC#1").version == 2
        new = [Doc(pk="CONCURRENT#3", sk="DOC#1", content=f"worker {n}") for n in range(6)]
        assert sorted(pool.map(outcome, new)) == [False] * 5 + [True]
    assert engine.get(Doc, pk="CONCURRENT#3", sk="DOC#1").version == 1


def test_writers_that_retry_all_succeed(engine: Engine) -> None:
    """test_high_concurrency_sequential_updates: each worker loads and saves again until its
    save holds"""
    engine.save(Doc(pk="CONCURRENT#2", sk="DOC#1", content="Original"))

    def worker(number: int) -> None:
        for update in range(3):
            while True:
                doc = engine.get(Doc, pk="CONCURRENT#2", sk="DOC#1", consistent=True)
                doc.content = f"Worker {number}, update {update}"
                try:
                    engine.save(doc)
                except ConstraintViolation:
                    continue
                break

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(worker, range(3)))
    assert engine.get(Doc, pk="CONCURRENT#2", sk="DOC#1").version == 1 + 3 * 3


# ---------------------------------------------------------------------------------------------
# test_query_pagination.py, test_parallel_scan.py


@pytest.fixture
def items(engine: Engine) -> list[User]:
    """pagination_table: 25 items of one partition (ITEM#000 ...), five of them "inactive",
    ages 18 to 42"""
    users = [
        User(
            pk="PAGE", sk=f"ITEM#{n:03}", age=18 + n, status="inactive" if n % 5 == 0 else "active"
        )
        for n in range(25)
    ]
    with engine.context(persist="overwrite") as batch:
        batch.save(*users)
    return users


def test_limits_and_page_sizes(engine: Engine, items: list[User]) -> None:
    """test_query_limit_stops_after_n_items, ..._page_size_controls_dynamo_limit,
    ..._limit_and_page_size_together, ..._no_limit_returns_all, ..._limit_greater_than_total,
    ..._limit_one, test_scan_limit_stops_after_n_items, ..._page_size_returns_all,
    ..._no_limit_returns_all"""
    query = engine.query(User).key(col(User.pk) == "PAGE")
    assert len(query.limit(10).all()) == 10
    assert len(query.page_size(5).all()) == 25
    both = query.limit(12).page_size(5).all()
    assert [u.sk for u in both] == [f"ITEM#{n:03}" for n in range(12)]
    assert len(query.all()) == len(query.limit(100).all()) == 25
    assert [u.sk for u in query.limit(1)] == ["ITEM#000"]
    assert len(engine.scan(User).limit(10).all()) == 10
    assert len(engine.scan(User).page_size(7).all()) == len(engine.scan(User).all()) == 25


def test_paging_by_hand(engine: Engine, items: list[User]) -> None:
    """test_query_manual_pagination_with_limit: pages of 10 until no token is left"""
    query = engine.query(User).key(col(User.pk) == "PAGE")
    seen: list[str] = []
    token: str | None = None
    sizes: list[int] = []
    while True:
        page = query.resume(token).page(10)
        seen += [u.sk for u in page.items]
        sizes.append(len(page.items))
        token = page.token
        if token is None:
            break
    assert sizes[:3] == [10, 10, 5] and sum(sizes) == 25
    assert seen == [u.sk for u in items]


@pytest.mark.parametrize("total", [1, 4, 10])
def test_parallel_scans(engine: Engine, items: list[User], total: int) -> None:
    """test_parallel_scan_all_items, ..._with_filter, ..._with_numeric_filter, ..._with_
    complex_filter, ..._single_segment, ..._many_segments"""

    def scanned(condition: Any = None) -> list[str]:
        found: list[str] = []
        for segment in range(total):
            scan = engine.scan(User).parallel(segment=segment, total=total)
            found += [u.sk for u in (scan if condition is None else scan.filter(condition))]
        return sorted(found)

    active, older = col(User.status) == "active", col(User.age) >= 30
    assert scanned() == [u.sk for u in items]
    assert scanned(active) == [u.sk for u in items if u.status == "active"]
    assert scanned(older) == [u.sk for u in items if u.age >= 30]
    both = [u.sk for u in items if u.status == "active" and u.age >= 30]
    assert scanned(active & older) == both


# ---------------------------------------------------------------------------------------------
# sync/test_large_numbers.py, sync/test_bool_in_sets.py

I64_MAX = 9_223_372_036_854_775_807


def test_numbers_of_up_to_38_digits(engine: Engine) -> None:
    """test_sync_roundtrip_large_numbers (every parameter), test_sync_roundtrip_large_number_
    set"""
    numbers = [42, I64_MAX, I64_MAX + 1, 10**20 - 1, 12345678901234567890123456789, 10**38 - 1]
    numbers.append(-(10**20) + 1)
    large = [Large(pk=f"LARGENUM#{n}", large_number=n) for n in numbers]
    large.append(Large(pk="LARGENUM#NS", nums={1, 10**20 - 1, 42}))
    engine.save(*large)
    loaded = [key_only(Large, pk=item.pk) for item in large]
    engine.load(*loaded)
    assert [item.large_number for item in loaded[:-1]] == numbers
    assert loaded[-1].nums == {1, 10**20 - 1, 42}


class Flags(Base):
    pk: Annotated[str, HashKey()]
    flags: set[bool] = set()
    listed: list[bool] = []
    nums: set[int] = set()


def test_booleans_in_sets_and_lists(engine: Engine, client: DynamoDBClient) -> None:
    """test_put_item_rejects_bool_set, test_put_item_rejects_single_bool_in_set (no DynamoDB
    set holds booleans: pydynox refuses the value; a set[bool] field is stored as a list of
    BOOL here, and read back as a set), test_put_item_bool_in_list_still_works,
    test_put_item_valid_sets_roundtrip"""
    engine.bind(Flags)
    flags = Flags(pk="BOOL#1", flags={True, False}, listed=[True, False], nums={1, 2, 3})
    engine.save(flags, Flags(pk="BOOL#2", flags={True}))
    raw = client.get_item(TableName=engine.table_name(Flags), Key={"pk": {"S": "BOOL#2"}})
    assert raw.get("Item", {}).get("flags") == {"L": [{"BOOL": True}]}
    assert engine.get(Flags, pk="BOOL#1") == flags
    assert engine.get(Flags, pk="BOOL#2").flags == {True}
