"""PynamoDB's transaction integration tests (pynamodb/PynamoDB, tests/integration/
test_transaction_integration.py), ported: TransactWrite of saves, updates, deletes and condition
checks, the cancellation reasons item by item (with the stored item), a token reused for another
transaction, TransactGet, and transactions of versioned items. On moto: dynalite has no
transactions.

``test_transact_write__error__different_regions`` has nothing to port (an engine has one
client, so one region); ``test_transact_get__invalid_state`` neither (``load`` returns when the
objects are loaded, there is no future to read too early).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import uuid4

import pytest

from pydantic_bloop import (
    Base,
    Engine,
    HashKey,
    InvalidTransaction,
    MissingObjects,
    RangeKey,
    TransactionCanceled,
    Version,
    col,
    key_only,
    to_item,
)
from tests.engines import MakeEngine

pytestmark = pytest.mark.dynalite_unsupported("no transactions in dynalite")


class User(Base):
    user_id: Annotated[int, HashKey()]


class BankStatement(Base):
    user_id: Annotated[int, HashKey()]
    balance: int = 0
    active: bool = True


class LineItem(Base):
    user_id: Annotated[int, HashKey()]
    created_at: Annotated[datetime, RangeKey()] = datetime(2024, 5, 1, tzinfo=UTC)
    amount: int
    currency: str


class Foo(Base):
    bar: Annotated[int, HashKey()]
    star: str | None = None
    version: Annotated[int, Version()] = 0


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(User, BankStatement, LineItem, Foo)
    return engine


def test_a_token_reused_for_another_transaction(engine: Engine) -> None:
    """test_transact_write__error__idempotent_parameter_mismatch"""
    token = str(uuid4())
    with engine.transaction(client_request_token=token) as tx:
        tx.save(User(user_id=1))
        tx.save(User(user_id=2))
    with (
        pytest.raises(InvalidTransaction, match=token),
        engine.transaction(client_request_token=token) as tx,
    ):
        tx.save(User(user_id=3))
    assert engine.get(User, user_id=1) == User(user_id=1)
    assert engine.get(User, user_id=2) == User(user_id=2)
    with pytest.raises(MissingObjects):
        engine.get(User, user_id=3)


def test_every_failed_condition_is_a_reason(engine: Engine) -> None:
    """test_transact_write__error__transaction_cancelled__condition_check_failure"""
    engine.save(User(user_id=1), BankStatement(user_id=1))
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(User(user_id=1), condition=col(User.user_id).is_(None))
        tx.save(BankStatement(user_id=1), condition=col(BankStatement.user_id).is_(None))
    error = caught.value
    assert [r.code for r in error.reasons] == ["ConditionalCheckFailed"] * 2
    assert "User(user_id=1)" in str(error) and "BankStatement(user_id=1)" in str(error)


def test_a_failed_reason_carries_the_stored_item(engine: Engine) -> None:
    """test_transact_write__error__transaction_cancelled__condition_check_failure__return_
    all_old (every failed write asks for the stored item here)"""
    engine.save(User(user_id=1))
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(User(user_id=1), condition=col(User.user_id).is_(None))
    [reason] = caught.value.reasons
    assert reason.code == "ConditionalCheckFailed"
    assert reason.item == to_item(User(user_id=1))


def test_only_the_failed_item_has_a_code(engine: Engine) -> None:
    """test_transact_write__error__transaction_cancelled__partial_failure"""
    engine.delete(User(user_id=2))
    engine.save(BankStatement(user_id=2))
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(User(user_id=2), condition=col(User.user_id).is_(None))
        tx.save(BankStatement(user_id=2), condition=col(BankStatement.user_id).is_(None))
    assert [r.code for r in caught.value.reasons] == [None, "ConditionalCheckFailed"]
    with pytest.raises(MissingObjects):
        engine.get(User, user_id=2)


def test_two_actions_on_one_item_are_refused_before_sending(engine: Engine) -> None:
    """test_transact_write__error__multiple_operations_on_same_record (a ValidationException
    from DynamoDB there; refused while the block runs here)"""
    statement = BankStatement(user_id=1)
    engine.save(statement)
    with pytest.raises(InvalidTransaction), engine.transaction() as tx:
        tx.check(BankStatement(user_id=1), col(BankStatement.user_id).is_not(None))
        tx.update(statement, col(BankStatement.balance).add(10))
    assert engine.get(BankStatement, user_id=1).balance == 0


def test_a_consistent_read_of_several_items(engine: Engine) -> None:
    """test_transact_get, test_transact_get__does_not_exist"""
    engine.save(User(user_id=1), BankStatement(user_id=1))
    engine.save(User(user_id=2), BankStatement(user_id=2, balance=100))
    user1, statement1 = key_only(User, user_id=1), key_only(BankStatement, user_id=1)
    user2, statement2 = key_only(User, user_id=2), key_only(BankStatement, user_id=2)
    engine.load(user1, statement1, user2, statement2, transaction=True)
    assert user1.user_id == statement1.user_id == 1 and statement1.balance == 0
    assert user2.user_id == statement2.user_id == 2 and statement2.balance == 100
    ghost = key_only(User, user_id=100)
    with pytest.raises(MissingObjects) as caught:
        engine.load(ghost, transaction=True)
    assert caught.value.objects == [ghost]


def test_a_transfer(engine: Engine) -> None:
    """test_transact_write: two line items created, two balances moved, one conditionally"""
    engine.save(BankStatement(user_id=1, balance=0), BankStatement(user_id=2, balance=100))
    statement1 = engine.get(BankStatement, user_id=1)
    statement2 = engine.get(BankStatement, user_id=2)
    assert (statement1.balance, statement2.balance) == (0, 100)
    with engine.transaction() as tx:
        absent = col(LineItem.user_id).is_(None)
        tx.save(LineItem(user_id=1, amount=50, currency="USD"), condition=absent)
        tx.save(LineItem(user_id=2, amount=-50, currency="USD"), condition=absent)
        tx.update(statement1, col(BankStatement.balance).add(50))
        tx.update(
            statement2,
            col(BankStatement.balance).add(-50),
            condition=col(BankStatement.balance) >= 50,
        )
    engine.load(statement1, statement2)
    assert statement1.balance == statement2.balance == 50


def test_one_action_of_each_kind(engine: Engine) -> None:
    """test_transact_write__one_of_each"""
    engine.save(User(user_id=1), User(user_id=2))
    statement = BankStatement(user_id=1, balance=100, active=True)
    engine.save(statement)
    with engine.transaction() as tx:
        tx.check(User(user_id=1), col(User.user_id).is_not(None))
        tx.delete(User(user_id=2))
        tx.save(
            LineItem(user_id=4, amount=100, currency="USD"),
            condition=col(LineItem.user_id).is_(None),
        )
        tx.update(
            statement, col(BankStatement.active).set(False), col(BankStatement.balance).set(0)
        )
    assert engine.get(User, user_id=1) == User(user_id=1)
    with pytest.raises(MissingObjects):
        engine.get(User, user_id=2)
    newest = engine.query(LineItem).key(col(LineItem.user_id) == 4).descending().limit(1).one()
    assert (newest.amount, newest.currency) == (100, "USD")
    engine.load(statement)
    assert (statement.active, statement.balance) == (False, 0)


def test_versioned_items_in_a_transaction(engine: Engine) -> None:
    """test_transaction_write_with_version_attribute, test_transaction_get_with_version_
    attribute (an update by key stands for PynamoDB's add_version_condition=False)"""
    foo1, foo2, foo3 = Foo(bar=1), Foo(bar=2, star="bar"), Foo(bar=3)
    foo42 = Foo(bar=42)
    engine.save(foo1, foo2, foo3, foo42)
    foo42_dup = engine.get(Foo, bar=42)
    foo42_dup.star = "dup"  # a save with nothing to send keeps the version: change something
    engine.save(foo42_dup)  # raises the version without foo42 knowing
    with engine.transaction() as tx:
        tx.check(Foo(bar=1), col(Foo.bar).is_not(None))
        tx.delete(foo2)
        tx.save(Foo(bar=4))
        tx.update(foo3, col(Foo.star).set("birdistheword"))
        tx.update(key_only(Foo, bar=42), col(Foo.star).set("last write wins"))
    assert engine.get(Foo, bar=1).version == 1
    with pytest.raises(MissingObjects):
        engine.get(Foo, bar=2)
    assert foo3.version == 2  # the object takes its new version once committed
    assert engine.get(Foo, bar=4).version == 1
    stored = engine.get(Foo, bar=42)
    assert stored.version == foo42_dup.version + 1 == 3
    assert stored.star == "last write wins"
    foo11, foo12 = key_only(Foo, bar=1), key_only(Foo, bar=3)
    engine.load(foo11, foo12, transaction=True)
    assert (foo11.version, foo12.version, foo12.star) == (1, 2, "birdistheword")


def test_stale_versions_cancel_the_transaction(engine: Engine) -> None:
    """test_transaction_write_with_version_attribute_condition_failure: a new object over a
    stored one (save, update, delete) fails its version condition; its version is unchanged.
    ``Foo(bar=21)`` holding nothing but its key would be an update by key (no version check,
    docs/updates.md): the object here also sets ``star``, and its update sends that (an action
    on a field of a new object would write it twice: every field of a new object is pending)"""
    engine.save(Foo(bar=21))
    foo2 = Foo(bar=21, star="birdistheword")
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(Foo(bar=21))
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed"]
    assert caught.value.reasons[0].stale
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.update(foo2)
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed"]
    assert foo2.version == 0
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.delete(foo2)
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed"]
    assert engine.get(Foo, bar=21) == Foo(bar=21, version=1)
