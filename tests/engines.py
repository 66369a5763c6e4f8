"""Run one test suite against both engines.

The ``make_engine`` fixture is parametrised over ``sync`` and ``async``. For ``async`` it returns
:class:`EngineOverAsync`: a thin adapter with ``Engine``'s blocking API whose every call runs the
real ``AsyncEngine`` (over a real aiobotocore client and its own HTTP connections) on an event
loop in a background thread. The adapter adds no logic: each method awaits the async method of
the same name, so the same test body checks both engines.

Transport: with ``BLOOP_TEST_TRANSPORT=lean`` both engines carry their requests over
``LeanTransport`` instead of the boto3 / aiobotocore clients; the transport emits botocore's
request events on the ``client`` fixture's emitter, so the same hooks see its requests.

Event hooks: the aiobotocore client forwards its request events (``before-parameter-build``,
``before-call``, ``before-send``, ``after-call``, ...) to the sync ``client`` fixture's emitter,
so the ``request_log`` fixture and fault-injection hooks registered on ``client`` see (and can
alter) the async engine's requests exactly like the sync engine's.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Callable, Coroutine, Generator, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, Literal, TypeVar, cast

import pytest
from botocore.awsrequest import AWSResponse
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsyncEngine,
    AsyncQuery,
    AsyncResults,
    AsyncStreamReader,
    Engine,
    LeanTransport,
    Transaction,
)

T = TypeVar("T")
EngineKind = Literal["sync", "async"]
MakeEngine = Callable[..., Engine]

TRANSPORT = os.environ.get("BLOOP_TEST_TRANSPORT", "").strip() or "boto3"
if TRANSPORT not in ("boto3", "lean"):
    raise pytest.UsageError(f"BLOOP_TEST_TRANSPORT={TRANSPORT!r}: expected 'boto3' or 'lean'")

_FORWARDED = (
    "provide-client-params",
    "before-parameter-build",
    "before-call",
    "before-send",
    "after-call",
)


class LoopThread:
    """An asyncio loop running in a daemon thread; ``run(coro)`` blocks for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


def _wrap(value: Any, loop: LoopThread) -> Any:
    if isinstance(value, AsyncQuery):
        return QueryOverAsync(value, loop)
    if isinstance(value, AsyncEngine):
        return EngineOverAsync(value, loop)
    if isinstance(value, AsyncStreamReader):  # read() is awaited; position etc. pass through
        return _Adapter(value, loop)
    return value


class _Adapter:
    """Delegates attribute access; methods returning coroutines are awaited on the loop."""

    def __init__(self, inner: Any, loop: LoopThread) -> None:
        self._inner = inner
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return _wrap(attr, self._loop)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.isawaitable(result):
                result = self._loop.run(_awaited(result))
            return _wrap(result, self._loop)

        return call

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inner!r})"


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class EngineOverAsync(_Adapter):
    """``Engine``'s blocking API over an ``AsyncEngine``."""

    @property
    def async_engine(self) -> AsyncEngine:
        """The adapted engine, for tests that run several of its coroutines at once."""
        engine: AsyncEngine = self._inner
        return engine

    @property
    def loop(self) -> LoopThread:
        return self._loop

    @contextmanager
    def context(self, **changes: Any) -> Generator[EngineOverAsync]:
        manager: AbstractAsyncContextManager[AsyncEngine] = self._inner.context(**changes)
        with self._entered(manager) as derived:
            yield EngineOverAsync(derived, self._loop)

    @contextmanager
    def transaction(self, **options: Any) -> Generator[Transaction]:
        manager: AbstractAsyncContextManager[Transaction] = self._inner.transaction(**options)
        with self._entered(manager) as tx:
            yield tx

    @contextmanager
    def _entered(self, manager: AbstractAsyncContextManager[T]) -> Generator[T]:
        """``async with manager`` on the loop, as a blocking ``with``."""
        value = self._loop.run(manager.__aenter__())
        try:
            yield value
        except BaseException as exc:
            if not self._loop.run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            self._loop.run(manager.__aexit__(None, None, None))


class QueryOverAsync(_Adapter):
    """``Query``'s blocking API over an ``AsyncQuery``."""

    def __iter__(self) -> ResultsOverAsync:
        return ResultsOverAsync(self._inner.__aiter__(), self._loop)


