"""Wrong conditions written with bare columns (``Post.views``), as mypy users write them.

mypy with the ``pydantic_bloop.mypy`` plugin sees ``Post.views`` as ``Column[int]`` and rejects
each line marked ``mypy``. pyright sees ``Post.views`` as ``int``: it rejects these lines too, but
mostly for reasons that also reject the correct spelling (``int`` has no ``between``; a ``bool``
is no condition), which is why pyright users write ``col(Post.views)`` (``fail_col.py``).

Markers: ``# E: mypy[code] pyright[code]`` names the checkers that must report an error on the
line, and the error codes that must be among those reported (tests/test_typing.py).
"""

from uuid import UUID

from pydantic_bloop import Engine
from tests.typing.models import Page, Post


def conditions(engine: Engine, uid: UUID, post: Post) -> None:
    q = engine.query(Post)
    _ = Post.views > "ten"  # E: mypy[operator] pyright[reportOperatorIssue]
    _ = Post.views.between(1, "9")  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    q.key(Post.user == "not-a-uuid")  # E: mypy[operator] pyright[reportArgumentType]
    q.filter(Post.user == "not-a-uuid")  # E: mypy[operator] pyright[reportArgumentType]
    _ = Post.tags.contains(3)  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    _ = Post.views.begins_with("a")  # E: mypy[misc] pyright[reportAttributeAccessIssue]
    _ = Post.date.in_(1, 2)  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    q.key(Post.views != 3)  # E: mypy[arg-type] pyright[reportArgumentType]
    q.key(Post.content.contains("x"))  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    _ = Post.nonexistent  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    # beyond the list
    engine.save(post, condition=Post.views == "1")  # E: mypy[operator] pyright[reportArgumentType]
    _ = "not-a-uuid" == Post.user  # E: mypy[operator]
    _ = Post.views == Post.user  # E: mypy[operator]
    _ = Post.content.is_(1)  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    _ = Post.views.contains(1)  # E: mypy[misc] pyright[reportAttributeAccessIssue]
    _ = Page.meta["k"] > "x"  # E: mypy[operator] pyright[reportOperatorIssue]
    _ = Post.date > "2024-01-01"  # E: mypy[operator] pyright[reportOperatorIssue]
    q.key((Post.forum == "f") | (Post.views > 1))  # E: mypy[arg-type] pyright[reportArgumentType]
    q.select("views")  # E: mypy[arg-type] pyright[reportArgumentType]
    # not caught by mypy: InvalidCondition / TypeError when the line runs
    _ = Page.lines["x"]  # E: mypy[index] pyright[reportCallIssue]
    _ = Post.views.in_()  # E: mypy[call-arg] pyright[reportAttributeAccessIssue]
    q.filter(Post.views > 1 and Post.views < 3)  # E: pyright[reportArgumentType]
