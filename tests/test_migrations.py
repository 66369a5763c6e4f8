"""Migrations against the local server, on both engines: a model gains an index, TTL and a
stream; indexes the model drops stay unless allowed; billing and capacity change; what DynamoDB
cannot change in place is refused with what to do.

Every check reads the server's own description of the table or the requests the engine sent.
dynalite accepts ``GlobalSecondaryIndexUpdates`` Create / Delete but ignores them, and has no
TTL or streams: those tests check there that the engine says so (``UnsupportedOption``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    GlobalIndex,
    HashKey,
    LocalIndex,
    MigrationFailed,
    MigrationProgress,
    RangeKey,
    TableMismatch,
    UnsupportedOption,
    col,
)
from pydantic_bloop import tables as tables_module
from pydantic_bloop.migrations import apply
from pydantic_bloop.models import model_info
from pydantic_bloop.table_diff import Live, changes

if TYPE_CHECKING:
    from tests.conftest import RequestLog
    from tests.engines import MakeEngine

FAST = Backoff(base=0.001, cap=0.01)


class EventV1(Base):
    model_config = BloopConfig(table_name="events")
    id: Annotated[str, HashKey()]
    user: str
    day: str
    expires: int = 0
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user", projection="all")


class EventV2(Base):
    """EventV1 a release later: a second index, TTL and a stream."""

    model_config = BloopConfig(table_name="events", ttl="expires", stream="new_image")
    id: Annotated[str, HashKey()]
    user: str
    day: str
    expires: int = 0
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user", projection="all")
    by_day: ClassVar[GlobalIndex] = GlobalIndex(hash_key="day", projection="all")


class EventV3(Base):
    """EventV2 without its first index."""

    model_config = BloopConfig(table_name="events", ttl="expires", stream="new_image")
    id: Annotated[str, HashKey()]
    user: str
    day: str
    expires: int = 0
    by_day: ClassVar[GlobalIndex] = GlobalIndex(hash_key="day", projection="all")


def describe(client: DynamoDBClient, name: str) -> dict[str, Any]:
    table: dict[str, Any] = dict(client.describe_table(TableName=name)["Table"])
    return table


def gsis(client: DynamoDBClient, name: str) -> dict[str, dict[str, Any]]:
    found: list[dict[str, Any]] = describe(client, name).get("GlobalSecondaryIndexes") or []
    return {i["IndexName"]: i for i in found}


def test_a_model_gains_an_index_ttl_and_a_stream(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(backoff=FAST)
    engine.bind(EventV1)
    name = table_prefix + "events"
    assert set(gsis(client, name)) == {"by_user"}
    engine.save(EventV1(id="1", user="ann", day="mon"), EventV1(id="2", user="bob", day="mon"))

    plan = engine.migration(EventV2)
    assert [s.text for s in plan.steps] == [
        "add global index 'by_day' (day (HASH); projection ALL) and wait for its backfill",
        "switch on a NEW_IMAGE stream",
        "enable TTL on attribute 'expires'",
    ]
    assert str(plan).splitlines()[0] == f"table {name!r} (EventV2):"
    assert "UpdateTable" not in request_log.operations  # looking changes nothing

    # bind alone reports the index (TTL and stream it would switch on itself)
    with pytest.raises(TableMismatch) as caught:
        make_engine(backoff=FAST).bind(EventV2)
    assert caught.value.differences == ["global index 'by_day' is missing"]

    events: list[MigrationProgress] = []
    caplog.set_level(logging.INFO, logger="pydantic_bloop")
    if backend == "dynalite":  # it wants ProvisionedThroughput for an on-demand table's index
        with pytest.raises(MigrationFailed, match=r"step 1 of 3 \(add global index 'by_day'"):
            engine.migrate(EventV2, progress=events.append)
        assert [e.state for e in events] == ["started"]
        assert set(gsis(client, name)) == {"by_user"}
        return
    done = engine.migrate(EventV2, progress=events.append)
    assert [s.text for s in done.steps] == [s.text for s in plan.steps]
    assert [(e.number, e.state) for e in events if e.state != "waiting"] == [
        (1, "started"),
        (1, "done"),
        (2, "started"),
        (2, "done"),
        (3, "started"),
        (3, "done"),
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "pydantic_bloop"]
    assert f"[1/3] {name}: {plan.steps[0].text}: done" in logged

    # the table now is what EventV2 declares: another engine binds it without a change
    request_log.clear()
    fresh = make_engine(backoff=FAST)
    fresh.bind(EventV2)
    assert request_log.operations == ["DescribeTable", "DescribeTimeToLive"]
    assert not fresh.migration(EventV2)
    description = describe(client, name)
    assert description["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_IMAGE",
    }
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl.get("AttributeName") == "expires"
    # the new index answers with the items written before it existed
    found = fresh.query(EventV2.by_day).key(col(EventV2.day) == "mon").all()
    assert sorted(e.id for e in found) == ["1", "2"]


def test_a_removed_index_stays_unless_dropping_is_allowed(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Any,
) -> None:
    skip_on_dynalite("dynalite ignores UpdateTable index deletions (and has no TTL or streams)")
    name = table_prefix + "events"
    make_engine(backoff=FAST).bind(EventV2)

    engine = make_engine(backoff=FAST)
    engine.bind(EventV3)  # an index more than declared is no mismatch
    kept = engine.migration(EventV3)
    assert kept.steps == ()
    assert str(kept).splitlines()[1:] == [
        "  - not done: global index 'by_user' is not declared by EventV3 "
        "(kept: drop_indexes=True deletes it)"
    ]
    request_log.clear()
    engine.migrate(EventV3)
    assert "UpdateTable" not in request_log.operations
    assert set(gsis(client, name)) == {"by_user", "by_day"}

    dropping = engine.migration(EventV3, drop_indexes=True)
    assert [s.text for s in dropping.steps] == ["delete global index 'by_user'"]
    engine.migrate(EventV3, drop_indexes=True)
    assert set(gsis(client, name)) == {"by_day"}
    (update,) = request_log.of("UpdateTable")
    assert update["GlobalSecondaryIndexUpdates"] == [{"Delete": {"IndexName": "by_user"}}]


class Changed(Base):
    """EventV1 with the index on ``user`` now keyed by ``day`` too (a new definition)."""

    model_config = BloopConfig(table_name="events")
    id: Annotated[str, HashKey()]
    user: str
    day: str
    expires: int = 0
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user", range_key="day")


def test_a_redefined_index_is_replaced_only_when_allowed(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Any,
) -> None:
    skip_on_dynalite("dynalite ignores UpdateTable index creation and deletion")
    engine = make_engine(backoff=FAST)
    engine.bind(EventV1)
    engine.save(EventV1(id="1", user="ann", day="mon"))
    request_log.clear()
    with pytest.raises(TableMismatch) as caught:
        make_engine(backoff=FAST).migrate(Changed)
    assert caught.value.differences == [
        "global index 'by_user' key schema: expected user (HASH), day (RANGE), found user (HASH): "
        "replacing the index needs drop_indexes=True: it is deleted, then rebuilt from the "
        "table's items (queries on it fail meanwhile)",
        "global index 'by_user' projection: expected KEYS_ONLY, found ALL: replacing the index "
        "needs drop_indexes=True: it is deleted, then rebuilt from the table's items (queries on "
        "it fail meanwhile)",
    ]
    assert "UpdateTable" not in request_log.operations  # refused before any change

    replacing = make_engine(backoff=FAST)
    migration = replacing.migrate(Changed, drop_indexes=True)
    assert [s.text for s in migration.steps] == [
        "delete global index 'by_user'",
        "add global index 'by_user' (user (HASH), day (RANGE); projection KEYS_ONLY) and wait for "
        "its backfill",
    ]
    schema = gsis(client, table_prefix + "events")["by_user"]["KeySchema"]
    assert [k["AttributeName"] for k in schema] == ["user", "day"]
    found = replacing.query(Changed.by_user).key(col(Changed.user) == "ann").all()
    assert [e.id for e in found] == ["1"]


class Keyed(Base):
    model_config = BloopConfig(table_name="events")
    id: Annotated[str, HashKey()]
    day: Annotated[str, RangeKey()]
    user: str
    by_day: ClassVar[LocalIndex] = LocalIndex(range_key="user")


def test_what_dynamodb_cannot_change_in_place_is_refused_with_what_to_do(
    make_engine: MakeEngine, table_prefix: str, request_log: RequestLog
) -> None:
    make_engine(backoff=FAST).bind(EventV1)
    request_log.clear()
    with pytest.raises(TableMismatch) as caught:
        make_engine(backoff=FAST).migrate(Keyed)
    new_table = (
        "DynamoDB cannot change it in place: create a new table with the models' definition "
        "and copy the items into it"
    )
    local = (
        "local indexes exist only from a table's creation: create a new table with it and copy "
        "the items, or remove the LocalIndex from the model"
    )
    assert caught.value.differences == [
        f"table key schema: expected id (HASH), day (RANGE), found id (HASH): {new_table}",
        f"local index 'by_day' is missing: {local}",
    ]
    assert [op for op in request_log.operations if op.startswith("Update")] == []


class Metered(Base):
    model_config = BloopConfig(
        table_name="metered", billing="provisioned", read_units=2, write_units=1
    )
    id: Annotated[str, HashKey()]
    user: str = "nobody"  # DynamoDB refuses an empty index key value
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user")


class MeteredMore(Base):
    model_config = BloopConfig(
        table_name="metered", billing="provisioned", read_units=4, write_units=3
    )
    id: Annotated[str, HashKey()]
    user: str = "nobody"
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user")


class Unmetered(Base):
    model_config = BloopConfig(table_name="metered")
    id: Annotated[str, HashKey()]
    user: str = "nobody"
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user")


def test_capacity_and_billing_mode_are_migrated(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    name = table_prefix + "metered"
    make_engine(backoff=FAST).bind(Metered)

    # other capacity numbers are no mismatch (autoscaling changes them), but migrate sets them
    engine = make_engine(backoff=FAST)
    engine.bind(MeteredMore)
    more = engine.migration(MeteredMore)
    assert [s.text for s in more.steps] == [
        "set table capacity to 4 read / 3 write units",
        "set global index 'by_user' to 4 read / 3 write units",
    ]
    engine.migrate(MeteredMore)
    table = describe(client, name)
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    index = gsis(client, name)["by_user"]["ProvisionedThroughput"]
    assert (index["ReadCapacityUnits"], index["WriteCapacityUnits"]) == (4, 3)

    with pytest.raises(TableMismatch) as caught:
        make_engine(backoff=FAST).bind(Unmetered)
    assert caught.value.differences == ["billing mode: expected PAY_PER_REQUEST, found PROVISIONED"]
    make_engine(backoff=FAST).migrate(Unmetered)
    summary = describe(client, name)["BillingModeSummary"]
    assert summary["BillingMode"] == "PAY_PER_REQUEST"

    # and back: the capacity of the table and of every index in the same request
    back = make_engine(backoff=FAST).migrate(Metered)
    assert [s.text for s in back.steps] == [
        "switch billing to PROVISIONED (2 read / 1 write units)"
    ]
    table = describe(client, name)
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    make_engine(backoff=FAST).bind(Metered)  # no difference left


class MeteredByDay(Base):
    model_config = BloopConfig(
        table_name="metered", billing="provisioned", read_units=2, write_units=1
    )
    id: Annotated[str, HashKey()]
    user: str = "nobody"
    day: str = ""
    by_user: ClassVar[GlobalIndex] = GlobalIndex(hash_key="user")
    by_day: ClassVar[GlobalIndex] = GlobalIndex(hash_key="day", projection="all")


def test_an_endpoint_that_ignores_a_new_index_is_named(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, backend: str
) -> None:
    engine = make_engine(backoff=FAST)
    engine.bind(Metered)
    engine.save(Metered(id="1", user="ann"))
    migrating = make_engine(backoff=FAST)
    if backend == "dynalite":  # it accepts UpdateTable(Create) of a provisioned table's index
        with pytest.raises(UnsupportedOption) as caught:
            migrating.migrate(MeteredByDay)
        assert caught.value.option == "indexes"
        assert "did not add global index 'by_day'" in str(caught.value)
        assert set(gsis(client, table_prefix + "metered")) == {"by_user"}
        return
    migrating.migrate(MeteredByDay)
    index = gsis(client, table_prefix + "metered")["by_day"]
    throughput = index["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (2, 1)
    migrating.save(MeteredByDay(id="2", day="mon"))
    found = migrating.query(MeteredByDay.by_day).key(col(MeteredByDay.day) == "mon").all()
    assert [m.id for m in found] == ["2"]  # item 1 has no day: not in the new index


class Feed(Base):
    model_config = BloopConfig(table_name="feed", stream="keys_only")
    id: Annotated[str, HashKey()]


class FeedImages(Base):
    model_config = BloopConfig(table_name="feed", stream="new_and_old_images")
    id: Annotated[str, HashKey()]


class Quiet(Base):
    model_config = BloopConfig(table_name="feed")
    id: Annotated[str, HashKey()]


def test_a_stream_is_replaced_or_switched_off_only_when_allowed(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    skip_on_dynalite: Any,
) -> None:
    skip_on_dynalite("dynalite has no streams")
    name = table_prefix + "feed"
    make_engine(backoff=FAST).bind(Feed)
    with pytest.raises(TableMismatch) as caught:
        make_engine(backoff=FAST).migrate(FeedImages)
    assert caught.value.differences == [
        "stream: expected NEW_AND_OLD_IMAGES, found KEYS_ONLY: changing the view replaces the "
        "stream (its readers lose the records they have not read yet): needs drop_stream=True"
    ]
    # with the flag: off, then on with the new view (the plan only: moto never lets a table
    # that once had a stream enable one again, "Cannot enable stream")
    replacing = make_engine(backoff=FAST).migration(FeedImages, drop_stream=True)
    assert [s.text for s in replacing.steps] == [
        "switch off the stream",
        "switch on a NEW_AND_OLD_IMAGES stream",
    ]

    make_engine(backoff=FAST).migrate(Quiet)  # an undeclared stream stays
    assert describe(client, name)["StreamSpecification"]["StreamEnabled"]
    make_engine(backoff=FAST).migrate(Quiet, drop_stream=True)
    spec: dict[str, Any] = describe(client, name).get("StreamSpecification") or {}
    assert not spec.get("StreamEnabled")


# -- the plan alone, with canned answers ---------------------------------------------------------


def test_a_new_index_is_waited_for_until_backfilled() -> None:
    """After UpdateTable the plan describes the table, sleeping in between, until the new index
    is ACTIVE and no longer backfilling; each wait is reported with what it waits for."""
    goal = tables_module.target([model_info(EventV2)], "events")
    by_user = {
        "IndexName": "by_user",
        "KeySchema": [{"AttributeName": "user", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "IndexStatus": "ACTIVE",
    }
    table = {
        "TableName": "events",
        "TableStatus": "ACTIVE",
        "KeySchema": goal.create["KeySchema"],
        "AttributeDefinitions": goal.create["AttributeDefinitions"],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        "GlobalSecondaryIndexes": [by_user],
    }
    (change,) = changes(goal, Live(table))  # TTL was not read: only the index differs
    (step,) = change.steps

    def with_by_day(status: str, backfilling: bool) -> dict[str, Any]:
        by_day = {"IndexName": "by_day", "IndexStatus": status, "Backfilling": backfilling}
        return {**table, "GlobalSecondaryIndexes": [by_user, by_day]}

    events: list[MigrationProgress] = []
    plan = apply(goal, [step], Backoff(base=1.0, cap=1.0, jitter=max), 10.0, events.append)
    answers = iter(
        [
            {"TableDescription": with_by_day("CREATING", False)},
            None,
            {"Table": with_by_day("ACTIVE", True)},
            None,
            {"Table": with_by_day("ACTIVE", False)},
        ]
    )
    sent = [next(plan)]
    with pytest.raises(StopIteration):
        while True:
            sent.append(plan.send(next(answers)))
    assert [type(s).__name__ for s in sent] == ["Call", "Sleep", "Call", "Sleep", "Call"]
    assert sent[0] == step.call
    assert step.call.params["GlobalSecondaryIndexUpdates"][0]["Create"]["IndexName"] == "by_day"
    assert [(e.state, e.detail) for e in events] == [
        ("started", ""),
        ("waiting", "table ACTIVE, index CREATING"),
        ("waiting", "table ACTIVE, index ACTIVE (backfilling)"),
        ("done", ""),
    ]
