"""``fail_functions.py`` with bare columns, as mypy with the plugin rejects it.

Markers: ``# E: mypy[code]`` (see ``fail_bare.py``).
"""

from tests.typing.accounts import Account


def functions() -> None:
    _ = Account.hits.size()  # E: mypy
    _ = Account.tags.size() > "3"  # E: mypy[operator]
    _ = Account.owner.attribute_type("STRING")  # E: mypy[arg-type]
    _ = Account.hits > Account.owner  # E: mypy[operator]
    _ = Account.tags.contains(Account.hits)  # E: mypy[arg-type]
    _ = Account.owner.begins_with(Account.hits)  # E: mypy[arg-type]
