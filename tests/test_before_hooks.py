"""Before-write hooks on both engines: a handler runs before a save, update or delete is built,
what it changes is written (and remembered), and an error it raises reaches the caller as it is
with nothing sent and nothing remembered; alike for single writes, batches and transactions,
and awaited on the async engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsyncEngine,
    Base,
    Engine,
    HashKey,
    HookError,
    WriteEvent,
    col,
)
from pydantic_bloop.tracking import snapshot_of
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Note(Base):
    id: Annotated[str, HashKey()]
    text: str | None = None
    stamp: int = 0
    hits: int | None = None


class Refused(Exception):
    """What a handler raises to block a write."""


def _stored(client: DynamoDBClient, table: str, id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client.get_item(
        TableName=table, Key={"id": {"S": id}}, ConsistentRead=True
    ).get("Item")
    return item


def _stamper(engine: Engine, stamps: list[str]) -> Callable[[WriteEvent], None]:
    """Every save and update stamps the note with the next number (what it writes says so)."""

    def stamp(event: WriteEvent) -> None:
        assert isinstance(event.obj, Note)
        stamps.append(f"{event.kind} {event.obj.id}{' tx' if event.transaction else ''}")
        event.obj.stamp = len(stamps)

    engine.hooks.before_save(stamp)
    engine.hooks.before_update(stamp)
    return stamp


def test_a_handler_changes_what_a_save_and_an_update_write(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Note)
    table = f"{table_prefix}Note"
    stamps: list[str] = []
    stamp = _stamper(engine, stamps)

    a, b = Note(id="a", text="x"), Note(id="b")
    engine.save(a, b)
    assert stamps == ["save a", "save b"]
    assert _stored(client, table, "a") == {
        "id": {"S": "a"},
        "text": {"S": "x"},
        "stamp": {"N": "1"},
    }
    assert _stored(client, table, "b") == {"id": {"S": "b"}, "stamp": {"N": "2"}}

    request_log.clear()
    engine.update(a, col(Note.hits).add(1))
    assert stamps[-1] == "update a"
    (sent,) = request_log.of("UpdateItem")
    assert "stamp" in sent["ExpressionAttributeNames"].values()  # the hook's change went along
    assert (a.stamp, a.hits) == (3, 1)
    assert _stored(client, table, "a") == {
        "id": {"S": "a"},
        "text": {"S": "x"},
        "stamp": {"N": "3"},
        "hits": {"N": "1"},
    }

    engine.hooks.remove(stamp)
    request_log.clear()  # the snapshot knows what the hook wrote: nothing is pending
    engine.save(a)
    assert request_log.operations == []


def test_a_bulk_save_stamps_every_object_before_its_batch_is_built(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine(persist="overwrite")
    engine.bind(Note)
    stamps: list[str] = []
    _stamper(engine, stamps)
    notes = [Note(id=f"n{i}") for i in range(30)]
    request_log.clear()
    engine.save(*notes)
    assert request_log.operations == ["BatchWriteItem", "BatchWriteItem"]
    assert stamps == [f"save n{i}" for i in range(30)]
    stored = _stored(client, f"{table_prefix}Note", "n29")
    assert stored is not None and stored["stamp"] == {"N": "30"}


def test_a_raising_handler_blocks_the_write_with_nothing_sent_or_remembered(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Note)
    table = f"{table_prefix}Note"
    kept = Note(id="kept", text="stay")
    engine.save(kept)
    refusal = Refused("notes named 'no' are not stored")

    @engine.hooks.before_save
    @engine.hooks.before_delete
    def rule(event: WriteEvent) -> None:
        assert isinstance(event.obj, Note)
        if event.obj.id in ("no", "kept"):
            raise refusal

    ok, no = Note(id="ok"), Note(id="no")
    request_log.clear()
    with pytest.raises(Refused) as raised:
        engine.save(ok, no)
    assert raised.value is refusal  # the handler's own exception, unchanged
    assert request_log.operations == []  # not even the write of `ok`
    assert snapshot_of(ok) is None and snapshot_of(no) is None

    with pytest.raises(Refused):
        engine.delete(kept)
    assert request_log.operations == []
    stored = _stored(client, table, "kept")
    assert stored is not None and stored["text"] == {"S": "stay"}

    engine.hooks.remove(rule)
    engine.save(ok, no)  # never remembered: both are still new, and written whole
    assert _stored(client, table, "no") == {"id": {"S": "no"}, "stamp": {"N": "0"}}


def test_transactions_run_the_hooks_before_building_their_writes(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Any,
) -> None:
    skip_on_dynalite("needs transactions")
    engine = make_engine()
    engine.bind(Note)
    table = f"{table_prefix}Note"
    a, b, c, d = Note(id="a"), Note(id="b"), Note(id="c"), Note(id="d")
    engine.save(b, c, d)
    stamps: list[str] = []
    _stamper(engine, stamps)
    engine.hooks.before_delete(lambda event: stamps.append(f"delete {event.table}"))

    with engine.transaction() as tx:
        tx.save(a)
        tx.update(b, col(Note.hits).add(2))
        tx.delete(c)
        tx.check(d, col(Note.text).is_(None))  # nothing is written to it: no hook
        assert stamps == []  # recorded only: the hooks run as the block ends
    assert stamps == ["save a tx", "update b tx", f"delete {table}"]
    assert _stored(client, table, "a") == {"id": {"S": "a"}, "stamp": {"N": "1"}}
    assert _stored(client, table, "b") == {
        "id": {"S": "b"},
        "stamp": {"N": "2"},
        "hits": {"N": "2"},
    }
    assert _stored(client, table, "c") is None


def test_a_raising_handler_in_a_transaction_sends_nothing(
    make_engine: MakeEngine, client: DynamoDBClient, request_log: RequestLog, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("needs transactions")
    engine = make_engine()
    engine.bind(Note)
    old = Note(id="old")
    engine.save(old)
    seen = snapshot_of(old)

    @engine.hooks.before_delete
    def keep_old(event: WriteEvent) -> None:
        raise Refused("old notes stay")

    request_log.clear()
    new = Note(id="new", text="hi")
    with pytest.raises(Refused, match="old notes stay"), engine.transaction() as tx:
        tx.save(new)
        tx.delete(old)
    assert request_log.operations == []
    assert snapshot_of(new) is None and snapshot_of(old) == seen


def test_a_context_runs_the_engines_before_hooks_and_its_own(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Note)
    heard: list[str] = []
    engine.hooks.before_save(lambda event: heard.append("engine"))
    with engine.context(persist="overwrite") as bulk:
        bulk.hooks.before_save(lambda event: heard.append("context"))
        bulk.save(Note(id="c1"))
    engine.save(Note(id="c2"))
    assert heard == ["engine", "context", "engine"]
    assert "before_save=2" in repr(bulk.hooks)


def test_a_sync_engine_refuses_async_before_hooks(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Note)

    async def later(event: WriteEvent) -> None:
        return None

    with pytest.raises(HookError, match=r"before_delete\(.*later\): a sync Engine cannot await"):
        engine.hooks.before_delete(later)
    engine.hooks.before_save(lambda event: later(event))  # an async function in disguise
    request_log.clear()
    with pytest.raises(HookError, match=r"returned an awaitable.*the save was not sent"):
        engine.save(Note(id="s"))
    assert request_log.operations == []


def test_the_async_engine_awaits_before_hooks_in_every_envelope(
    client_kwargs: dict[str, Any],
    client: DynamoDBClient,
    table_prefix: str,
    skip_on_dynalite: Any,
    backend: str,
) -> None:
    from aiobotocore.session import get_session

    table = f"{table_prefix}Note"
    heard: list[str] = []

    async def stamp(event: WriteEvent) -> None:
        await asyncio.sleep(0)  # e.g. ask a clock service
        assert isinstance(event.obj, Note)
        heard.append(f"{event.kind} {event.obj.id}")
        event.obj.stamp = len(heard)

    async def rule(event: WriteEvent) -> None:
        await asyncio.sleep(0)
        assert isinstance(event.obj, Note)
        if event.obj.text == "forbidden":
            raise Refused(event.obj.id)

    async def main() -> None:
        session: Any = get_session()
        async with session.create_client("dynamodb", **client_kwargs) as aio:
            engine = AsyncEngine(client=aio, table_name_template=table_prefix + "{table_name}")
            engine.hooks.before_save(stamp)
            engine.hooks.before_update(stamp)
            engine.hooks.before_save(rule)
            await engine.bind(Note)
            one = Note(id="one")
            await engine.save(one, Note(id="two"))
            await engine.update(one, col(Note.hits).add(1))
            with pytest.raises(Refused, match="bad"):
                await engine.save(Note(id="bad", text="forbidden"))
            if backend == "dynalite":
                return  # no transactions there
            async with engine.transaction() as tx:
                tx.save(Note(id="three"))
            with pytest.raises(Refused, match="worse"):
                async with engine.transaction() as tx:
                    tx.save(Note(id="worse", text="forbidden"))

    asyncio.run(main())
    assert _stored(client, table, "one") == {
        "id": {"S": "one"},
        "stamp": {"N": "3"},
        "hits": {"N": "1"},
    }
    assert _stored(client, table, "bad") is None
    if backend != "dynalite":
        assert heard[-2:] == ["save three", "save worse"]
        assert _stored(client, table, "three") == {"id": {"S": "three"}, "stamp": {"N": "5"}}
        assert _stored(client, table, "worse") is None
