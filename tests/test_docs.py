"""Every ```python block of docs/*.md and README.md runs, against the test server.

The convention the pages follow: each page is one program. Its blocks run in order, in one
namespace (a fresh module per page), and they talk to DynamoDB the way a user's code does:
``Engine()`` or ``Engine(client=boto3.client("dynamodb"))``. The test points boto3 at the local
server through the standard environment variable ``AWS_ENDPOINT_URL_DYNAMODB`` (with dummy
credentials and a region), so the pages read exactly like code run against AWS. Tables a page
creates are deleted after it, so every page starts from an empty server and may use plain table
names such as ``posts``.

A block titled ``Needs DynamoDB Streams`` is left out on dynalite, which has none.
A block may be left out only when it needs AWS itself: put ``<!-- not-run: needs AWS -->`` on the
line before its fence, or give the fence the title ``needs AWS`` (```python title="needs AWS").
Code that must not run for another reason belongs in a ```text / ```console block, or in a runnable
form (``try: ... except SomeError``), which also documents the error.

A page about a feature dynalite lacks says so once, anywhere in it:
``<!-- dynalite-unsupported: no transactions in dynalite -->``; it is skipped on dynalite only.
"""

from __future__ import annotations

import linecache
import re
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+.-]*)(?P<attrs>.*)$"
)
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")
_NEEDS_AWS = "needs AWS"
_NEEDS_STREAMS = "needs dynamodb streams"
_DYNALITE_UNSUPPORTED = re.compile(r"<!--\s*dynalite-unsupported:\s*(?P<reason>.*?)\s*-->")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, first code line (1-based) and dedented code."""

    lang: str
    line: int
    code: str
    skip: str | None  # why it is not run (a not-run comment or title), None: it runs
    title: str = ""  # the fence's title="..."


def code_blocks(text: str) -> Iterator[Block]:
    """The fenced code blocks of a Markdown text, also those indented in admonitions or tabs."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        lang, attrs = opening["lang"].lower(), opening["attrs"]
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = _NOT_RUN.match(previous)
        skip = marker["reason"] if marker else None
        title = re.search(r'title="([^"]*)"', attrs)
        if title and _NEEDS_AWS.lower() in title[1].lower():
            skip = title[1]
        body: list[str] = []
        j = i + 1
        closing = re.compile(rf"^{re.escape(indent)}{fence[0]}{{{len(fence)},}}\s*$")
        while j < len(lines) and not closing.match(lines[j]):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        yield Block(lang, i + 2, "\n".join(body) + "\n", skip, title[1] if title else "")
        i = j + 1


def python_blocks(path: Path) -> list[Block]:
    return [b for b in code_blocks(path.read_text()) if b.lang in ("python", "py", "python3")]


def test_the_block_parser() -> None:
    text = (
        "Intro\n\n```python\nx = 1\n```\n\n<!-- not-run: needs AWS -->\n```python\naws()\n```\n"
        '!!! note\n    ```py title="demo"\n    y = 2\n    ```\n```console\n$ ls\n```\n'
        '```python title="needs AWS (real tables)"\nz()\n```\n'
    )
    blocks = list(code_blocks(text))
    assert [(b.lang, b.line, b.code, b.skip) for b in blocks] == [
        ("python", 4, "x = 1\n", None),
        ("python", 9, "aws()\n", "needs AWS"),
        ("py", 13, "y = 2\n", None),
        ("console", 16, "$ ls\n", None),
        ("python", 19, "z()\n", "needs AWS (real tables)"),
    ]


def test_every_page_has_code() -> None:
    pages = {p.name for p in PAGES}
    assert {"index.md", "README.md"} <= pages
    for page in PAGES:
        if page.name in ("reference.md", "typing.md"):
            continue  # generated from docstrings / written by its own author
        assert python_blocks(page), f"{page.name} has no python block"


def _delete_tables(client: DynamoDBClient, keep: set[str]) -> None:
    deleted = [name for name in client.list_tables()["TableNames"] if name not in keep]
    for name in deleted:
        client.delete_table(TableName=name)
    # dynalite lists a table as DELETING for a moment: the next page may create the same name
    deadline = time.monotonic() + 30
    while set(deleted) & set(client.list_tables()["TableNames"]):
        assert time.monotonic() < deadline, f"tables still listed: {deleted}"
        time.sleep(0.02)


# a page of prose only (the generated API reference) has nothing to run
RUNNABLE = [p for p in PAGES if any(b.skip is None for b in python_blocks(p))]


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_page_runs(
    page: Path,
    backend: str,
    endpoint_url: str,
    client: DynamoDBClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend == "external":
        pytest.skip("pages create tables with fixed names (posts, ...): run them on a local server")
    unsupported = _DYNALITE_UNSUPPORTED.search(page.read_text())
    if backend == "dynalite" and unsupported is not None:
        pytest.skip(f"unsupported on dynalite: {unsupported['reason']}")
    blocks = python_blocks(page)
    for block in blocks:
        if block.skip is not None and _NEEDS_AWS.lower() not in block.skip.lower():
            pytest.fail(
                f"{page.name}:{block.line}: only blocks that need AWS may be skipped, "
                f"not {block.skip!r}"
            )
    runnable = [b for b in blocks if b.skip is None]
    if backend == "dynalite":  # it has no DynamoDB Streams: pages mark the blocks that read one
        runnable = [b for b in runnable if _NEEDS_STREAMS not in b.title.lower()]

    # what a user would configure to reach a local server instead of AWS
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "BLOOP_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    # one module per page, registered so that pydantic resolves its annotations
    module_name = "docs_page_" + re.sub(r"\W", "_", page.stem)
    module = types.ModuleType(module_name)
    module.__file__ = str(page)
    monkeypatch.setitem(sys.modules, module_name, module)
    # tracebacks show the Markdown source: code is compiled at its own line numbers
    filename = str(page)
    source = page.read_text()
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

    tables_before = set(client.list_tables()["TableNames"])
    try:
        for block in runnable:
            padded = "\n" * (block.line - 1) + block.code
            exec(compile(padded, filename, "exec"), module.__dict__)
    finally:
        _delete_tables(client, tables_before)
        linecache.cache.pop(filename, None)
