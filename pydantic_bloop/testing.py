"""A local DynamoDB for tests and demos: moto's server in a thread, reached over real HTTP.

``with local_dynamodb() as url: Engine(client=boto3.client("dynamodb", endpoint_url=url, ...))``.
Needs the ``server`` extra (``pip install pydantic-bloop[server]``).

``Script`` runs a plan against canned responses instead (see ``pydantic_bloop.scripted``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from .scripted import Script, ScriptExhausted, client_error

__all__ = ["Script", "ScriptExhausted", "client_error", "local_dynamodb"]


@contextmanager
def local_dynamodb(*, quiet: bool = True) -> Generator[str]:
    """Start moto's DynamoDB server on 127.0.0.1 (a free port) and yield its URL; stop it
    afterwards. ``quiet`` silences the per-request log lines."""
    from moto.server import ThreadedMotoServer

    _isolate_requests()
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=not quiet)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


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
    if getattr(call_action, "_bloop_serial", False):
        return

    def serialized(self: DynamoHandler) -> Any:
        with _serial:
            return call_action(self)

    serialized._bloop_serial = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = serialized  # type: ignore[method-assign]
