"""``AsyncEngine``: the same operations on asyncio, over an aiobotocore client.

It runs the very plans the sync ``Engine`` runs (see `plans`); only the transport differs:
calls are awaited, parallel calls are gathered (at most ``max_concurrency`` at once), sleeps are
``asyncio.sleep``. Queries are async iterators that prefetch their next page while the caller
works through the current one.

Cancellation: a save, delete or update cancelled with its requests in flight may or may not
have been applied; its objects then stop trusting their snapshots (see docs/saving.md, "What
happens when a write's outcome is unknown"): saving them again sends every loaded attribute,
and atomic conditions accept either item.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import abc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, Unpack, overload

from .actions import UpdateAction
from .aio_clients import aio_client
from .answers import engine_call, guard
from .conditions import ConditionArg
from .drivers import Outcomes, run_async
from .engine import Bindings, EngineCore, streams_endpoint
from .entities import Collection
from .errors import InvalidItem
from .hooks import Hooks
from .indexes import Index
from .lean_transport import LeanTransport
from .migrations import Migration
from .migrations import Progress as OnProgress
from .models import Base
from .outcomes import transport_errors
from .paging import Cursor, Page, Progress, QueryState, count, page_before
from .plans import Call, Plan, Response
from .plans import call as call_plan
from .query import QueryBuilder, target_state
from .readers import AsyncStreamReader
from .settings import EngineConfig, Settings
from .stream_reader import OnError, Start
from .table_admin import TableDescription, describe_table, exists
from .table_options import TableOption
from .transactions import Transaction

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient as AsyncDynamoDBClient
    from types_aiobotocore_dynamodbstreams import (
        DynamoDBStreamsClient as AsyncDynamoDBStreamsClient,
    )

M = TypeVar("M", bound=Base)
R = TypeVar("R")


class AsyncEngine(EngineCore):
    """``Engine``'s API with ``await``: ``await engine.save(post)``,
    ``async for p in engine.query(Post.by_user).key(...)``.

    Pass an aiobotocore client (``async with session.create_client("dynamodb") as client``), or
    none and use ``async with AsyncEngine() as engine`` to have one created and closed.
    ``streams_client`` (an aiobotocore ``"dynamodbstreams"`` client) serves stream reads;
    without one, one is made from ``client`` when first needed, and closed on leaving
    ``async with`` (or by ``await engine.close()``). ``transport=LeanTransport(...)`` carries
    every request instead (its blocking calls run in worker threads; see docs/transport.md).
    """

    def __init__(  # keyword parameters, alike in shape only to other constructors
        self,
        client: AsyncDynamoDBClient | None = None,
        *,
        streams_client: AsyncDynamoDBStreamsClient | None = None,
        transport: LeanTransport | None = None,
        **settings: Unpack[Settings],
    ) -> None:
        self._transport = transport
        self._client = client
        self._owned: Any = None  # the client's context manager, when we created the client
        self._streams_client = streams_client
        self._owned_streams: Any = None  # the same for a streams client we created
        self.config = EngineConfig().with_settings(settings)
        self._bindings = Bindings()
        self.hooks = Hooks(sync=False)  # handlers may be async functions, or plain ones
        self._bind_lock = asyncio.Lock()

    def __repr__(self) -> str:
        c = self.config
        return (
            f"<AsyncEngine atomic={c.atomic} persist={c.persist!r} "
            f"tables={c.table_name_template!r}>"
        )

    @property
    def client(self) -> AsyncDynamoDBClient:
        if self._client is None:
            raise RuntimeError(
                "AsyncEngine has no client: pass client=... or use `async with AsyncEngine()`"
            )
        return self._client

    async def __aenter__(self) -> Self:
        if self._client is None and self._transport is None:
            self._owned = aio_client()
            self._client = await self._owned.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the clients this engine created (none it was given)."""
        if self._owned_streams is not None:
            owned, self._owned_streams, self._streams_client = self._owned_streams, None, None
            await owned.__aexit__(None, None, None)
        if self._owned is not None:
            owned, self._owned, self._client = self._owned, None, None
            await owned.__aexit__(None, None, None)

    async def streams(self) -> AsyncDynamoDBStreamsClient:
        """The DynamoDB Streams client: the one given, or else one made (once) like `client`."""
        if self._streams_client is None:
            from aiobotocore.session import get_session

            client = self.client
            botocore_client: Any = client  # botocore keeps credentials private (no public getter)
            credentials: Any = botocore_client._get_credentials()
            frozen = await credentials.get_frozen_credentials() if credentials else None
            session: Any = get_session()  # its stubs overload every AWS service
            self._owned_streams = session.create_client(
                "dynamodbstreams",
                region_name=client.meta.region_name,
                endpoint_url=streams_endpoint(client.meta.endpoint_url),
                config=client.meta.config,
                aws_access_key_id=frozen.access_key if frozen else None,
                aws_secret_access_key=frozen.secret_key if frozen else None,
                aws_session_token=frozen.token if frozen else None,
            )
            self._streams_client = await self._owned_streams.__aenter__()
        assert self._streams_client is not None
        return self._streams_client

    # From here to the transport: Engine's public methods one for one, each running the plan
    # EngineCore builds. Only `await` differs, and a blocking and an awaiting method cannot
    # share a body: what repeats is the signature and the call of the plan, never its logic.

    @asynccontextmanager
    async def context(self, **changes: Unpack[Settings]) -> AsyncGenerator[AsyncEngine]:
        """An engine with some settings changed, sharing this one's client and bindings."""
        yield self._derive(changes)

    async def bind(
        self, *models: type[Base], migrate: bool = False, skip: abc.Collection[TableOption] = ()
    ) -> None:
        """Create or validate the tables of ``models``; see ``Engine.bind``."""
        async with self._bind_lock:
            await self.run(self._bind_plan(models, migrate, skip))

    async def migration(
        self,
        *models: type[Base],
        drop_indexes: bool = False,
        drop_stream: bool = False,
        skip: abc.Collection[TableOption] = (),
    ) -> Migration:
        """What ``migrate`` would do; see ``Engine.migration``."""
        plan = self._migration_plan(
            models, skip, drop_indexes=drop_indexes, drop_stream=drop_stream
        )
        return await self.run(plan)

    async def migrate(
        self,
        *models: type[Base],
        drop_indexes: bool = False,
        drop_stream: bool = False,
        skip: abc.Collection[TableOption] = (),
        progress: OnProgress | None = None,
        timeout: float = 600.0,
    ) -> Migration:
        """Migrate and bind the tables of ``models``; see ``Engine.migrate``."""
        async with self._bind_lock:
            return await self.run(
                self._bind_plan(
                    models,
                    True,
                    skip,
                    progress,
                    timeout,
                    drop_indexes=drop_indexes,
                    drop_stream=drop_stream,
                )
            )

    async def table_exists(self, model: type[Base]) -> bool:
        """Whether the table of ``model`` exists."""
        return await self.run(exists(self._table_of(model)))

    async def describe_table(self, model: type[Base]) -> TableDescription | None:
        """What DynamoDB says about the table of ``model``; None when it does not exist."""
        return await self.run(describe_table(self._table_of(model)))

    async def delete_table(self, model: type[Base], *, wait: bool = True) -> bool:
        """Delete the table of ``model``; see ``Engine.delete_table``."""
        return await self.run(self._delete_table_plan(model, wait))

    async def get(
        self,
        model: type[M],
        key: abc.Mapping[str, object] | None = None,
        /,
        *,
        consistent: bool = False,
        **fields: object,
    ) -> M:
        """The object with this key (keywords and/or a mapping), or ``MissingObjects``."""
        return await self.run(self._get_plan(model, consistent, key, fields))

    async def get_or_none(
        self,
        model: type[M],
        key: abc.Mapping[str, object] | None = None,
        /,
        *,
        consistent: bool = False,
        **fields: object,
    ) -> M | None:
        """``get``, but None when no item has the key; see ``Engine.get_or_none``."""
        return await self.run(self._get_or_none_plan(model, consistent, key, fields))

    async def load(self, *objs: Base, consistent: bool = False, transaction: bool = False) -> None:
        """Refresh ``objs`` in place (batched); ``MissingObjects`` lists any not found.
        ``transaction=True``: one ``TransactGetItems``, see ``Engine.load``."""
        if objs:
            await self.run(self._load_plan(objs, consistent, transaction))

    async def save(self, *objs: Base, condition: ConditionArg | None = None) -> None:
        """Store ``objs``; see ``Engine.save``."""
        if objs:
            await self.run(self._save_plan(objs, condition))

    async def delete(self, *objs: Base, condition: ConditionArg | None = None) -> None:
        """Delete ``objs`` (batched when unconditional)."""
        if objs:
            await self.run(self._delete_plan(objs, condition))

    async def update(
        self,
        obj: M,
        *actions: UpdateAction,
        condition: ConditionArg | None = None,
        refresh: bool = True,
    ) -> M:
        """One ``UpdateItem`` of ``obj``'s pending changes and ``actions``; see
        ``Engine.update``."""
        return await self.run(self._update_plan(obj, actions, condition, refresh))

    @asynccontextmanager
    async def transaction(
        self, *, client_request_token: str | None = None
    ) -> AsyncGenerator[Transaction]:
        """``async with engine.transaction() as tx:``: see ``Engine.transaction`` (recording
        is not awaited: ``tx.save(...)``; the commit is, when the block ends)."""
        tx = self._transaction(client_request_token)
        yield tx
        await self.run(tx.commit())

    # one overload set per method, as in Engine (typing cannot share one between methods)
    @overload
    def query(self, target: Index[M]) -> AsyncQuery[M]: ...
    @overload
    def query(self, target: type[M]) -> AsyncQuery[M]: ...
    @overload
    def query(self, target: Collection[M]) -> AsyncQuery[M]: ...
    def query(self, target: type[M] | Index[M] | Collection[M]) -> AsyncQuery[M]:
        """A query on a model's table or one of its indexes; add ``.key(...)``."""
        return AsyncQuery(self, target_state(target, scan=False))

    @overload
    def scan(self, target: Index[M]) -> AsyncQuery[M]: ...
    @overload
    def scan(self, target: type[M]) -> AsyncQuery[M]: ...
    @overload
    def scan(self, target: Collection[M]) -> AsyncQuery[M]: ...
    def scan(self, target: type[M] | Index[M] | Collection[M]) -> AsyncQuery[M]:
        """A scan of a model's table or one of its indexes."""
        return AsyncQuery(self, target_state(target, scan=True))

    def stream(
        self, model: type[M], /, *, start: Start = "trim_horizon", errors: OnError = "raise"
    ) -> AsyncStreamReader[M]:
        """``Engine.stream`` on this engine: ``await reader.read()``."""
        return AsyncStreamReader(self, model, start=start, errors=errors)

    # -- the transport ---------------------------------------------------------------------------

    async def _execute(self, call: Call) -> Response:
        if self._transport is not None:  # blocking HTTP, in a worker thread
            with transport_errors(call.operation):
                return await asyncio.to_thread(self._transport.execute, call)
        if call.service == "dynamodb":
            client: object = self.client
            guard(client)  # answers that are not DynamoDB's are refused (see answers.py)
        elif call.service == "dynamodbstreams":
            client = await self.streams()
        else:
            raise ValueError(f"no client for service {call.service!r}")
        method = getattr(client, call.operation)
        with engine_call(), transport_errors(call.operation):
            response: Response = await method(**call.params)
        return response

    async def _parallel(self, calls: tuple[Call, ...]) -> Outcomes:
        limit = asyncio.Semaphore(self.config.max_concurrency)

        async def one(call: Call) -> Response:
            async with limit:
                return await self._execute(call)

        results = await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)
        for result in results:
            if isinstance(result, asyncio.CancelledError):
                raise result
        return list(results)

    async def run(self, plan: Plan[R]) -> R:
        """Carry out ``plan`` (see ``pydantic_bloop.plans``): the async twin of ``Engine.run``."""
        return await self.hooks.run_async(
            lambda: run_async(
                self._watched(plan),
                self._execute,
                self._parallel,
                asyncio.sleep,
                self.hooks.await_before,
            )
        )


