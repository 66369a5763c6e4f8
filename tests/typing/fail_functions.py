"""Wrong uses of the condition functions and of attribute operands, written with ``col()``.

Markers: ``# E: mypy[code] pyright[code]`` (see ``fail_bare.py``).
"""

from pydantic_bloop import col
from tests.typing.accounts import Account


def functions() -> None:
    _ = col(Account.hits).size()  # E: mypy pyright
    _ = col(Account.active).size()  # E: mypy pyright
    _ = col(Account.tags).size() > "3"  # E: mypy[operator] pyright[reportOperatorIssue]
    _ = col(Account.tags).size() > col(Account.owner)  # E: mypy[arg-type|operator] pyright[reportOperatorIssue]
    _ = col(Account.tags).size().between(1, "3")  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.owner).attribute_type("STRING")  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.hits) > col(Account.owner)  # E: mypy[arg-type|operator] pyright[reportOperatorIssue]
    _ = col(Account.tags).contains(col(Account.hits))  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.owner).contains(col(Account.hits))  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.owner).begins_with(col(Account.hits))  # E: mypy[arg-type] pyright[reportArgumentType]
