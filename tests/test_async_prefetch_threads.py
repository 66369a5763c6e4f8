"""An abandoned async query is dropped wherever its last reference goes (issue 18, failure 19).

``AsyncResults`` cancels the page it prefetches when it is closed or garbage collected. The
last reference often goes in another thread than the loop's (a test's main thread, a sync
adapter, a GC pass started by any thread), and asyncio objects are not thread-safe: a task
cancelled from a foreign thread never wakes its loop, and asyncio's debug mode refuses it
outright. Here the prefetch is held in flight until the results are dropped in this (foreign)
thread; the loop, in debug mode, must then see the task cancelled.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Annotated, Any

from pydantic_bloop import AsyncEngine, AsyncResults, Base, HashKey, RangeKey, col
from tests.engines import LoopThread


class Row(Base):
    part: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]


def test_results_dropped_in_another_thread_cancel_their_prefetch(
    client_kwargs: dict[str, Any], table_prefix: str
) -> None:
    from aiobotocore.session import get_session

    loop = LoopThread()
    loop.loop.set_debug(True)  # asyncio then refuses any call from a foreign thread
    held = asyncio.Event()  # made in the test thread; only the loop touches it
    session: Any = get_session()
    manager = session.create_client("dynamodb", **client_kwargs)

    async def hold(**_: object) -> None:  # the prefetch (2nd query request) waits here
        await held.wait()

    async def start() -> tuple[AsyncResults[Row], set[asyncio.Task[Any]]]:
        aio_client = await manager.__aenter__()
        engine = AsyncEngine(client=aio_client, table_name_template=table_prefix + "{table_name}")
        await engine.bind(Row)
        await engine.save(*(Row(part="p", n=i) for i in range(4)))
        before = asyncio.all_tasks()
        results = engine.query(Row).key(col(Row.part) == "p").page_size(2).__aiter__()
        await results.__anext__()  # the first page, and the second one's prefetch starts
        aio_client.meta.events.register_first("before-send.dynamodb.Query", hold)
        return results, asyncio.all_tasks() - before

    try:
        results, started = loop.run(start())
        (prefetch,) = started
        assert not prefetch.done()
        del results  # the last reference goes here, in the test thread
        gc.collect()

        async def settled() -> None:  # the bound only stops a failing run from hanging
            await asyncio.wait({prefetch}, timeout=30)

        loop.run(settled())
        assert prefetch.cancelled()
    finally:
        loop.run(manager.__aexit__(None, None, None))
        loop.stop()
