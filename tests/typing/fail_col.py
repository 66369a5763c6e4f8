"""The wrong conditions of ``fail_bare.py`` written with ``col()``, as pyright users write them.

``col(Post.views)`` is ``Column[int]`` to both checkers, so pyright now rejects a line for the
same reason as mypy, while accepting the correct spelling (``pass_contract.py``). Except for
``==`` / ``!=`` with a value of the wrong type: there pyright falls back to the value's
``__eq__``, a ``bool``, which ``key()`` / ``filter()`` / ``condition=`` accept for the sake of
plain comparisons (``pass_natural.py``).

Markers: ``# E: mypy[code] pyright[code]`` (see ``fail_bare.py``).
"""

from uuid import UUID

from pydantic_bloop import Engine, col
from tests.typing.models import Page, Post


def conditions(engine: Engine, uid: UUID, post: Post) -> None:
    q = engine.query(Post)
    _ = col(Post.views) > "ten"  # E: mypy[operator] pyright[reportOperatorIssue]
    _ = col(Post.views).between(1, "9")  # E: mypy[arg-type] pyright[reportArgumentType]
    q.key(col(Post.user) == "not-a-uuid")  # E: mypy[operator]
    q.filter(col(Post.user) == "not-a-uuid")  # E: mypy[operator]
    _ = col(Post.tags).contains(3)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Post.views).begins_with("a")  # E: mypy[misc] pyright[reportAttributeAccessIssue]
    _ = col(Post.date).in_(1, 2)  # E: mypy[arg-type] pyright[reportArgumentType]
    q.key(col(Post.views) != 3)  # E: mypy[arg-type] pyright[reportArgumentType]
    q.key(col(Post.content).contains("x"))  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Post.nonexistent)  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    # beyond the list
    engine.save(post, condition=col(Post.views) == "1")  # E: mypy[operator]
    _ = "not-a-uuid" == col(Post.user)  # E: mypy[operator]
    _ = col(Post.views) == col(Post.user)  # E: mypy[arg-type|operator] pyright[reportOperatorIssue]
    _ = col(Post.content).is_(1)  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Post.views).contains(1)  # E: mypy[misc] pyright[reportAttributeAccessIssue]
    _ = col(Page.meta)["k"] > "x"  # E: mypy[operator] pyright[reportOperatorIssue]
    _ = col(Post.date) > "2024-01-01"  # E: mypy[operator] pyright[reportOperatorIssue]
    q.key((col(Post.forum) == "f") | (col(Post.views) > 1))  # E: mypy[arg-type] pyright[reportArgumentType]
    q.select("views")  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = col(Page.lines)["x"]  # E: mypy[index|call-overload] pyright[reportArgumentType]
    _ = col(Post.views).in_()  # E: mypy[call-arg] pyright[reportCallIssue]
    # not caught: InvalidCondition / TypeError when the line runs
    q.filter(col(Post.views) > 1 and col(Post.views) < 3)
    _ = col(3)
