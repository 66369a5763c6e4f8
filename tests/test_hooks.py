"""Lifecycle hooks on both engines: which events fire, in what order, with what; a failing hook
leaves the write and the snapshot as they are; contexts inherit the engine's hooks; async
handlers on the async engine."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsyncEngine,
    Base,
    CommitEvent,
    ConstraintViolation,
    Engine,
    HashKey,
    HookError,
    ObjectEvent,
    TableEvent,
    col,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Ledger(Base):
    id: Annotated[str, HashKey()]
    owner: str = "nobody"
    balance: Decimal = Decimal(0)


def _seen(event: ObjectEvent | CommitEvent | TableEvent) -> tuple[str, ...]:
    """An event as a short tuple: what happened, and to which item or table."""
    if isinstance(event, ObjectEvent):
        obj = event.obj
        assert isinstance(obj, Ledger)
        return (event.kind, obj.id, event.table, "tx" if event.transaction else "")
    if isinstance(event, CommitEvent):
        return ("committed", *(o.id for o in event.objects if isinstance(o, Ledger)))
    return (event.kind, event.table, *(m.__name__ for m in event.models))


def _listen(engine: Engine) -> list[tuple[str, ...]]:
    log: list[tuple[str, ...]] = []

    def record(event: ObjectEvent | CommitEvent | TableEvent) -> None:
        log.append(_seen(event))

    hooks = engine.hooks
    for register in (hooks.on_loaded, hooks.on_saved, hooks.on_updated, hooks.on_deleted):
        register(record)
    hooks.on_committed(record)
    hooks.on_table(record)
    return log


def test_hooks_hear_loads_saves_updates_deletes_and_tables(
    make_engine: MakeEngine, table_prefix: str
) -> None:
    engine = make_engine()
    log = _listen(engine)
    table = f"{table_prefix}Ledger"
    engine.bind(Ledger)
    engine.bind(Ledger)  # bound before: nothing asked, nothing heard
    assert log == [("created", table, "Ledger")]

    a, b = Ledger(id="a"), Ledger(id="b", owner="bo")
    log.clear()
    engine.save(a, b)
    assert sorted(log) == [("saved", "a", table, ""), ("saved", "b", table, "")]

    log.clear()
    got = engine.get(Ledger, id="a")
    engine.load(b)
    found = engine.query(Ledger).key(col(Ledger.id) == "b").all()
    loaded_b = ("loaded", "b", table, "")
    assert log == [("loaded", "a", table, ""), loaded_b, loaded_b]  # get, load, query
    assert found == [b]

    log.clear()
    engine.update(got, col(Ledger.balance).add(Decimal(5)))
    engine.delete(b)
    assert log == [("updated", "a", table, ""), ("deleted", "b", table, "")]

    other = make_engine()  # another engine finds the table as declared
    other_log = _listen(other)
    other.bind(Ledger)
    assert other_log == [("validated", table, "Ledger")]


def test_a_transaction_reports_each_write_then_the_commit(
    make_engine: MakeEngine, table_prefix: str, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("needs transactions")
    engine = make_engine()
    engine.bind(Ledger)
    a, b, c, d = (Ledger(id=i) for i in "abcd")
    engine.save(b, c, d)
    log = _listen(engine)
    table = f"{table_prefix}Ledger"
    with engine.transaction() as tx:
        tx.save(a)
        tx.update(b, col(Ledger.balance).add(Decimal(1)))
        tx.delete(c)
        tx.check(d, Ledger.owner == "nobody")
        assert log == []  # nothing is written before the block ends
    assert log == [
        ("saved", "a", table, "tx"),
        ("updated", "b", table, "tx"),
        ("deleted", "c", table, "tx"),
        ("committed", "a", "b", "c", "d"),
    ]


def test_a_failing_hook_leaves_the_write_and_the_snapshot(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Ledger)
    after: list[str] = []

    @engine.hooks.on_saved
    def broken(event: ObjectEvent) -> None:
        raise RuntimeError("audit log is down")

    @engine.hooks.on_saved
    def counted(event: ObjectEvent) -> None:
        after.append("ran")  # a failing handler does not stop the others

    acct = Ledger(id="h", owner="ann")
    with pytest.raises(HookError, match="audit log is down") as raised:
        engine.save(acct)
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert [type(e) for e in raised.value.errors] == [RuntimeError]
    assert after == ["ran"]
    stored = client.get_item(TableName=f"{table_prefix}Ledger", Key={"id": {"S": "h"}})
    assert stored.get("Item", {}).get("owner") == {"S": "ann"}

    request_log.clear()
    engine.hooks.remove(broken)
    engine.save(acct)  # the snapshot knows it is stored: nothing to send
    assert request_log.operations == []
    acct.owner = "bob"
    engine.save(acct)
    assert request_log.of("UpdateItem")[-1]["ExpressionAttributeNames"] == {"#n0": "owner"}


def test_a_failed_operation_still_reports_what_it_wrote(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Ledger)
    saved: list[str] = []

    @engine.hooks.on_saved
    def record(event: ObjectEvent) -> None:
        assert isinstance(event.obj, Ledger)
        saved.append(event.obj.id)
        raise ValueError(f"hook of {event.obj.id}")

    taken = Ledger(id="t")
    engine.hooks.remove(record)
    engine.save(taken)
    engine.hooks.on_saved(record)
    fresh, again = Ledger(id="f"), Ledger(id="t", owner="other")
    with pytest.raises(ConstraintViolation) as raised:
        engine.save(fresh, again, condition=col(Ledger.owner).is_(None))
    assert saved == ["f"]  # the write that was applied, though the save raised
    assert any("hook of f" in note for note in raised.value.__notes__)


def test_a_context_calls_the_engines_hooks_and_its_own(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Ledger)
    heard: list[str] = []
    engine.hooks.on_saved(lambda e: heard.append("engine"))
    with engine.context(persist="overwrite") as bulk:
        bulk.hooks.on_saved(lambda e: heard.append("context"))
        bulk.save(Ledger(id="c1"))
    engine.save(Ledger(id="c2"))
    assert heard == ["engine", "context", "engine"]


def test_a_sync_engine_refuses_an_async_handler(client: DynamoDBClient) -> None:
    engine = Engine(client=client)

    async def audit(event: ObjectEvent) -> None:
        return None

    with pytest.raises(HookError, match="sync Engine cannot await"):
        engine.hooks.on_saved(audit)
    with pytest.raises(HookError, match="takes a function"):
        engine.hooks.on_saved("audit")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def test_the_async_engine_awaits_async_handlers_and_calls_plain_ones(
    client_kwargs: dict[str, Any], table_prefix: str
) -> None:
    from aiobotocore.session import get_session

    heard: list[str] = []

    async def audit(event: ObjectEvent) -> None:
        await asyncio.sleep(0)
        assert isinstance(event.obj, Ledger)
        heard.append(f"async {event.kind} {event.obj.id}")

    def cache(event: ObjectEvent) -> None:
        assert isinstance(event.obj, Ledger)
        heard.append(f"plain {event.kind} {event.obj.id}")

    async def main() -> None:
        session: Any = get_session()
        async with session.create_client("dynamodb", **client_kwargs) as aio:
            engine = AsyncEngine(client=aio, table_name_template=table_prefix + "{table_name}")
            engine.hooks.on_saved(audit)
            engine.hooks.on_loaded(cache)
            await engine.bind(Ledger)
            await engine.save(Ledger(id="x"))
            assert [o.id async for o in engine.scan(Ledger)] == ["x"]

    asyncio.run(main())
    assert heard == ["async saved x", "plain loaded x"]
