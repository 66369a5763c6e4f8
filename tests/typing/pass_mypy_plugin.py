"""DESIGN.md §2 verbatim, as mypy with the ``pydantic_bloop.mypy`` plugin accepts it: a model
field read from the class is a ``Column[T]``, so no ``col()`` is needed. (mypy only: pyright sees
``Post.views`` as ``int``; see ``pass_contract.py`` for code both accept.)
"""

from datetime import UTC, datetime
from typing import Annotated, assert_type
from uuid import UUID

import boto3
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    Column,
    Condition,
    Engine,
    HashKey,
    Index,
    KeyCondition,
    Query,
    col,
)
from tests.typing.models import Audited, Page, PinnedPost, Post, User


def contract(url: str, uid: UUID, pid: UUID, a: UUID, b: UUID, cutoff: datetime) -> None:
    client: DynamoDBClient = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
    engine = Engine(client=client)
    engine.bind(User, Post)
    engine.bind(Base)

    user = User(id=uid, email="a@example.com")
    post = Post(forum="dynamo", id=pid, user=uid, date=datetime.now(UTC))
    engine.save(user, post)
    post = engine.get(Post, forum="dynamo", id=pid)
    engine.load(post, user)
    post.views += 1
    engine.save(post)
    engine.save(post, condition=Post.views == 1)
    engine.delete(post, condition=Post.content.is_(None))
    with engine.context(atomic=True, persist="overwrite") as e:
        e.save(post)

    q = engine.query(Post.by_user).key(Post.user == uid)
    assert_type(q, Query[Post])
    q = q.filter(Post.content.contains("#yolo") & ~(Post.views < 10)).descending().consistent()
    for p in q:
        assert_type(p, Post)
    q.first()
    q.one()
    q.all()
    q.count()
    q.limit(5)
    assert_type(q.select(Post.views, Post.date), Query[Post])
    engine.query(Post).key((Post.forum == "f") & Post.id.between(a, b)).ascending()
    engine.scan(Post).filter(Post.date >= cutoff)
    engine.scan(Post.by_user).filter(Post.tags.contains("x")).parallel(segment=0, total=4)


def columns(post: Post, page: Page, uid: UUID) -> None:
    # class access: Column[T] of the declared type
    assert_type(Post.views, Column[int])
    assert_type(Post.forum, Column[str])  # Annotated[str, HashKey()]
    assert_type(Post.user, Column[UUID])  # Annotated[UUID, DynamoName("u")]
    assert_type(Post.content, Column[str | None])
    assert_type(Post.tags, Column[set[str]])
    assert_type(PinnedPost.views, Column[int])  # inherited from a table model
    assert_type(PinnedPost.pinned_by, Column[str | None])
    assert_type(Page.created, Column[datetime])  # inherited from a mixin
    assert_type(Audited.editor, Column[str])
    assert_type(Page.meta["k"], Column[int])
    assert_type(Page.lines[0], Column[str])
    # through type[...] too
    model: type[Post] = PinnedPost
    assert_type(model.views, Column[int])

    # instance access: the value
    assert_type(post.views, int)
    assert_type(post.user, UUID)
    assert_type(page.created, datetime)
    assert_type(page.meta, dict[str, int])

    # not fields: left alone
    assert_type(Post.by_user, Index[Post])
    assert_type(PinnedPost.by_views, Index[PinnedPost])
    assert_type(Post.model_validate({}), Post)

    # col() of a column stays a column (it is how pyright users write it)
    assert_type(col(Post.views), Column[int])

    # comparisons build conditions
    assert_type(Post.views == 1, KeyCondition)
    assert_type(Post.views != 1, Condition)
    assert_type(Post.views >= 1, KeyCondition)
    assert_type(Post.content == None, KeyCondition)  # noqa: E711 (a condition, not a test)
    assert_type(Post.views == Post.views, KeyCondition)
    assert_type(uid == Post.user, KeyCondition)  # the value's __eq__ defers to the column's
    assert_type(Post.forum.begins_with("x") & (Post.views > 1), KeyCondition)


def assignments(post: Post) -> None:
    # an instance field keeps its type for assignments too
    post.views = 3
    assert_type(post.views, int)


def local_models() -> None:
    # models defined in a function, as tests do
    class Local(Base):
        id: Annotated[str, HashKey()]
        n: int = 0

    class LocalSub(Local):
        m: int = 0

    assert_type(Local.n, Column[int])
    assert_type(LocalSub.n, Column[int])
    assert_type(LocalSub.m, Column[int])
    assert_type(LocalSub(id="x").m, int)


class Outer:
    class Nested(Base):
        id: Annotated[str, HashKey()]


assert_type(Outer.Nested.id, Column[str])
