"""A local DynamoDB for tests and demos: moto's server in a thread, reached over real HTTP.

``with local_dynamodb() as url: Engine(client=boto3.client("dynamodb", endpoint_url=url, ...))``.
Needs the ``server`` extra (``pip install pydantic-bloop[server]``).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from contextlib import contextmanager

__all__ = ["local_dynamodb"]


@contextmanager
def local_dynamodb(*, quiet: bool = True) -> Generator[str]:
    """Start moto's DynamoDB server on 127.0.0.1 (a free port) and yield its URL; stop it
    afterwards. ``quiet`` silences the per-request log lines."""
    from moto.server import ThreadedMotoServer

    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=not quiet)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
