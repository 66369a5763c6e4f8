"""Wrong update actions written with ``col()``: both checkers reject each marked line.

Markers: ``# E: mypy[code] pyright[code]`` (see ``fail_bare.py``).
"""

from decimal import Decimal

from pydantic_bloop import Engine, col, list_append
from tests.typing.accounts import Account


def actions(engine: Engine, acct: Account) -> None:
    _ = col(Account.hits).add("x")  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.owner).add(1)  # E: mypy pyright
    _ = col(Account.tags).append("x")  # E: mypy pyright
    # beyond the list
    _ = col(Account.hits).add(1.5)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.hits).add(1, 2)  # E: mypy[call-arg] pyright[reportCallIssue]
    _ = col(Account.active).add(1)  # E: mypy pyright
    _ = col(Account.balance).add(0.5)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.tags).add(1)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.tags).add()  # E: mypy pyright
    _ = col(Account.codes).discard("x")  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.history).discard("x")  # E: mypy pyright
    _ = col(Account.history).append(1)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.owner).prepend("x")  # E: mypy pyright
    _ = col(Account.owner).set(1)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.owner).set(None)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.hits).set_default("x")  # E: mypy[arg-type] pyright[reportArgumentType]
    engine.update(acct, col(Account.hits) == 1)  # E: mypy[arg-type] pyright[reportArgumentType]
    engine.update(acct, "hits")  # E: mypy[arg-type] pyright[reportArgumentType]
    # values computed in the update
    _ = col(Account.owner) + 1  # E: mypy pyright
    _ = col(Account.owner) - "x"  # E: mypy pyright
    _ = col(Account.hits) + "x"  # E: mypy pyright
    _ = col(Account.hits) + 1 + 1  # E: mypy pyright
    _ = col(Account.history) + ["x"]  # E: mypy pyright
    _ = col(Account.tags) + {"x"}  # E: mypy pyright
    # the stored list fixes the element type (mypy would settle on list[Any] without the plugin)
    _ = list_append(col(Account.history), [1])  # E: mypy[list-item] pyright
    _ = list_append([1], col(Account.history))  # E: mypy[list-item] pyright
    _ = list_append(col(Account.history), list(range(3)))  # E: mypy[arg-type] pyright
    _ = list_append(col(Account.history).if_not_exists(["y"]), [1])  # E: mypy pyright
    _ = list_append(col(Account.hits), [1])  # E: mypy pyright
    _ = col(Account.hits).set(col(Account.owner))  # E: mypy pyright
    _ = col(Account.hits).set(list_append(col(Account.history), ["x"]))  # E: mypy pyright
    _ = col(Account.history).if_not_exists("y")  # E: mypy pyright
    _ = Decimal(1)
