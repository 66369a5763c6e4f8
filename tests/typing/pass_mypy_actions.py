"""DESIGN.md §2b's update actions verbatim, as mypy with the plugin accepts them (no ``col()``)."""

from decimal import Decimal
from typing import assert_type

from pydantic_bloop import Engine, UpdateAction, UpdateValue, list_append
from tests.typing.accounts import Account


def actions(engine: Engine, acct: Account) -> None:
    updated = engine.update(
        acct,
        Account.balance.add(Decimal("5")),
        Account.hits.add(1),
        Account.tags.add("vip", "gold"),
        Account.tags.discard("new"),
        Account.history.append("deposit"),
        Account.owner.set_default("first"),
        condition=Account.balance >= 0,
    )
    assert_type(updated, Account)
    engine.update(Account.model_construct(id="a1"), Account.hits.add(1))
    assert_type(Account.owner.set("ann"), UpdateAction)
    assert_type(Account.note.remove(), UpdateAction)
    assert_type(Account.history.prepend("x"), UpdateAction)
    assert_type(Account.meta["k"].add(1), UpdateAction)
    # dyntastic's spelling of values computed in the update
    assert_type(100 - Account.hits, UpdateValue[int])
    engine.update(
        acct,
        Account.hits.set(100 - Account.hits),
        Account.limit.set(Account.limit.if_not_exists(5) + 1),
        Account.history.set(list_append(Account.history.if_not_exists(["y"]), ["z"])),
    )
