"""Stream records into typed changes (``parse_changes``): recorded Lambda events of every view
type, the other envelopes (EventBridge pipes, Kinesis), records that fail, several models.

The events in ``tests/data/stream_events.json`` have the shape Lambda delivers: binary values
(``B``, ``BS``, also inside lists and maps) as base64 text, times as epoch seconds.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from pydantic import BaseModel

from pydantic_bloop import (
    Base,
    BloopConfig,
    Change,
    HashKey,
    InvalidModel,
    InvalidRecords,
    RangeKey,
    StreamError,
    parse_changes,
)
from pydantic_bloop.types import AttributeValue
from tests.engines import MakeEngine

if TYPE_CHECKING:
    from tests.conftest import RequestLog

EVENTS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "stream_events.json").read_text()
)
JOINED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class Address(BaseModel):
    street: str
    zip: str | None = None


class Profile(Base):
    model_config = BloopConfig(table_name="profiles", stream="new_and_old_images")
    id: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    name: str
    balance: Decimal = Decimal(0)
    joined: datetime
    avatar: bytes | None = None
    tags: set[str] = set()
    scores: set[int] = set()
    blobs: set[bytes] = set()
    address: Address | None = None
    history: list[Address] = []
    attachments: list[bytes] = []


def records(view: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = copy.deepcopy(EVENTS[view]["Records"])
    return found


def check_first(p: Profile) -> None:
    """The item as inserted by the recorded events."""
    assert p == Profile(
        id="u-1",
        n=7,
        name="Ada",
        balance=Decimal("12.50"),
        joined=JOINED,
        avatar=b"\x89PNG\x00\xff",
        tags={"admin", "early"},
        scores={3, 10},
        blobs={b"\x00\x01", b"\xfe"},
        address=Address(street="1 Loop Rd", zip="94016"),
        history=[Address(street="Old St")],
        attachments=[b"doc"],
    )


def check_second(p: Profile) -> None:
    """The item after the recorded MODIFY."""
    assert p.balance == Decimal("15.5")
    assert p.avatar is None  # the attribute was removed
    assert p.tags == {"admin", "early", "vip"}
    assert p.address == Address(street="2 Loop Rd", zip="94016")


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_every_view_type_gives_the_images_it_carries(view: str) -> None:
    changes = parse_changes(EVENTS[view], Profile)
    assert [c.kind for c in changes] == ["insert", "modify", "remove"]
    insert, modify, remove = changes
    for number, change in enumerate(changes, 1):
        assert change.model is Profile
        assert change.key == {"id": "u-1", "n": 7}
        assert change.stored_key == {"id": {"S": "u-1"}, "n": {"N": "7"}}
        assert change.sequence_number == f"400000000000000000000{number}"
        assert change.time == datetime(2026, 11, 2, 9, 29 + number, tzinfo=UTC)
        assert change.table == "profiles"
        assert change.view == view.lower()
    new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    assert insert.old is None and remove.new is None
    assert (insert.new is not None, modify.new is not None) == (new, new)
    assert (modify.old is not None, remove.old is not None) == (old, old)
    if new:
        assert insert.new is not None and modify.new is not None
        check_first(insert.new)
        check_second(modify.new)
    if old:
        assert modify.old is not None and remove.old is not None
        check_first(modify.old)
        check_second(remove.old)


def test_changed_fields_compare_stored_values_like_saves_do() -> None:
    insert, modify, remove = parse_changes(EVENTS["NEW_AND_OLD_IMAGES"], Profile)
    # the scores set was reordered and one number spelt "3.0": not a change
    assert modify.changed() == ("balance", "avatar", "tags", "address")
    assert "avatar" not in remove.changed()  # absent before the remove
    assert len(insert.changed()) == len(Profile.model_fields)


def test_changed_fields_need_both_images() -> None:
    for view in ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"):
        modify = parse_changes(EVENTS[view], Profile).changes[1]
        with pytest.raises(StreamError, match=r"modify record of a .* stream lacks the images"):
            modify.changed()


def test_a_deletion_by_ttl_is_marked_expired() -> None:
    changes = parse_changes(EVENTS["NEW_AND_OLD_IMAGES"], Profile)
    assert [c.expired for c in changes] == [False, False, True]


def bad_event() -> dict[str, Any]:
    """Three inserts; the second stores a number set that is not numbers."""
    event: dict[str, Any] = {"Records": []}
    for i in range(3):
        record = records("NEW_IMAGE")[0]
        for image in (record["dynamodb"]["Keys"], record["dynamodb"]["NewImage"]):
            image["n"] = {"N": str(i)}
        record["dynamodb"]["SequenceNumber"] = f"50000000000000000000{i}"
        event["Records"].append(record)
    event["Records"][1]["dynamodb"]["NewImage"]["scores"] = {"NS": ["12", "twelve"]}
    return event


def test_a_bad_record_is_reported_with_its_key_and_field_while_the_others_pass() -> None:
    changes = parse_changes(bad_event(), Profile, errors="collect")
    assert [c.key for c in changes] == [{"id": "u-1", "n": 0}, {"id": "u-1", "n": 2}]
    (error,) = changes.errors
    assert error.table == "profiles"
    assert error.stored_key == {"id": {"S": "u-1"}, "n": {"N": "1"}}
    assert error.model is Profile
    assert error.fields == ("scores",)
    assert error.sequence_number == "500000000000000000001"
    message = str(error)
    assert "table 'profiles', key {id='u-1', n='1'}" in message
    assert "Profile.scores" in message and "twelve" in message
    assert changes.batch_item_failures() == {
        "batchItemFailures": [{"itemIdentifier": "500000000000000000001"}]
    }


def test_by_default_bad_records_raise_after_every_record_was_read() -> None:
    with pytest.raises(InvalidRecords, match=r"1 of 3 stream records failed") as raised:
        parse_changes(bad_event(), Profile)
    assert len(raised.value.changes) == 2
    assert [e.fields for e in raised.value.errors] == [("scores",)]


def test_a_record_of_the_wrong_type_names_the_field() -> None:
    event = {"Records": records("NEW_IMAGE")[:1]}
    event["Records"][0]["dynamodb"]["NewImage"]["history"] = {"S": "not a list"}
    (error,) = parse_changes(event, Profile, errors="collect").errors
    assert error.fields == ("history",)
    assert "Profile.history" in str(error)


def test_something_that_is_no_stream_record_is_reported() -> None:
    event = {"Records": [{"hello": "world"}, *records("NEW_IMAGE")]}
    changes = parse_changes(event, Profile, errors="collect")
    assert len(changes) == 3
    (error,) = changes.errors
    assert error.model is None
    assert "not a DynamoDB stream record" in str(error)


def test_new_is_a_loaded_object_that_saves_nothing_until_changed(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Profile)
    _, modify, _ = parse_changes(EVENTS["NEW_AND_OLD_IMAGES"], Profile)
    new = modify.new
    assert new is not None
    engine.save(Profile(id="u-1", n=7, name="Ada", joined=JOINED))  # an item to update
    request_log.clear()
    engine.save(new)
    assert request_log.operations == []  # just as if it had been loaded
    new.name = "Ada L."
    engine.save(new)
    (update,) = request_log.of("UpdateItem")
    assert update["UpdateExpression"].startswith("SET ")
    assert list(update["ExpressionAttributeValues"].values()) == [{"S": "Ada L."}]


# -- other envelopes ----------------------------------------------------------------------------


def as_kinesis(record: dict[str, Any], milliseconds: int) -> dict[str, Any]:
    """A DynamoDB change as Kinesis Data Streams for DynamoDB puts it in a Lambda event."""
    body = {
        "awsRegion": "eu-west-1",
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "userIdentity": None,
        "recordFormat": "application/json",
        "tableName": "profiles",
        "dynamodb": {
            "ApproximateCreationDateTime": milliseconds,
            "Keys": record["dynamodb"]["Keys"],
            **{k: v for k, v in record["dynamodb"].items() if k.endswith("Image")},
            "SizeBytes": 321,
        },
        "eventSource": "aws:dynamodb",
    }
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "ABC",
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "data": base64.b64encode(json.dumps(body).encode()).decode(),
            "approximateArrivalTimestamp": 1793611800.5,
        },
        "eventSource": "aws:kinesis",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/profiles-changes",
    }


def test_kinesis_data_streams_records_differ_only_by_envelope() -> None:
    plain = records("NEW_AND_OLD_IMAGES")
    event = {"Records": [as_kinesis(r, 1793611800123) for r in plain]}
    changes = parse_changes(event, Profile)
    assert [c.kind for c in changes] == ["insert", "modify", "remove"]
    insert, modify, _ = changes
    assert insert.new is not None
    check_first(insert.new)
    assert modify.changed() == ("balance", "avatar", "tags", "address")
    assert insert.time == datetime(2026, 11, 2, 9, 30, 0, 123000, tzinfo=UTC)
    assert insert.sequence_number == event["Records"][0]["kinesis"]["sequenceNumber"]
    assert insert.table == "profiles"
    # an EventBridge pipe from a Kinesis stream: the Kinesis fields at the top of each record
    flat = [{**r["kinesis"], "eventSource": "aws:kinesis"} for r in event["Records"]]
    assert [c.key for c in parse_changes(flat, Profile)] == [{"id": "u-1", "n": 7}] * 3


def test_eventbridge_pipe_batches_and_events_of_one_record() -> None:
    plain = records("NEW_IMAGE")
    assert [c.kind for c in parse_changes(plain, Profile)] == ["insert", "modify", "remove"]
    (one,) = parse_changes(
        {"version": "0", "detail-type": "Event from aws:dynamodb", "detail": plain[1]}, Profile
    )
    assert one.kind == "modify" and one.new is not None
    check_second(one.new)
    assert len(parse_changes(plain[0], Profile)) == 1


# -- several models ---------------------------------------------------------------------------


class Customer(Base):
    model_config = BloopConfig(table_name="shop")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str


class Order(Base):
    model_config = BloopConfig(table_name="shop")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: Decimal


def shop_record(sk: str, image: dict[str, AttributeValue]) -> dict[str, Any]:
    item = {"pk": {"S": "c#1"}, "sk": {"S": sk}, **image}
    return {
        "eventName": "INSERT",
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/shop/stream/2026-11-01T00:00:00.000",
        "dynamodb": {
            "Keys": {"pk": item["pk"], "sk": item["sk"]},
            "NewImage": item,
            "SequenceNumber": str(600000000000000000000 + len(sk)),
            "StreamViewType": "NEW_IMAGE",
        },
    }


def by_sort_key(image: Mapping[str, AttributeValue]) -> type[Customer | Order] | None:
    sk = image["sk"]["S"]
    return Customer if sk == "profile" else Order if sk.startswith("order#") else None


def test_several_models_of_one_table_are_told_apart_and_strangers_reported() -> None:
    event = [
        shop_record("profile", {"name": {"S": "Ada"}}),
        shop_record("order#1", {"total": {"N": "9.99"}}),
        shop_record("invoice#1", {"total": {"N": "9.99"}}),
    ]
    changes = parse_changes(event, Customer, Order, match=by_sort_key, errors="collect")
    customer, order = changes
    assert isinstance(customer.new, Customer) and customer.new.name == "Ada"
    assert isinstance(order.new, Order) and order.new.total == Decimal("9.99")
    (stranger,) = changes.errors
    assert stranger.model is None
    assert "key {pk='c#1', sk='invoice#1'}" in str(stranger)
    assert "found no model" in str(stranger)


def test_several_models_of_one_table_need_a_rule() -> None:
    with pytest.raises(
        InvalidModel, match=r"Customer, Order share table .shop.: give each an entity"
    ):
        parse_changes([], Customer, Order)


def test_models_of_several_tables_are_told_apart_by_the_table() -> None:
    event = [
        records("NEW_IMAGE")[0],
        shop_record("profile", {"name": {"S": "Ada"}}),
        {**records("NEW_IMAGE")[0], "eventSourceARN": "arn:aws:dynamodb:r:1:table/other/stream/x"},
    ]
    changes = parse_changes(event, Profile, Customer, errors="collect")
    profile, customer = changes
    assert isinstance(profile.new, Profile)
    assert isinstance(customer.new, Customer)
    (other,) = changes.errors
    assert "no model given for table 'other'" in str(other)
    # deployed with a prefix, as Engine(table_name_template=...) names the tables
    prefixed = copy.deepcopy(event[:2])
    for record in prefixed:
        record["eventSourceARN"] = record["eventSourceARN"].replace("table/", "table/prod-")
    found = parse_changes(prefixed, Profile, Customer, table_name_template="prod-{table_name}")
    assert [c.model for c in found] == [Profile, Customer]


def test_changes_are_typed_by_the_models_given() -> None:
    change: Change[Profile] = parse_changes(EVENTS["NEW_IMAGE"], Profile).changes[0]
    assert change.new is not None
    assert change.new.name == "Ada"  # a Profile to the type checker as well
    mixed = parse_changes([], Customer, Order, match=by_sort_key)
    assert mixed.errors == []
    for c in mixed:
        either: Customer | Order | None = c.new
        assert either is not None
