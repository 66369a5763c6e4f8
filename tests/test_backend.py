"""Smoke tests of the test infrastructure: the fixtures reach a real server over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

if TYPE_CHECKING:  # conftest is pytest's to import: take only its types from it
    from tests.conftest import Backend, RequestLog


def _create_table(client: DynamoDBClient, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # dynalite answers CREATING even with --createTableMs 0: poll briefly, not the waiter's 1 s+.
    deadline = time.monotonic() + 30
    while _status(client, name) != "ACTIVE":
        assert time.monotonic() < deadline, f"table {name} never became ACTIVE"
        time.sleep(0.02)


def test_endpoint_is_http(endpoint_url: str, backend: Backend) -> None:
    assert endpoint_url.startswith(("http://", "https://"))
    assert backend in ("moto", "dynalite", "external")


def test_table_round_trip(client: DynamoDBClient, table_prefix: str) -> None:
    name = f"{table_prefix}smoke"
    _create_table(client, name)

    client.put_item(TableName=name, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    item = client.get_item(TableName=name, Key={"id": {"S": "a"}}, ConsistentRead=True)
    assert item.get("Item") == {"id": {"S": "a"}, "n": {"N": "1"}}

    assert name in client.list_tables()["TableNames"]


@pytest.fixture
def must_be_deleted(client: DynamoDBClient) -> Iterator[list[str]]:
    """Tables that must be gone at teardown (requested before ``table_prefix``, so that
    this fixture's teardown runs after the prefix's cleanup)."""
    names: list[str] = []
    yield names
    for name in names:
        assert _status(client, name) in (None, "DELETING"), f"table_prefix did not delete {name}"


def _status(client: DynamoDBClient, name: str) -> str | None:
    try:
        return client.describe_table(TableName=name)["Table"].get("TableStatus")
    except client.exceptions.ResourceNotFoundException:
        return None


def test_table_prefix_tables_are_deleted(
    must_be_deleted: list[str], client: DynamoDBClient, table_prefix: str
) -> None:
    assert table_prefix.endswith("-")
    name = f"{table_prefix}doomed"
    _create_table(client, name)
    must_be_deleted.append(name)


_seen_prefixes: list[str] = []


@pytest.mark.parametrize("attempt", range(3))
def test_table_prefixes_differ(table_prefix: str, attempt: int) -> None:
    _seen_prefixes.append(table_prefix)
    assert len(set(_seen_prefixes)) == len(_seen_prefixes)


def test_request_log_records_calls(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    name = f"{table_prefix}log"
    _create_table(client, name)
    request_log.clear()

    client.put_item(TableName=name, Item={"id": {"S": "x"}})
    client.get_item(TableName=name, Key={"id": {"S": "x"}})

    assert request_log.operations == ["PutItem", "GetItem"]
    assert request_log.of("PutItem") == [{"TableName": name, "Item": {"id": {"S": "x"}}}]
    operation, params = request_log[1]
    assert operation == "GetItem"
    assert params["Key"] == {"id": {"S": "x"}}