class AsyncQuery(QueryBuilder[M]):
    """A query or scan on the async engine: ``async for``, and awaitable ``all()``,
    ``first()``, ``one()``, ``count()``, ``page()``."""

    __slots__ = ("_engine",)

    # Query's methods with `await` (see AsyncEngine): the building is QueryBuilder's, the
    # paging the Cursor's; what repeats is how each result is awaited.
    def __init__(self, engine: AsyncEngine, state: QueryState[M]) -> None:
        super().__init__(state)
        self._engine = engine

    def __aiter__(self) -> AsyncResults[M]:
        return AsyncResults(self._engine, Cursor(self._state, self._engine.table_name(self.model)))

    async def all(self) -> list[M]:
        return [obj async for obj in self]

    async def first(self) -> M:
        return self._first_of(await self.limit(1).all())

    async def one(self) -> M:
        return self._only_of(await self.limit(2).all())

    async def count(self) -> int:
        return await self._engine.run(count(self._state, self._engine.table_name(self.model)))

    async def page(self, size: int | None = None) -> Page[M]:
        query = self.limit(size) if size is not None else self
        cursor = Cursor(query._state, self._engine.table_name(self.model))
        results = AsyncResults(self._engine, cursor)
        items: list[M] = []
        try:
            if size is None:
                await results.take_page(items)
            else:
                async for obj in results:
                    items.append(obj)
        except InvalidItem as error:  # on_invalid("raise"): the items before it are kept
            return page_before(items, error, cursor)
        return Page(items, results.token, results.invalid)


