"""Batches against the server: big saves, loads and deletes, unprocessed work retried with
backoff until done (or a clear error), and botocore's own retries of throttled requests.

Faults are injected with botocore event hooks (:mod:`tests.faults`): the server really sees only
part of each batch.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any

import aiobotocore.endpoint
import botocore.endpoint
import pytest
from botocore.exceptions import ClientError
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    Engine,
    HashKey,
    MissingObjects,
    RangeKey,
    TransientError,
    lean_transport,
)
from tests.engines import MakeEngine
from tests.faults import Throttled, Unprocessed

if TYPE_CHECKING:
    from tests.conftest import RequestLog


class Record(Base):
    model_config = BloopConfig(table_name="records")
    group: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    payload: str = ""
    blob: bytes | None = None


class Tag(Base):
    model_config = BloopConfig(table_name="tags")
    name: Annotated[str, HashKey()]
    uses: int = 0


class Delays:
    """A deterministic jitter for ``Backoff``: always the upper bound, and it records each."""

    def __init__(self) -> None:
        self.seen: list[float] = []

    def __call__(self, low: float, high: float) -> float:
        self.seen.append(high)
        return high


@pytest.fixture
def delays() -> Delays:
    return Delays()


@pytest.fixture
def engine(make_engine: MakeEngine, delays: Delays) -> Engine:
    """An engine of each kind (sync, async): every test here runs for both."""
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.004, attempts=6, jitter=delays))
    engine.bind(Record, Tag)
    delays.seen.clear()  # binding polls the new tables with the same backoff
    return engine


def records(count: int, group: str = "g", payload: str = "p") -> list[Record]:
    return [
        Record(group=group, n=i, payload=f"{payload}{i}", blob=bytes([i % 256]))
        for i in range(count)
    ]


def stored_count(client: DynamoDBClient, table: str) -> int:
    """Items in ``table``, counted by the server (a paginated COUNT scan)."""
    total = 0
    for page in client.get_paginator("scan").paginate(
        TableName=table, Select="COUNT", ConsistentRead=True
    ):
        total += page["Count"]
    return total


def stored_payloads(client: DynamoDBClient, table: str, group: str = "g") -> dict[int, str]:
    """The payload of every stored record of ``group``, by number."""
    found: dict[int, str] = {}
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page.get("Items", []):
            if item["group"].get("S") == group:
                found[int(item["n"].get("N", ""))] = item["payload"].get("S", "")
    return found


def batch_sizes(request_log: RequestLog) -> list[int]:
    """Entries per BatchWriteItem request, as the engine sent them."""
    return [
        sum(len(entries) for entries in request["RequestItems"].values())
        for request in request_log.of("BatchWriteItem")
    ]


def overwrite(engine: Engine) -> Engine:
    with engine.context(persist="overwrite") as e:
        return e


# -- big batches -------------------------------------------------------------------------------


def test_saving_1000_new_objects_with_overwrite_uses_batch_write(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    objs = records(1000)
    overwrite(engine).save(*objs)
    sizes = batch_sizes(request_log)
    assert len(sizes) == 40 and max(sizes) <= 25 and sum(sizes) == 1000
    assert request_log.operations == ["BatchWriteItem"] * 40
    table = engine.table_name(Record)
    assert stored_count(client, table) == 1000
    assert stored_payloads(client, table) == {i: f"p{i}" for i in range(1000)}
    # each object now knows what is stored: an update-save of all of them sends nothing
    request_log.clear()
    engine.save(*objs)
    assert request_log == []


def test_saving_1000_new_objects_in_update_mode(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    engine.save(*records(1000))
    assert request_log.operations == ["UpdateItem"] * 1000
    assert stored_count(client, engine.table_name(Record)) == 1000


def test_deleting_many_uses_batch_write(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    objs = records(260)
    overwrite(engine).save(*objs)
    request_log.clear()
    engine.delete(*objs)
    sizes = batch_sizes(request_log)
    assert len(sizes) == 11 and max(sizes) <= 25 and sum(sizes) == 260
    assert all(
        "DeleteRequest" in entry
        for request in request_log.of("BatchWriteItem")
        for entries in request["RequestItems"].values()
        for entry in entries
    )
    assert stored_count(client, engine.table_name(Record)) == 0


def test_one_batch_spans_tables(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    tags = [Tag(name=f"t{i}", uses=i) for i in range(3)]
    overwrite(engine).save(*records(2), *tags)
    (request,) = request_log.of("BatchWriteItem")
    assert set(request["RequestItems"]) == {engine.table_name(Record), engine.table_name(Tag)}
    assert stored_count(client, engine.table_name(Tag)) == 3
    assert stored_count(client, engine.table_name(Record)) == 2


def test_a_key_repeated_in_one_batch_is_sent_once_and_the_last_wins(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    first, second = Record(group="g", n=1, payload="first"), Record(group="g", n=1, payload="2nd")
    others = records(30, group="h")
    overwrite(engine).save(first, *others, second)
    sizes = batch_sizes(request_log)
    assert sum(sizes) == 31 and max(sizes) <= 25  # DynamoDB rejects a key twice in a batch
    assert stored_payloads(client, engine.table_name(Record))[1] == "2nd"
    # `first` is not what is stored: an update-save sends all of it (as a new object, it
    # removes what it lacks: blob is None), `second` sends nothing
    request_log.clear()
    engine.save(first, second)
    (update,) = request_log.of("UpdateItem")
    assert update["UpdateExpression"] == "SET #n0=:v0 REMOVE #n1"
    assert update["ExpressionAttributeNames"] == {"#n0": "payload", "#n1": "blob"}
    assert stored_payloads(client, engine.table_name(Record))[1] == "first"


def test_update_saves_of_one_key_go_in_order(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    """Concurrent writes would race; writes of one key are sent one after the other."""
    copies = [Record(group="g", n=7, payload=f"v{i}") for i in range(5)]
    engine.save(*copies, *records(5, group="other"))
    assert stored_payloads(client, engine.table_name(Record))[7] == "v4"
    assert len(request_log.of("UpdateItem")) == 10


# -- unprocessed work --------------------------------------------------------------------------


class EveryOther:
    """Withhold every other entry, each entry at most ``times`` times (requests run in the
    engine's threads, hence the lock)."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.counts: dict[str, int] = {}
        self.toggle = False
        self.lock = threading.Lock()

    def __call__(self, table: str, entry: dict[str, Any]) -> bool:
        ident = repr(entry)
        with self.lock:
            self.toggle = not self.toggle
            if not self.toggle or self.counts.get(ident, 0) >= self.times:
                return False
            self.counts[ident] = self.counts.get(ident, 0) + 1
            return True


def test_unprocessed_writes_are_retried_with_growing_backoff(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog, delays: Delays
) -> None:
    objs = records(100)
    with Unprocessed(client, "BatchWriteItem", EveryOther(times=3)) as fault:
        overwrite(engine).save(*objs)
    assert sum(fault.withheld) > 50  # the server really missed many entries, several times
    assert stored_count(client, engine.table_name(Record)) == 100
    assert stored_payloads(client, engine.table_name(Record)) == {i: f"p{i}" for i in range(100)}
    # each round of retries asks for exactly what was withheld in the round before
    assert fault.asked[:4] == [25, 25, 25, 25]
    assert sum(fault.asked) == 100 + sum(fault.withheld)
    assert len(request_log.of("BatchWriteItem")) == len(fault.asked)
    assert max(batch_sizes(request_log)) <= 25
    # one sleep per round of retries, each delay the double of the one before (up to the cap)
    assert delays.seen == [0.001, 0.002, 0.004]


def test_unprocessed_deletes_are_retried(
    engine: Engine, client: DynamoDBClient, delays: Delays
) -> None:
    objs = records(60)
    overwrite(engine).save(*objs)
    with Unprocessed(client, "BatchWriteItem", EveryOther(times=2)) as fault:
        engine.delete(*objs)
    assert sum(fault.withheld) > 0
    assert stored_count(client, engine.table_name(Record)) == 0
    assert delays.seen == [0.001, 0.002]


def test_unprocessed_keys_are_retried_with_growing_backoff(
    engine: Engine, client: DynamoDBClient, delays: Delays, request_log: RequestLog
) -> None:
    overwrite(engine).save(*records(250))
    fresh = [Record(group="g", n=i) for i in range(250)]
    request_log.clear()
    with Unprocessed(client, "BatchGetItem", EveryOther(times=2)) as fault:
        engine.load(*fresh, consistent=True)
    assert sum(fault.withheld) >= 125
    assert [r.payload for r in fresh] == [f"p{i}" for i in range(250)]
    requests = request_log.of("BatchGetItem")
    assert len(requests) == len(fault.asked) > 3
    for request in requests:
        (table,) = request["RequestItems"].values()
        assert len(table["Keys"]) <= 100 and table["ConsistentRead"] is True
    assert delays.seen == [0.001, 0.002]


def test_endless_unprocessed_writes_raise_and_name_what_was_not_written(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog, delays: Delays
) -> None:
    objs = records(40)
    stuck = {3, 17, 33}

    def withhold(table: str, entry: dict[str, Any]) -> bool:
        return int(entry["PutRequest"]["Item"]["n"]["N"]) in stuck

    with (
        Unprocessed(client, "BatchWriteItem", withhold) as fault,
        pytest.raises(TransientError) as raised,
    ):
        overwrite(engine).save(*objs)
    message = str(raised.value)
    for n in stuck:
        assert f"Record(group='g', n={n})" in message
    assert "n=4)" not in message
    assert fault.asked == [25, 15] + [3] * 6  # the first round, then 6 retries (attempts=6)
    assert delays.seen == [0.001, 0.002, 0.004, 0.004, 0.004, 0.004]
    table = engine.table_name(Record)
    assert set(stored_payloads(client, table)) == set(range(40)) - stuck

    # Written objects remember what they stored, the others do not: an update-save now sends
    # exactly the three that are missing, in full.
    request_log.clear()
    engine.save(*objs)
    updates = request_log.of("UpdateItem")
    assert sorted(int(u["Key"]["n"]["N"]) for u in updates) == sorted(stuck)
    assert all(u["UpdateExpression"] == "SET #n0=:v0, #n1=:v1" for u in updates)
    assert stored_count(client, table) == 40


def test_endless_unprocessed_keys_raise_and_name_what_was_not_loaded(
    engine: Engine, client: DynamoDBClient, delays: Delays
) -> None:
    overwrite(engine).save(*records(10))
    fresh = [Record(group="g", n=i) for i in range(10)]

    def withhold(table: str, key: dict[str, Any]) -> bool:
        return bool(key["n"] == {"N": "4"})

    with (
        Unprocessed(client, "BatchGetItem", withhold),
        pytest.raises(TransientError, match=r"not loaded: Record\(group='g', n=4\)$"),
    ):
        engine.load(*fresh)
    assert [r.payload for r in fresh] == [f"p{i}" if i != 4 else "" for i in range(10)]
    assert len(delays.seen) == 6


def test_missing_objects_after_unprocessed_keys(engine: Engine, client: DynamoDBClient) -> None:
    """Retried keys that turn out not to exist are reported as missing, not lost."""
    overwrite(engine).save(*records(4))
    wanted = [Record(group="g", n=i) for i in range(8)]
    with (
        Unprocessed(client, "BatchGetItem", EveryOther(times=1)),
        pytest.raises(MissingObjects) as raised,
    ):
        engine.load(*wanted)
    assert raised.value.objects == wanted[4:]
    assert [r.payload for r in wanted[:4]] == ["p0", "p1", "p2", "p3"]


# -- botocore's retries ------------------------------------------------------------------------


@pytest.fixture
def botocore_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Delays botocore's retry handler asks for, recorded instead of slept (standard mode
    waits up to a second after throttling)."""
    asked: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=asked.append))
    monkeypatch.setattr(lean_transport, "time", SimpleNamespace(sleep=asked.append))  # its twin

    async def record(self: object, seconds: float) -> None:  # aiobotocore's, for AsyncEngine
        asked.append(seconds)

    monkeypatch.setattr(aiobotocore.endpoint.AioEndpoint, "_sleep", record)
    return asked


def test_throttled_batches_are_retried_by_botocore(
    engine: Engine,
    client: DynamoDBClient,
    request_log: RequestLog,
    botocore_sleeps: list[float],
    delays: Delays,
) -> None:
    with Throttled(client, "BatchWriteItem", times=2) as throttle:
        overwrite(engine).save(*records(30))
    assert throttle.attempts == 4  # two requests, the first two attempts throttled
    assert len(request_log.of("BatchWriteItem")) == 2  # retried inside botocore's call
    assert len(botocore_sleeps) == 2 and all(d >= 0 for d in botocore_sleeps)
    assert delays.seen == []  # nothing was left unprocessed
    assert stored_count(client, engine.table_name(Record)) == 30


def test_throttled_single_writes_and_reads_are_retried_by_botocore(
    engine: Engine, client: DynamoDBClient, botocore_sleeps: list[float]
) -> None:
    record = Record(group="g", n=1, payload="x")
    with Throttled(client, "UpdateItem", times=1) as throttle:
        engine.save(record)
    assert throttle.attempts == 2
    with Throttled(client, "GetItem", times=2) as throttle:
        assert engine.get(Record, group="g", n=1).payload == "x"
    assert throttle.attempts == 3
    assert len(botocore_sleeps) == 3


def test_throttling_that_never_stops_surfaces(
    engine: Engine, client: DynamoDBClient, botocore_sleeps: list[float]
) -> None:
    record = Record(group="g", n=1, payload="x")
    engine.save(record)
    record.payload = "y"
    with Throttled(client, "UpdateItem", times=100) as throttle, pytest.raises(ClientError) as e:
        engine.save(record)
    assert e.value.response.get("Error", {}).get("Code") == Throttled.CODE
    assert throttle.attempts == 4  # the client's retries={"max_attempts": 3}: 1 + 3 retries
    assert stored_payloads(client, engine.table_name(Record)) == {1: "x"}
    engine.save(record)  # the snapshot was not advanced: the change is still sent
    assert stored_payloads(client, engine.table_name(Record)) == {1: "y"}
