"""DESIGN.md §2's conditions written the obvious way, with plain comparisons (``Post.user ==
uid``) and no ``col()``: clean under mypy (with our plugin, and with pydantic's alone) and under
pyright in every mode (tests/test_typing.py also checks this file as pyright's basic and
standard modes).

To pyright (and mypy without our plugin) a comparison on a field is a ``bool``; ``key()``,
``filter()``, ``condition=``, ``&`` and ``|`` take one. Methods such as ``contains()`` still
need ``col()`` there, since ``str`` has no ``contains``.
"""

from datetime import datetime
from typing import assert_type
from uuid import UUID

from pydantic_bloop import AsyncEngine, AsyncQuery, Engine, Query, col
from tests.typing.models import Page, Post, User


def contract(engine: Engine, uid: UUID, a: UUID, b: UUID, cutoff: datetime) -> None:
    post = engine.get(Post, forum="dynamo", id=a)
    engine.save(post, condition=Post.views == 1)
    engine.delete(post, condition=(Post.views != 3) | (Post.content == None))  # noqa: E711

    q = engine.query(Post.by_user).key(Post.user == uid)
    assert_type(q, Query[Post])
    q = q.filter(col(Post.content).contains("#yolo") & (Post.views >= 10)).descending()
    assert_type(q, Query[Post])
    assert_type(q.select(col(Post.views), col(Post.date)), Query[Post])
    by_range = engine.query(Post).key((Post.forum == "f") & col(Post.id).between(a, b))
    assert_type(by_range.ascending(), Query[Post])
    assert_type(engine.query(Post).key((Post.forum == "f") & (Post.id > a)), Query[Post])
    assert_type(engine.scan(Post).filter(Post.date >= cutoff), Query[Post])
    assert_type(engine.scan(Post).filter((Post.views > 1) | (Post.views < -1)), Query[Post])
    assert_type(engine.query(Post.by_views).key(Post.forum == "f"), Query[Post])
    assert_type(engine.query(User.by_email).key(User.email == "a@example.com"), Query[User])
    assert_type(engine.scan(Page).filter(Page.slug == "s"), Query[Page])
    with engine.context(atomic=True) as e:
        e.save(post, condition=Post.user == uid)


async def async_contract(engine: AsyncEngine, uid: UUID, pid: UUID) -> None:
    post = await engine.get(Post, forum="dynamo", id=pid)
    q = engine.query(Post.by_user).key(Post.user == uid).filter(Post.views > 1)
    assert_type(q, AsyncQuery[Post])
    assert_type(await q.all(), list[Post])
    await engine.save(post, condition=Post.views == 1)
    await engine.delete(post, condition=Post.views < 2)
