"""The library writes the bodies of the engine's own data requests (pydantic_bloop/bodies.py):
each is the request botocore's serializer would make, byte for byte; other callers of a shared
client keep botocore's serializer (and its parameter validation); every stored type
round-trips through the batch, single and update writes."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import pytest
from botocore.exceptions import ParamValidationError
from botocore.serialize import create_serializer
from botocore.session import get_session
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, Engine, HashKey, RangeKey
from pydantic_bloop.bodies import WRITTEN, Serializer, encode
from tests.engines import MakeEngine
from tests.test_lifting import (
    ALL_TYPES,
    TEXT_TYPES,
    _everything_item,  # pyright: ignore[reportPrivateUsage]
    everything_of,
)

SERVICE = get_session().get_service_model("dynamodb")
BOTOCORE = create_serializer("json", include_validation=False)


def _params(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Parameters of every operation the library writes, carrying ``item`` (every stored type,
    binary, sets and nesting included) wherever they carry attribute values."""
    key = {"pk": item["pk"]}
    values = {":a": {"B": b"\x01\x00"}, ":b": {"SS": {"x", "é"}}, ":c": {"BS": [b"\x00", b"\xff"]}}
    names = {"#n": "naïve", "#m": "n"}
    written = {
        "TableName": "t",
        "ConditionExpression": "#n <> :a AND #m IN (:b, :c)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    read = {"ProjectionExpression": "#n", "ExpressionAttributeNames": names}
    listed = {
        "TableName": "t",
        "IndexName": "by_n",
        "Limit": 25,
        "ConsistentRead": True,
        "ExclusiveStartKey": key,
        "FilterExpression": "#n = :a",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {":a": values[":a"]},
        "ReturnConsumedCapacity": "TOTAL",
    }
    return {
        "BatchWriteItem": {
            "RequestItems": {
                "t": [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": key}}],
                "ü": [{"PutRequest": {"Item": key}}],
            },
            "ReturnConsumedCapacity": "INDEXES",
        },
        "BatchGetItem": {
            "RequestItems": {"t": {"Keys": [key, key], "ConsistentRead": True, **read}}
        },
        "PutItem": {**written, "Item": item},
        "UpdateItem": {
            **written,
            "Key": key,
            "UpdateExpression": "SET #n = :a ADD #m :b",
            "ReturnValues": "ALL_NEW",
        },
        "DeleteItem": {**written, "Key": key},
        "GetItem": {"TableName": "t", "Key": key, "ConsistentRead": False, **read},
        "Query": {**listed, "KeyConditionExpression": "pk = :a", "ScanIndexForward": False},
        "Scan": {**listed, "Segment": 1, "TotalSegments": 4},
        "TransactGetItems": {"TransactItems": [{"Get": {"TableName": "t", "Key": key, **read}}]},
        "TransactWriteItems": {
            "TransactItems": [
                {"Put": {**written, "Item": item}},
                {"ConditionCheck": {**written, "Key": key}},
            ],
            "ClientRequestToken": "token",
        },
    }


@pytest.mark.parametrize("operation", sorted(WRITTEN))
def test_a_body_is_exactly_botocores(operation: str) -> None:
    model = SERVICE.operation_model(operation)
    params = _params(_everything_item(binary=True))[operation]
    mine = Serializer(BOTOCORE, lambda: True).serialize_to_request(params, model)
    assert mine == BOTOCORE.serialize_to_request(params, model)
    assert mine["body"] == encode(params)


def test_other_calls_and_operations_are_botocores() -> None:
    class Inner:
        def serialize_to_request(self, parameters: Any, operation_model: Any) -> Any:
            return ("botocore's", operation_model.name)

    params = _params(_everything_item(binary=False))["GetItem"]
    get_item = SERVICE.operation_model("GetItem")
    assert Serializer(Inner(), lambda: False).serialize_to_request(params, get_item) == (
        "botocore's",
        "GetItem",
    )
    describe = SERVICE.operation_model("DescribeTable")
    assert Serializer(Inner(), lambda: True).serialize_to_request({}, describe) == (
        "botocore's",
        "DescribeTable",
    )
    with pytest.raises(TypeError, match="complex is not serialisable"):
        encode({"Item": {"x": {"N": 1j}}})


# ------------------------------------------------------------------------------------------
# Through a real server


class Row(Base):
    part: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    text: str = ""
    blob: bytes | None = None


class _Bodies:
    """Every request of the client: its parameters (``before-parameter-build``) and the body
    sent (``before-call``), by thread."""

    def __init__(self) -> None:
        self.params: dict[int, Any] = {}
        self.sent: list[tuple[int, str, dict[str, Any], bytes]] = []
        self._lock = threading.Lock()

    def build(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.params[threading.get_ident()] = (model.name, copy.deepcopy(params))

    def call(self, params: dict[str, Any], **_: Any) -> None:
        me = threading.get_ident()
        name, asked = self.params.pop(me)
        with self._lock:
            self.sent.append((me, name, asked, params["body"]))


@pytest.fixture
def bodies(client: DynamoDBClient) -> Iterator[_Bodies]:
    log = _Bodies()
    events = client.meta.events
    events.register("before-parameter-build.dynamodb", log.build)
    events.register_last("before-call.dynamodb", log.call)
    yield log
    events.unregister("before-parameter-build.dynamodb", log.build)
    events.unregister("before-call.dynamodb", log.call)


def test_a_shared_client_serializes_and_validates_plain_code_as_botocore(
    client: DynamoDBClient, table_prefix: str, bodies: _Bodies
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Row)
    bodies.sent.clear()
    table = f"{table_prefix}Row"
    plain: Any = client  # the stubs refuse the invalid call below

    def engine_work(worker: int) -> None:
        part = f"p{worker}"
        rows = [Row(part=part, n=i, text=f"é{i}", blob=bytes([i, 255])) for i in range(60)]
        with engine.context(persist="overwrite") as overwrite:
            overwrite.save(*rows)
        rows[0].text = "changed"
        engine.save(rows[0])
        keys = [Row(part=part, n=r.n) for r in rows[::3]]
        engine.load(*keys)
        assert keys == rows[::3]

    def plain_work() -> None:
        client.put_item(TableName=table, Item={"part": {"S": "q"}, "n": {"N": "1"}})
        client.batch_get_item(
            RequestItems={table: {"Keys": [{"part": {"S": "q"}, "n": {"N": "1"}}]}}
        )
        with pytest.raises(ParamValidationError):
            plain.get_item(TableName=table)  # no Key: botocore refuses it before sending

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(engine_work, i) for i in range(4)]
        for _ in range(5):
            plain_work()
        for done in running:
            done.result()
    me = threading.get_ident()
    mine = [(name, asked, body) for thread, name, asked, body in bodies.sent if thread != me]
    theirs = [(name, asked, body) for thread, name, asked, body in bodies.sent if thread == me]
    assert {name for name, _, _ in mine} >= {"BatchWriteItem", "UpdateItem", "BatchGetItem"}
    assert {name for name, _, _ in theirs} == {"PutItem", "BatchGetItem"}
    for name, asked, body in mine + theirs:  # every body is what botocore makes of its params
        model = SERVICE.operation_model(name)
        assert body == BOTOCORE.serialize_to_request(asked, model)["body"]


@pytest.mark.parametrize("model", [TEXT_TYPES, ALL_TYPES], ids=lambda m: m.__name__)
def test_every_stored_type_round_trips_through_every_write(
    make_engine: MakeEngine, model: type[Base]
) -> None:
    engine, values, objs = everything_of(make_engine, model, "abc")
    with engine.context(persist="overwrite") as overwrite:
        overwrite.save(*objs[:2])  # one BatchWriteItem
        overwrite.save(objs[2])  # one PutItem
    fresh = model.model_validate({**values, "pk": "d"})
    engine.save(fresh)  # an UpdateItem of every attribute
    for obj in [*objs, fresh]:
        assert engine.get(model, pk=obj.__dict__["pk"]) == obj
    keys = [model.model_validate({**values, "pk": pk, "s": "other"}) for pk in "abcd"]
    engine.load(*keys)  # one BatchGetItem
    assert keys == [*objs, fresh]
