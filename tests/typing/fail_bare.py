"""Wrong conditions written with bare columns (``Post.views``), as mypy users write them.

mypy with the ``pydantic_bloop.mypy`` plugin sees ``Post.views`` as ``Column[int]`` and rejects
each line marked ``mypy``. pyright sees ``Post.views`` as ``int`` and a comparison on it as a
``bool``, which ``key()``, ``filter()`` and ``condition=`` accept (so that the correct
``q.key(Post.user == uid)`` is clean): it still rejects wrong operators and values it can see
(``int > str``), and methods for a reason that also rejects the correct spelling (``int`` has no
``between``), which is why pyright users who want value checking write ``col(Post.views)``
(``fail_col.py``).

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
    q.key(Post.user == "not-a-uuid")  # E: mypy[operator]
    q.filter(Post.user == "not-a-uuid")  # E: mypy[operator]
    _ = Post.tags.contains(3)  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    _ = Post.views.begins_with("a")  # E: mypy[misc] pyright[reportAttributeAccessIssue]
    _ = Post.date.in_(1, 2)  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    q.key(Post.views != 3)  # E: mypy[arg-type]
    q.key(Post.content.contains("x"))  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    _ = Post.nonexistent  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    # beyond the list
    engine.save(post, condition=Post.views == "1")  # E: mypy[operator] pyright[reportUnnecessaryComparison]
    _ = "not-a-uuid" == Post.user  # E: mypy[operator]
    _ = Post.views == Post.user  # E: mypy[operator]
    _ = Post.content.is_(1)  # E: mypy[arg-type] pyright[reportAttributeAccessIssue]
    _ = Post.views.contains(1)  # E: mypy[misc] pyright[reportAttributeAccessIssue]
    _ = Page.meta["k"] > "x"  # E: mypy[operator] pyright[reportOperatorIssue]
    _ = Post.date > "2024-01-01"  # E: mypy[operator] pyright[reportOperatorIssue]
    q.key((Post.forum == "f") | (Post.views > 1))  # E: mypy[arg-type]
    q.select("views")  # E: mypy[arg-type] pyright[reportArgumentType]
    _ = Page.lines["x"]  # E: mypy[index|call-overload] pyright[reportCallIssue]
    _ = Post.views.in_()  # E: mypy[call-arg] pyright[reportAttributeAccessIssue]
    # a real bool where a condition belongs: mypy's plugin rejects it
    q.key(True)  # E: mypy[arg-type]
    engine.save(post, condition=False)  # E: mypy[arg-type]
    _ = (Post.views > 1) & True  # E: mypy[operator]
    # not caught: TypeError when the line runs (`and` on conditions)
    q.filter(Post.views > 1 and Post.views < 3)
