"""Consumed capacity summed per table and operation (checked against what the server reports),
and the library's log lines (checked with caplog)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any
from uuid import uuid4

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import SecretStr

from pydantic_bloop import Backoff, Base, BloopConfig, CapacityMeter, Engine, HashKey, Units
from pydantic_bloop.plans import Call, Response, call
from pydantic_bloop.testing import Script
from pydantic_bloop.watch import Watch, watched
from tests.engines import MakeEngine
from tests.faults import Throttled, Unprocessed
from tests.test_batching import EveryOther
from tests.test_batching import botocore_sleeps as botocore_sleeps  # the fixture

if TYPE_CHECKING:
    from tests.conftest import RequestLog


class Item(Base):
    model_config = BloopConfig(table_name="metered")
    id: Annotated[str, HashKey()]
    secret: str = ""
    n: int = 0


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01))
    engine.bind(Item)
    return engine


def reported(client: DynamoDBClient, table: str, item_id: str) -> float:
    """What the server says one strongly consistent GetItem of the item costs."""
    got = client.get_item(
        TableName=table,
        Key={"id": {"S": item_id}},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    return float(got.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))


def test_capacity_is_summed_per_table_and_operation(engine: Engine, client: DynamoDBClient) -> None:
    meter = CapacityMeter()
    items = [Item(id=str(uuid4()), n=i) for i in range(30)]  # two BatchWriteItem requests
    with engine.context(capacity=meter) as metered:
        metered.save(*items[:1])  # one UpdateItem
        metered.delete(*items[1:])  # batched
        metered.get(Item, id=items[0].id, consistent=True)
    table = engine.table_name(Item)
    per_get = reported(client, table, items[0].id)
    assert per_get > 0
    ops = meter.operations
    assert set(ops) == {"UpdateItem", "BatchWriteItem", "GetItem"}
    assert ops["GetItem"] == Units(read=per_get)
    assert ops["UpdateItem"].write > 0 and ops["UpdateItem"].read == 0
    assert ops["BatchWriteItem"].write >= 2  # two requests (moto reports 1 unit per request)
    assert meter.tables == {table: meter.total}
    assert meter.total == ops["UpdateItem"] + ops["BatchWriteItem"] + ops["GetItem"]
    assert meter.requests == 4


def raw_scan_cost(client: DynamoDBClient, table: str, page_size: int) -> tuple[float, int]:
    """The server's own sum of a paged scan's consumed capacity, and its request count."""
    total, requests = 0.0, 0
    params: dict[str, Any] = {"TableName": table, "Limit": page_size}
    while True:
        page = client.scan(**params, ReturnConsumedCapacity="TOTAL")
        total += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        requests += 1
        start = page.get("LastEvaluatedKey")
        if not start:
            return total, requests
        params["ExclusiveStartKey"] = start


def test_a_paged_scan_adds_every_page(engine: Engine, client: DynamoDBClient) -> None:
    engine.save(*(Item(id=f"i{i}", n=i) for i in range(5)))
    meter = CapacityMeter()
    with engine.context(capacity=meter) as metered:
        found = metered.scan(Item).page_size(2).all()
    assert len(found) == 5
    total, requests = raw_scan_cost(client, engine.table_name(Item), 2)
    assert requests >= 3
    assert meter.requests == requests
    assert meter.operations == {"Scan": Units(read=total)}


def test_an_engine_without_a_meter_asks_for_no_capacity(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="pydantic_bloop"):
        engine.save(Item(id="plain", secret="hunter2"))
    assert "capacity=" not in caplog.text


def test_a_request_is_one_debug_line_without_values(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    meter = CapacityMeter()
    with (
        caplog.at_level(logging.DEBUG, logger="pydantic_bloop"),
        engine.context(capacity=meter) as metered,
    ):
        metered.save(Item(id="k1", secret="hunter2", n=3))
    lines = [r for r in caplog.records if r.name == "pydantic_bloop"]
    assert len(lines) == 1
    line = lines[0]
    assert line.levelno == logging.DEBUG
    text = line.getMessage()
    assert text.startswith(f"UpdateItem {engine.table_name(Item)} key={{id: 'k1'}}")
    assert "update='SET secret=:v0, n=:v1'" in text  # names filled in, values placeholders
    assert "hunter2" not in text
    spent = meter.total
    assert spent.write > 0
    assert f"capacity=(0 RCU, {spent.write:g} WCU)" in text  # what the server reported
    assert "retries=0" in text


def test_nothing_is_logged_at_info(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pydantic_bloop"):
        engine.save(Item(id="k2", secret="hunter2"))
        engine.get(Item, id="k2")
    assert [r for r in caplog.records if r.name == "pydantic_bloop"] == []


class Vault(Base):
    model_config = BloopConfig(table_name="vaults")
    owner: Annotated[SecretStr, HashKey()]
    note: str = ""


def test_a_secret_key_is_masked_in_the_log(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    engine.bind(Vault)
    with caplog.at_level(logging.DEBUG, logger="pydantic_bloop"):
        engine.save(Vault(owner=SecretStr("s3cr3t-owner"), note="n"))
        engine.save(Item(id="visible"))
    assert "s3cr3t-owner" not in caplog.text
    assert "key={owner: **********}" in caplog.text
    assert "key={id: 'visible'}" in caplog.text  # other keys are shown


def test_a_query_reports_what_the_meter_sums(engine: Engine) -> None:
    engine.save(*(Item(id=f"q{i}", n=i) for i in range(5)))
    meter = CapacityMeter()
    with engine.context(capacity=meter) as metered:
        results = iter(metered.scan(Item).consistent().consumed_capacity().page_size(2))
        assert len(list(results)) == 5
    assert results.consumed > 0
    assert meter.operations == {"Scan": Units(read=results.consumed)}


def test_batched_reads_count_every_request(engine: Engine, client: DynamoDBClient) -> None:
    items = [Item(id=f"b{i}", n=i) for i in range(105)]
    engine.save(*items)
    meter = CapacityMeter()
    with engine.context(capacity=meter, max_concurrency=1) as metered:
        metered.load(*(Item(id=i.id) for i in items), consistent=True)
    table = engine.table_name(Item)
    expected = 0.0
    for chunk in (items[:100], items[100:]):  # the server's own report of the same two requests
        got = client.batch_get_item(
            RequestItems={
                table: {"Keys": [{"id": {"S": i.id}} for i in chunk], "ConsistentRead": True}
            },
            ReturnConsumedCapacity="TOTAL",
        )
        expected += sum(float(c.get("CapacityUnits", 0.0)) for c in got["ConsumedCapacity"])
    assert meter.requests == 2
    assert meter.operations == {"BatchGetItem": Units(read=expected)}
    assert meter.tables == {table: Units(read=expected)}


def test_unprocessed_work_is_a_warning(
    engine: Engine, client: DynamoDBClient, caplog: pytest.LogCaptureFixture
) -> None:
    meter = CapacityMeter()
    with (
        caplog.at_level(logging.WARNING, logger="pydantic_bloop"),
        Unprocessed(client, "BatchWriteItem", EveryOther(times=1)) as fault,
        engine.context(capacity=meter, persist="overwrite") as metered,
    ):
        metered.save(*(Item(id=f"u{i}", n=1) for i in range(10)))
    warnings = [r for r in caplog.records if r.name == "pydantic_bloop"]
    assert sum(fault.withheld) > 0
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    first = warnings[0].getMessage()
    assert f"BatchWriteItem left {{{engine.table_name(Item)}: " in first
    assert "unprocessed" in first
    assert meter.operations["BatchWriteItem"].write > 0  # the retries are counted too
    assert meter.requests == len(fault.asked)


def test_throttling_is_a_warning(
    engine: Engine,
    client: DynamoDBClient,
    caplog: pytest.LogCaptureFixture,
    botocore_sleeps: list[float],
) -> None:
    item = Item(id="t1")
    with caplog.at_level(logging.WARNING, logger="pydantic_bloop"):
        with Throttled(client, "UpdateItem", times=1):
            engine.save(item)
        item.n = 2
        with Throttled(client, "UpdateItem", times=100), pytest.raises(ClientError):
            engine.save(item)
    lines = [r.getMessage() for r in caplog.records if r.name == "pydantic_bloop"]
    assert lines == [
        "UpdateItem succeeded after 1 retries by botocore (throttling or transient errors)",
        "UpdateItem throttled (ProvisionedThroughputExceededException) after botocore's retries",
    ]
    assert len(botocore_sleeps) == 1 + 3


@pytest.mark.dynalite_unsupported("no transactions in dynalite")
def test_a_transaction_asks_for_its_capacity(engine: Engine, request_log: RequestLog) -> None:
    engine.bind(Vault)
    meter = CapacityMeter()
    with engine.context(capacity=meter) as metered, metered.transaction() as tx:
        tx.save(Item(id="x1", n=1))
        tx.save(Vault(owner=SecretStr("o1")))
    (sent,) = request_log.of("TransactWriteItems")
    assert sent["ReturnConsumedCapacity"] == "TOTAL"
    # moto answers a transaction with an empty ConsumedCapacity list: the meter adds nothing
    assert (meter.requests, meter.total, meter.tables) == (1, Units(), {})


def test_a_transaction_is_counted_per_table() -> None:
    """DynamoDB's answer to a transaction over two tables (as documented), scripted."""
    answer: Response = {
        "ConsumedCapacity": [
            {"TableName": "a", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
            {"TableName": "b", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        ]
    }
    meter = CapacityMeter()
    script = Script(answer)
    script.run(watched(call(Call("transact_write_items", {"TransactItems": []})), Watch(meter)))
    assert script.calls[0].params["ReturnConsumedCapacity"] == "TOTAL"
    assert meter.tables == {"a": Units(write=4.0), "b": Units(write=2.0)}
    assert meter.operations == {"TransactWriteItems": Units(write=6.0)}
    assert meter.total == Units(write=6.0) and meter.requests == 1
