"""Before-write hooks under attack: a handler that moves a read object to another key, that
saves another object through the same engine, that raises after changing earlier objects of a
batch, and a transaction retried after a conflict; what is stored always equals the objects,
nothing is lost, and each handler runs once per write."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Backoff, Base, Engine, HashKey, ObjectEvent, WriteEvent
from tests.conftest import RequestLog
from tests.engines import EngineOverAsync, MakeEngine
from tests.faults import Conflicted


class Doc(Base):
    id: Annotated[str, HashKey()]
    body: str = ""
    stamp: int = 0
    tags: list[str] = []


class Audit(Base):
    id: Annotated[str, HashKey()]
    what: str


class Stop(Exception):
    pass


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.002, attempts=3))
    engine.bind(Doc, Audit)
    return engine


def _get(engine: Engine, id: str) -> Doc | None:
    return engine.get_or_none(Doc, id=id, consistent=True)


def test_a_handler_that_moves_a_read_object_writes_it_whole_at_its_new_key(
    engine: Engine, request_log: RequestLog
) -> None:
    engine.save(Doc(id="old", body="text", tags=["t"]))
    doc = engine.get(Doc, id="old", consistent=True)

    @engine.hooks.before_save
    def move(event: WriteEvent) -> None:
        assert isinstance(event.obj, Doc)
        if event.obj.id == "old":
            event.obj.id = "new"

    doc.stamp = 1
    request_log.clear()
    engine.save(doc)
    (sent,) = request_log.of("UpdateItem")
    assert sent["Key"] == {"id": {"S": "new"}}
    assert _get(engine, "new") == doc  # every field, not only the stamp changed
    assert _get(engine, "old") == Doc(id="old", body="text", tags=["t"])
    doc.body = "more"
    engine.save(doc)
    assert _get(engine, "new") == doc


def test_a_handler_moving_an_object_in_a_transaction_writes_it_whole_there(
    engine: Engine, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("needs transactions")
    engine.save(Doc(id="t-old", body="text"))
    doc = engine.get(Doc, id="t-old", consistent=True)
    engine.hooks.before_save(lambda event: setattr(event.obj, "id", "t-new"))
    doc.stamp = 2
    with engine.transaction() as tx:
        tx.save(doc)
    assert _get(engine, "t-new") == doc
    assert _get(engine, "t-old") == Doc(id="t-old", body="text")


def test_a_handler_may_save_another_object_through_the_same_engine(
    engine: Engine, request_log: RequestLog
) -> None:
    heard: list[str] = []

    adapted: Any = engine  # the async engine's test adapter, or a sync Engine
    if isinstance(adapted, EngineOverAsync):  # an async handler awaits the async engine
        inner = adapted.async_engine

        @inner.hooks.before_save
        async def audit_async(event: WriteEvent) -> None:
            if isinstance(event.obj, Doc):
                await inner.save(Audit(id=f"audit-{event.obj.id}", what=event.obj.body))

    else:

        @engine.hooks.before_save
        def audit(event: WriteEvent) -> None:
            if isinstance(event.obj, Doc):
                engine.save(Audit(id=f"audit-{event.obj.id}", what=event.obj.body))

    @engine.hooks.on_saved
    def saved(event: ObjectEvent) -> None:
        heard.append(f"{type(event.obj).__name__} {getattr(event.obj, 'id', '')}")

    a, b = Doc(id="a", body="one"), Doc(id="b", body="two")
    engine.save(a, b)
    assert sorted(heard) == ["Audit audit-a", "Audit audit-b", "Doc a", "Doc b"]
    assert engine.get(Audit, id="audit-b", consistent=True).what == "two"
    assert _get(engine, "a") == a and _get(engine, "b") == b
    heard.clear()
    a.body = "changed"
    engine.save(a)
    assert sorted(heard) == ["Audit audit-a", "Doc a"]
    assert engine.get(Audit, id="audit-a", consistent=True).what == "changed"


def test_a_handler_raising_mid_batch_loses_no_change_of_the_earlier_objects(
    engine: Engine, request_log: RequestLog
) -> None:
    engine.save(*(Doc(id=f"m{i}") for i in range(4)))
    docs = [engine.get(Doc, id=f"m{i}", consistent=True) for i in range(4)]
    stamps = iter(range(1, 100))

    @engine.hooks.before_save
    def stamp(event: WriteEvent) -> None:
        assert isinstance(event.obj, Doc)
        if event.obj.id == "m2" and event.obj.body == "":
            raise Stop("m2 needs a body")
        event.obj.stamp = next(stamps)

    for doc in docs:
        doc.tags.append("x")
    request_log.clear()
    with pytest.raises(Stop):
        engine.save(*docs)
    assert request_log.operations == []
    assert [d.stamp for d in docs] == [1, 2, 0, 0]  # the handler ran for m0 and m1 only
    docs[2].body = "now"
    engine.save(*docs)
    for doc in docs:
        assert _get(engine, doc.id) == doc  # every change made before the refusal is stored
    assert [d.stamp for d in docs] == [3, 4, 5, 6]
    assert all(d.tags == ["x"] for d in docs)


def test_a_transaction_retried_after_a_conflict_runs_its_hooks_once(
    engine: Engine, client: DynamoDBClient, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("needs transactions")
    calls: list[str] = []

    @engine.hooks.before_save
    def stamp(event: WriteEvent) -> None:
        assert isinstance(event.obj, Doc)
        calls.append(event.obj.id)
        event.obj.stamp += 1

    one, two = Doc(id="c1"), Doc(id="c2")
    with Conflicted(client, "TransactWriteItems", times=1) as fault, engine.transaction() as tx:
        tx.save(one, two)
    assert len(fault.bodies) == 2 and fault.bodies[0] == fault.bodies[1]
    assert calls == ["c1", "c2"]
    assert _get(engine, "c1") == one and one.stamp == 1
    assert _get(engine, "c2") == two


def test_what_a_handler_does_through_another_engine_is_not_heard_as_this_operations(
    client: DynamoDBClient, table_prefix: str
) -> None:
    """Engine ``b`` has no after-hooks, so its operations collect no events; a before-save
    handler of ``a`` that reads and saves through ``b`` runs inside ``a``'s save: ``a``'s
    on_loaded and on_saved hear only ``a``'s own objects (they heard ``b``'s before)."""
    a = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    b = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    a.bind(Doc, Audit)
    b.bind(Doc, Audit)
    b.save(Doc(id="other"))
    heard: list[str] = []
    a.hooks.on_loaded(lambda event: heard.append(f"loaded {getattr(event.obj, 'id', '')}"))
    a.hooks.on_saved(lambda event: heard.append(f"saved {getattr(event.obj, 'id', '')}"))

    @a.hooks.before_save
    def audit(event: WriteEvent) -> None:
        if isinstance(event.obj, Doc):
            other = b.get(Doc, id="other")
            b.save(Audit(id=f"audit-{event.obj.id}", what=other.id))

    a.save(Doc(id="mine"))
    assert heard == ["saved mine"]
    assert a.get(Audit, id="audit-mine", consistent=True).what == "other"
    assert heard == ["saved mine", "loaded audit-mine"]
