"""The pytest plugin as users meet it: a throwaway project (pytester) whose only test files are the
ones docs/testing.md shows, run by pytest in a subprocess, serially and with ``-n 2``.

The project has no conftest and no credentials: the plugin is found through its ``pytest11``
entry point, starts moto's server itself, or uses ``BLOOP_TEST_ENDPOINT``.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "testing.md"
USER_FILES = ("test_notes.py", "test_async_notes.py")
PASSED = 11  # the page's test files: 2 tests + 8 parametrized ones, and 1 async test


def users_test_file(name: str) -> str:
    """The block of docs/testing.md titled ``name``."""
    found = re.search(
        rf'^```python title="{re.escape(name)}"\n(?P<code>.*?)^```$',
        PAGE.read_text(),
        re.MULTILINE | re.DOTALL,
    )
    assert found is not None, f"docs/testing.md has no block titled {name}"
    return found["code"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project with the page's test file, run in an environment with nothing of ours: no AWS
    credentials or region, no endpoint, not inside this session's xdist worker."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
        "BLOOP_TEST_ENDPOINT",
        "BLOOP_TEST_BACKEND",
        "BLOOP_TEST_SERVER_ONLY",
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
        "PYTEST_XDIST_WORKER",
        "PYTEST_XDIST_WORKER_COUNT",
        "PYTEST_XDIST_TESTRUNUID",
    ):
        monkeypatch.delenv(name, raising=False)
    empty = pytester.path / "no-aws"
    empty.mkdir()
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    pytester.makepyfile(**{name.removesuffix(".py"): users_test_file(name) for name in USER_FILES})
    return pytester


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "n2"])
def test_users_project_on_moto(project: pytest.Pytester, workers: int) -> None:
    args = ["-p", "no:cacheprovider", "-n", str(workers)]
    result = project.runpytest_subprocess(*args)
    result.assert_outcomes(passed=PASSED)
    if workers:
        assert "2 workers" in result.stdout.str()


def test_users_project_on_a_shared_endpoint(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    endpoint_url: str,
    client: DynamoDBClient,
) -> None:
    """Both workers use one server (ours): the per-test prefixes keep their tables apart, and
    every table is gone afterwards."""
    monkeypatch.setenv("BLOOP_TEST_ENDPOINT", endpoint_url)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=PASSED)
    left = [n for n in client.list_tables()["TableNames"] if n.startswith("test-")]
    assert left == []


def test_pytest_finds_the_plugin_by_its_entry_point() -> None:
    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert found.get("pydantic_bloop") == "pydantic_bloop.pytest_plugin"
