"""A guided tour of pydantic_bloop: the forum from bloop's README, against a local DynamoDB.

Run it with ``./dev demo``. It starts moto's DynamoDB server in a thread on 127.0.0.1 (nothing to
install, nothing left behind), or talks to the endpoint in ``BLOOP_ENDPOINT`` when that is set
(DynamoDB Local, for instance: ``BLOOP_ENDPOINT=http://localhost:8000 ./dev demo``; its tables
get a unique prefix and are deleted at the end).

Every step prints a heading, what happened, and, where it teaches something, the request that went
to DynamoDB: a botocore ``before-call`` hook on the client records each request as sent.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import textwrap
from collections.abc import Generator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4

import boto3
from botocore.model import OperationModel
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    ConstraintViolation,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    LocalIndex,
    MigrationFailed,
    MigrationProgress,
    MissingObjects,
    RangeKey,
    UnloadedField,
    UnsupportedOption,
    col,
)

# ------------------------------------------------------------------------------------------
# 1. The models: plain pydantic models with key markers and index declarations.


class User(Base):
    id: Annotated[UUID, HashKey()]
    email: str
    admin: bool = False
    by_email: ClassVar[GlobalIndex] = GlobalIndex(hash_key="email", projection="keys")


class Post(Base):
    model_config = BloopConfig(table_name="posts")
    forum: Annotated[str, HashKey()]
    id: Annotated[UUID, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]  # stored as attribute "u"
    date: datetime
    views: int = 0
    content: str | None = None
    tags: set[str] = set()
    by_user: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="user", range_key="date", projection="all"
    )
    by_views: ClassVar[LocalIndex] = LocalIndex(range_key="views", projection=["content"])


# ------------------------------------------------------------------------------------------
# Showing what goes over the wire


class Wire:
    """Records every request a client sends (operation name and decoded JSON body)."""

    def __init__(self, client: DynamoDBClient) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("before-call.dynamodb", self._record)

    def _record(self, model: OperationModel, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b"{}"
        self.requests.append((model.name, json.loads(body)))

    @contextmanager
    def watch(self) -> Generator[list[tuple[str, dict[str, Any]]]]:
        """The requests sent inside the block."""
        start = len(self.requests)
        sent: list[tuple[str, dict[str, Any]]] = []
        try:
            yield sent
        finally:
            sent.extend(self.requests[start:])


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def short(text: str) -> str:
    """UUIDs cut to their first 8 digits, so requests fit on a line."""
    return _UUID.sub(lambda m: m.group(0)[:8] + "…", text)


def value(attr: dict[str, Any]) -> str:
    """A DynamoDB attribute value, compactly: {"N": "3"} -> N:3, {"S": "x"} -> S:"x"."""
    ((kind, inner),) = attr.items()
    if kind in ("S", "B"):
        return f"{kind}:{json.dumps(inner, ensure_ascii=False)}"
    if kind in ("N", "BOOL", "NULL"):
        return f"{kind}:{str(inner).lower() if kind != 'N' else inner}"
    return f"{kind}:{json.dumps(inner, ensure_ascii=False, separators=(',', ':'))}"


def item(attrs: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {value(v)}" for k, v in attrs.items()) + "}"


def show(request: tuple[str, dict[str, Any]], indent: str = "    ") -> None:
    """Print one request: the operation and table, then one line per part that matters."""
    operation, params = request
    print(f"{indent}{operation} {params.get('TableName', '')}".rstrip())
    names: dict[str, str] = params.get("ExpressionAttributeNames", {})
    values: dict[str, Any] = params.get("ExpressionAttributeValues", {})
    for key, param in params.items():
        if key in ("TableName", "ExpressionAttributeNames", "ExpressionAttributeValues"):
            continue
        if key in ("Key", "Item", "ExclusiveStartKey"):
            text = item(param)
        elif isinstance(param, str):
            text = param
        else:
            text = json.dumps(param, separators=(", ", ": "))
        print(textwrap.fill(short(f"{key}: {text}"), 96, initial_indent=indent + "  ",
                            subsequent_indent=indent + "      "))  # fmt: skip
    if names or values:
        shown = [f"{k}={v}" for k, v in names.items()] + [
            f"{k}={value(v)}" for k, v in values.items()
        ]
        text = short("placeholders: " + "  ".join(shown))
        print(textwrap.fill(text, 96, initial_indent=indent + "  ",
                            subsequent_indent=indent + "      "))  # fmt: skip


def result(text: str) -> None:
    """Print what a step got back, after an arrow."""
    print(
        textwrap.fill(
            short(text),
            96,
            initial_indent="  -> ",
            subsequent_indent="     ",
            break_on_hyphens=False,
        )
    )


def heading(number: int, title: str) -> None:
    print(f"\n{number}. {title}\n{'-' * (len(title) + len(str(number)) + 2)}")


def say(text: str) -> None:
    """Print prose indented under the heading, wrapped at 96 columns."""
    for paragraph in textwrap.dedent(text).strip().split("\n\n"):
        print(textwrap.fill(" ".join(paragraph.split()), 96, initial_indent="  ",
                            subsequent_indent="  "))  # fmt: skip


def describe_table(params: dict[str, Any]) -> None:
    """The CreateTable request of one table, compactly."""
    types = {a["AttributeName"]: a["AttributeType"] for a in params["AttributeDefinitions"]}

    def keys(schema: list[dict[str, str]]) -> str:
        return ", ".join(
            f"{k['AttributeName']} ({types[k['AttributeName']]}, {k['KeyType']})" for k in schema
        )

    print(f"    table {params['TableName']}: {keys(params['KeySchema'])}; {params['BillingMode']}")
    for kind, entries in (
        ("GSI", params.get("GlobalSecondaryIndexes", [])),
        ("LSI", params.get("LocalSecondaryIndexes", [])),
    ):
        for index in entries:
            projection = index["Projection"]["ProjectionType"]
            extra = index["Projection"].get("NonKeyAttributes")
            if extra:
                projection += " " + ", ".join(extra)
            print(f"      {kind} {index['IndexName']}: {keys(index['KeySchema'])}; {projection}")


# ------------------------------------------------------------------------------------------
# The tour


def tour(client: DynamoDBClient, other_client: DynamoDBClient, template: str) -> None:
    wire = Wire(client)
    engine = Engine(client=client, table_name_template=template)

    heading(1, "Models")
    say("""
        User and Post are pydantic models (see the top of examples/demo.py). Keys are
        Annotated markers, indexes are ClassVars, Post.user is stored as attribute "u".
        The class attributes are typed columns that build conditions:
    """)
    print(f"    col(Post.views) >= 10               -> {col(Post.views) >= 10!r}")
    print(f"    col(Post.content).contains('#yolo') -> {col(Post.content).contains('#yolo')!r}")

    heading(2, "Bind: create the tables")
    with wire.watch() as sent:
        engine.bind(User, Post)
    say("engine.bind(User, Post) created (one CreateTable each, then waited until ACTIVE):")
    for operation, params in sent:
        if operation == "CreateTable":
            describe_table(params)
    with wire.watch() as sent:
        engine.bind(User, Post)
    say(f"Binding again is free: {len(sent)} requests.")

    heading(3, "Save new objects")
    alice = User(id=uuid4(), email="alice@example.com", admin=True)
    bob = User(id=uuid4(), email="bob@example.com")
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    posts = [
        Post(
            forum="dynamo",
            id=uuid4(),
            user=alice.id,
            date=start + timedelta(hours=i),
            views=views,
            content=content,
            tags=tags,
        )
        for i, (views, content, tags) in enumerate(
            [
                (3, "Hello, world!", {"intro"}),
                (12, "Single-table design #yolo", {"design"}),
                (40, "Conditions everywhere #yolo", {"design", "conditions"}),
                (7, "Quiet post #yolo", set[str]()),
                (25, None, {"draft"}),
            ]
        )
    ]
    reply = Post(forum="dynamo", id=uuid4(), user=bob.id, date=start, content="Nice!")
    with wire.watch() as sent:
        engine.save(alice, bob, *posts, reply)
    say(f"engine.save(alice, bob, *posts, reply) sent {len(sent)} requests, for example:")
    show(sent[-1])
    say("""
        None and empty sets are absent attributes: the reply has no "tags" and the last
        post no "content". Names and values always travel as #n / :v placeholders.
    """)

    heading(4, "Get")
    with wire.watch() as sent:
        post = engine.get(Post, forum="dynamo", id=posts[0].id)
    show(sent[0])
    result(f"a Post; as JSON: {json.dumps(post.model_dump(mode='json'), ensure_ascii=False)}")
    try:
        engine.get(Post, forum="dynamo", id=uuid4())
    except MissingObjects as error:
        say(f"An unknown key raises MissingObjects: {short(str(error))}")

    heading(5, "Update: only what changed")
    post.views += 1
    post.tags.add("welcome")
    with wire.watch() as sent:
        engine.save(post)
    say("post.views += 1; post.tags.add('welcome'); engine.save(post) sends:")
    show(sent[0])
    post.content = None
    with wire.watch() as sent:
        engine.save(post)
    say("post.content = None; engine.save(post) removes the attribute:")
    show(sent[0])

    heading(6, "A failing condition")
    post.views += 1
    try:
        with wire.watch() as sent:
            engine.save(post, condition=col(Post.views) >= 100)
    except ConstraintViolation as error:
        show(sent[0])
        result(f"ConstraintViolation: {error}")
        if error.item is not None:
            views = value(error.item["views"])
            say(f"error.item, the stored item DynamoDB returned: views = {views}")
        else:
            say("(this server does not return the stored item, so error.item is None)")
    engine.save(post, condition=col(Post.views) < 100)
    say(f"With condition views < 100 the save goes through: views = {post.views}.")

    heading(7, "Atomic saves catch concurrent changes")
    mine = engine.get(Post, forum="dynamo", id=posts[1].id)
    other = Engine(client=other_client, table_name_template=template)
    other.bind(Post)
    theirs = other.get(Post, forum="dynamo", id=posts[1].id)
    theirs.views += 10
    other.save(theirs)
    say(f"Another process read the post too and saved views = {theirs.views}.")
    mine.content = "Single-table design, revised #yolo"
    with engine.context(atomic=True) as atomic:
        try:
            with wire.watch() as sent:
                atomic.save(mine)
        except ConstraintViolation:
            say("Our atomic save expects the item we last loaded, attribute by attribute:")
            show(sent[0])
            say("-> ConstraintViolation: the stored views is no longer what we saw.")
        engine.load(mine)
        mine.content = "Single-table design, revised #yolo"
        atomic.save(mine)
    say(f"After engine.load(mine) the retry succeeds: views = {mine.views}, content updated.")

    heading(8, "Query a global index, with a filter")
    by_alice = engine.query(Post.by_user).key(col(Post.user) == alice.id)
    popular = by_alice.filter(
        col(Post.content).contains("#yolo") & ~(col(Post.views) < 10)
    ).descending()
    with wire.watch() as sent:
        found = popular.all()
    show(sent[0])
    for p in found:
        result(f"{p.date:%H:%M} views={p.views:>3} {p.content!r}")

    heading(9, "Partial objects from a keys-only index")
    with wire.watch() as sent:
        someone = engine.query(User.by_email).key(col(User.email) == "bob@example.com").one()
    show(sent[0])
    result(f"{someone!r}  (by_email projects only the keys)")
    try:
        print(someone.admin)
    except UnloadedField as error:
        say(f"Reading someone.admin raises UnloadedField: {error}")
    with wire.watch() as sent:
        engine.load(someone)
    say(f"engine.load(someone) ({sent[0][0]}) completes it: admin = {someone.admin}")
    say("The local index by_views projects content (and the keys), so date is unloaded:")
    busy = engine.query(Post.by_views).key((col(Post.forum) == "dynamo") & (col(Post.views) >= 25))
    partial = busy.all()
    for p in partial:
        result(f"views={p.views} content={p.content!r}")
    top = partial[-1]
    try:
        print(top.date)
    except UnloadedField as error:
        say(f"top.date raises UnloadedField: {error}")
    top.views += 1
    with wire.watch() as sent:
        engine.save(top)
    say("An update-save of a partial object touches only what changed:")
    show(sent[0])

    heading(10, "Counts")
    with wire.watch() as sent:
        total = by_alice.count()
    show(sent[0])
    result(f"alice wrote {total} posts (a COUNT query: no items transferred)")
    since = start + timedelta(hours=2)
    recent = engine.scan(Post).filter(col(Post.date) >= since).count()
    say(f"engine.scan(Post).filter(date >= {since:%H:%M}).count() -> {recent}")

    heading(11, "REST-style paging with a token")
    say("GET /users/{alice}/posts?limit=2&token=... pages through alice's posts:")
    token: str | None = None
    number = 0
    while True:
        page = by_alice.resume(token).page(2)
        number += 1
        dates = ", ".join(f"{p.date:%H:%M}" for p in page.items)
        shown = f"{page.token[:16]}…" if page.token else None
        say(f"page {number}: [{dates}]  next token: {shown}")
        token = page.token
        if token is None:
            break
    say("A token is the opaque position after the last item served; any process can resume it.")

    heading(12, "Delete with a condition")
    draft = posts[4]
    try:
        engine.delete(draft, condition=col(Post.content).is_not(None))
    except ConstraintViolation:
        say("delete(draft, condition=content.is_not(None)) refused: the draft has no content.")
    with wire.watch() as sent:
        engine.delete(draft, condition=col(Post.tags).contains("draft"))
    show(sent[0])
    say(f"Deleted; alice now has {by_alice.count()} posts.")

    migrate(engine)


def migrate(engine: Engine) -> None:
    heading(13, "Migrate: the model gains an index")

    class PostV2(Post):  # a release later: the forum's posts by views, as a global index
        by_forum_views: ClassVar[GlobalIndex] = GlobalIndex(hash_key="forum", range_key="views")

    plan = engine.migration(PostV2)
    say("engine.migration(PostV2) compares the model with the live table; nothing runs yet:")
    for line in str(plan).splitlines():
        print(f"    {line}")

    def bar(event: MigrationProgress) -> None:
        if event.state != "waiting":
            filled = event.number if event.state == "done" else event.number - 1
            print(f"    [{'#' * filled}{'.' * (event.total - filled)}] {event}")

    try:
        engine.migrate(PostV2, progress=bar)
    except (UnsupportedOption, MigrationFailed) as error:
        say(f"This endpoint cannot: {error}")
        return
    top = engine.query(PostV2.by_forum_views).key(col(PostV2.forum) == "dynamo").descending()
    best = top.first()
    result(f"the new index already holds the old posts: most viewed has {best.views} views")


def client_for(url: str) -> DynamoDBClient:
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    # local servers accept any credentials; real ones from the environment win
    key = None if "AWS_ACCESS_KEY_ID" in os.environ else "demo"
    client: DynamoDBClient = boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=key,
    )
    return client


def delete_tables(client: DynamoDBClient, prefix: str) -> None:
    for name in client.list_tables().get("TableNames", []):
        if name.startswith(prefix):
            client.delete_table(TableName=name)


def main() -> int:
    endpoint = os.environ.get("BLOOP_ENDPOINT", "").strip()
    if endpoint:
        # someone else's server: unique table names, removed afterwards
        prefix = f"demo-{secrets.token_hex(3)}-"
        print(f"Using the DynamoDB at {endpoint} (BLOOP_ENDPOINT); tables named {prefix}*")
        client = client_for(endpoint)
        try:
            tour(client, client_for(endpoint), prefix + "{table_name}")
        finally:
            delete_tables(client, prefix)
        print(f"\nDone; the {prefix}* tables were deleted.")
        return 0

    from pydantic_bloop.testing import local_dynamodb

    with local_dynamodb() as url:
        print(f"Started a local DynamoDB (moto) at {url}; set BLOOP_ENDPOINT to use another.")
        tour(client_for(url), client_for(url), "{table_name}")
    print("\nDone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
