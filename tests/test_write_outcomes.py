"""What a save leaves stored when the object was never loaded, and what an object believes after
a write whose outcome is unknown (issue 18, failures 3, 4, 11 and 16)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Annotated, Any, cast

import pytest
from botocore.exceptions import BotoCoreError
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, ConstraintViolation, HashKey, TransportError, Version, col
from tests.engines import EngineOverAsync, MakeEngine
from tests.fault_fixtures import MakeProxiedEngine
from tests.faults import LostResponse
from tests.proxy import Fault, FaultProxy, Script


class Shelf(Base):
    id: Annotated[str, HashKey()]
    views: int = 0
    tags: set[str] = set()
    note: str | None = None


class Ledger(Base):
    id: Annotated[str, HashKey()]
    total: int = 0
    version: Annotated[int, Version()] = 0


def _stored(client: DynamoDBClient, table: str, key: str = "k") -> dict[str, Any]:
    answer = client.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True)
    return dict(answer.get("Item", {}))


def test_a_new_object_saved_over_an_existing_item_replaces_its_declared_attributes(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine()
    engine.bind(Shelf)
    table = f"{table_prefix}Shelf"
    client.put_item(
        TableName=table,
        Item={
            "id": {"S": "k"},
            "views": {"N": "9"},
            "tags": {"SS": ["old"]},
            "note": {"S": "old"},
            "other": {"S": "not the model's"},
        },
    )
    engine.save(Shelf(id="k", views=2))
    assert _stored(client, table) == {
        "id": {"S": "k"},
        "views": {"N": "2"},
        "other": {"S": "not the model's"},  # unknown to the model: untouched
    }
    assert engine.get(Shelf, id="k") == Shelf(id="k", views=2)


# -- failures 11 and 3: transport failures, and what the object believes afterwards -------------


def test_a_lost_answer_is_a_transport_error_and_the_object_stops_trusting_its_snapshot(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    client: DynamoDBClient,
    table_prefix: str,
) -> None:
    engine = make_proxied_engine(attempts=1)
    engine.bind(Shelf)
    table = f"{table_prefix}Shelf"
    shelf = Shelf(id="k", views=1)
    engine.save(shelf)
    shelf.views = 2
    fault_proxy.policy = Script([Fault.RESET_AFTER], operations=["UpdateItem"])
    with pytest.raises(TransportError) as raised:
        engine.save(shelf)
    assert raised.value.unknown == [shelf]
    assert raised.value.written == [] and raised.value.not_written == []
    assert isinstance(raised.value.__cause__, BotoCoreError)
    assert "Shelf(id='k')" in str(raised.value)
    assert _stored(client, table)["views"] == {"N": "2"}  # the server applied it
    shelf.views = 1  # back to what the object saw before: it must still be sent
    engine.save(shelf)
    assert _stored(client, table)["views"] == {"N": "1"}


@pytest.mark.parametrize("applied", [True, False])
def test_atomic_saves_after_an_unknown_outcome_accept_either_item(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    client: DynamoDBClient,
    table_prefix: str,
    applied: bool,
) -> None:
    engine = make_proxied_engine(attempts=1, atomic=True)
    engine.bind(Shelf, Ledger)
    shelf, ledger = Shelf(id="k", views=1), Ledger(id="k", total=1)
    engine.save(shelf, ledger)
    shelf.views, ledger.total = 2, 2
    fault = Fault.RESET_AFTER if applied else Fault.RESET
    fault_proxy.policy = Script([fault, fault], operations=["UpdateItem"])
    with pytest.raises(TransportError) as raised:
        engine.save(shelf, ledger)
    assert {id(o) for o in raised.value.unknown} == {id(shelf), id(ledger)}
    shelf.views, ledger.total = 3, 3
    engine.save(shelf, ledger)  # atomic and versioned: the stored item is either one
    assert _stored(client, f"{table_prefix}Shelf")["views"] == {"N": "3"}
    stored = _stored(client, f"{table_prefix}Ledger")
    assert stored["total"] == {"N": "3"}
    assert engine.get(Ledger, id="k", consistent=True) == ledger


def test_a_save_after_a_delete_of_unknown_outcome_stores_the_object_again(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    client: DynamoDBClient,
    table_prefix: str,
) -> None:
    engine = make_proxied_engine(attempts=1)
    engine.bind(Shelf)
    shelf = Shelf(id="k", views=4, note="n")
    engine.save(shelf)
    fault_proxy.policy = Script([Fault.RESET_AFTER], operations=["DeleteItem"])
    with pytest.raises(TransportError):
        engine.delete(shelf)
    assert _stored(client, f"{table_prefix}Shelf") == {}
    engine.save(shelf)
    assert engine.get(Shelf, id="k", consistent=True) == shelf


def test_a_bulk_save_under_a_transport_failure_says_what_was_written(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    client: DynamoDBClient,
    table_prefix: str,
) -> None:
    engine = make_proxied_engine(attempts=1, persist="overwrite")
    engine.bind(Shelf)
    shelves = [Shelf(id=f"s{i}", views=i) for i in range(30)]
    fault_proxy.policy = Script([Fault.RESET], operations=["BatchWriteItem"])
    with pytest.raises(TransportError) as raised:
        engine.save(*shelves)
    error = raised.value
    assert sorted((len(error.written), len(error.unknown))) == [5, 25]  # one request failed
    assert error.not_written == []
    assert {id(o) for o in error.written + error.unknown} == {id(s) for s in shelves}
    written = [s for s in shelves if any(s is o for o in error.written)]
    unknown = [s for s in shelves if any(s is o for o in error.unknown)]
    for shelf in written:
        assert _stored(client, f"{table_prefix}Shelf", shelf.id) != {}
    engine.save(*unknown)  # saving them again completes the work
    assert all(_stored(client, f"{table_prefix}Shelf", s.id) != {} for s in shelves)


def test_a_read_under_a_transport_failure_is_a_transport_error(
    make_proxied_engine: MakeProxiedEngine, fault_proxy: FaultProxy
) -> None:
    engine = make_proxied_engine(attempts=2)
    engine.bind(Shelf)
    fault_proxy.policy = Script([Fault.RESET, Fault.DROP], operations=["GetItem"])
    with pytest.raises(TransportError) as raised:
        engine.get(Shelf, id="k")
    assert isinstance(raised.value.__cause__, BotoCoreError)


class _Hold:
    """Holds the first UpdateItem until released; the server then applies it, and its answer is
    dropped (the caller was cancelled meanwhile)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def choose(self, operation: str) -> Fault | None:
        if operation != "UpdateItem" or self.arrived.is_set():
            return None
        self.arrived.set()
        self.release.wait(30)
        return Fault.DROP_AFTER


