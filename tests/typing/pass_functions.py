"""The rest of the condition language as both checkers accept it (with ``col()``): ``size()``,
``attribute_type()``, another attribute as an operand."""

from typing import assert_type

from pydantic_bloop import Condition, Engine, KeyCondition, col
from tests.typing.accounts import Account


def functions(engine: Engine, acct: Account) -> None:
    assert_type(col(Account.tags).size() > 3, Condition)
    assert_type(col(Account.owner).size() == 0, Condition)
    assert_type(col(Account.note).size() <= 10, Condition)
    assert_type(col(Account.data).size() >= 1, Condition)
    assert_type(col(Account.history).size() != 2, Condition)
    assert_type(col(Account.meta).size() < 5, Condition)
    assert_type(col(Account.codes).size().between(1, 3), Condition)
    assert_type(col(Account.tags).size() > col(Account.limit), Condition)
    assert_type(col(Account.tags).size() == col(Account.history).size(), Condition)
    assert_type(col(Account.owner).attribute_type("S"), Condition)
    assert_type(col(Account.hits) > col(Account.limit), KeyCondition)
    assert_type(col(Account.hits) == col(Account.limit), KeyCondition)
    assert_type(col(Account.owner).contains(col(Account.tag)), Condition)
    assert_type(col(Account.tags).contains(col(Account.tag)), Condition)
    assert_type(col(Account.history).contains(col(Account.tag)), Condition)
    assert_type(col(Account.owner).begins_with(col(Account.tag)), KeyCondition)
    engine.save(
        acct, condition=(col(Account.tags).size() > 1) & col(Account.note).attribute_type("NULL")
    )
