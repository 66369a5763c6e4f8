"""Shared fixtures: a DynamoDB server reached over real HTTP through botocore.

The backend is chosen by environment variables:

* ``BLOOP_TEST_ENDPOINT=http://host:port`` — use that endpoint (DynamoDB Local, AWS, ...);
  it wins over everything else. The backend is then ``"external"``.
* ``BLOOP_TEST_BACKEND=moto`` (default) — moto's server in a thread of the test process.
* ``BLOOP_TEST_BACKEND=dynalite`` — dynalite (``node_modules/dynalite``) in a child process.
  It validates requests more strictly than moto, but lacks transactions and TTL: mark such
  tests ``@pytest.mark.dynalite_unsupported("needs transactions")`` or call the
  ``skip_on_dynalite("needs TTL")`` fixture inside the test.
* ``BLOOP_TEST_BACKEND=http://...`` is accepted as a synonym of ``BLOOP_TEST_ENDPOINT``.
* ``BLOOP_TEST_SERVER_ONLY=1`` deselects the tests that never use the server.
* ``BLOOP_TEST_NO_SERVER=1`` deselects the tests that use the server, except those marked
  ``server_sample`` (``./dev test``'s run on the oldest pydantic allowed).

Every pytest-xdist worker starts its own local server, so local tables never clash across
workers. Within a worker the server is shared by every test: name tables with the
``table_prefix`` fixture (e.g. ``Engine(..., table_name_template=table_prefix + "{table_name}")``)
and they are deleted when the test ends.

Fixtures: ``backend``, ``endpoint_url``, ``client_kwargs``, ``client``, ``table_prefix``,
``request_log``, ``skip_on_dynalite``.
"""

from __future__ import annotations

import copy
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import OperationModel
from mypy_boto3_dynamodb import DynamoDBClient

