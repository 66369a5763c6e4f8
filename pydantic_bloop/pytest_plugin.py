"""pytest fixtures for a test suite that uses pydantic_bloop: a local DynamoDB and an engine on it.

pytest loads this plugin by itself once pydantic_bloop is installed (a ``pytest11`` entry point
named ``pydantic_bloop``; ``-p no:pydantic_bloop`` turns it off). It only defines fixtures:
nothing starts until a test asks for one.

- ``dynamodb_endpoint`` (session): the URL of a DynamoDB endpoint. By default moto's server in a
  thread of the test process (one per pytest-xdist worker; needs the ``server`` extra);
  ``BLOOP_TEST_ENDPOINT=http://host:port`` uses that endpoint instead (DynamoDB Local, AWS).
- ``dynamodb_client`` (session): a boto3 DynamoDB client for it.
- ``bloop_table_prefix``: a table-name prefix unique to the test (and worker), e.g.
  ``"test-gw1-5c0f2a91-"``.
- ``bloop_engine``: an ``Engine`` on that client whose tables are named with that prefix; every
  table with the prefix is deleted when the test ends.
- ``dynamodb_environment``: for code that makes its own clients (``Engine()``,
  ``AsyncEngine()``, ``boto3.client("dynamodb")``, a DynamoDB Streams client): points botocore's
  environment variables at ``dynamodb_endpoint`` for the test (endpoint of both services,
  credentials, region) and deletes the tables named with ``bloop_table_prefix`` afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from .engine import Engine

__all__ = [
    "ENDPOINT_VARIABLE",
    "bloop_engine",
    "bloop_table_prefix",
    "dynamodb_client",
    "dynamodb_endpoint",
    "dynamodb_environment",
]

ENDPOINT_VARIABLE = "BLOOP_TEST_ENDPOINT"


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """The URL of the DynamoDB the tests use: ``$BLOOP_TEST_ENDPOINT``, or else moto's server
    started in a thread for this session (this worker, under pytest-xdist)."""
    endpoint = os.environ.get(ENDPOINT_VARIABLE, "").strip()
    if endpoint:
        yield endpoint
        return
    from .testing import local_dynamodb

    if importlib.util.find_spec("moto") is None:
        pytest.fail(
            "the bloop_engine fixtures start moto's server, which is not installed: "
            "pip install 'pydantic-bloop[server]', or set "
            f"{ENDPOINT_VARIABLE}=http://host:port to use another DynamoDB",
            pytrace=False,
        )
    with local_dynamodb() as url:
        yield url


@pytest.fixture(scope="session")
def dynamodb_client(dynamodb_endpoint: str) -> DynamoDBClient:
    """A boto3 client for ``dynamodb_endpoint``. A local server gets fake credentials (so none
    are looked for); another endpoint uses the environment's, or fake ones if it has none."""
    import boto3

    session = boto3.Session()
    local = not os.environ.get(ENDPOINT_VARIABLE, "").strip()
    if local or session.get_credentials() is None:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    client: DynamoDBClient = session.client(
        "dynamodb", endpoint_url=dynamodb_endpoint, region_name=session.region_name or "us-east-1"
    )
    return client


@pytest.fixture
def bloop_table_prefix() -> str:
    """A table-name prefix no other test (nor another pytest-xdist worker) uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"test-{worker}-{secrets.token_hex(4)}-"


@pytest.fixture
def bloop_engine(dynamodb_client: DynamoDBClient, bloop_table_prefix: str) -> Iterator[Engine]:
    """An ``Engine`` whose tables are named ``bloop_table_prefix + table_name``; those tables
    are deleted when the test ends."""
    from .engine import Engine

    yield Engine(client=dynamodb_client, table_name_template=bloop_table_prefix + "{table_name}")
    delete_tables(dynamodb_client, bloop_table_prefix)


@pytest.fixture
def dynamodb_environment(
    dynamodb_endpoint: str,
    dynamodb_client: DynamoDBClient,
    bloop_table_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """``dynamodb_endpoint``, set for the test as the endpoint of every DynamoDB and DynamoDB
    Streams client botocore or aiobotocore makes, with the credentials and region
    ``dynamodb_client`` uses; tables named with ``bloop_table_prefix`` are deleted afterwards."""
    botocore_client: Any = dynamodb_client  # botocore keeps credentials private (no public getter)
    credentials: Any = botocore_client._get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS"):
        monkeypatch.setenv(name, dynamodb_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", dynamodb_client.meta.region_name)
    if frozen is not None:
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", frozen.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", frozen.secret_key)
        if frozen.token:
            monkeypatch.setenv("AWS_SESSION_TOKEN", frozen.token)
        else:
            monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    yield dynamodb_endpoint
    delete_tables(dynamodb_client, bloop_table_prefix)


def delete_tables(client: DynamoDBClient, prefix: str) -> None:
    """Delete every table whose name starts with ``prefix`` (no waiting for them to go)."""
    names: list[str] = []
    pages = client.get_paginator("list_tables").paginate()
    for page in pages:
        names += [n for n in page.get("TableNames", []) if n.startswith(prefix)]
    for name in names:
        with suppress(client.exceptions.ResourceNotFoundException):  # gone already
            client.delete_table(TableName=name)
