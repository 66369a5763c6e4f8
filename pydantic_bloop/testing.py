"""A local DynamoDB for tests and demos: moto's server in a thread, reached over real HTTP.

``with local_dynamodb() as url: Engine(client=boto3.client("dynamodb", endpoint_url=url, ...))``.
Needs the ``server`` extra (``pip install pydantic-bloop[server]``).

``Script`` runs a plan against canned responses instead (see ``pydantic_bloop.scripted``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .scripted import Script, ScriptExhausted, client_error

__all__ = ["Script", "ScriptExhausted", "client_error", "local_dynamodb"]


@contextmanager
def local_dynamodb(*, quiet: bool = True) -> Generator[str]:
    """Start moto's DynamoDB server on 127.0.0.1 (a free port) and yield its URL; stop it
    afterwards. ``quiet`` silences the per-request log lines."""
    from moto.server import ThreadedMotoServer

    _patch_moto()
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=not quiet)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


_patching = threading.Lock()
_patched = False


def _patch_moto() -> None:
    """Make moto's server behave as DynamoDB where the suite found it does not (once)."""
    global _patched
    with _patching:
        if not _patched:
            _isolate_requests()
            _honour_request_tokens()
            _one_stream_record_per_update()
            _patched = True


def _replace(cls: type[Any], name: str, method: Callable[..., Any]) -> None:
    """Make ``method`` moto's ``cls.name`` (moto's classes declare no such assignment)."""
    setattr(cls, name, method)


_serial = threading.Lock()


def _isolate_requests() -> None:
    """Make moto's server apply one DynamoDB request at a time.

    Its server answers on many threads, and moto (5.2) applies a TransactWriteItems without
    isolation: it copies the tables, works, and on cancellation puts the copies back, undoing
    whatever other requests wrote meanwhile (20 threads each buying the last unit of a product
    saw two buyers succeed in 1 of 30 rounds, and copying a table while another request wrote
    to it crashed). DynamoDB isolates transactions from every other write: so does this server
    once its requests are serialized. Requests still arrive concurrently over HTTP.
    """
    from moto.dynamodb.responses import DynamoHandler

    call_action: Any = DynamoHandler.call_action

    def serialized(self: DynamoHandler) -> Any:
        with _serial:
            return call_action(self)

    _replace(DynamoHandler, "call_action", serialized)


# DynamoDB remembers a TransactWriteItems ClientRequestToken for 10 minutes after the request
TOKEN_WINDOW = 600.0


@dataclass(frozen=True, slots=True)
class _Applied:
    params: str  # the request without its token, to tell a retry from a reuse
    result: Any  # moto's ActionResult of the first, successful attempt
    at: float


_applied: dict[str, _Applied] = {}


def _honour_request_tokens() -> None:
    """Make moto's server honour TransactWriteItems' ``ClientRequestToken`` as DynamoDB does.

    moto (5.2) ignores the token: a retried transaction is applied again, and a changed request
    under the same token is accepted. DynamoDB answers a repeat of a successful request with its
    first result, without applying it again, for 10 minutes, and refuses a different request
    under the same token with ``IdempotentParameterMismatchException``. A failed attempt is not
    remembered: its retry runs again. Relies on ``_isolate_requests`` (one request at a time).
    """
    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.responses import DynamoHandler

    transact: Any = DynamoHandler.transact_write_items

    class IdempotentParameterMismatch(DynamodbException):
        def __init__(self) -> None:
            super().__init__(
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                message="The request uses the same client token as a previous, but non-identical "
                "request. Do not reuse a client token with different requests, unless the "
                "requests are identical.",
            )

    def idempotent(self: DynamoHandler) -> Any:
        body: dict[str, Any] = self.body
        token = body.get("ClientRequestToken")
        if not isinstance(token, str):
            return transact(self)
        params = json.dumps(
            {k: v for k, v in body.items() if k != "ClientRequestToken"}, sort_keys=True
        )
        now = time.monotonic()
        seen = _applied.get(token)
        if seen is not None and now - seen.at < TOKEN_WINDOW:
            if seen.params != params:
                raise IdempotentParameterMismatch()
            return seen.result
        result = transact(self)  # raises when cancelled: a failed attempt is not remembered
        _applied[token] = _Applied(params, result, now)
        return result

    _replace(DynamoHandler, "transact_write_items", idempotent)


# the stream records of the UpdateItem being applied, held back until it is done (requests run
# one at a time: see _isolate_requests); None outside an UpdateItem
_held_records: list[tuple[Any, Any, Any]] | None = None


def _one_stream_record_per_update() -> None:
    """Make moto's stream record one INSERT for an UpdateItem that creates an item.

    moto (5.2) creates the missing item by putting its key alone first, which its stream records
    as an INSERT of the bare key, followed by the INSERT of the whole item: a stream consumer gets
    a record no model can read (required fields missing). DynamoDB records one change per write.
    The records of an UpdateItem are held back and only its last one (the whole change) is kept;
    one that fails keeps moto's records as they were. Relies on ``_isolate_requests``.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    update: Any = DynamoDBBackend.update_item
    add: Any = StreamShard.add

    def held_add(self: StreamShard, old: Any, new: Any) -> None:
        if _held_records is None:
            add(self, old, new)
        else:
            _held_records.append((self, old, new))

    def update_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        global _held_records
        held: list[tuple[Any, Any, Any]] = []
        _held_records = held
        try:
            result = update(self, *args, **kwargs)
        except BaseException:
            _held_records = None
            for record in held:
                add(*record)
            raise
        _held_records = None
        if held:
            add(*held[-1])
        return result

    _replace(StreamShard, "add", held_add)
    _replace(DynamoDBBackend, "update_item", update_item)
