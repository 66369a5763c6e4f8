"""Typed queries against the local server: keys, ranges, order, filters, paging, limits,
resume tokens, counts, partial objects from projections, and validation of bad queries.

Most tests run on both engines (``make_engine``); the ones that count requests to prove lazy
paging use the sync ``Engine`` only, since the async one deliberately fetches a page ahead.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Annotated, Any, ClassVar
from uuid import UUID

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    BloopError,
    Condition,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidQuery,
    KeyCondition,
    LocalIndex,
    MissingObjects,
    Query,
    RangeKey,
    UnloadedField,
    col,
)
from tests.conftest import Backend, RequestLog
from tests.engines import MakeEngine

U1 = UUID("11111111-1111-4111-8111-111111111111")
U2 = UUID("22222222-2222-4222-8222-222222222222")
NOBODY = UUID("33333333-3333-4333-8333-333333333333")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


class Post(Base):
    model_config = BloopConfig(table_name="posts")
    forum: Annotated[str, HashKey()]
    id: Annotated[str, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]
    date: datetime
    views: int = 0
    content: str | None = None
    tags: set[str] = set()
    meta: dict[str, int] = {}
    by_user: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="user", range_key="date", projection="all"
    )
    by_views: ClassVar[LocalIndex] = LocalIndex(range_key="views", projection=["content"])
    by_author: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user", projection="keys")


class Tick(Base):
    """Small items: the laziness test stores 2,500 of them."""

    stream: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]


class Blob(Base):
    """Binary keys: the resume token must carry bytes."""

    key: Annotated[bytes, HashKey()]
    n: Annotated[int, RangeKey()]


def make_post(i: int, forum: str = "f") -> Post:
    """Deterministic variety: every filter below matches some posts and misses others."""
    return Post(
        forum=forum,
        id=f"p{i:03}",
        user=U2 if i % 4 == 3 else U1,
        date=T0 + timedelta(hours=i),
        views=i % 7,
        content=None if i % 5 == 0 else f"post {i}",
        tags=set() if i % 3 == 0 else ({"x"} if i % 2 else {"x", "y"}),
        meta={} if i % 6 == 0 else {"k": i},
    )


FORUM_F = [make_post(i) for i in range(40)]
FORUM_G = [make_post(i, "g") for i in range(100, 105)]


def ids(posts: list[Post]) -> list[str]:
    return [p.id for p in posts]


def seed(engine: Engine, posts: list[Post]) -> None:
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*posts)


def in_f(engine: Engine) -> Query[Post]:
    return engine.query(Post).key(col(Post.forum) == "f")


def queries(log: RequestLog) -> list[dict[str, Any]]:
    return log.of("Query")


@pytest.fixture
def engine(make_engine: MakeEngine, request_log: RequestLog) -> Engine:
    """An engine with Post bound and 40 posts in forum "f", 5 in "g"; the log starts empty."""
    e = make_engine()
    e.bind(Post)
    seed(e, FORUM_F + FORUM_G)
    request_log.clear()
    return e


# -- keys, ranges and order ------------------------------------------------------------------


def test_query_by_table_key(engine: Engine, request_log: RequestLog, table_prefix: str) -> None:
    found = in_f(engine).all()

    assert found == FORUM_F  # whole objects, in range key order, nothing from forum "g"
    (request,) = queries(request_log)
    assert request["TableName"] == f"{table_prefix}posts"
    assert "IndexName" not in request
    assert request["KeyConditionExpression"] == "#n0 = :v0"
    assert request["ExpressionAttributeNames"] == {"#n0": "forum"}
    assert request["ExpressionAttributeValues"] == {":v0": {"S": "f"}}


def test_query_by_global_index_key(engine: Engine, request_log: RequestLog) -> None:
    found = engine.query(Post.by_user).key(col(Post.user) == U2).all()

    expected = sorted(
        (p for p in FORUM_F + FORUM_G if p.user == U2), key=lambda p: p.date
    )  # across forums, in date order
    assert found == expected
    (request,) = queries(request_log)
    assert request["IndexName"] == "by_user"
    assert request["ExpressionAttributeNames"] == {"#n0": "u"}  # the stored name
    assert request["ExpressionAttributeValues"] == {":v0": {"S": str(U2)}}


def test_query_by_local_index_key(engine: Engine, request_log: RequestLog) -> None:
    key = (col(Post.forum) == "f") & (col(Post.views) >= 5)
    found = engine.query(Post.by_views).key(key).all()

    expected = [p for p in FORUM_F if p.views >= 5]
    assert sorted(ids(found)) == ids(expected)
    assert [p.views for p in found] == sorted(p.views for p in expected)  # index order
    by_id = {p.id: p for p in expected}
    for post in found:  # the index's projection: keys and content, nothing else
        assert (post.forum, post.views, post.content) == (
            "f",
            by_id[post.id].views,
            by_id[post.id].content,
        )
        with pytest.raises(UnloadedField, match=r"Post\.date"):
            _ = post.date
    (request,) = queries(request_log)
    assert request["IndexName"] == "by_views"
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND #n1 >= :v1"
    assert request["ExpressionAttributeNames"] == {"#n0": "forum", "#n1": "views"}
    assert "ProjectionExpression" not in request  # DynamoDB returns what the index projects


@pytest.mark.parametrize(
    ("name", "range_condition", "expected"),
    [
        ("==", lambda: col(Post.id) == "p007", ["p007"]),
        ("<", lambda: col(Post.id) < "p003", ["p000", "p001", "p002"]),
        ("<=", lambda: col(Post.id) <= "p002", ["p000", "p001", "p002"]),
        (">", lambda: col(Post.id) > "p036", ["p037", "p038", "p039"]),
        (">=", lambda: col(Post.id) >= "p037", ["p037", "p038", "p039"]),
        ("between", lambda: col(Post.id).between("p005", "p008"), ["p005", "p006", "p007", "p008"]),
        ("begins_with", lambda: col(Post.id).begins_with("p01"), [f"p01{i}" for i in range(10)]),
    ],
)
def test_query_range_key_conditions(
    engine: Engine,
    request_log: RequestLog,
    name: str,
    range_condition: Callable[[], KeyCondition],
    expected: list[str],
) -> None:
    key = (col(Post.forum) == "f") & range_condition()

    found = engine.query(Post).key(key).all()

    assert ids(found) == expected
    (request,) = queries(request_log)
    assert request["KeyConditionExpression"].startswith("#n0 = :v0 AND ")


def test_query_global_index_between_dates(engine: Engine) -> None:
    low, high = T0 + timedelta(hours=2), T0 + timedelta(hours=10)
    key = (col(Post.user) == U1) & col(Post.date).between(low, high)

    found = engine.query(Post.by_user).key(key).all()

    assert ids(found) == [p.id for p in FORUM_F if p.user == U1 and low <= p.date <= high]


def test_query_order(engine: Engine, request_log: RequestLog) -> None:
    ascending = in_f(engine).ascending().all()
    descending = in_f(engine).descending().all()
    by_date_desc = engine.query(Post.by_user).key(col(Post.user) == U1).descending().all()

    assert ids(ascending) == ids(FORUM_F)
    assert ids(descending) == ids(FORUM_F)[::-1]
    assert [p.date for p in by_date_desc] == sorted(
        (p.date for p in FORUM_F + FORUM_G if p.user == U1), reverse=True
    )
    first, second, third = queries(request_log)
    assert "ScanIndexForward" not in first
    assert second["ScanIndexForward"] is False
    assert third["ScanIndexForward"] is False


# -- filters -----------------------------------------------------------------------------------

FilterCase = tuple[Callable[[], Condition], Callable[[Post], bool]]

FILTERS: dict[str, FilterCase] = {
    "==": (lambda: col(Post.content) == "post 7", lambda p: p.content == "post 7"),
    "== on a renamed field": (lambda: col(Post.user) == U2, lambda p: p.user == U2),
    "!=": (lambda: col(Post.views) != 3, lambda p: p.views != 3),
    "<": (lambda: col(Post.views) < 2, lambda p: p.views < 2),
    "<=": (lambda: col(Post.views) <= 2, lambda p: p.views <= 2),
    ">": (lambda: col(Post.views) > 4, lambda p: p.views > 4),
    ">=": (lambda: col(Post.views) >= 5, lambda p: p.views >= 5),
    "between": (
        lambda: col(Post.date).between(T0 + timedelta(hours=5), T0 + timedelta(hours=9)),
        lambda p: T0 + timedelta(hours=5) <= p.date <= T0 + timedelta(hours=9),
    ),
    "in_": (lambda: col(Post.views).in_(1, 3, 6), lambda p: p.views in (1, 3, 6)),
    "begins_with": (
        lambda: col(Post.content).begins_with("post 1"),
        lambda p: p.content is not None and p.content.startswith("post 1"),
    ),
    "contains (set)": (lambda: col(Post.tags).contains("y"), lambda p: "y" in p.tags),
    "contains (str)": (
        lambda: col(Post.content).contains("3"),
        lambda p: p.content is not None and "3" in p.content,
    ),
    "is_(None)": (lambda: col(Post.content).is_(None), lambda p: p.content is None),
    "is_not(None)": (lambda: col(Post.content).is_not(None), lambda p: p.content is not None),
    "&": (
        lambda: (col(Post.views) > 2) & col(Post.tags).contains("x"),
        lambda p: p.views > 2 and "x" in p.tags,
    ),
    "|": (
        lambda: (col(Post.views) == 0) | col(Post.content).is_(None),
        lambda p: p.views == 0 or p.content is None,
    ),
    "~": (lambda: ~(col(Post.views) < 5), lambda p: not p.views < 5),
    "document path": (lambda: col(Post.meta)["k"] >= 20, lambda p: p.meta.get("k", -1) >= 20),
    "nested & | ~": (
        lambda: (col(Post.views) == 1) | (~col(Post.tags).contains("x") & (col(Post.views) > 3)),
        lambda p: p.views == 1 or ("x" not in p.tags and p.views > 3),
    ),
}


@pytest.mark.parametrize("case", FILTERS)
def test_query_filter_operators(engine: Engine, request_log: RequestLog, case: str) -> None:
    condition, keep = FILTERS[case]
    expected = [p for p in FORUM_F if keep(p)]
    assert 0 < len(expected) < len(FORUM_F)  # the filter really decides something
    query = in_f(engine).filter(condition()).page_size(7)  # 6 pages of 7 evaluated items

    found = query.all()
    counted = query.count()

    assert found == expected
    assert counted == len(expected)
    requests = queries(request_log)
    assert all("FilterExpression" in r and r["Limit"] == 7 for r in requests)
    assert sum(r.get("Select") == "COUNT" for r in requests) >= 6
    # names only ever travel as placeholders
    expression = requests[0]["FilterExpression"]
    assert not re.search(r"\b(views|content|tags|meta|date|u)\b", expression)


def test_repeated_filters_and_together(engine: Engine, request_log: RequestLog) -> None:
    query = in_f(engine).filter(col(Post.views) > 2).filter(col(Post.tags).contains("x"))

    found = query.all()

    assert found == [p for p in FORUM_F if p.views > 2 and "x" in p.tags]
    (request,) = queries(request_log)
    assert request["FilterExpression"] == "#n1 > :v1 AND contains(#n2, :v2)"


def test_global_index_query_may_filter_on_table_keys(engine: Engine) -> None:
    # the table's hash key is no key of by_user, so DynamoDB filters on it
    query = engine.query(Post.by_user).key(col(Post.user) == U1).filter(col(Post.forum) == "g")

    assert ids(query.all()) == [p.id for p in FORUM_G if p.user == U1]


# -- limits, pages and laziness ------------------------------------------------------------------


def test_limit_across_pages(engine: Engine, request_log: RequestLog) -> None:
    results = iter(in_f(engine).page_size(3).limit(10))
    found = list(results)

    assert ids(found) == ids(FORUM_F[:10])
    assert results.count == 10
    # DynamoDB's Limit shrinks to what is still needed: no item is read and thrown away
    assert [r["Limit"] for r in queries(request_log)] == [3, 3, 3, 1]


def test_limit_with_filter_returns_exactly_n(engine: Engine, request_log: RequestLog) -> None:
    query = in_f(engine).filter(col(Post.views).in_(1, 3, 5)).page_size(4).limit(7)

    found = query.all()

    assert found == [p for p in FORUM_F if p.views in (1, 3, 5)][:7]
    # with a filter, Limit counts evaluated items: it stays the page size
    assert {r["Limit"] for r in queries(request_log)} == {4}


def test_limit_larger_than_results(engine: Engine) -> None:
    assert ids(in_f(engine).limit(1000).all()) == ids(FORUM_F)
    assert in_f(engine).limit(1000).count() == 40
    assert in_f(engine).limit(12).count() == 12


@pytest.fixture
def sync_engine(client: DynamoDBClient, table_prefix: str) -> Engine:
    return Engine(client=client, table_name_template=table_prefix + "{table_name}")


def test_iteration_is_lazy(sync_engine: Engine, request_log: RequestLog) -> None:
    sync_engine.bind(Tick)
    with sync_engine.context(persist="overwrite") as bulk:
        bulk.save(*(Tick(stream="s", n=i) for i in range(2500)))
    request_log.clear()
    query = sync_engine.query(Tick).key(col(Tick.stream) == "s")

    first_ten = list(islice(query, 10))

    assert [t.n for t in first_ten] == list(range(10))
    # DynamoDB pages by 1 MB (moto may return all 2,500 at once): either way, one request
    (request,) = queries(request_log)
    assert "Limit" not in request

    request_log.clear()
    taken = list(islice(query.page_size(100), 150))

    assert [t.n for t in taken] == list(range(150))
    assert [r["Limit"] for r in queries(request_log)] == [100, 100]


def test_page_serves_rest_paging_across_fresh_engines(
    engine: Engine, make_engine: MakeEngine, request_log: RequestLog
) -> None:
    """A REST endpoint: every request a new engine, the token through JSON and back."""
    seen: list[Post] = []
    token: str | None = None
    pages = 0
    while True:
        fresh = make_engine()
        fresh.bind(Post)
        page = in_f(fresh).resume(token).page(7)
        seen += page.items
        pages += 1
        wire = json.dumps({"items": ids(page.items), "next": page.token})
        token = json.loads(wire)["next"]
        if token is None:
            break
        assert len(page.items) == 7

    assert ids(seen) == ids(FORUM_F)
    assert pages == 6  # 5 x 7 + 5: the short last page ends it (no LastEvaluatedKey)


def test_page_without_size_returns_one_dynamodb_page(
    engine: Engine, request_log: RequestLog
) -> None:
    query = in_f(engine).filter(col(Post.views) < 3).page_size(10)
    seen: list[Post] = []
    token: str | None = None
    pages = 0
    while True:
        page = query.resume(token).page()
        pages += 1
        assert len(queries(request_log)) == pages  # one request per page
        seen += page.items
        token = page.token
        if token is None:
            break

    assert seen == [p for p in FORUM_F if p.views < 3]
    assert pages >= 4  # 40 items evaluated 10 at a time


# -- resuming -------------------------------------------------------------------------------------

ResumeCase = tuple[Callable[[Engine], Query[Post]], int, dict[str, dict[str, str]] | None]

RESUME: dict[str, ResumeCase] = {
    # without a filter the last request asks for only what the limit still needs (Limit 2)
    "limit 5 over pages of 3": (
        lambda e: in_f(e).page_size(3),
        5,
        {"forum": {"S": "f"}, "id": {"S": "p004"}},
    ),
    "limit stops at a page end": (
        lambda e: in_f(e).page_size(3),
        6,
        {"forum": {"S": "f"}, "id": {"S": "p005"}},
    ),
    "with a filter": (
        lambda e: in_f(e).filter(col(Post.views).in_(1, 3, 5)).page_size(4),
        5,
        None,
    ),
    "sparse filter: pages without a match": (
        lambda e: in_f(e).filter(col(Post.views) == 6).page_size(3),
        2,
        # p013 is the last match of the page p012-p014: resume after all of that page
        {"forum": {"S": "f"}, "id": {"S": "p014"}},
    ),
    "descending": (lambda e: in_f(e).descending().page_size(3), 7, None),
    "global index": (
        lambda e: e.query(Post.by_user).key(col(Post.user) == U1).page_size(4),
        9,
        None,
    ),
    "local index with ties": (
        lambda e: e.query(Post.by_views).key(col(Post.forum) == "f").page_size(3),
        8,
        None,
    ),
    "keys-only global index": (
        lambda e: e.query(Post.by_author).key(col(Post.user) == U1).page_size(5),
        4,
        None,
    ),
}


@pytest.mark.parametrize("case", RESUME)
def test_resume_with_a_fresh_engine(
    engine: Engine, make_engine: MakeEngine, request_log: RequestLog, case: str
) -> None:
    build, n, start_key = RESUME[case]
    everything = build(engine).all()
    results = iter(build(engine).limit(n))
    taken = list(results)
    token = json.loads(json.dumps(results.token))
    assert isinstance(token, str) and re.fullmatch(r"[A-Za-z0-9_-]+", token)

    fresh = make_engine()  # a new engine and a new bind: nothing shared but the table
    fresh.bind(Post)
    request_log.clear()
    rest = build(fresh).resume(token).all()

    assert len(taken) == n
    assert ids(taken) + ids(rest) == ids(everything)  # no duplicate, no gap, same order
    assert len(set(ids(everything))) == len(everything)
    if start_key is not None:
        assert queries(request_log)[0]["ExclusiveStartKey"] == start_key


def test_resume_after_stopping_mid_page(
    engine: Engine, make_engine: MakeEngine, request_log: RequestLog
) -> None:
    results = iter(in_f(engine).page_size(5))
    head = list(islice(results, 7))  # two items into the second page of five
    token = json.loads(json.dumps(results.token))
    fresh = make_engine()
    fresh.bind(Post)
    request_log.clear()

    rest = in_f(fresh).page_size(5).resume(token).all()

    assert ids(head) + ids(rest) == ids(FORUM_F)
    assert queries(request_log)[0]["ExclusiveStartKey"] == {
        "forum": {"S": "f"},
        "id": {"S": "p006"},
    }


def test_resume_from_every_position(engine: Engine, make_engine: MakeEngine) -> None:
    """Stop after each item in turn (crossing page ends), then resume elsewhere."""
    query = in_f(engine).filter(col(Post.tags).contains("x")).page_size(4)
    everything = ids(query.all())
    fresh = make_engine()
    fresh.bind(Post)
    resumed = in_f(fresh).filter(col(Post.tags).contains("x")).page_size(4)
    for n in range(1, 12):  # stops across four pages, before, at and after their ends
        results = iter(query.limit(n))
        head = ids(list(results))
        assert head + ids(resumed.resume(results.token).all()) == everything, n


def test_token_is_none_at_the_end(engine: Engine) -> None:
    results = iter(in_f(engine))
    assert results.token is not None  # nothing read yet: resuming starts at the beginning
    assert ids(in_f(engine).resume(results.token).all()) == ids(FORUM_F)

    list(results)

    assert results.token is None


def test_token_before_reading_resumes_at_the_same_place(engine: Engine) -> None:
    first = iter(in_f(engine).page_size(5).limit(5))
    list(first)
    second = iter(in_f(engine).page_size(5).resume(first.token))

    assert second.token == first.token
    assert ids(list(islice(second, 3))) == ["p005", "p006", "p007"]


def test_resume_none_starts_over(engine: Engine) -> None:
    results = iter(in_f(engine).limit(3))
    list(results)
    query = in_f(engine).resume(results.token)

    assert ids(query.resume(None).all()) == ids(FORUM_F)


def test_binary_keys_round_trip_through_the_token(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Blob)
    key = b"\x00\xffbinary"
    seed_blobs = [Blob(key=key, n=i) for i in range(6)]
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*seed_blobs)
    results = iter(engine.query(Blob).key(col(Blob.key) == key).page_size(4).limit(2))
    list(results)
    token = json.loads(json.dumps(results.token))
    request_log.clear()

    rest = engine.query(Blob).key(col(Blob.key) == key).resume(token).all()

    assert [b.n for b in rest] == [2, 3, 4, 5]
    assert queries(request_log)[0]["ExclusiveStartKey"] == {"key": {"B": key}, "n": {"N": "1"}}


def test_resume_rejects_foreign_or_broken_tokens(engine: Engine, request_log: RequestLog) -> None:
    results = iter(engine.query(Post.by_user).key(col(Post.user) == U1).limit(2))
    list(results)
    gsi_token = results.token
    assert gsi_token is not None

    with pytest.raises(InvalidQuery, match=r"not from a query of Post\b.*holds.*date"):
        in_f(engine).resume(gsi_token)
    with pytest.raises(InvalidQuery, match="not a token from this library"):
        in_f(engine).resume("definitely not a token!")
    # a well-formed token (version, seal, key) whose key has the wrong type
    forged = json.dumps([1, "A" * 16, {"forum": {"N": "1"}, "id": {"S": "p001"}}]).encode()
    with pytest.raises(InvalidQuery, match="forum is not a S value"):
        in_f(engine).resume(base64.urlsafe_b64encode(forged).decode())
    results = iter(engine.query(Post).key(col(Post.forum) == "g").limit(1))
    list(results)
    other_forum = in_f(engine).resume(results.token)  # checked once the key is known too
    with pytest.raises(InvalidQuery, match=r"from a query of forum == 'g', not of Post\.forum =="):
        other_forum.all()
    assert len(queries(request_log)) == 2  # only the two queries that made tokens ran


# -- count, first, one ----------------------------------------------------------------------------


def test_count_matches_all(engine: Engine, request_log: RequestLog) -> None:
    plain = in_f(engine)
    filtered = in_f(engine).filter(col(Post.tags).contains("x")).page_size(5)

    assert plain.count() == len(plain.all()) == 40
    request_log.clear()
    assert filtered.count() == len(filtered.all()) == sum("x" in p.tags for p in FORUM_F)
    counts = [r for r in queries(request_log) if r.get("Select") == "COUNT"]
    assert len(counts) >= 8  # 40 items evaluated 5 at a time
    assert all(r["Limit"] == 5 for r in counts)


def test_count_of_indexes_and_selections(engine: Engine, request_log: RequestLog) -> None:
    on_gsi = engine.query(Post.by_user).key(col(Post.user) == U2)
    on_lsi = engine.query(Post.by_views).key((col(Post.forum) == "f") & (col(Post.views) == 3))
    selected = in_f(engine).select(col(Post.views))

    assert on_gsi.count() == len(on_gsi.all()) == sum(p.user == U2 for p in FORUM_F + FORUM_G)
    assert on_lsi.count() == len(on_lsi.all()) == sum(p.views == 3 for p in FORUM_F)
    assert selected.count() == 40
    count_request = queries(request_log)[-1]
    assert count_request["Select"] == "COUNT"
    assert "ProjectionExpression" not in count_request
    assert count_request["ExpressionAttributeNames"] == {"#n0": "forum"}


def test_first(engine: Engine, request_log: RequestLog) -> None:
    assert in_f(engine).first() == FORUM_F[0]
    assert in_f(engine).descending().first() == FORUM_F[-1]
    assert queries(request_log)[0]["Limit"] == 1
    # with a filter, first() reads on until a page has a match
    late = in_f(engine).filter(col(Post.content) == "post 38").page_size(5)
    assert late.first().id == "p038"

    with pytest.raises(MissingObjects, match="no results"):
        engine.query(Post).key(col(Post.forum) == "empty").first()
    with pytest.raises(MissingObjects):
        in_f(engine).filter(col(Post.views) > 100).first()


def test_one(engine: Engine, request_log: RequestLog) -> None:
    key = (col(Post.forum) == "f") & (col(Post.id) == "p003")
    assert engine.query(Post).key(key).one() == FORUM_F[3]

    with pytest.raises(MissingObjects, match="exactly one result, found more") as many:
        in_f(engine).one()
    assert len(many.value.objects) == 2  # it stops at the second
    assert queries(request_log)[-1]["Limit"] == 2
    with pytest.raises(MissingObjects, match="found none"):
        engine.query(Post.by_user).key(col(Post.user) == NOBODY).one()


# -- projections, select() and tracking -----------------------------------------------------------


def stored(client: DynamoDBClient, table_prefix: str, post: Post) -> dict[str, Any]:
    """The raw stored item of ``post``, read back with the plain client."""
    key = {"forum": {"S": post.forum}, "id": {"S": post.id}}
    response = client.get_item(TableName=f"{table_prefix}posts", Key=key, ConsistentRead=True)
    assert "Item" in response
    item: dict[str, Any] = dict(response["Item"])
    return item


def test_keys_only_index_gives_partial_objects(
    engine: Engine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    found = engine.query(Post.by_author).key(col(Post.user) == U2).all()

    # no range key on this index: DynamoDB promises no order
    assert sorted(ids(found)) == sorted(p.id for p in FORUM_F + FORUM_G if p.user == U2)
    post = found[0]
    original = next(p for p in FORUM_F if p.id == post.id)
    assert (post.forum, post.id, post.user) == (original.forum, original.id, U2)
    # date is required, yet missing from the projection: no validation error, just unloaded
    with pytest.raises(UnloadedField, match=r"Post\.date"):
        _ = post.date
    with pytest.raises(UnloadedField, match=r"Post\.views.*engine\.load"):
        _ = post.views
    before = stored(client, table_prefix, post)
    request_log.clear()

    post.views = 1234
    engine.save(post)

    (update,) = request_log.of("UpdateItem")
    assert update["UpdateExpression"] == "SET #n0=:v0"
    assert update["ExpressionAttributeNames"] == {"#n0": "views"}
    assert stored(client, table_prefix, post) == {**before, "views": {"N": "1234"}}


def test_overwrite_save_of_a_partial_object_is_refused(
    engine: Engine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    post = engine.query(Post.by_author).key(col(Post.user) == U1).first()
    before = stored(client, table_prefix, post)
    request_log.clear()

    with (
        engine.context(persist="overwrite") as overwrite,
        pytest.raises(BloopError, match=r"never loaded"),
    ):
        overwrite.save(post)

    assert request_log.of("PutItem") == []
    assert stored(client, table_prefix, post) == before


def test_load_completes_a_partial_object(engine: Engine) -> None:
    post = engine.query(Post.by_author).key(col(Post.user) == U1).first()
    original = next(p for p in FORUM_F + FORUM_G if p.id == post.id and p.forum == post.forum)

    engine.load(post)

    assert post == original
    assert post.date == original.date


def test_select_gives_partial_objects(
    engine: Engine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    key = (col(Post.forum) == "f") & col(Post.id).between("p010", "p014")
    found = engine.query(Post).key(key).select(col(Post.views), col(Post.tags)).all()

    (request,) = queries(request_log)
    names = request["ExpressionAttributeNames"]
    projected = {names[n.strip()] for n in request["ProjectionExpression"].split(",")}
    assert projected == {"views", "tags", "forum", "id"}  # the keys come along
    assert [(p.id, p.views, p.tags) for p in found] == [
        (p.id, p.views, p.tags) for p in FORUM_F[10:15]
    ]
    with pytest.raises(UnloadedField, match=r"Post\.content"):
        _ = found[0].content
    request_log.clear()

    before = stored(client, table_prefix, found[0])

    found[0].views += 1
    engine.save(found[0])

    (update,) = request_log.of("UpdateItem")
    assert update["ExpressionAttributeNames"] == {"#n0": "views"}
    after = stored(client, table_prefix, found[0])
    assert after == {**before, "views": {"N": str(FORUM_F[10].views + 1)}}


def test_select_on_a_local_index_may_name_unprojected_fields(
    engine: Engine, request_log: RequestLog, backend: Backend
) -> None:
    key = (col(Post.forum) == "f") & (col(Post.views) == 2)
    found = engine.query(Post.by_views).key(key).select(col(Post.tags)).all()

    (request,) = queries(request_log)
    assert request["IndexName"] == "by_views"
    names = request["ExpressionAttributeNames"]
    projected = {names[n.strip()] for n in request["ProjectionExpression"].split(",")}
    assert projected == {"tags", "forum", "id", "views"}
    assert sorted(ids(found)) == [p.id for p in FORUM_F if p.views == 2]
    if backend == "external":
        # DynamoDB fetches the field from the table; moto and dynalite return only what the
        # index projects, so there the (defaulted) value says nothing
        assert {p.id: p.tags for p in found} == {p.id: p.tags for p in FORUM_F if p.views == 2}
    with pytest.raises(UnloadedField):
        _ = found[0].content  # not selected


def test_results_are_tracked(engine: Engine, request_log: RequestLog) -> None:
    full = in_f(engine).limit(3).all()
    partial = engine.query(Post.by_views).key(col(Post.forum) == "f").limit(3).all()
    request_log.clear()

    engine.save(*full, *partial)

    assert request_log.of("PutItem") == []
    for update in request_log.of("UpdateItem"):
        assert "SET" not in update.get("UpdateExpression", "")


# -- options -------------------------------------------------------------------------------------


def test_consistent_reads(engine: Engine, request_log: RequestLog) -> None:
    assert ids(in_f(engine).consistent().limit(2).all()) == ["p000", "p001"]
    lsi = engine.query(Post.by_views).key(col(Post.forum) == "f").consistent()
    assert len(lsi.all()) == 40

    first, second = queries(request_log)
    assert first["ConsistentRead"] is True
    assert second["ConsistentRead"] is True
    gsi = engine.query(Post.by_user).key(col(Post.user) == U1).consistent()  # composes...
    before = len(request_log)
    with pytest.raises(InvalidQuery, match=r"global index.*eventually consistent"):
        gsi.all()  # ...and refuses to run, before any request
    with pytest.raises(InvalidQuery, match=r"global index.*eventually consistent"):
        gsi.count()
    assert len(request_log) == before


def test_consumed_capacity(engine: Engine, request_log: RequestLog) -> None:
    results = iter(in_f(engine).consumed_capacity().page_size(10))
    list(results)
    plain = iter(in_f(engine))
    list(plain)

    requests = queries(request_log)
    assert all(r["ReturnConsumedCapacity"] == "TOTAL" for r in requests[:-1])
    assert "ReturnConsumedCapacity" not in requests[-1]
    assert isinstance(results.consumed, float)
    assert results.consumed > 0  # moto, dynalite and DynamoDB all report it
    assert plain.consumed == 0.0


def test_results_report_progress(engine: Engine) -> None:
    results = iter(in_f(engine).filter(col(Post.views) == 0).page_size(8))
    found = list(results)

    assert results.count == len(found) == sum(p.views == 0 for p in FORUM_F)
    assert results.scanned == 40  # every item of the forum evaluated


def test_builders_are_immutable(engine: Engine, request_log: RequestLog) -> None:
    base = in_f(engine)
    results = iter(base.limit(2))
    list(results)
    steps: list[Query[Post]] = [
        base.filter(col(Post.views) > 1),
        base.select(col(Post.views)),
        base.descending(),
        base.consistent(),
        base.limit(3),
        base.page_size(2),
        base.consumed_capacity(),
        base.resume(results.token),
        base.key(col(Post.forum) == "g"),
    ]
    derived = (
        base.filter(col(Post.views) > 1)
        .select(col(Post.views))
        .consistent()
        .limit(3)
        .page_size(2)
        .consumed_capacity()
        # a token of the same query (key and filter), after p001: its first page of two has
        # no match
        .resume(base.filter(col(Post.views) > 1).page_size(2).page().token)
    )
    request_log.clear()

    assert base.all() == FORUM_F  # untouched by every step above
    found = derived.all()

    plain, *changed = queries(request_log)
    assert set(plain) == {
        "TableName",
        "KeyConditionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    }
    assert all(step is not base for step in steps)
    assert {
        "FilterExpression",
        "ProjectionExpression",
        "ConsistentRead",
        "Limit",
        "ReturnConsumedCapacity",
        "ExclusiveStartKey",
    } <= set(changed[0])
    assert [(p.id, p.views) for p in found] == [("p002", 2), ("p003", 3), ("p004", 4)]


# -- validation ----------------------------------------------------------------------------------


def test_query_without_key_fails_at_first_run(engine: Engine, request_log: RequestLog) -> None:
    query = engine.query(Post).filter(col(Post.views) > 1)  # building is fine

    for run in (query.all, query.first, query.count, lambda: iter(query)):
        with pytest.raises(InvalidQuery, match=r"needs a key condition.*\.key\(Post\.forum =="):
            run()
    with pytest.raises(InvalidQuery, match=r"Post\.by_user needs a key.*Post\.user =="):
        engine.query(Post.by_user).all()
    assert queries(request_log) == []


def test_key_validation(engine: Engine) -> None:
    q = engine.query(Post)
    with pytest.raises(InvalidQuery, match=r"Post\.views is not a key of Post.*filter\(\)"):
        q.key((col(Post.forum) == "f") & (col(Post.views) == 3))
    with pytest.raises(InvalidQuery, match=r"Post\.date is not a key of Post\.by_views"):
        engine.query(Post.by_views).key((col(Post.forum) == "f") & (col(Post.date) == T0))
    with pytest.raises(InvalidQuery, match=r"hash key forum of Post takes exactly one =="):
        q.key(col(Post.forum) != "f")  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match=r"hash key forum of Post takes exactly one =="):
        q.key(col(Post.forum).contains("f"))  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match=r"range key id .* takes one condition.*!="):
        q.key((col(Post.forum) == "f") & (col(Post.id) != "p1"))  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match=r"range key id .* takes one condition.*contains"):
        q.key((col(Post.forum) == "f") & col(Post.id).contains("p"))  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match="a second condition; use between"):
        q.key((col(Post.forum) == "f") & (col(Post.id) > "p1") & (col(Post.id) < "p3"))
    with pytest.raises(InvalidQuery, match=r"hash key forum of Post takes exactly one =="):
        q.key(col(Post.forum) < "f")
    with pytest.raises(InvalidQuery, match=r"a query on Post needs forum == value"):
        q.key(col(Post.id) == "p001")
    with pytest.raises(InvalidQuery, match="not a key condition"):
        q.key((col(Post.forum) == "f") | (col(Post.forum) == "g"))  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match="compares two attributes"):
        q.key(col(Post.forum) == col(Post.id))
    with pytest.raises(InvalidQuery, match=r"Blob\.key is not a field of Post"):
        q.key(col(Blob.key) == b"x")


def test_filter_may_not_name_query_keys(engine: Engine) -> None:
    with pytest.raises(InvalidQuery, match=r"id is a key of Post.*put that condition in key\(\)"):
        in_f(engine).filter(col(Post.id) > "p001")
    with pytest.raises(InvalidQuery, match=r"date is a key of Post\.by_user"):
        engine.query(Post.by_user).filter(col(Post.views).in_(1) & (col(Post.date) > T0))
    with pytest.raises(InvalidQuery, match=r"views is a key of Post\.by_views"):
        engine.query(Post.by_views).filter(~(col(Post.views) == 1))
    with pytest.raises(InvalidQuery, match="filter\\(\\) takes a condition"):
        in_f(engine).filter(True)  # type: ignore[arg-type]


def test_option_validation(engine: Engine) -> None:
    gsi = engine.query(Post.by_author).key(col(Post.user) == U1)
    with pytest.raises(InvalidQuery, match=r"does not project views.*query the table"):
        gsi.select(col(Post.views))
    assert gsi.select(col(Post.forum)).all()  # projected: fine
    with pytest.raises(InvalidQuery, match=r"parallel\(\) applies to scans.*engine\.scan"):
        in_f(engine).parallel(segment=0, total=2)
    with pytest.raises(InvalidQuery, match=r"select\(\) takes model fields"):
        in_f(engine).select(col(Post.meta)["k"])
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(InvalidQuery, match=r"limit\(\) takes a positive int"):
            in_f(engine).limit(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidQuery, match=r"page_size\(\) takes a positive int"):
            in_f(engine).page_size(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match="resume\\(\\) takes a token"):
        in_f(engine).resume(42)  # type: ignore[arg-type]
