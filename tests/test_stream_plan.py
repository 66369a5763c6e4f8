"""The stream reader's plan against a scripted DynamoDB Streams (no server): shard lineage,
positions resumed with no record lost or repeated, new shards, start rules, idle polling.

moto serves one shard per table that never closes, so shard splits are checked here, against
an in-memory stream that answers DescribeStream, GetShardIterator and GetRecords as DynamoDB
does (closed shards end; iterators may expire; DescribeStream pages its shards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from botocore.exceptions import ClientError

from pydantic_bloop import Base, BloopConfig, HashKey, StreamError
from pydantic_bloop.plans import Backoff, Call, Parallel, Plan, Sleep
from pydantic_bloop.stream_reader import Budget, Reading, start_cursor
from pydantic_bloop.streams import Matcher, RecordError

ARN = "arn:aws:dynamodb:us-east-1:1:table/items/stream/2026-12-05T00:00:00.000"
T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


class Item(Base):
    model_config = BloopConfig(table_name="items", stream="new_image")
    id: Annotated[str, HashKey()]
    n: int


@dataclass
class Shard:
    id: str
    parent: str | None
    records: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    closed: bool = False


@dataclass
class FakeStreams:
    """DynamoDB and DynamoDB Streams for one table, in memory."""

    shards: list[Shard] = field(default_factory=list[Shard])
    sequence: int = 100000000000000000000
    expire_next: int = 0  # GetRecords calls to fail with ExpiredIteratorException
    calls: list[str] = field(default_factory=list[str])

    def shard(self, sid: str, parent: str | None = None) -> Shard:
        shard = Shard(sid, parent)
        self.shards.append(shard)
        return shard

    def write(self, shard: Shard, key: str, n: int, when: datetime = T0) -> None:
        self.sequence += 1
        image = {"id": {"S": key}, "n": {"N": str(n)}}
        shard.records.append(
            {
                "eventName": "INSERT" if n == 0 else "MODIFY",
                "dynamodb": {
                    "ApproximateCreationDateTime": when,
                    "Keys": {"id": image["id"]},
                    "NewImage": image,
                    "SequenceNumber": str(self.sequence),
                    "StreamViewType": "NEW_IMAGE",
                },
            }
        )

    def handle(self, call: Call) -> dict[str, Any]:
        self.calls.append(call.operation)
        p = call.params
        assert call.service == "dynamodbstreams"
        if call.operation == "list_streams":
            assert p == {"TableName": "items"}
            return {"Streams": [{"StreamArn": ARN, "TableName": "items", "StreamLabel": "x"}]}
        if call.operation == "describe_stream":
            start = p.get("ExclusiveStartShardId")
            ids = [s.id for s in self.shards]
            first = ids.index(start) + 1 if start else 0
            page = self.shards[first : first + 2]  # two a page, to exercise paging
            shards: list[dict[str, Any]] = []
            for s in page:
                numbers: dict[str, str] = {"StartingSequenceNumber": "1"}
                if s.closed:
                    numbers["EndingSequenceNumber"] = "9" * 21
                shards.append(
                    {"ShardId": s.id, "SequenceNumberRange": numbers}
                    | ({"ParentShardId": s.parent} if s.parent else {})
                )
            description: dict[str, Any] = {"Shards": shards}
            if first + 2 < len(self.shards):
                description["LastEvaluatedShardId"] = page[-1].id
            return {"StreamDescription": description}
        if call.operation == "get_shard_iterator":
            shard = self._find(p["ShardId"])
            kind = p["ShardIteratorType"]
            sequence = [r["dynamodb"]["SequenceNumber"] for r in shard.records]
            if kind == "TRIM_HORIZON":
                at = 0
            elif kind == "LATEST":
                at = len(sequence)
            else:
                assert kind == "AFTER_SEQUENCE_NUMBER"
                at = sequence.index(p["SequenceNumber"]) + 1
            return {"ShardIterator": f"{shard.id}|{at}"}
        assert call.operation == "get_records"
        if self.expire_next:
            self.expire_next -= 1
            raise ClientError(
                {"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}}, "GetRecords"
            )
        sid, at_text = p["ShardIterator"].split("|")
        shard, at = self._find(sid), int(at_text)
        records = shard.records[at : at + p["Limit"]]
        end = at + len(records)
        response: dict[str, Any] = {"Records": records}
        if not (shard.closed and end == len(shard.records)):
            response["NextShardIterator"] = f"{sid}|{end}"
        return response

    def _find(self, sid: str) -> Shard:
        return next(s for s in self.shards if s.id == sid)


def run(plan: Plan[Any], fake: FakeStreams, sleeps: list[float]) -> Any:
    """A minimal driver: calls go to ``fake`` (parallel ones one after the other), sleeps are
    recorded."""
    try:
        step = next(plan)
        while True:
            result: Any = None
            if isinstance(step, Call):
                try:
                    result = fake.handle(step)
                except Exception as exc:
                    step = plan.throw(exc)
                    continue
            elif isinstance(step, Parallel):
                result = [_outcome(fake, c) for c in step.calls]
            elif isinstance(step, Sleep):
                sleeps.append(step.seconds)
            step = plan.send(result)
    except StopIteration as stop:
        return stop.value


def _outcome(fake: FakeStreams, call: Call) -> Any:
    try:
        return fake.handle(call)
    except Exception as exc:
        return exc


def reader(start: Any = "trim_horizon", on_error: Any = "raise") -> Reading[Item]:
    backoff = Backoff(base=0.1, cap=2.0, jitter=lambda lo, hi: hi)
    return Reading(start_cursor("items", start), Matcher([Item]), backoff, on_error)


def read(
    reading: Reading[Item], fake: FakeStreams, limit: int | None = None, timeout: float | None = 0.0
) -> list[tuple[str, int]]:
    sleeps: list[float] = []
    budget = Budget(limit, timeout)
    found: list[tuple[str, int]] = []
    while True:
        change = run(reading.next(budget), fake, sleeps)
        if change is None:
            return found
        assert isinstance(change.new, Item)
        found.append((change.new.id, change.new.n))


def lineage() -> tuple[FakeStreams, list[tuple[str, int]]]:
    """A parent shard split in two, one child split again; keys move shards as they split."""
    fake = FakeStreams()
    parent = fake.shard("shard-0")
    left, right = fake.shard("shard-1", "shard-0"), fake.shard("shard-2", "shard-0")
    grandchild = fake.shard("shard-3", "shard-1")
    # listed children first: the reader must still read the parent before them
    fake.shards = [grandchild, right, left, parent]
    written: list[tuple[str, int]] = []
    for shard, keys, counts in (
        (parent, "abcd", range(3)),
        (left, "ab", range(3, 5)),
        (right, "cd", range(3, 6)),
        (grandchild, "ab", range(5, 7)),
    ):
        for n in counts:
            for key in keys:
                fake.write(shard, key, n)
                written.append((key, n))
    parent.closed = left.closed = right.closed = True
    return fake, written


def per_key(changes: list[tuple[str, int]]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for key, n in changes:
        found.setdefault(key, []).append(n)
    return found


def test_parents_are_read_to_their_end_before_their_children() -> None:
    fake, written = lineage()
    changes = read(reader(), fake)
    assert sorted(changes) == sorted(written)
    assert per_key(changes) == {
        "a": list(range(7)),
        "b": list(range(7)),
        "c": list(range(6)),
        "d": list(range(6)),
    }
    assert changes[:12] == written[:12]  # the parent's records first


@pytest.mark.parametrize("stop", [1, 5, 12, 13, 20, 25, 26])
def test_a_position_resumes_in_a_new_reader_with_no_gap_and_no_duplicate(stop: int) -> None:
    fake, written = lineage()
    first = reader()
    head = read(first, fake, limit=stop)
    token = first.cursor.position()
    assert len(head) == stop
    tail = read(reader(start=token), fake)
    assert sorted(head + tail) == sorted(written)
    assert per_key(head + tail) == per_key(read(reader(), fake))


def test_new_records_and_new_shards_are_found_as_they_appear() -> None:
    fake = FakeStreams()
    first = fake.shard("shard-0")
    fake.write(first, "a", 0)
    reading = reader()
    assert read(reading, fake) == [("a", 0)]
    assert read(reading, fake) == []
    fake.write(first, "a", 1)
    first.closed = True
    child = fake.shard("shard-1", "shard-0")
    fake.write(child, "a", 2)
    assert read(reading, fake) == [("a", 1), ("a", 2)]
    fake.write(child, "b", 0)
    assert read(reading, fake, timeout=1.0) == [("b", 0)]


def test_latest_skips_what_was_written_before_and_closed_shards() -> None:
    fake = FakeStreams()
    old = fake.shard("shard-0")
    fake.write(old, "a", 0)
    old.closed = True
    current = fake.shard("shard-1", "shard-0")
    fake.write(current, "a", 1)
    reading = reader("latest")
    assert read(reading, fake) == []
    fake.write(current, "a", 2)
    assert read(reading, fake) == [("a", 2)]
    # a shard split after the start: its children are new, read from their first record
    current.closed = True
    child = fake.shard("shard-2", "shard-1")
    fake.write(child, "a", 3)
    fake.write(child, "a", 4)
    saved = reading.cursor.position()
    assert read(reading, fake) == [("a", 3), ("a", 4)]
    assert read(reader(saved), fake) == [("a", 3), ("a", 4)]


def test_a_start_time_skips_older_records_and_still_moves_the_position() -> None:
    fake = FakeStreams()
    shard = fake.shard("shard-0")
    for n in range(4):
        fake.write(shard, "a", n, T0 + timedelta(minutes=n))
    reading = reader(T0 + timedelta(minutes=2))
    assert read(reading, fake) == [("a", 2), ("a", 3)]
    fake.write(shard, "a", 4, T0 + timedelta(minutes=4))
    assert read(reader(reading.cursor.position()), fake) == [("a", 4)]


def test_idle_polls_back_off_within_the_callers_timeout() -> None:
    fake = FakeStreams()
    fake.shard("shard-0")
    sleeps: list[float] = []
    change = run(reader().next(Budget(None, 1.0)), fake, sleeps)
    assert change is None
    assert sleeps == pytest.approx([0.1, 0.2, 0.4, 0.3])  # doubling, cut at the timeout
    assert fake.calls.count("describe_stream") == 1


def test_the_timeout_counts_the_wait_since_the_last_change() -> None:
    fake = FakeStreams()
    shard = fake.shard("shard-0")
    fake.write(shard, "a", 0)
    reading, sleeps = reader(), list[float]()
    budget = Budget(None, 0.25)
    assert run(reading.next(budget), fake, sleeps) is not None
    assert sleeps == []
    assert run(reading.next(budget), fake, sleeps) is None
    assert sum(sleeps) == pytest.approx(0.25)
    # read(): once something was read, what is readable now and no waiting
    fake.write(shard, "a", 1)
    fake.write(shard, "a", 2)
    drain, sleeps = Budget(10, 5.0, drain=True), list[float]()
    assert run(reading.next(drain), fake, sleeps) is not None
    assert run(reading.next(drain), fake, sleeps) is not None
    assert run(reading.next(drain), fake, sleeps) is None
    assert sleeps == []


def test_an_expired_iterator_is_renewed_where_the_shard_was() -> None:
    fake = FakeStreams()
    shard = fake.shard("shard-0")
    for n in range(3):
        fake.write(shard, "a", n)
    reading = reader()
    assert read(reading, fake, limit=2) == [("a", 0), ("a", 1)]
    fake.write(shard, "a", 3)
    fake.expire_next = 1
    assert read(reading, fake) == [("a", 2), ("a", 3)]
    assert fake.calls.count("get_shard_iterator") == 2


def test_a_failed_record_is_raised_or_collected_and_passed() -> None:
    fake = FakeStreams()
    shard = fake.shard("shard-0")
    for n in range(3):
        fake.write(shard, "a", n)
    shard.records[1]["dynamodb"]["NewImage"]["n"] = {"N": "one"}
    collecting = reader(on_error="collect")
    assert read(collecting, fake) == [("a", 0), ("a", 2)]
    (error,) = collecting.errors
    assert error.fields == ("n",) and error.table == "items"
    raising = reader()
    with pytest.raises(RecordError, match=r"table 'items', key \{id='a'\}: Item.n"):
        read(raising, fake)
    assert read(raising, fake) == [("a", 2)]  # the position is past the failed record


def test_positions_of_another_table_or_no_position_are_refused() -> None:
    fake, _ = lineage()
    first = reader()
    read(first, fake, limit=3)
    with pytest.raises(StreamError, match="stream of table 'items', not 'other'"):
        start_cursor("other", first.cursor.position())
    with pytest.raises(StreamError, match="not a stream position token"):
        start_cursor("items", "yesterday")
    with pytest.raises(ValueError, match="naive datetime"):
        start_cursor("items", datetime(2026, 1, 1))  # noqa: DTZ001
