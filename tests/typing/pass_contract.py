"""DESIGN.md §2 as both checkers must accept it: mypy (with or without the plugin) and pyright.

Columns are wrapped in ``col()``, which pyright needs (it sees ``Post.views`` as ``int``) and
mypy's plugin leaves as ``Column[int]``. ``pass_mypy_plugin.py`` has the same without ``col()``.
"""

from datetime import UTC, datetime, timedelta
from typing import assert_type
from uuid import UUID, uuid4

import boto3
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsyncEngine,
    AsyncQuery,
    Base,
    BloopConfig,
    BloopError,
    Column,
    Condition,
    ConstraintViolation,
    Engine,
    GlobalIndex,
    Index,
    InvalidCondition,
    InvalidModel,
    InvalidQuery,
    KeyCondition,
    LocalIndex,
    MissingObjects,
    Query,
    TableMismatch,
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
    assert_type(post, Post)
    engine.load(post, user)
    post.views += 1
    assert_type(post.views, int)
    assert_type(post.content, str | None)
    assert_type(post.tags, set[str])
    engine.save(post)
    engine.save(post, condition=col(Post.views) == 1)
    engine.delete(post, condition=col(Post.content).is_(None))
    with engine.context(atomic=True, persist="overwrite") as e:
        assert_type(e, Engine)
        e.save(post)
    Engine(client=client, atomic=True, persist="update", table_name_template="prod-{table_name}")

    q = engine.query(Post.by_user).key(col(Post.user) == uid)
    assert_type(q, Query[Post])
    q = (
        q.filter(col(Post.content).contains("#yolo") & ~(col(Post.views) < 10))
        .descending()
        .consistent()
    )
    assert_type(q, Query[Post])
    for p in q:
        assert_type(p, Post)
    assert_type(q.first(), Post)
    assert_type(q.one(), Post)
    assert_type(q.all(), list[Post])
    assert_type(q.count(), int)
    assert_type(q.limit(5), Query[Post])
    assert_type(q.select(col(Post.views), col(Post.date)), Query[Post])
    by_range = engine.query(Post).key((col(Post.forum) == "f") & col(Post.id).between(a, b))
    assert_type(by_range.ascending(), Query[Post])
    assert_type(engine.scan(Post).filter(col(Post.date) >= cutoff), Query[Post])
    scan = engine.scan(Post.by_user).filter(col(Post.tags).contains("x"))
    assert_type(scan.parallel(segment=0, total=4), Query[Post])
    assert_type(engine.query(Post.by_views).key(col(Post.forum) == "f").all(), list[Post])
    assert_type(engine.query(User.by_email).key(col(User.email) == "a@example.com"), Query[User])


async def async_contract(engine: AsyncEngine, uid: UUID, pid: UUID) -> None:
    post = await engine.get(Post, forum="dynamo", id=pid)
    assert_type(post, Post)
    q = engine.query(Post.by_user).key(col(Post.user) == uid).filter(col(Post.views) > 1)
    assert_type(q, AsyncQuery[Post])
    async for p in q:
        assert_type(p, Post)
    assert_type(await q.first(), Post)
    assert_type(await q.one(), Post)
    assert_type(await q.all(), list[Post])
    assert_type(await q.count(), int)
    assert_type(engine.scan(User).limit(5), AsyncQuery[User])


def errors(exc: BloopError) -> None:
    if isinstance(exc, ConstraintViolation):
        assert_type(exc.obj, object)
    if isinstance(exc, MissingObjects):
        assert_type(exc.objects, list[object])
    if isinstance(exc, TableMismatch):
        assert_type(exc.differences, list[str])
    assert_type(InvalidModel("x"), InvalidModel)
    assert_type(InvalidCondition("x"), InvalidCondition)
    assert_type(InvalidQuery("x"), InvalidQuery)


def columns(cutoff: datetime) -> None:
    # col() is typed Column[T] for the field's type T, in every checker
    assert_type(col(Post.views), Column[int])
    assert_type(col(Post.user), Column[UUID])
    assert_type(col(Post.content), Column[str | None])
    assert_type(col(Post.tags), Column[set[str]])
    assert_type(col(PinnedPost.views), Column[int])  # inherited from a table model
    assert_type(col(Page.created), Column[datetime])  # inherited from a mixin
    assert_type(col(Page.editor), Column[str])  # declared with an Annotated marker
    assert_type(col(Page.meta)["k"], Column[int])  # document paths
    assert_type(col(Page.lines)[0], Column[str])

    # every comparison and method of the contract, with the types they give
    assert_type(col(Post.views) == 1, KeyCondition)
    assert_type(col(Post.views) != 1, Condition)
    assert_type(col(Post.views) < 1, KeyCondition)
    assert_type(col(Post.views) <= 1, KeyCondition)
    assert_type(col(Post.views) > 1, KeyCondition)
    assert_type(col(Post.date) >= cutoff, KeyCondition)
    assert_type(col(Post.views).between(1, 9), KeyCondition)
    assert_type(col(Post.views).in_(1, 2, 3), Condition)
    assert_type(col(Post.forum).begins_with("dy"), KeyCondition)
    assert_type(col(Post.content).begins_with("dy"), KeyCondition)
    assert_type(col(Page.data).begins_with(b"\x00"), KeyCondition)
    assert_type(col(Post.content).contains("x"), Condition)
    assert_type(col(Post.tags).contains("x"), Condition)
    assert_type(col(Page.lines).contains("x"), Condition)
    assert_type(col(Post.content).is_(None), Condition)
    assert_type(col(Post.content).is_not(None), Condition)
    assert_type(col(Post.content) == None, KeyCondition)  # noqa: E711 (a condition, not a test)
    assert_type(col(Post.views) == col(Post.views), KeyCondition)  # two attributes
    assert_type(col(Page.meta)["k"] > 3, KeyCondition)
    key = (col(Post.forum) == "f") & (col(Post.views) > 1)
    assert_type(key, KeyCondition)
    either = (col(Post.forum) == "f") | ~(col(Post.views) > 1)
    assert_type(either, Condition)
    assert_type(key & either, Condition)


def indexes() -> None:
    # Indexes are descriptors typed on their owner: no plugin and no col() needed.
    assert_type(Post.by_user, Index[Post])
    assert_type(Post.by_views, Index[Post])
    assert_type(PinnedPost.by_user, Index[PinnedPost])
    assert_type(User.by_email, Index[User])


def models(uid: UUID) -> None:
    Post(forum="f", id=uuid4(), user=uid, date=datetime.now(UTC), tags={"a"})
    Page(slug="s", created=datetime.now(UTC) - timedelta(days=1), meta={"k": 1})
    assert_type(Audited(created=datetime.now(UTC)).editor, str)
    config = BloopConfig(table_name="t", billing="on_demand", ttl="expires", stream="new_image")
    assert_type(config.get("table_name"), str | None)
    GlobalIndex(hash_key="email", range_key="date", projection=["content"])
    LocalIndex(range_key="views", projection="all")
