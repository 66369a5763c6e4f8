"""Wrong uses of the typed helpers (see ``pass_helpers.py``).

Markers: ``# E: mypy[code] pyright[code]`` (see ``fail_bare.py``).
"""

from pydantic_bloop import col, from_item, key_only, to_item
from tests.typing.accounts import Account
from tests.typing.models import Post, User


def helpers(post: Post) -> None:
    key_only(int, id=1)  # E: mypy[type-var] pyright[reportArgumentType]
    user: User = key_only(Post, forum="f", id="x")  # E: mypy[assignment] pyright[reportAssignmentType]
    to_item({"id": 1})  # E: mypy[arg-type] pyright[reportArgumentType]
    from_item(Post, [post])  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Account.balance) > "5"  # E: mypy[operator] pyright[reportOperatorIssue]