class AsyncResults(Progress[M]):
    """The async iterator of a query. While the caller works through a page, the next page is
    already being fetched (one page ahead, never more)."""

    def __init__(self, engine: AsyncEngine, cursor: Cursor[M]) -> None:
        self._engine = engine
        self._cursor = cursor
        self._next: asyncio.Task[Response] | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> M:
        cursor = self._cursor
        while True:
            obj = await self._engine.hooks.run_then_await(cursor.pop)  # loaded hooks
            if obj is not None:
                return obj
            if not await self._fetch():
                raise StopAsyncIteration

    async def _fetch(self) -> bool:
        """Accept the next page (prefetched or not); False when there is none."""
        cursor = self._cursor
        task, self._next = self._next, None
        if task is None:
            call = cursor.next_call()
            if call is None:
                return False
            response = await self._engine.run(call_plan(call))
        else:
            response = await task
        cursor.accept(response)
        wanted = cursor.remaining is None or len(cursor.buffer) < cursor.remaining
        if wanted:
            call = cursor.next_call()
            if call is not None:
                self._next = asyncio.ensure_future(self._engine.run(call_plan(call)))
        return True

    async def take_page(self, into: list[M] | None = None) -> list[M]:
        """The rest of the current page, or else everything the next request returns (added
        to ``into``, which keeps what was read when an unreadable item raises)."""
        items: list[M] = [] if into is None else into
        if self._cursor.page_done() and not await self._fetch():
            return items
        self.close()
        cursor = self._cursor
        await self._engine.hooks.run_then_await(lambda: items.extend(cursor.drain()))
        return items

    def close(self) -> None:
        """Stop prefetching (the iterator stays usable; it fetches on demand). Safe from any
        thread: ``__del__`` runs it wherever the last reference goes (often not the loop's
        thread), and a task may only be cancelled by its own loop."""
        task, self._next = self._next, None
        if task is None or task.done():
            return
        loop = task.get_loop()
        if _running_loop() is loop:
            task.cancel()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing runs
                loop.call_soon_threadsafe(task.cancel)

    def __del__(self) -> None:
        self.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
