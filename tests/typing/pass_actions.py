"""Update actions as both checkers accept them (with ``col()``): DESIGN.md §2b."""

from decimal import Decimal
from typing import assert_type

from pydantic_bloop import AsyncEngine, Engine, UpdateAction, col
from tests.typing.accounts import Account


def actions(engine: Engine, acct: Account) -> None:
    updated = engine.update(
        acct,
        col(Account.balance).add(Decimal("5")),
        col(Account.balance).add(5),
        col(Account.hits).add(1),
        col(Account.hits).add(-1),
        col(Account.ratio).add(0.5),
        col(Account.tags).add("vip", "gold"),
        col(Account.tags).discard("new"),
        col(Account.codes).add(1, 2),
        col(Account.history).append("deposit"),
        col(Account.history).prepend("opened", "created"),
        col(Account.owner).set_default("first"),
        condition=col(Account.balance) >= 0,
    )
    assert_type(updated, Account)
    assert_type(col(Account.owner).set("ann"), UpdateAction)
    assert_type(col(Account.note).set(None), UpdateAction)
    assert_type(col(Account.note).remove(), UpdateAction)
    assert_type(col(Account.meta)["k"].add(1), UpdateAction)
    assert_type(col(Account.meta)["k"].set(3), UpdateAction)
    by_key = engine.update(Account.model_construct(id="a1"), col(Account.hits).add(1))
    assert_type(by_key, Account)


async def async_actions(engine: AsyncEngine, acct: Account) -> None:
    assert_type(await engine.update(acct, col(Account.hits).add(1)), Account)
