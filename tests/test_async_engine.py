"""What only the async engine has: awaitable API, async iteration with prefetch, bounded
concurrency, and cancellation that never leaves a snapshot claiming an unwritten state.

Behaviour shared with the sync engine is tested once for both engines (``make_engine``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import pytest
from botocore.model import OperationModel
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsyncEngine,
    Base,
    ConstraintViolation,
    HashKey,
    MissingObjects,
    RangeKey,
    UnboundModel,
    col,
)
from pydantic_bloop.tracking import snapshot_of

T = TypeVar("T")


class Entry(Base):
    log: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    body: str = ""


@asynccontextmanager
async def async_engine(
    client_kwargs: dict[str, Any], table_prefix: str, log: list[str] | None, **settings: Any
) -> AsyncGenerator[AsyncEngine]:
    from aiobotocore.session import get_session

    session: Any = get_session()
    async with session.create_client("dynamodb", **client_kwargs) as aio_client:
        if log is not None:
            calls = log

            def record(model: OperationModel, **_: object) -> None:
                calls.append(model.name)

            aio_client.meta.events.register("before-call.dynamodb", record)
        engine = AsyncEngine(
            client=aio_client, table_name_template=table_prefix + "{table_name}", **settings
        )
        await engine.bind(Entry)
        yield engine


def run(
    client_kwargs: dict[str, Any],
    table_prefix: str,
    body: Callable[[AsyncEngine], Awaitable[T]],
    log: list[str] | None = None,
    **settings: Any,
) -> T:
    async def main() -> T:
        async with async_engine(client_kwargs, table_prefix, log, **settings) as engine:
            return await body(engine)

    return asyncio.run(main())


def entries(n: int, log: str = "a") -> list[Entry]:
    return [Entry(log=log, seq=i, body=f"#{i}") for i in range(n)]


def test_awaitable_operations_and_async_iteration(
    client_kwargs: dict[str, Any], table_prefix: str, client: DynamoDBClient
) -> None:
    async def body(engine: AsyncEngine) -> None:
        async with engine.context(persist="overwrite") as bulk:
            await bulk.save(*entries(120))
        assert engine.config.persist == "update"  # the context left the engine untouched
        got = await engine.get(Entry, log="a", seq=5)
        assert got.body == "#5"
        got.body = "five"
        await engine.save(got)
        with pytest.raises(ConstraintViolation):
            await engine.save(got, condition=col(Entry.body) == "nope")
        query = engine.query(Entry).key(col(Entry.log) == "a").page_size(50)
        seen = [e.seq async for e in query]
        assert seen == list(range(120))
        assert await query.count() == 120
        assert (await query.first()).seq == 0
        with pytest.raises(MissingObjects):
            await query.one()
        page = await query.page(30)
        rest = await query.resume(page.token).all()
        assert [e.seq for e in page.items + rest] == list(range(120))
        await engine.delete(*(await query.all()))
        assert await engine.scan(Entry).count() == 0

    run(client_kwargs, table_prefix, body)


def test_query_prefetches_the_next_page_while_the_caller_works(
    client_kwargs: dict[str, Any], table_prefix: str
) -> None:
    request_log_async: list[str] = []

    async def body(engine: AsyncEngine) -> None:
        async with engine.context(persist="overwrite") as bulk:
            await bulk.save(*entries(30))
        request_log_async.clear()
        results = engine.query(Entry).key(col(Entry.log) == "a").page_size(10).__aiter__()
        first = await results.__anext__()
        assert first.seq == 0
        await asyncio.sleep(0.05)  # the caller "works" on item 0; page 2 arrives meanwhile
        assert request_log_async.count("Query") == 2
        rest = [e.seq async for e in results]
        assert rest == list(range(1, 30))
        # 3 pages of 10 and the empty 4th that DynamoDB's LastEvaluatedKey asks for, at most
        assert request_log_async.count("Query") <= 4

    run(client_kwargs, table_prefix, body, request_log_async)


def test_concurrency_is_bounded(client_kwargs: dict[str, Any], table_prefix: str) -> None:
    in_flight = 0
    peak = 0

    async def body(engine: AsyncEngine) -> None:
        nonlocal in_flight, peak
        real_execute = engine._execute  # pyright: ignore[reportPrivateUsage]

        async def counting(call: Any) -> Any:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0.005)  # hold the slot so overlap is observable
                return await real_execute(call)
            finally:
                in_flight -= 1

        engine._execute = counting  # type: ignore[method-assign]  # pyright: ignore[reportPrivateUsage]
        await engine.save(*entries(40))  # update mode: 40 concurrent UpdateItems
        stored = await engine.query(Entry).key(col(Entry.log) == "a").count()
        assert stored == 40

    run(client_kwargs, table_prefix, body, max_concurrency=3)
    assert peak == 3


def test_cancelling_a_bulk_save_leaves_only_true_snapshots(
    client_kwargs: dict[str, Any], table_prefix: str, client: DynamoDBClient
) -> None:
    objs = entries(400)  # 16 BatchWriteItem requests, 2 at a time
    log: list[str] = []

    def stored() -> set[int]:
        pages = client.get_paginator("scan").paginate(TableName=f"{table_prefix}Entry")
        return {int(item["seq"].get("N", "")) for page in pages for item in page["Items"]}

    async def body(engine: AsyncEngine) -> None:
        async with engine.context(persist="overwrite", max_concurrency=2) as bulk:
            task = asyncio.ensure_future(bulk.save(*objs))
            while log.count("BatchWriteItem") < 4:
                await asyncio.sleep(0.001)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        written = stored()
        assert 0 < len(written) < len(objs)  # cancelled mid-batch
        # No object claims a state that was not stored: the outcome of a cancelled save is
        # unknown, so every object doubts its snapshot (issue 18, failure 3) and a later save
        # sends every object again (batch puts are idempotent).
        assert all((s := snapshot_of(o)) is None or s.doubt for o in objs)
        async with engine.context(persist="overwrite") as bulk:
            await bulk.save(*objs)
        assert all(snapshot_of(o) is not None for o in objs)

    run(client_kwargs, table_prefix, body, log)
    assert stored() == set(range(400))


def test_errors(client_kwargs: dict[str, Any], table_prefix: str) -> None:
    class Elsewhere(Base):
        id: Annotated[str, HashKey()]

    async def body(engine: AsyncEngine) -> None:
        with pytest.raises(UnboundModel):
            await engine.get(Elsewhere, id="x")
        with pytest.raises(MissingObjects):
            await engine.get(Entry, log="none", seq=1)
        with pytest.raises(MissingObjects) as missing:
            await engine.load(*entries(3, log="ghost"))
        assert len(missing.value.objects) == 3

    run(client_kwargs, table_prefix, body)
    with pytest.raises(RuntimeError, match="no client"):
        AsyncEngine().client  # noqa: B018


def test_engine_without_client_opens_and_closes_its_own(
    endpoint_url: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore reads a per-service endpoint from the environment: the same works against AWS
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint_url)

    async def main() -> str:
        async with AsyncEngine(table_name_template=table_prefix + "{table_name}") as engine:
            await engine.bind(Entry)
            await engine.save(Entry(log="own", seq=1, body="hello"))
            got = await engine.get(Entry, log="own", seq=1)
        with pytest.raises(RuntimeError, match="no client"):
            engine.client  # noqa: B018  # closed with the block
        return got.body

    assert asyncio.run(main()) == "hello"
