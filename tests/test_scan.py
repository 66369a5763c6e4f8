"""Typed scans against the local server: tables and indexes, filters (keys allowed), limits,
resume tokens, counts, parallel segments, and validation."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar

import pytest

from pydantic_bloop import (
    Base,
    BloopConfig,
    Condition,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidQuery,
    MissingObjects,
    Query,
    RangeKey,
    UnloadedField,
    col,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine

T0 = datetime(2024, 1, 1, tzinfo=UTC)


class Track(Base):
    model_config = BloopConfig(table_name="tracks")
    album: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    artist: str
    plays: int = 0
    released: datetime
    genres: set[str] = set()
    by_artist: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="artist", range_key="released", projection="all"
    )
    by_artist_keys: ClassVar[GlobalIndex] = GlobalIndex(hash_key="artist", projection="keys")


def make_track(i: int) -> Track:
    return Track(
        album=f"album-{i % 9}",
        n=i,
        artist=f"artist-{i % 4}",
        plays=i % 10,
        released=T0 + timedelta(days=i),
        genres=set() if i % 3 == 0 else {"rock"} if i % 2 else {"rock", "jazz"},
    )


TRACKS = [make_track(i) for i in range(60)]


def keys(tracks: list[Track]) -> list[tuple[str, int]]:
    return [(t.album, t.n) for t in tracks]


def scans(log: RequestLog) -> list[dict[str, Any]]:
    return log.of("Scan")


def seed(engine: Engine, tracks: list[Track]) -> None:
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*tracks)


@pytest.fixture
def engine(make_engine: MakeEngine, request_log: RequestLog) -> Engine:
    """An engine with Track bound and 60 tracks stored; the log starts empty."""
    e = make_engine()
    e.bind(Track)
    seed(e, TRACKS)
    request_log.clear()
    return e


def test_scan_returns_every_item(
    engine: Engine, request_log: RequestLog, table_prefix: str
) -> None:
    found = engine.scan(Track).all()

    assert sorted(keys(found)) == sorted(keys(TRACKS))
    assert {(t.album, t.n): t for t in found} == {(t.album, t.n): t for t in TRACKS}
    (request,) = scans(request_log)
    assert request == {"TableName": f"{table_prefix}tracks"}


def test_scan_filter_may_name_keys(engine: Engine, request_log: RequestLog) -> None:
    found = engine.scan(Track).filter((col(Track.album) == "album-3") & (col(Track.n) > 20)).all()

    assert sorted(keys(found)) == [
        (t.album, t.n) for t in TRACKS if t.album == "album-3" and t.n > 20
    ]
    (request,) = scans(request_log)
    assert request["FilterExpression"] == "#n0 = :v0 AND #n1 > :v1"
    assert request["ExpressionAttributeNames"] == {"#n0": "album", "#n1": "n"}


def test_scan_filters(engine: Engine) -> None:
    cases: list[tuple[Condition, Callable[[Track], bool]]] = [
        (col(Track.genres).contains("jazz"), lambda t: "jazz" in t.genres),
        (col(Track.genres).is_(None), lambda t: not t.genres),
        (
            col(Track.plays).between(3, 5) | (col(Track.artist) == "artist-1"),
            lambda t: 3 <= t.plays <= 5 or t.artist == "artist-1",
        ),
        (~col(Track.plays).in_(0, 1, 2), lambda t: t.plays not in (0, 1, 2)),
        (col(Track.artist).begins_with("artist-2"), lambda t: t.artist == "artist-2"),
        (col(Track.released) >= T0 + timedelta(days=50), lambda t: t.n >= 50),
    ]
    for condition, keep in cases:
        found = engine.scan(Track).filter(condition).page_size(13).all()
        expected = sorted((t.album, t.n) for t in TRACKS if keep(t))
        assert 0 < len(expected) < len(TRACKS)
        assert sorted(keys(found)) == expected, condition


def test_scan_of_a_global_index(engine: Engine, request_log: RequestLog) -> None:
    found = engine.scan(Track.by_artist).filter(col(Track.genres).contains("jazz")).all()

    assert {(t.album, t.n): t for t in found} == {
        (t.album, t.n): t for t in TRACKS if "jazz" in t.genres
    }
    (request,) = scans(request_log)
    assert request["IndexName"] == "by_artist"


def test_scan_of_a_keys_only_index_gives_partial_objects(engine: Engine) -> None:
    found = engine.scan(Track.by_artist_keys).all()

    assert sorted(keys(found)) == sorted(keys(TRACKS))
    by_key = {(t.album, t.n): t for t in TRACKS}
    for track in found:
        assert track.artist == by_key[track.album, track.n].artist
        with pytest.raises(UnloadedField, match=r"Track\.plays"):
            _ = track.plays
    engine.load(found[0])
    assert found[0] == by_key[found[0].album, found[0].n]


def test_scan_select(engine: Engine, request_log: RequestLog) -> None:
    found = engine.scan(Track).select(col(Track.plays)).all()

    by_key = {(t.album, t.n): t for t in TRACKS}
    assert {(t.album, t.n): t.plays for t in found} == {k: t.plays for k, t in by_key.items()}
    with pytest.raises(UnloadedField, match=r"Track\.artist"):
        _ = found[0].artist
    (request,) = scans(request_log)
    names = request["ExpressionAttributeNames"]
    projected = {names[p.strip()] for p in request["ProjectionExpression"].split(",")}
    assert projected == {"plays", "album", "n"}


def test_scan_limit_across_pages(engine: Engine, request_log: RequestLog) -> None:
    results = iter(engine.scan(Track).page_size(7).limit(12))
    found = list(results)

    assert len(found) == 12
    assert len(set(keys(found))) == 12
    assert [r["Limit"] for r in scans(request_log)] == [7, 5]
    assert results.count == 12
    assert results.scanned == 12


def test_scan_limit_with_filter(engine: Engine, request_log: RequestLog) -> None:
    found = engine.scan(Track).filter(col(Track.plays) < 4).page_size(9).limit(10).all()

    assert len(found) == 10
    assert all(t.plays < 4 for t in found)
    assert {r["Limit"] for r in scans(request_log)} == {9}


def full_scan(engine: Engine) -> Query[Track]:
    return engine.scan(Track).filter(col(Track.genres).contains("rock")).page_size(8)


@pytest.mark.parametrize("n", [1, 3, 8, 17])
def test_scan_resume_with_a_fresh_engine(
    engine: Engine, make_engine: MakeEngine, request_log: RequestLog, n: int
) -> None:
    everything = keys(full_scan(engine).all())
    results = iter(full_scan(engine).limit(n))
    head = list(results)
    token = json.loads(json.dumps({"next": results.token}))["next"]

    fresh = make_engine()
    fresh.bind(Track)
    request_log.clear()
    rest = full_scan(fresh).resume(token).all()

    assert len(head) == n
    assert keys(head) + keys(rest) == everything  # no duplicate, no gap, same order
    assert len(set(everything)) == len(everything) == sum("rock" in t.genres for t in TRACKS)
    # from the last item handed out, or from where its page ended (past filtered-out items)
    assert set(scans(request_log)[0]["ExclusiveStartKey"]) == {"album", "n"}


def test_scan_pages_until_token_is_none(engine: Engine, make_engine: MakeEngine) -> None:
    seen: list[Track] = []
    token: str | None = None
    while True:
        fresh = make_engine()
        fresh.bind(Track)
        page = fresh.scan(Track).resume(token).page(25)
        seen += page.items
        token = json.loads(json.dumps(page.token))
        if token is None:
            break

    assert sorted(keys(seen)) == sorted(keys(TRACKS))
    assert len(seen) == len(TRACKS)


@pytest.fixture
def many(engine: Engine) -> list[Track]:
    tracks = [make_track(i) for i in range(60, 260)]
    seed(engine, tracks)
    return TRACKS + tracks


def test_parallel_scan_segments_cover_the_table(
    engine: Engine, many: list[Track], request_log: RequestLog
) -> None:
    request_log.clear()
    full = keys(engine.scan(Track).all())
    segments = [
        keys(engine.scan(Track).parallel(segment=s, total=4).page_size(30).all()) for s in range(4)
    ]

    union = [k for segment in segments for k in segment]
    assert len(full) == len(many) == 260
    assert Counter(union) == Counter(full)  # every item exactly once
    requests = scans(request_log)[1:]
    assert {(r["Segment"], r["TotalSegments"]) for r in requests} == {(s, 4) for s in range(4)}
    assert len(requests) >= 260 // 30  # segments page too


def test_parallel_scan_resumes_within_its_segment(
    engine: Engine, many: list[Track], make_engine: MakeEngine
) -> None:
    segment = engine.scan(Track).parallel(segment=1, total=4).page_size(10)
    everything = keys(segment.all())
    assert len(everything) > 15
    results = iter(segment.limit(15))
    head = keys(list(results))

    fresh = make_engine()
    fresh.bind(Track)
    rest = keys(
        fresh.scan(Track).parallel(segment=1, total=4).page_size(10).resume(results.token).all()
    )

    assert head + rest == everything


def test_scan_count(engine: Engine, request_log: RequestLog) -> None:
    filtered = engine.scan(Track).filter(col(Track.plays) >= 5).page_size(10)

    assert engine.scan(Track).count() == len(TRACKS)
    assert filtered.count() == len(filtered.all()) == sum(t.plays >= 5 for t in TRACKS)
    counts = [r for r in scans(request_log) if r.get("Select") == "COUNT"]
    assert len(counts) >= 1 + 6  # the plain count, then 60 items evaluated 10 at a time
    assert engine.scan(Track).limit(7).count() == 7
    assert engine.scan(Track.by_artist).count() == len(TRACKS)


def test_scan_first_and_one(engine: Engine) -> None:
    first = engine.scan(Track).first()
    assert (first.album, first.n) in set(keys(TRACKS))
    only = engine.scan(Track).filter(col(Track.n) == 42).page_size(7).one()
    assert only == TRACKS[42]

    with pytest.raises(MissingObjects, match="has no results"):
        engine.scan(Track).filter(col(Track.plays) > 100).first()
    with pytest.raises(MissingObjects, match="found more"):
        engine.scan(Track).filter(col(Track.plays) == 1).one()
    with pytest.raises(MissingObjects, match="found none"):
        engine.scan(Track).filter(col(Track.artist) == "nobody").one()


def test_scan_options(engine: Engine, request_log: RequestLog) -> None:
    results = iter(engine.scan(Track).consistent().consumed_capacity())
    assert len(list(results)) == len(TRACKS)

    (request,) = scans(request_log)
    assert request["ConsistentRead"] is True
    assert request["ReturnConsumedCapacity"] == "TOTAL"
    assert isinstance(results.consumed, float)
    assert results.consumed > 0
    with pytest.raises(InvalidQuery, match=r"Track\.by_artist is a global index"):
        engine.scan(Track.by_artist).consistent().first()


def test_scan_validation(engine: Engine, request_log: RequestLog) -> None:
    scan = engine.scan(Track)
    with pytest.raises(InvalidQuery, match=r"a scan has no key condition; use filter\(\)"):
        scan.key(col(Track.album) == "album-1")
    with pytest.raises(InvalidQuery, match=r"descending\(\): a scan returns items in no"):
        scan.descending()
    with pytest.raises(InvalidQuery, match=r"ascending\(\): a scan returns items in no"):
        scan.ascending()
    for segment, total in [(4, 4), (-1, 4), (0, 0), (0, 1_000_001), (True, 2), (0, 2.0)]:
        with pytest.raises(InvalidQuery, match=r"parallel\(\) needs ints with 0 <= segment"):
            scan.parallel(segment=segment, total=total)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match=r"limit\(\) takes a positive int"):
        scan.limit(0)
    with pytest.raises(InvalidQuery, match=r"does not project plays"):
        engine.scan(Track.by_artist_keys).select(col(Track.plays))
    assert scans(request_log) == []
