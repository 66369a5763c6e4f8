"""``pass_functions.py`` with bare columns, as mypy with the plugin accepts it."""

from typing import assert_type

from pydantic_bloop import Condition, Engine, KeyCondition
from tests.typing.accounts import Account


def functions(engine: Engine, acct: Account) -> None:
    assert_type(Account.tags.size() > 3, Condition)
    assert_type(Account.note.size() <= 10, Condition)
    assert_type(Account.meta.size() < 5, Condition)
    assert_type(Account.tags.size() > Account.limit, Condition)
    assert_type(Account.owner.attribute_type("S"), Condition)
    assert_type(Account.hits > Account.limit, KeyCondition)
    assert_type(Account.tags.contains(Account.tag), Condition)
    assert_type(Account.owner.begins_with(Account.tag), KeyCondition)
    engine.save(acct, condition=(Account.tags.size() > 1) & (Account.hits >= Account.limit))
