"""A 200 answer that is not DynamoDB's (no request id, no CRC32, not JSON, cut short) is a
transient error, retried, never an empty success; other users of the same client are left
alone. Through the fault proxy (tests/proxy.py), on both engines."""

from __future__ import annotations

from typing import Annotated

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, HashKey, RangeKey, TransportError, col
from pydantic_bloop.answers import broken
from tests.fault_fixtures import MakeProxiedEngine
from tests.proxy import Fault, FaultProxy, Script

BROKEN_200S = [Fault.GARBAGE, Fault.EMPTY, Fault.CUT_HEADERS, Fault.GARBAGE_AFTER]


class Row(Base):
    part: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    text: str = ""


@pytest.mark.parametrize("fault", BROKEN_200S, ids=lambda f: f.name)
def test_a_broken_answer_to_a_read_is_retried(
    make_proxied_engine: MakeProxiedEngine, fault_proxy: FaultProxy, fault: Fault
) -> None:
    engine = make_proxied_engine()
    engine.bind(Row)
    engine.save(*(Row(part="p", n=i) for i in range(30)))
    fault_proxy.policy = Script([fault], operations=["GetItem"])
    assert engine.get(Row, part="p", n=3).n == 3
    fault_proxy.policy = Script([None, fault], operations=["Query"])
    query = engine.query(Row).key(col(Row.part) == "p").page_size(10)
    assert [r.n for r in query.all()] == list(range(30))
    fault_proxy.policy = Script([fault], operations=["Query"])
    assert query.count() == 30
    assert fault_proxy.injected[fault] == 3


@pytest.mark.parametrize("fault", BROKEN_200S, ids=lambda f: f.name)
def test_a_broken_answer_to_a_write_is_retried_and_the_write_lands(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    client: DynamoDBClient,
    table_prefix: str,
    fault: Fault,
) -> None:
    engine = make_proxied_engine()
    engine.bind(Row)
    fault_proxy.policy = Script([fault], operations=["BatchWriteItem"])
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*(Row(part="p", n=i) for i in range(30)))
    row = engine.get(Row, part="p", n=1)
    row.text = "changed"
    fault_proxy.policy = Script([fault], operations=["UpdateItem"])
    engine.save(row)
    stored = client.query(
        TableName=f"{table_prefix}Row",
        KeyConditionExpression="part = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ConsistentRead=True,
    )["Items"]
    assert len(stored) == 30
    assert [i.get("text") for i in stored if i.get("n") == {"N": "1"}] == [{"S": "changed"}]
    assert fault_proxy.injected[fault] == 2


def test_when_every_attempt_is_broken_the_call_raises(
    make_proxied_engine: MakeProxiedEngine, fault_proxy: FaultProxy
) -> None:
    engine = make_proxied_engine(attempts=3)
    engine.bind(Row)
    engine.save(Row(part="p", n=1))
    fault_proxy.policy = Script([Fault.GARBAGE] * 3, operations=["GetItem"])
    with pytest.raises(TransportError, match="GetItem: the answer is not DynamoDB's"):
        engine.get(Row, part="p", n=1)  # not MissingObjects: the item exists
    assert fault_proxy.injected[Fault.GARBAGE] == 3
    fault_proxy.policy = Script([Fault.EMPTY] * 3, operations=["Query"])
    with pytest.raises(TransportError):
        engine.query(Row).key(col(Row.part) == "p").all()


def test_other_users_of_a_shared_client_see_botocore_unchanged(
    proxied_client: DynamoDBClient, fault_proxy: FaultProxy, table_prefix: str
) -> None:
    from pydantic_bloop import Engine

    engine = Engine(client=proxied_client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Row)
    engine.save(Row(part="p", n=1))
    fault_proxy.policy = Script([Fault.GARBAGE])
    # the engine's hooks are on this client now, yet a direct call keeps botocore's behaviour
    answer = proxied_client.get_item(
        TableName=f"{table_prefix}Row", Key={"part": {"S": "p"}, "n": {"N": "1"}}
    )
    assert "Item" not in answer
    assert fault_proxy.injected[Fault.GARBAGE] == 1


def test_what_counts_as_dynamodbs_answer() -> None:
    body = b'{"Items": []}'
    good = {"x-amzn-RequestId": "r", "x-amz-crc32": str(__import__("zlib").crc32(body))}
    assert broken(200, good, body) is None
    assert broken(400, {}, b"anything") is None  # errors are botocore's to judge
    assert broken(200, {"x-amz-crc32": good["x-amz-crc32"]}, body) is not None
    assert broken(200, {"x-amzn-RequestId": "r"}, body) is not None
    assert broken(200, good, body[:-1]) is not None
    assert broken(200, {**good, "x-amz-crc32": "0"}, b"") is not None
