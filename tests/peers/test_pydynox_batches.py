"""pydynox's batch, item and transaction suites (ferrumio/pydynox, tests/integration/
operations/sync/: test_batch_get.py, test_batch_write.py, test_delete_item.py,
test_update_item.py, test_transaction.py), ported: loads of many keys in requests of at most
100, batched writes of at most 25, deletes of absent items, updates that create the item, and
transactions of versioned models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest

from pydantic_bloop import (
    Base,
    Engine,
    HashKey,
    MissingObjects,
    UnboundModel,
    Version,
    col,
    key_only,
)
from tests.conftest import RequestLog


class Item(Base):
    pk: Annotated[str, HashKey()]
    name: str = ""
    count: int = 0
    price: Decimal = Decimal(0)
    active: bool = True
    tags: list[str] = []
    meta: dict[str, Any] = {}
    when: datetime | None = None


class Versioned(Base):
    pk: Annotated[str, HashKey()]
    content: str = ""
    version: Annotated[int, Version()] = 0


MODELS = (Item, Versioned)


def overwrite_save(engine: Engine, *items: Base) -> None:
    with engine.context(persist="overwrite") as batch:
        batch.save(*items)


def test_loads_of_many_keys(engine: Engine, request_log: RequestLog) -> None:
    """test_sync_batch_get_returns_items, ..._missing_items_not_returned, ..._empty_keys_
    returns_empty, ..._more_than_100_items, ..._exactly_100_items, ..._150_items,
    ..._consistent_read, test_sync_model_batch_get_missing_items"""
    items = [Item(pk=f"ITEM#{n:03}", count=n) for n in range(150)]
    overwrite_save(engine, *items)
    for size, requests in [(3, 1), (100, 1), (150, 2)]:
        wanted = [key_only(Item, pk=f"ITEM#{n:03}") for n in range(size)]
        request_log.clear()
        engine.load(*wanted, consistent=True)
        assert [i.count for i in wanted] == list(range(size))
        assert request_log.operations == ["BatchGetItem"] * requests
        assert all(
            r["RequestItems"][next(iter(r["RequestItems"]))]["ConsistentRead"]
            for r in request_log.of("BatchGetItem")
        )
    found, missing = key_only(Item, pk="ITEM#000"), key_only(Item, pk="NOPE")
    with pytest.raises(MissingObjects) as caught:
        engine.load(found, missing)
    assert caught.value.objects == [missing] and found.count == 0
    request_log.clear()
    engine.load()
    assert request_log.operations == []


def test_values_of_every_kind_in_batches(engine: Engine) -> None:
    """test_sync_batch_get_with_various_types, test_sync_batch_write_with_various_types"""
    item = Item(
        pk="TYPES",
        name="x",
        count=-3,
        price=Decimal("19.99"),
        active=False,
        tags=["a", "b"],
        meta={"nested": {"deep": [1, "two", None, True]}},
        when=datetime(2024, 5, 1, tzinfo=UTC),
    )
    overwrite_save(engine, item, Item(pk="OTHER"))
    loaded = [key_only(Item, pk="TYPES"), key_only(Item, pk="OTHER")]
    engine.load(*loaded)
    assert loaded == [item, Item(pk="OTHER")]


def test_batched_writes(engine: Engine, request_log: RequestLog) -> None:
    """test_sync_batch_write_puts_items, ..._deletes_items, ..._mixed_operations,
    ..._more_than_25_items, ..._exactly_25_items, ..._50_items, ..._empty_lists"""
    for size, requests in [(3, 1), (25, 1), (50, 2)]:
        request_log.clear()
        overwrite_save(engine, *(Item(pk=f"W{size}#{n}") for n in range(size)))
        assert request_log.operations == ["BatchWriteItem"] * requests
        request_log.clear()
        engine.delete(*(key_only(Item, pk=f"W{size}#{n}") for n in range(size)))
        assert request_log.operations == ["BatchWriteItem"] * requests
    assert engine.scan(Item).all() == []
    request_log.clear()
    overwrite_save(engine)
    engine.delete()
    assert request_log.operations == []


def test_deleting_an_absent_item_succeeds(engine: Engine) -> None:
    """test_delete_item.py: test_sync_delete_item_nonexistent_succeeds, ..._removes_item,
    ..._with_attribute_exists_condition"""
    engine.delete(Item(pk="NEVER"))
    engine.save(Item(pk="THERE", name="x"))
    engine.delete(Item(pk="THERE"), condition=col(Item.name).is_not(None))
    with pytest.raises(MissingObjects):
        engine.get(Item, pk="THERE")


def test_an_update_by_key_creates_the_item(engine: Engine) -> None:
    """test_update_item.py: test_sync_update_item_nonexistent_creates_item,
    ..._increment_with_expression, ..._append_to_list"""
    created = engine.update(
        key_only(Item, pk="NEW"), col(Item.count).add(5), col(Item.tags).append("x")
    )
    assert (created.count, created.tags) == (5, ["x"])
    assert engine.get(Item, pk="NEW") == created


def test_an_unbound_model_is_refused(engine: Engine) -> None:
    """test_sync_delete_item_table_not_found, test_sync_update_item_table_not_found: refused
    before any request"""

    class Elsewhere(Base):
        pk: Annotated[str, HashKey()]
        count: int = 0

    with pytest.raises(UnboundModel, match="Elsewhere"):
        engine.delete(Elsewhere(pk="x"))
    with pytest.raises(UnboundModel, match="Elsewhere"):
        engine.update(key_only(Elsewhere, pk="x"), col(Elsewhere.count).add(1))


@pytest.mark.dynalite_unsupported("no transactions in dynalite")
def test_versions_move_with_a_committed_transaction(engine: Engine) -> None:
    """test_save_model_updates_version_after_commit, ..._allows_subsequent_save,
    ..._multiple_models_in_transaction, test_delete_model_in_transaction,
    test_sync_transaction_context_manager_rollback_on_exception"""
    first, second = Versioned(pk="V1"), Versioned(pk="V2")
    with engine.transaction() as tx:
        tx.save(first)
        tx.save(second)
    assert (first.version, second.version) == (1, 1)
    first.content = "again"
    engine.save(first)
    assert first.version == 2 and engine.get(Versioned, pk="V1").version == 2
    with pytest.raises(RuntimeError), engine.transaction() as tx:
        tx.delete(second)
        raise RuntimeError("rolled back")
    assert engine.get(Versioned, pk="V2") == second
    with engine.transaction() as tx:
        tx.delete(second)
    with pytest.raises(MissingObjects):
        engine.get(Versioned, pk="V2")
