"""Update actions as both checkers accept them (with ``col()``): DESIGN.md §2b."""

from decimal import Decimal
from typing import assert_type

from pydantic_bloop import (
    AsyncEngine,
    Engine,
    UpdateAction,
    UpdateOperand,
    UpdateValue,
    col,
    list_append,
)
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
    assert_type(col(Account.hits) + 1, UpdateValue[int])
    assert_type(100 - col(Account.hits), UpdateValue[int])
    assert_type(col(Account.hits) - col(Account.limit), UpdateValue[int])
    assert_type(col(Account.balance) - Decimal(5), UpdateValue[Decimal])
    assert_type(Decimal(1) + col(Account.balance), UpdateValue[Decimal])
    assert_type(col(Account.ratio) + 0.5, UpdateValue[float])
    assert_type(col(Account.hits).if_not_exists(5), UpdateOperand[int])
    joined = list_append(col(Account.history).if_not_exists(["y"]), ["z"])
    assert_type(joined, UpdateOperand[list[str]])
    assert_type(list_append(["a"], col(Account.history)), UpdateOperand[list[str]])
    engine.update(
        acct,
        col(Account.hits).set(100 - col(Account.hits)),
        col(Account.limit).set(col(Account.hits) + 1),
        col(Account.meta)["k"].set(col(Account.meta)["k"].if_not_exists(0) + 1),
        col(Account.history).set(list_append(joined, col(Account.history))),
        col(Account.owner).set(col(Account.tag)),
        col(Account.note).set(col(Account.owner)),
        col(Account.tag).set(col(Account.tag).if_not_exists(col(Account.owner))),
    )
    by_key = engine.update(Account.model_construct(id="a1"), col(Account.hits).add(1))
    assert_type(by_key, Account)


async def async_actions(engine: AsyncEngine, acct: Account) -> None:
    assert_type(await engine.update(acct, col(Account.hits).add(1)), Account)
    assert_type(await engine.update(acct, col(Account.hits).add(1), refresh=False), Account)