@pytest.mark.parametrize("engine_kind", ["async"])
def test_an_async_save_cancelled_in_flight_leaves_the_object_unsure(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    client: DynamoDBClient,
    table_prefix: str,
) -> None:
    adapter = cast(EngineOverAsync, make_proxied_engine(attempts=1))  # async: an adapter
    engine = adapter.async_engine
    adapter.bind(Shelf)
    table = f"{table_prefix}Shelf"
    shelf = Shelf(id="k", views=1)
    adapter.save(shelf)
    shelf.views = 2
    hold = _Hold()
    fault_proxy.policy = hold

    async def cancel_in_flight() -> None:
        task = asyncio.ensure_future(engine.save(shelf))
        await asyncio.get_running_loop().run_in_executor(None, hold.arrived.wait, 30)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    adapter.loop.run(cancel_in_flight())
    hold.release.set()  # the server applies the save nobody waits for any more
    for _ in range(200):  # wait (bounded) for the proxy to deliver it
        if _stored(client, table).get("views") == {"N": "2"}:
            break
        threading.Event().wait(0.05)
    assert _stored(client, table)["views"] == {"N": "2"}
    shelf.views = 1
    adapter.save(shelf)
    assert _stored(client, table)["views"] == {"N": "1"}


# -- failure 4: a retried conditional write that failed its own condition ------------------------


def test_a_lost_answer_of_an_atomic_or_versioned_write_is_not_a_violation(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Shelf, Ledger)
    shelf, ledger = Shelf(id="k", views=1), Ledger(id="k", total=5)
    with LostResponse(client, "UpdateItem", times=2) as fault:
        engine.save(shelf, ledger)  # each retry fails its own condition: it was applied
    assert len(fault.lost) == 2
    assert ledger.version == 1
    shelf.views, ledger.total = 2, 6
    engine.save(shelf, ledger)  # the objects saw what they stored
    assert engine.get(Ledger, id="k", consistent=True).version == 2
    with LostResponse(client, "DeleteItem"):
        engine.delete(shelf)
    assert _stored(client, f"{table_prefix}Shelf") == {}


def test_a_lost_answer_that_cannot_be_told_says_so(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Shelf)
    shelf = Shelf(id="k", views=1)
    engine.save(shelf)
    with LostResponse(client, "UpdateItem"), pytest.raises(ConstraintViolation) as raised:
        engine.update(shelf, col(Shelf.views).add(1))  # its result is known only from the answer
    assert "may have been applied" in str(raised.value)
    assert _stored(client, f"{table_prefix}Shelf")["views"] == {"N": "2"}
