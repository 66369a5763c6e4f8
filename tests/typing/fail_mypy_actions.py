"""The wrong update actions of ``fail_actions.py`` with bare columns, as mypy with the plugin
rejects them (the issue's three first).

Markers: ``# E: mypy[code]`` (see ``fail_bare.py``).
"""

from pydantic_bloop import Engine, list_append
from tests.typing.accounts import Account


def actions(engine: Engine, acct: Account) -> None:
    _ = Account.hits.add("x")  # E: mypy[arg-type]
    _ = Account.owner.add(1)  # E: mypy
    _ = Account.tags.append("x")  # E: mypy
    _ = Account.hits.add(1.5)  # E: mypy[arg-type]
    _ = Account.codes.discard("x")  # E: mypy[arg-type]
    _ = Account.history.discard("x")  # E: mypy
    _ = Account.owner.set(1)  # E: mypy[arg-type]
    engine.update(acct, Account.hits == 1)  # E: mypy[arg-type]
    _ = list_append(Account.history, [1])  # E: mypy[list-item]
    engine.update(acct, Account.history.set(list_append(Account.history, [2])))  # E: mypy
