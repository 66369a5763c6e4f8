"""Fixtures that put the fault-injecting proxy (tests/proxy.py) between an engine and the server.

* ``fault_proxy``: a :class:`FaultProxy` in front of this worker's server, passing everything
  through until a test sets ``fault_proxy.policy`` (``Script([...])`` or ``RandomFaults(...)``).
* ``make_proxied_engine(**settings)``: like ``make_engine`` (both engines, table names
  prefixed), but over a client of its own that talks to the proxy, with short timeouts
  (``read_timeout=``, seconds) and botocore's standard retries (``attempts=``, in all).
* ``proxied_client``: a boto3 client of the proxy (for tests of what other users of a client see).

With ``BLOOP_TEST_TRANSPORT=lean``, proxied engines carry their requests over a
``LeanTransport`` to the proxy (same timeouts and attempts) instead.

Check what was stored with the ``client`` fixture, which bypasses the proxy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import AsyncEngine, Engine, LeanTransport
from tests.engines import TRANSPORT, EngineKind, EngineOverAsync, LoopThread
from tests.proxy import FaultProxy

MakeProxiedEngine = Callable[..., Engine]


@pytest.fixture
def fault_proxy(endpoint_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(endpoint_url) as proxy:
        yield proxy


def _config(read_timeout: float, attempts: int) -> dict[str, Any]:
    return {
        "retries": {"mode": "standard", "total_max_attempts": attempts},
        "connect_timeout": read_timeout,
        "read_timeout": read_timeout,
    }


@pytest.fixture
def proxied_client(fault_proxy: FaultProxy, client_kwargs: dict[str, Any]) -> DynamoDBClient:
    kwargs: dict[str, Any] = {**client_kwargs, "endpoint_url": fault_proxy.url}
    client: DynamoDBClient = boto3.client("dynamodb", config=Config(**_config(10, 3)), **kwargs)
    return client


@pytest.fixture
def make_proxied_engine(
    engine_kind: EngineKind,
    fault_proxy: FaultProxy,
    client_kwargs: dict[str, Any],
    table_prefix: str,
    request: pytest.FixtureRequest,
) -> Iterator[MakeProxiedEngine]:
    kwargs: dict[str, Any] = {**client_kwargs, "endpoint_url": fault_proxy.url}
    closers: list[Callable[[], None]] = []

    def make(*, read_timeout: float = 10.0, attempts: int = 8, **settings: Any) -> Engine:
        settings.setdefault("table_name_template", table_prefix + "{table_name}")
        config = _config(read_timeout, attempts)
        transport: LeanTransport | None = None
        if TRANSPORT == "lean":
            transport = LeanTransport(
                region=kwargs["region_name"],
                endpoint_url=kwargs["endpoint_url"],
                max_attempts=attempts,
                connect_timeout=read_timeout,
                read_timeout=read_timeout,
                max_pool_connections=20,
            )
            closers.append(transport.close)
        if engine_kind == "sync":
            client: DynamoDBClient = boto3.client("dynamodb", config=Config(**config), **kwargs)
            return Engine(client=client, transport=transport, **settings)
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        loop: LoopThread = request.getfixturevalue("_loop_thread")

        async def build() -> tuple[Any, AsyncEngine]:
            session: Any = get_session()  # its stubs overload every AWS service
            manager = session.create_client(
                "dynamodb", config=AioConfig(max_pool_connections=20, **config), **kwargs
            )
            async_client = await manager.__aenter__()
            return manager, AsyncEngine(client=async_client, transport=transport, **settings)

        manager, engine = loop.run(build())
        closers.append(lambda: loop.run(manager.__aexit__(None, None, None)))
        return cast(Engine, EngineOverAsync(engine, loop))

    yield make
    for close in closers:
        close()
