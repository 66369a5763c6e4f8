"""Engine operations against the server: get, load, tracked saves, conditions, atomic mode,
contexts, reserved words, and values refused before any request is sent.

Every test reads what was stored back with the raw client, or checks the requests made.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID, uuid4

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    BloopError,
    ConstraintViolation,
    DynamoName,
    Engine,
    HashKey,
    InvalidValue,
    MissingObjects,
    RangeKey,
    UnboundModel,
    UnloadedField,
    col,
)
from tests.engines import MakeEngine

if TYPE_CHECKING:
    from tests.conftest import RequestLog

M = TypeVar("M", bound=Base)

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
WHEN_S = "2024-05-06T07:08:09.000000Z"
AUTHOR = UUID("00000000-0000-0000-0000-0000000000aa")


class User(Base):
    model_config = BloopConfig(table_name="users")
    id: Annotated[UUID, HashKey()]
    email: str
    admin: bool = False


class Post(Base):
    model_config = BloopConfig(table_name="posts")
    forum: Annotated[str, HashKey()]
    id: Annotated[UUID, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]
    date: datetime
    views: int = 0
    content: str | None = None
    tags: set[str] = set()
    score: float = 0.0
    amount: Decimal = Decimal(0)


class Reserved(Base):
    """Field names and stored names that are DynamoDB reserved words."""

    model_config = BloopConfig(table_name="reserved")
    name: Annotated[str, HashKey()]
    date: Annotated[str, RangeKey()]
    size: int = 0
    status: str = "new"
    values: set[str] = set()
    count: Annotated[int, DynamoName("order")] = 0
    comment: Annotated[str | None, DynamoName("data")] = None


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    """An engine of each kind (sync, async): every test here runs for both."""
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01))
    engine.bind(User, Post, Reserved)
    return engine


def key_only(model: type[M], **key: Any) -> M:
    """An object that knows only its key: its other fields are unloaded (``engine.load`` them)."""
    obj = model.model_construct(**key)
    assert isinstance(obj, model)
    return obj


def new_post(forum: str = "dynamo", **changes: Any) -> Post:
    values: dict[str, Any] = {"forum": forum, "id": uuid4(), "user": AUTHOR, "date": WHEN}
    values.update(changes)
    return Post(**values)


def post_key(post: Post) -> dict[str, Any]:
    return {"forum": {"S": post.forum}, "id": {"S": str(post.id)}}


def raw_item(client: DynamoDBClient, engine: Engine, post: Post) -> dict[str, Any] | None:
    response = client.get_item(
        TableName=engine.table_name(Post), Key=post_key(post), ConsistentRead=True
    )
    return response.get("Item")


def stored(client: DynamoDBClient, engine: Engine, post: Post) -> dict[str, Any]:
    item = raw_item(client, engine, post)
    assert item is not None, f"{post.forum}/{post.id} is not stored"
    return item


def raw_put(client: DynamoDBClient, engine: Engine, post: Post, **attributes: Any) -> None:
    """Store a post as another writer would, with the given extra / replaced attributes."""
    item: dict[str, Any] = {
        **post_key(post),
        "u": {"S": str(AUTHOR)},
        "date": {"S": WHEN_S},
        "views": {"N": "0"},
    }
    item.update(attributes)
    client.put_item(TableName=engine.table_name(Post), Item=item)


def other_writer_sets(
    client: DynamoDBClient, engine: Engine, post: Post, name: str, value: dict[str, Any]
) -> None:
    client.update_item(
        TableName=engine.table_name(Post),
        Key=post_key(post),
        UpdateExpression="SET #a = :v",
        ExpressionAttributeNames={"#a": name},
        ExpressionAttributeValues={":v": value},
    )


def escaped(text: str) -> str:
    return re.escape(text)


# -- get ---------------------------------------------------------------------------------------


def test_get_returns_the_stored_object(engine: Engine, client: DynamoDBClient) -> None:
    post = new_post(views=3, tags={"a", "b"}, content="hi", score=1.5, amount=Decimal("2.25"))
    engine.save(post)
    got = engine.get(Post, forum="dynamo", id=post.id)
    assert isinstance(got, Post)
    assert got == post

    other = new_post()
    raw_put(client, engine, other, views={"N": "7"}, content={"S": "raw"})
    got = engine.get(Post, forum="dynamo", id=other.id, consistent=True)
    assert (got.views, got.content, got.tags, got.user, got.date) == (7, "raw", set(), AUTHOR, WHEN)


def test_get_validates_key_values_like_the_fields(engine: Engine) -> None:
    post = new_post()
    engine.save(post)
    # a key as it arrives from a URL or JSON: pydantic turns it into the field's type
    # (mypy with init_typed wants the field's type, as for Post(...): the plugin checks get())
    assert engine.get(Post, forum="dynamo", id=str(post.id)) == post  # type: ignore[arg-type]


def test_get_of_an_absent_key_raises_missing_objects(engine: Engine) -> None:
    pid = uuid4()
    with pytest.raises(MissingObjects, match=escaped(str(pid))):
        engine.get(Post, forum="dynamo", id=pid)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({"forum": "dynamo"}, "missing id"),
        ({}, "missing forum, id"),
        ({"forum": "dynamo", "id": uuid4(), "views": 1}, "not key fields: views"),
        ({"forum": "dynamo", "ident": uuid4()}, "missing id; not key fields: ident"),
        ({"forum": "dynamo", "id": 12}, "Post.id"),
        ({"forum": "dynamo", "id": "not-a-uuid"}, "Post.id = 'not-a-uuid': Input should be"),
        ({"forum": "", "id": uuid4()}, "Post.forum = '': a key attribute cannot be empty"),
        ({"forum": None, "id": uuid4()}, "Post.forum"),
    ],
)
def test_get_with_wrong_key_arguments(
    engine: Engine, request_log: RequestLog, key: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidValue, match=escaped(message)) as raised:
        engine.get(Post, **key)
    assert "Post" in str(raised.value)
    assert request_log == []


def test_an_unbound_model_is_refused(client: DynamoDBClient, request_log: RequestLog) -> None:
    engine = Engine(client=client)
    with pytest.raises(UnboundModel, match=escaped("engine.bind(User)")):
        engine.get(User, id=uuid4())
    with pytest.raises(UnboundModel):
        engine.save(User(id=uuid4(), email="e"))
    assert request_log == []


# -- load --------------------------------------------------------------------------------------


def test_load_refreshes_in_place(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1)
    raw_put(client, engine, post, views={"N": "9"}, tags={"SS": ["x"]}, content={"S": "c"})
    request_log.clear()
    assert engine.load(post) is None  # type: ignore[func-returns-value]
    assert (post.views, post.tags, post.content) == (9, {"x"}, "c")
    assert request_log.operations == ["BatchGetItem"]

    # a key-only object (never-loaded fields) is completed by load
    bare = key_only(Post, forum=post.forum, id=post.id)
    with pytest.raises(UnloadedField, match=escaped("Post.user")):
        _ = bare.user
    engine.load(bare)
    assert bare == post


def test_load_names_every_missing_object_after_loading_the_found_ones(
    engine: Engine, client: DynamoDBClient
) -> None:
    found = new_post(views=0)
    raw_put(client, engine, found, views={"N": "5"})
    user = User(id=uuid4(), email="old")
    client.put_item(
        TableName=engine.table_name(User),
        Item={"id": {"S": str(user.id)}, "email": {"S": "new"}},
    )
    absent_post = new_post()
    absent_user = User(id=uuid4(), email="x")

    with pytest.raises(MissingObjects) as raised:
        engine.load(found, absent_post, user, absent_user)
    assert raised.value.objects == [absent_post, absent_user]
    message = str(raised.value)
    assert str(absent_post.id) in message and str(absent_user.id) in message
    assert str(found.id) not in message
    assert (found.views, user.email) == (5, "new")  # loaded before raising
    assert (absent_post.views, absent_user.email) == (0, "x")  # untouched


def test_load_sends_a_duplicate_key_once(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post()
    raw_put(client, engine, post, views={"N": "4"})
    twin = new_post(id=post.id)
    request_log.clear()
    engine.load(post, twin, post)
    (request,) = request_log.of("BatchGetItem")
    assert request["RequestItems"] == {engine.table_name(Post): {"Keys": [post_key(post)]}}
    assert post.views == twin.views == 4


def test_load_reads_several_tables_in_one_request(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post, user = new_post(), User(id=uuid4(), email="a@b")
    engine.save(post, user)
    other_writer_sets(client, engine, post, "views", {"N": "2"})
    request_log.clear()
    engine.load(user, post, consistent=True)
    (request,) = request_log.of("BatchGetItem")
    assert request["RequestItems"] == {
        engine.table_name(User): {"Keys": [{"id": {"S": str(user.id)}}], "ConsistentRead": True},
        engine.table_name(Post): {"Keys": [post_key(post)], "ConsistentRead": True},
    }
    assert post.views == 2


def test_load_250_objects_across_two_tables(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    posts = [new_post(views=i) for i in range(150)]
    users = [User(id=uuid4(), email=f"u{i}") for i in range(100)]
    with engine.context(persist="overwrite") as e:
        e.save(*posts, *users)
    # fresh objects that know only their keys
    post_copies = [key_only(Post, forum=p.forum, id=p.id) for p in posts]
    user_copies = [key_only(User, id=u.id) for u in users]
    request_log.clear()

    engine.load(*user_copies, *post_copies)

    requests = request_log.of("BatchGetItem")
    sizes = [sum(len(t["Keys"]) for t in r["RequestItems"].values()) for r in requests]
    assert len(requests) == 3 and max(sizes) <= 100 and sum(sizes) == 250
    assert [p.views for p in post_copies] == list(range(150))
    assert [u.email for u in user_copies] == [f"u{i}" for i in range(100)]
    assert post_copies == posts and user_copies == users


# -- tracking and update-saves -----------------------------------------------------------------


def test_update_touches_only_the_changed_attribute(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1, content="mine")
    engine.save(post)
    loaded = engine.get(Post, forum=post.forum, id=post.id)
    other_writer_sets(client, engine, post, "content", {"S": "theirs"})
    other_writer_sets(client, engine, post, "extra", {"S": "unmodelled"})
    request_log.clear()

    loaded.views += 1
    engine.save(loaded)

    (request,) = request_log.of("UpdateItem")
    assert request["Key"] == post_key(post)
    assert request["UpdateExpression"] == "SET #n0=:v0"
    assert request["ExpressionAttributeNames"] == {"#n0": "views"}
    assert request["ExpressionAttributeValues"] == {":v0": {"N": "2"}}
    assert "ConditionExpression" not in request
    item = stored(client, engine, post)
    assert item["views"] == {"N": "2"}
    assert item["content"] == {"S": "theirs"}
    assert item["extra"] == {"S": "unmodelled"}


def test_setting_none_removes_the_attribute(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(content="text", views=5)
    engine.save(post)
    assert stored(client, engine, post)["content"] == {"S": "text"}
    request_log.clear()
    post.content = None
    engine.save(post)
    (request,) = request_log.of("UpdateItem")
    assert request["UpdateExpression"] == "REMOVE #n0"
    assert request["ExpressionAttributeNames"] == {"#n0": "content"}
    assert "content" not in stored(client, engine, post)
    assert engine.get(Post, forum=post.forum, id=post.id).content is None


def test_an_empty_set_removes_the_attribute_and_loads_back_empty(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(tags={"a", "b"})
    engine.save(post)
    assert stored(client, engine, post)["tags"] == {"SS": ["a", "b"]}
    request_log.clear()
    post.tags = set()
    post.views = 3
    engine.save(post)
    (request,) = request_log.of("UpdateItem")
    assert request["UpdateExpression"] == "SET #n0=:v0 REMOVE #n1"
    assert request["ExpressionAttributeNames"] == {"#n0": "views", "#n1": "tags"}
    assert "tags" not in stored(client, engine, post)
    assert engine.get(Post, forum=post.forum, id=post.id).tags == set()


def test_a_new_object_sets_what_it_has_and_removes_its_absent_attributes(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    """A never-loaded object's save leaves the item equal to the object (issue 18, failure 16):
    what it lacks (content None, tags empty) is removed, in case an item was stored there."""
    post = new_post(views=2, score=2.5)
    engine.save(post)
    (request,) = request_log.of("UpdateItem")
    names = set(request["ExpressionAttributeNames"].values())
    assert names == {"u", "date", "views", "score", "amount", "content", "tags"}  # keys: Key
    assert request["UpdateExpression"].endswith("REMOVE #n5, #n6")
    assert stored(client, engine, post) == {
        **post_key(post),
        "u": {"S": str(AUTHOR)},
        "date": {"S": WHEN_S},
        "views": {"N": "2"},
        "score": {"N": "2.5"},
        "amount": {"N": "0"},
    }


def test_an_unchanged_object_sends_nothing(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1, tags={"t"})
    engine.save(post)
    loaded = engine.get(Post, forum=post.forum, id=post.id)
    other_writer_sets(client, engine, post, "views", {"N": "50"})
    request_log.clear()
    engine.save(post)  # saved before: its snapshot is what it stored
    engine.save(loaded, post)
    loaded.views = 1  # the value it already had
    loaded.tags = {"t"}
    engine.save(loaded)
    assert request_log == []
    assert stored(client, engine, post)["views"] == {"N": "50"}
    # one change among unchanged objects: one request
    request_log.clear()
    post.content = "x"
    engine.save(loaded, post, loaded)
    (request,) = request_log.of("UpdateItem")
    assert request["UpdateExpression"] == "SET #n0=:v0"
    assert request_log.operations == ["UpdateItem"]


def test_saves_with_nothing_to_set_that_still_send_a_request(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog, backend: str
) -> None:
    """A condition (or atomic mode) on an unchanged object must still be checked: an UpdateItem
    whose only action removes the reserved attribute no item has, so nothing changes."""
    table = engine.table_name(Reserved)
    bare = Reserved(name="only", date="key", status="s")
    bare_key = {"name": {"S": "only"}, "date": {"S": "key"}}
    engine.save(bare)  # creates it
    bare.status = "s"
    with pytest.raises(ConstraintViolation):
        engine.save(bare, condition=col(Reserved.size) == 1)
    engine.save(bare, condition=col(Reserved.size) == 0)
    with engine.context(atomic=True) as atomic:
        atomic.save(bare)
        client.update_item(
            TableName=table,
            Key=bare_key,
            UpdateExpression="SET #s = :v",
            ExpressionAttributeNames={"#s": "size"},
            ExpressionAttributeValues={":v": {"N": "9"}},
        )
        with pytest.raises(ConstraintViolation):
            atomic.save(bare)
    updates = request_log.of("UpdateItem")
    updates.remove(next(u for u in updates if u["UpdateExpression"] == "SET #s = :v"))  # theirs
    assert [u["UpdateExpression"] for u in updates] == [
        "SET #n0=:v0, #n1=:v1, #n2=:v2 REMOVE #n3, #n4",  # new: what it lacks is removed
        "REMOVE #n0",
        "REMOVE #n0",
        "REMOVE #n0",
        "REMOVE #n0",
    ]
    assert all(u["ExpressionAttributeNames"]["#n0"] == "__bloop_nothing__" for u in updates[1:])
    assert all("ConditionExpression" in u for u in updates[1:])
    stored = client.get_item(TableName=table, Key=bare_key).get("Item")
    assert stored == {**bare_key, "size": {"N": "9"}, "status": {"S": "s"}, "order": {"N": "0"}}


class KeyOnly(Base):
    model_config = BloopConfig(table_name="keyonly")
    id: Annotated[str, HashKey()]


def test_a_new_key_only_object_is_created(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    engine.bind(KeyOnly)
    engine.save(KeyOnly(id="k"))
    (update,) = request_log.of("UpdateItem")
    assert update["UpdateExpression"] == "REMOVE #n0"
    stored = client.get_item(TableName=engine.table_name(KeyOnly), Key={"id": {"S": "k"}})
    assert stored.get("Item") == {"id": {"S": "k"}}


def test_a_changed_key_saves_a_whole_new_item(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=3, content="c")
    engine.save(post)
    old_id = post.id
    post.id = uuid4()  # the object now names another item, of which nothing was seen
    engine.save(post)
    item = stored(client, engine, post)
    assert (item["views"], item["content"], item["u"]) == (
        {"N": "3"},
        {"S": "c"},
        {"S": str(AUTHOR)},
    )
    assert raw_item(client, engine, new_post(id=old_id)) is not None  # the old item stays
    with engine.context(atomic=True) as atomic:
        post.id = old_id  # exists, but this object has not seen it: atomic refuses
        with pytest.raises(ConstraintViolation):
            atomic.save(post)


def test_overwrite_puts_the_whole_item(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1, content="c")
    engine.save(post)
    other_writer_sets(client, engine, post, "extra", {"S": "theirs"})
    other_writer_sets(client, engine, post, "views", {"N": "99"})
    post.tags = {"z"}
    request_log.clear()
    with engine.context(persist="overwrite") as overwrite:
        overwrite.save(post)
    (request,) = request_log.of("PutItem")
    expected = {
        **post_key(post),
        "u": {"S": str(AUTHOR)},
        "date": {"S": WHEN_S},
        "views": {"N": "1"},
        "content": {"S": "c"},
        "tags": {"SS": ["z"]},
        "score": {"N": "0.0"},
        "amount": {"N": "0"},
    }
    assert request == {"TableName": engine.table_name(Post), "Item": expected}
    item = stored(client, engine, post)
    assert "extra" not in item  # written by another writer: gone
    assert item["views"] == {"N": "1"} and item["tags"] == {"SS": ["z"]}


def test_a_failed_save_keeps_the_snapshot(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1)
    engine.save(post)
    post.views = 2
    post.content = "new"
    request_log.clear()
    with pytest.raises(ConstraintViolation):
        engine.save(post, condition=col(Post.views) == 100)
    assert stored(client, engine, post)["views"] == {"N": "1"}
    engine.save(post)  # the retry sends the same diff
    failed, retried = request_log.of("UpdateItem")
    for key in ("Key", "UpdateExpression", "ExpressionAttributeNames"):
        assert failed[key] == retried[key]
    assert failed["ExpressionAttributeValues"] == {
        **retried["ExpressionAttributeValues"],
        ":v2": {"N": "100"},
    }
    assert retried["UpdateExpression"] == "SET #n0=:v0, #n1=:v1"
    item = stored(client, engine, post)
    assert (item["views"], item["content"]) == ({"N": "2"}, {"S": "new"})


def test_a_successful_save_becomes_the_snapshot(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1)
    engine.save(post)
    post.views = 2
    engine.save(post)
    request_log.clear()
    engine.save(post)  # nothing changed since the last save: nothing to send
    assert request_log == []
    post.content = "x"
    engine.save(post)
    (changed,) = request_log.of("UpdateItem")
    assert changed["UpdateExpression"] == "SET #n0=:v0"
    assert changed["ExpressionAttributeNames"] == {"#n0": "content"}
    # and atomic mode agrees: the stored item is what the object last saw
    with engine.context(atomic=True) as atomic:
        post.views = 3
        atomic.save(post)
    assert stored(client, engine, post)["views"] == {"N": "3"}


def test_an_update_save_of_a_partial_object_touches_only_loaded_fields(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1, content="keep me", tags={"t"})
    engine.save(post)
    (partial,) = engine.query(Post).key(col(Post.forum) == post.forum).select(col(Post.views))
    with pytest.raises(UnloadedField):
        _ = partial.content
    partial.views = 10
    request_log.clear()
    engine.save(partial)
    (request,) = request_log.of("UpdateItem")
    assert request["UpdateExpression"] == "SET #n0=:v0"
    assert request["ExpressionAttributeNames"] == {"#n0": "views"}
    item = stored(client, engine, post)
    assert (item["views"], item["content"], item["tags"]) == (
        {"N": "10"},
        {"S": "keep me"},
        {"SS": ["t"]},
    )


# -- conditions and atomic mode ----------------------------------------------------------------


def returned_item(backend: str, item: dict[str, Any]) -> dict[str, Any] | None:
    """What a failed condition reports as stored: dynalite ignores
    ReturnValuesOnConditionCheckFailure (DynamoDB and moto return the item)."""
    return None if backend == "dynalite" else item


def test_a_failed_condition_carries_the_object_and_the_stored_item(
    engine: Engine, client: DynamoDBClient, backend: str
) -> None:
    post = new_post(views=1)
    engine.save(post)
    before = stored(client, engine, post)
    post.views = 5
    with pytest.raises(ConstraintViolation) as raised:
        engine.save(post, condition=col(Post.views) > 1)
    assert isinstance(raised.value, BloopError)
    assert str(raised.value) == (
        f"Post(forum='dynamo', id=UUID('{post.id}')): the condition failed: Post.views > 1"
    )
    assert raised.value.obj is post
    assert raised.value.item == returned_item(backend, before)
    assert stored(client, engine, post) == before

    with pytest.raises(ConstraintViolation) as raised:
        engine.delete(post, condition=col(Post.content).is_not(None))
    assert raised.value.obj is post and raised.value.item == returned_item(backend, before)
    assert stored(client, engine, post) == before


@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_atomic_save_fails_when_another_writer_changed_a_seen_attribute(
    engine: Engine, client: DynamoDBClient, persist: Any, backend: str
) -> None:
    post = new_post(views=1, content="c", tags={"a"})
    engine.save(post)
    loaded = engine.get(Post, forum=post.forum, id=post.id)
    with engine.context(atomic=True, persist=persist) as atomic:
        changes: list[tuple[str, dict[str, Any]]] = [
            ("views", {"N": "2"}),
            ("tags", {"SS": ["a", "b"]}),
        ]
        for name, value in changes:
            other_writer_sets(client, engine, post, name, value)
            theirs = stored(client, engine, post)
            loaded.views += 10
            with pytest.raises(ConstraintViolation) as raised:
                atomic.save(loaded)
            assert raised.value.item == returned_item(backend, theirs)
            assert stored(client, engine, post) == theirs
            engine.load(loaded)  # see their change: now the save goes through
            loaded.views += 10
            atomic.save(loaded)
            assert stored(client, engine, post)["views"] == {"N": str(loaded.views)}
        # an attribute seen absent, then written by another writer
        client.update_item(
            TableName=engine.table_name(Post),
            Key=post_key(post),
            UpdateExpression="REMOVE content",
        )
        engine.load(loaded)
        other_writer_sets(client, engine, post, "content", {"S": "theirs"})
        loaded.views = 0
        with pytest.raises(ConstraintViolation):
            atomic.save(loaded)
        assert stored(client, engine, post)["content"] == {"S": "theirs"}


@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_atomic_save_succeeds_when_the_seen_attributes_are_unchanged(
    engine: Engine, client: DynamoDBClient, persist: Any
) -> None:
    post = new_post(views=1, tags={"a"}, score=1.5, amount=Decimal("1.10"))
    engine.save(post)
    loaded = engine.get(Post, forum=post.forum, id=post.id)
    other_writer_sets(client, engine, post, "extra", {"S": "unmodelled"})  # never seen
    loaded.views = 7
    loaded.content = "now"
    with engine.context(atomic=True, persist=persist) as atomic:
        atomic.save(loaded)
        loaded.views = 8  # the snapshot follows the successful save
        atomic.save(loaded)
    item = stored(client, engine, post)
    assert (item["views"], item["content"]) == ({"N": "8"}, {"S": "now"})


@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_atomic_save_of_a_new_object(
    engine: Engine, client: DynamoDBClient, persist: Any, request_log: RequestLog
) -> None:
    existing = new_post()
    raw_put(client, engine, existing, views={"N": "42"})
    with engine.context(atomic=True, persist=persist) as atomic:
        duplicate = new_post(id=existing.id, views=1)
        with pytest.raises(ConstraintViolation):
            atomic.save(duplicate)
        assert stored(client, engine, existing)["views"] == {"N": "42"}

        fresh = new_post(views=3)
        request_log.clear()
        atomic.save(fresh)
    (request,) = request_log.of("PutItem" if persist == "overwrite" else "UpdateItem")
    placeholder = re.fullmatch(r"attribute_not_exists\((#n\d+)\)", request["ConditionExpression"])
    assert placeholder is not None
    assert request["ExpressionAttributeNames"][placeholder[1]] == "forum"
    assert stored(client, engine, fresh)["views"] == {"N": "3"}


@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_atomic_delete(engine: Engine, client: DynamoDBClient, persist: Any) -> None:
    post = new_post(views=1)
    engine.save(post)
    with engine.context(atomic=True, persist=persist) as atomic:
        other_writer_sets(client, engine, post, "views", {"N": "2"})
        with pytest.raises(ConstraintViolation):
            atomic.delete(post)
        assert stored(client, engine, post)["views"] == {"N": "2"}
        engine.load(post)
        atomic.delete(post)
        assert raw_item(client, engine, post) is None
        # a deleted object is new again: atomic save requires that no item exists
        raw_put(client, engine, post, views={"N": "5"})
        with pytest.raises(ConstraintViolation):
            atomic.save(post)


def test_atomic_and_a_user_condition_are_anded(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=1)
    engine.save(post)
    with engine.context(atomic=True) as atomic:
        post.views = 2
        request_log.clear()
        with pytest.raises(ConstraintViolation):  # atomic holds, the user condition fails
            atomic.save(post, condition=col(Post.content).is_not(None))
        (request,) = request_log.of("UpdateItem")
        expression = request["ConditionExpression"]
        assert expression.startswith("attribute_exists(#n1) AND ")
        assert request["ExpressionAttributeNames"]["#n1"] == "content"
        # every seen attribute is compared, views with the value seen (1), not the new one;
        # the new object's save removed tags (empty), so tags is seen absent
        assert "#n0 = :v" in expression
        names = request["ExpressionAttributeNames"]
        assert set(names.values()) == {
            *("views", "content", "forum", "id", "u", "date", "score", "amount", "tags")
        }
        assert {"N": "1"} in request["ExpressionAttributeValues"].values()
        assert stored(client, engine, post)["views"] == {"N": "1"}

        other_writer_sets(client, engine, post, "content", {"S": "x"})
        other_writer_sets(client, engine, post, "score", {"N": "0.5"})
        with pytest.raises(ConstraintViolation):  # the user condition holds, atomic fails
            atomic.save(post, condition=col(Post.content).is_not(None))
        engine.load(post)
        post.views = 2
        atomic.save(post, condition=col(Post.content).is_not(None))
    assert stored(client, engine, post)["views"] == {"N": "2"}


# -- contexts ----------------------------------------------------------------------------------


def test_context_shares_client_and_bindings_and_leaves_the_engine_alone(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    before = engine.config
    with engine.context(atomic=True, persist="overwrite") as outer:
        assert outer is not engine and outer.client is engine.client
        assert (outer.config.atomic, outer.config.persist) == (True, "overwrite")
        assert engine.config == before
        post = new_post()
        outer.save(post)  # bound through the parent: no bind needed
        with outer.context(persist="update") as inner:
            assert (inner.config.atomic, inner.config.persist) == (True, "update")
            assert outer.config.persist == "overwrite"
            post.views = 1
            inner.save(post)
            inner.bind(Document)  # bindings are shared both ways
        assert outer.config.persist == "overwrite"
    assert engine.config == before
    assert [op for op in request_log.operations if op.endswith("Item")] == ["PutItem", "UpdateItem"]
    assert "ConditionExpression" in request_log.of("UpdateItem")[0]
    assert stored(client, engine, post)["views"] == {"N": "1"}
    assert engine.table_name(Document).endswith("documents")


def test_context_is_restored_when_the_block_raises(engine: Engine) -> None:
    before = engine.config
    with pytest.raises(RuntimeError, match="boom"), engine.context(atomic=True) as e:
        assert e.config.atomic
        with e.context(persist="overwrite"):
            raise RuntimeError("boom")
    assert engine.config == before
    assert not engine.config.atomic


def test_a_context_with_another_table_template_binds_its_own(
    engine: Engine, table_prefix: str
) -> None:
    with engine.context(table_name_template=table_prefix + "x-{table_name}") as other:
        with pytest.raises(UnboundModel):
            other.table_name(Post)
        other.bind(Post)
        assert other.table_name(Post) == table_prefix + "x-posts"
    assert engine.table_name(Post) == table_prefix + "posts"


# -- reserved words ----------------------------------------------------------------------------


def test_reserved_words_work_everywhere(engine: Engine, client: DynamoDBClient) -> None:
    table = engine.table_name(Reserved)
    key = {"name": {"S": "n"}, "date": {"S": "2024-01-02"}}
    obj = Reserved(name="n", date="2024-01-02", size=1, values={"v"}, count=2, comment="c")
    engine.save(obj)
    assert client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") == {
        **key,
        "size": {"N": "1"},
        "status": {"S": "new"},
        "values": {"SS": ["v"]},
        "order": {"N": "2"},
        "data": {"S": "c"},
    }
    obj.size, obj.status, obj.count, obj.comment = 3, "old", 4, None
    engine.save(obj, condition=(col(Reserved.status) == "new") & (col(Reserved.count) == 2))
    got = engine.get(Reserved, name="n", date="2024-01-02")
    assert (got.size, got.status, got.count, got.comment) == (3, "old", 4, None)

    other = key_only(Reserved, name="n", date="2024-01-02")
    engine.load(other)
    assert other == got

    with engine.context(atomic=True, persist="overwrite") as atomic:
        got.values = {"v", "w"}
        atomic.save(got, condition=col(Reserved.values).contains("v") & (col(Reserved.size) > 2))
    second = Reserved(name="n", date="2024-02-01", status="new", count=1)
    engine.save(second)

    query = engine.query(Reserved).key(
        (col(Reserved.name) == "n") & col(Reserved.date).begins_with("2024-0")
    )
    assert [r.date for r in query] == ["2024-01-02", "2024-02-01"]
    filtered = query.filter((col(Reserved.status) == "old") & (col(Reserved.count) > 3))
    assert [r.values for r in filtered] == [{"v", "w"}]
    assert engine.scan(Reserved).filter(col(Reserved.size) == 0).count() == 1

    with pytest.raises(ConstraintViolation):
        engine.delete(got, condition=col(Reserved.comment).is_not(None))
    engine.delete(got, condition=col(Reserved.status) == "old")
    engine.delete(second, got)  # a batch delete, got already gone
    assert client.scan(TableName=table)["Items"] == []


# -- refused before sending --------------------------------------------------------------------


@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_an_oversized_item_is_refused_before_sending(
    engine: Engine, request_log: RequestLog, persist: Any
) -> None:
    post = new_post(content="x" * (400 * 1024))
    with engine.context(persist=persist) as e, pytest.raises(InvalidValue, match="400 KB"):
        e.save(post)
    assert request_log == []
    # just under the limit is fine
    post.content = "x" * (390 * 1024)
    with engine.context(persist=persist) as e:
        e.save(post)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": float("nan")}, "Post.score"),
        ({"score": float("inf")}, "Post.score"),
        ({"score": float("-inf")}, "Post.score"),
        ({"amount": Decimal("1" * 39)}, "Post.amount"),
        ({"amount": Decimal("NaN")}, "Post.amount"),
        ({"views": 10**38 + 1}, "Post.views"),
        ({"date": datetime(2024, 1, 1)}, "Post.date"),  # noqa: DTZ001  naive
        ({"tags": {"ok", 3}}, "Post.tags"),
        ({"forum": ""}, "Post.forum"),
    ],
)
@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_unstorable_values_are_refused_before_sending(
    engine: Engine, request_log: RequestLog, change: dict[str, Any], message: str, persist: Any
) -> None:
    good = new_post()
    post = new_post()
    for name, value in change.items():
        setattr(post, name, value)  # models do not validate assignment: the engine must check
    with engine.context(persist=persist) as e, pytest.raises(InvalidValue, match=escaped(message)):
        e.save(good, post)  # not even the good one is sent
    assert request_log == []


@pytest.mark.parametrize("operation", ["delete", "load"])
def test_an_empty_key_is_refused_before_sending(
    engine: Engine, request_log: RequestLog, operation: str
) -> None:
    good, post = new_post(), new_post()
    post.forum = ""
    act = engine.delete if operation == "delete" else engine.load
    with pytest.raises(InvalidValue, match=escaped("Post.forum = '': a key attribute cannot")):
        act(good, post)
    assert request_log == []


def test_overwrite_of_a_partial_object_is_refused(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    post = new_post(views=4, content="keep")
    engine.save(post)
    (partial,) = engine.query(Post).key(col(Post.forum) == post.forum).select(col(Post.views))
    request_log.clear()
    with (
        engine.context(persist="overwrite") as e,
        pytest.raises(InvalidValue, match=escaped("Post.user was never loaded")),
    ):
        e.save(partial)
    assert request_log == []
    engine.load(partial)  # completed: now it may be written whole
    with engine.context(persist="overwrite") as e:
        e.save(partial)
    assert stored(client, engine, post)["content"] == {"S": "keep"}


class Document(Base):
    """Lists, maps and nested models: atomic mode compares them whole."""

    model_config = BloopConfig(table_name="documents")
    id: Annotated[str, HashKey()]
    lines: list[str] = []
    meta: dict[str, int] = {}
    author: User | None = None


def test_atomic_compares_lists_maps_and_nested_models(
    engine: Engine, client: DynamoDBClient
) -> None:
    engine.bind(Document)
    table = engine.table_name(Document)
    doc = Document(
        id="d", lines=["a", "b"], meta={"k": 1}, author=User(id=AUTHOR, email="e@x", admin=True)
    )
    engine.save(doc)
    with engine.context(atomic=True) as atomic:
        changes: list[tuple[str, Any]] = [
            ("lines", {"L": [{"S": "a"}, {"S": "c"}]}),
            ("meta", {"M": {"k": {"N": "2"}}}),
            ("author", {"M": {"id": {"S": str(AUTHOR)}, "email": {"S": "other"}}}),
        ]
        for name, value in changes:
            doc.lines = [*doc.lines, "more"]
            client.update_item(
                TableName=table,
                Key={"id": {"S": "d"}},
                UpdateExpression="SET #a = :v",
                ExpressionAttributeNames={"#a": name},
                ExpressionAttributeValues={":v": value},
            )
            with pytest.raises(ConstraintViolation):
                atomic.save(doc)
            engine.load(doc)
            doc.lines = [*doc.lines, "mine"]
            atomic.save(doc)
    item = client.get_item(TableName=table, Key={"id": {"S": "d"}}, ConsistentRead=True).get("Item")
    assert item is not None
    assert item["lines"] == {
        "L": [{"S": "a"}, {"S": "c"}, {"S": "mine"}, {"S": "mine"}, {"S": "mine"}]
    }
    # loading filled in the nested default (admin), so the model's form is what was saved
    assert item["author"] == {
        "M": {"id": {"S": str(AUTHOR)}, "email": {"S": "other"}, "admin": {"BOOL": False}}
    }


class Forum(Base):
    model_config = BloopConfig(table_name="single")
    pk: Annotated[str, HashKey()]
    title: str = ""


class Thread(Base):
    model_config = BloopConfig(table_name="single")
    pk: Annotated[str, HashKey()]
    replies: int = 0


def test_load_of_two_models_sharing_a_table_and_a_key(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    """One item, read once, and each object validated as its own model."""
    engine.bind(Forum, Thread)
    client.put_item(
        TableName=engine.table_name(Forum),
        Item={"pk": {"S": "a"}, "title": {"S": "t"}, "replies": {"N": "2"}},
    )
    forum, thread = Forum(pk="a"), Thread(pk="a")
    request_log.clear()
    engine.load(forum, thread)
    (request,) = request_log.of("BatchGetItem")
    assert request["RequestItems"] == {engine.table_name(Forum): {"Keys": [{"pk": {"S": "a"}}]}}
    assert forum == Forum(pk="a", title="t")
    assert thread == Thread(pk="a", replies=2)