class ResultsOverAsync(_Adapter):
    """``Results``' blocking iterator over ``AsyncResults``."""

    def __iter__(self) -> ResultsOverAsync:
        return self

    def __next__(self) -> Any:
        results: AsyncResults[Any] = self._inner
        try:
            return self._loop.run(_awaited(results.__anext__()))
        except StopAsyncIteration:
            raise StopIteration from None


class _AsyncResponse:
    """A botocore HTTP response as aiobotocore reads one: its body is awaited."""

    def __init__(self, response: AWSResponse) -> None:
        self._response = response
        self.url = response.url
        self.status_code = response.status_code
        self.headers = response.headers
        self.raw = response.raw

    @property
    async def content(self) -> bytes:
        return self._response.content

    @property
    async def text(self) -> str:
        return self._response.text


def _bridge_events(async_client: Any, client: DynamoDBClient) -> None:
    target = client.meta.events

    def forward(event_name: str, **kwargs: Any) -> Any:
        for _handler, response in target.emit(event_name, **kwargs):
            if isinstance(response, AWSResponse):  # a canned HTTP answer (before-send)
                return _AsyncResponse(response)
            if response is not None:
                return response
        return None

    for event in _FORWARDED:
        async_client.meta.events.register(f"{event}.dynamodb", forward)


async def _open_client(client_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    config = AioConfig(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=20)
    session: Any = get_session()  # its stubs overload every AWS service
    manager = session.create_client("dynamodb", config=config, **client_kwargs)
    return manager, await manager.__aenter__()


@pytest.fixture(scope="session")
def _loop_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.stop()


@pytest.fixture(scope="session")
def _async_client(
    _loop_thread: LoopThread, client_kwargs: dict[str, Any], client: DynamoDBClient
) -> Iterator[Any]:
    manager, async_client = _loop_thread.run(_open_client(client_kwargs))
    _bridge_events(async_client, client)
    yield async_client
    _loop_thread.run(manager.__aexit__(None, None, None))


@pytest.fixture(scope="session")
def lean_transport(
    client_kwargs: dict[str, Any], client: DynamoDBClient
) -> Iterator[LeanTransport]:
    """A `LeanTransport` to the test endpoint, emitting its request events on ``client``'s."""
    transport = LeanTransport(
        region=client_kwargs["region_name"],
        endpoint_url=client_kwargs["endpoint_url"],
        max_attempts=4,  # as the client fixture's retries={"max_attempts": 3}
        max_pool_connections=20,
        read_timeout=60,
        connect_timeout=5,
        events=client.meta.events,
    )
    yield transport
    transport.close()


@pytest.fixture(params=["sync", "async"])
def engine_kind(request: pytest.FixtureRequest) -> EngineKind:
    """Which engine ``make_engine`` builds; tests using it run once per engine."""
    kind: EngineKind = request.param
    return kind


@pytest.fixture
def make_engine(
    engine_kind: EngineKind,
    client: DynamoDBClient,
    table_prefix: str,
    request: pytest.FixtureRequest,
) -> MakeEngine:
    """``make_engine(**settings)``: an engine of this test's kind on the test server, its table
    names prefixed with ``table_prefix``. Typed as ``Engine``: the async one is adapted."""

    def make(**settings: Any) -> Engine:
        settings.setdefault("table_name_template", table_prefix + "{table_name}")
        transport: LeanTransport | None = None
        if TRANSPORT == "lean":
            transport = request.getfixturevalue("lean_transport")
        if engine_kind == "sync":
            return Engine(client=client, transport=transport, **settings)
        loop: LoopThread = request.getfixturevalue("_loop_thread")
        async_client = request.getfixturevalue("_async_client")

        async def build() -> AsyncEngine:  # AsyncEngine makes its lock inside the loop
            return AsyncEngine(client=async_client, transport=transport, **settings)

        if not settling:  # once per test, however many engines it makes
            settling.append(True)
            request.addfinalizer(lambda: loop.run(_settle()))
        return cast(Engine, EngineOverAsync(loop.run(build()), loop))

    settling: list[bool] = []
    return make


async def _settle() -> None:
    """Let every task a test left on the shared loop end (a page an abandoned query was
    prefetching): its requests must not reach the next test's ``request_log`` or faults."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:  # the bound only keeps a stuck task from hanging the whole run
        await asyncio.wait(others, timeout=30)