# make_engine / engine_kind: one suite over both engines (sync and async); pytester: tests of
# the pytest plugin (tests/test_pytest_plugin.py); the fault proxy's fixtures (tests/proxy.py)
pytest_plugins = ["tests.engines", "pytester", "tests.fault_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DYNALITE_CLI = ROOT / "node_modules" / "dynalite" / "cli.js"
REGION = "us-east-1"

Backend = Literal["moto", "dynalite", "external"]


def _select_backend() -> tuple[Backend, str | None]:
    """Read the environment: the backend's kind and, for ``external``, its endpoint."""
    endpoint = os.environ.get("BLOOP_TEST_ENDPOINT", "").strip()
    if endpoint:
        return "external", endpoint
    name = os.environ.get("BLOOP_TEST_BACKEND", "").strip() or "moto"
    if name.startswith(("http://", "https://")):
        return "external", name
    if name == "moto":
        return "moto", None
    if name == "dynalite":
        return "dynalite", None
    raise pytest.UsageError(
        f"BLOOP_TEST_BACKEND={name!r}: expected 'moto', 'dynalite' or an http(s):// URL "
        "(or set BLOOP_TEST_ENDPOINT=<url>)"
    )


BACKEND, EXTERNAL_ENDPOINT = _select_backend()

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

# Local servers accept any credentials; fake ones keep botocore from ever looking for real
# ones (~/.aws, the EC2 metadata service). An external endpoint keeps the credentials the
# environment has (AWS itself needs real ones), or gets fake ones (DynamoDB Local) if none.
if BACKEND == "external":
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    if boto3.Session().get_credentials() is None:
        os.environ.update(FAKE_CREDENTIALS)
else:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update({"AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"})
    os.environ.pop("AWS_PROFILE", None)


def pytest_report_header() -> str:
    where = EXTERNAL_ENDPOINT if BACKEND == "external" else "local, one server per worker"
    return f"pydantic_bloop test backend: {BACKEND} ({where})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``BLOOP_TEST_SERVER_ONLY=1``, run only the tests that talk to the backend; with
    ``BLOOP_TEST_NO_SERVER=1``, only those that do not (and the ``server_sample`` ones).

    ``./dev test`` sets it for its second (dynalite) pass: tests that never reach
    ``endpoint_url`` (directly or through another fixture) already ran in the first pass.
    """
    server_only = os.environ.get("BLOOP_TEST_SERVER_ONLY", "") in ("1", "true")
    no_server = os.environ.get("BLOOP_TEST_NO_SERVER", "") in ("1", "true")
    if not (server_only or no_server):
        return

    def wanted(item: pytest.Item) -> bool:
        uses_server = "endpoint_url" in getattr(item, "fixturenames", ())
        if server_only:
            return uses_server
        return not uses_server or item.get_closest_marker("server_sample") is not None

    keep = [item for item in items if wanted(item)]
    deselected = [item for item in items if not wanted(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("dynalite_unsupported")
    if marker is not None and BACKEND == "dynalite":
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        pytest.skip(f"unsupported on dynalite: {reason}" if reason else "unsupported on dynalite")


# ------------------------------------------------------------------------------------------
# Servers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start_dynalite(log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start dynalite on a free port; retry if another process grabbed the port first."""
    node = shutil.which("node")
    if node is None or not DYNALITE_CLI.exists():
        pytest.fail(
            "dynalite backend needs node and node_modules/dynalite: run `./dev test` or `npm ci`",
            pytrace=False,
        )
    for _attempt in range(5):
        port = _free_port()
        command = [node, str(DYNALITE_CLI), "--host", "127.0.0.1", "--port", str(port)]
        command += ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if _accepts_tcp(port):
                return proc, port
            time.sleep(0.05)
        _stop_process(proc)
    output = log.read_text(errors="replace")
    pytest.fail(f"dynalite did not start; its output:\n{output}", pytrace=False)


@pytest.fixture(scope="session")
def backend() -> Backend:
    """The kind of server the tests run against: "moto", "dynalite" or "external"."""
    return BACKEND


@pytest.fixture(scope="session")
def endpoint_url() -> Iterator[str]:
    """The URL of a DynamoDB endpoint, started for this session (per xdist worker) if local."""
    if EXTERNAL_ENDPOINT is not None:
        yield EXTERNAL_ENDPOINT
    elif BACKEND == "dynalite":
        with tempfile.TemporaryDirectory(prefix="bloop-dynalite-") as tmp:
            proc, port = _start_dynalite(Path(tmp) / "dynalite.log")
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                _stop_process(proc)
    else:
        from pydantic_bloop.testing import local_dynamodb

        with local_dynamodb() as url:  # moto's server in a thread
            yield url


@pytest.fixture(scope="session")
def client_kwargs(endpoint_url: str) -> dict[str, Any]:
    """Keyword arguments for another client of the same endpoint.

    ``boto3.client("dynamodb", **client_kwargs)``, or aiobotocore's
    ``session.create_client("dynamodb", **client_kwargs)``.
    """
    kwargs: dict[str, Any] = {"endpoint_url": endpoint_url, "region_name": REGION}
    if BACKEND != "external":
        kwargs["aws_access_key_id"] = "testing"
        kwargs["aws_secret_access_key"] = "testing"
    return kwargs


@pytest.fixture(scope="session")
def client(client_kwargs: dict[str, Any]) -> DynamoDBClient:
    """A boto3 DynamoDB client of the test endpoint, shared by the whole session."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=60
    )
    dynamodb: DynamoDBClient = boto3.client("dynamodb", config=config, **client_kwargs)
    return dynamodb


# ------------------------------------------------------------------------------------------
# Per-test helpers

_RUN_TOKEN = secrets.token_hex(3)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
_table_numbers = itertools.count(1)


def _delete_tables(client: DynamoDBClient, prefix: str) -> None:
    names: list[str] = []
    for page in client.get_paginator("list_tables").paginate():
        names += [n for n in page.get("TableNames", []) if n.startswith(prefix)]
    for name in names:
        try:
            client.delete_table(TableName=name)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("ResourceNotFoundException", "ResourceInUseException"):
                raise


@pytest.fixture
def table_prefix(client: DynamoDBClient) -> Iterator[str]:
    """A short prefix unique to this test (``t7-``); its tables are deleted afterwards.

    Against an external endpoint, the prefix also names this run and xdist worker
    (``t3f9a1c-w0-7-``) so that concurrent runs sharing one endpoint never clash.
    """
    number = next(_table_numbers)
    if BACKEND == "external":
        worker = f"w{_WORKER}-" if _WORKER else ""
        prefix = f"t{_RUN_TOKEN}-{worker}{number}-"
    else:
        prefix = f"t{number}-"
    yield prefix
    _delete_tables(client, prefix)


class RecordedRequest(NamedTuple):
    """One API call made through the ``client`` fixture: the operation and its parameters."""

    operation: str
    params: dict[str, Any]


class RequestLog(list[RecordedRequest]):
    """The API calls made through ``client`` during one test, oldest first."""

    @property
    def operations(self) -> list[str]:
        """The operation names, e.g. ``["CreateTable", "DescribeTable", "PutItem"]``."""
        return [request.operation for request in self]

    def of(self, operation: str) -> list[dict[str, Any]]:
        """The parameters of every call of ``operation``."""
        return [request.params for request in self if request.operation == operation]


@pytest.fixture
def request_log(client: DynamoDBClient) -> Iterator[RequestLog]:
    """Records ``(operation, params)`` of every call made through ``client`` during the test.

    ``params`` are the API parameters as passed to botocore (a deep copy, before
    serialization). Retries of one call are recorded once. Call ``request_log.clear()`` to
    ignore set-up calls.
    """
    log = RequestLog()

    def record(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        log.append(RecordedRequest(model.name, copy.deepcopy(params)))

    event = "before-parameter-build.dynamodb"
    client.meta.events.register(event, record)
    try:
        yield log
    finally:
        client.meta.events.unregister(event, record)


@pytest.fixture
def skip_on_dynalite(backend: Backend) -> Callable[[str], None]:
    """Call ``skip_on_dynalite("needs transactions")`` to skip the test on dynalite only."""

    def skip(reason: str) -> None:
        if backend == "dynalite":
            pytest.skip(f"unsupported on dynalite: {reason}")

    return skip
