"""dyntastic's write suites (nayaverdier/dyntastic, tests/test_save.py, tests/test_delete.py,
tests/test_batch_write.py, tests/test_transact_write.py), ported: saves and the stored item,
a save after the key changed, stored names, deletes, batched writes, and transactions of saves,
updates, deletes and condition checks over one and two tables.

dyntastic's ``batch_writer(batch_size=)`` (writes sent as a batch fills, inside the block) and a
transaction's ``commit_every`` auto-commit are listed in tests/peers/README.md.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    Condition,
    DynamoName,
    Engine,
    HashKey,
    InvalidTransaction,
    MissingObjects,
    TransactionCanceled,
    col,
    key_only,
    to_item,
)
from tests.engines import MakeEngine


class Doc(Base):
    """dyntastic's ``MyObject`` (a few of its fields) and the transaction tests' ``_Table``."""

    hash_key: Annotated[str, HashKey()]
    data: str | None = None
    my_int: int | None = None
    my_decimal: Decimal | None = None
    my_str_set: set[str] | None = None


class Doc2(Doc):
    """The transaction tests' ``_Table2``: a second table of the same shape."""


class Aliased(Base):
    """dyntastic's ``MyAliasObject``: a key stored under a name that is no identifier."""

    id: Annotated[str, HashKey(), DynamoName("id/alias")]
    my_str: str


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Doc, Doc2, Aliased)
    return engine


def keys(engine: Engine, model: type[Doc]) -> list[str]:
    return sorted(doc.hash_key for doc in engine.scan(model).consistent())


# ---------------------------------------------------------------------------------------------
# test_save.py, test_delete.py


def test_save_stores_the_change_and_the_item(engine: Engine, client: DynamoDBClient) -> None:
    """test_save: another reader sees the old value until the save, then the new one; the raw
    stored item holds every field in DynamoDB's form"""
    doc = Doc(hash_key="a", data="foo", my_int=5, my_decimal=Decimal("1.5"), my_str_set={"a"})
    engine.save(doc)
    doc.data = "new_string"
    assert engine.get(Doc, hash_key="a").data == "foo"
    engine.save(doc)
    assert engine.get(Doc, hash_key="a").data == "new_string"
    raw = client.get_item(TableName=engine.table_name(Doc), Key={"hash_key": {"S": "a"}})
    assert raw.get("Item") == {
        "hash_key": {"S": "a"},
        "data": {"S": "new_string"},
        "my_int": {"N": "5"},
        "my_decimal": {"N": "1.5"},
        "my_str_set": {"SS": ["a"]},
    }
    assert raw.get("Item") == to_item(doc)


def test_a_save_after_the_key_changed_writes_a_new_item(engine: Engine) -> None:
    """test_save_different_id: the old item stays as it was, the new key holds the object"""
    doc = Doc(hash_key="old", data="foo")
    engine.save(doc)
    doc.hash_key = "new"
    doc.my_int = 3
    engine.save(doc)
    assert engine.get(Doc, hash_key="new") == doc
    assert engine.get(Doc, hash_key="old") == Doc(hash_key="old", data="foo")
    engine.load(doc)
    assert (doc.hash_key, doc.data, doc.my_int) == ("new", "foo", 3)


def test_a_stored_name_that_is_no_identifier(engine: Engine, client: DynamoDBClient) -> None:
    """test_save_aliased_item, test_delete_alias_item, batch_get of aliased keys"""
    item = Aliased(id="foo", my_str="my_str_value")
    engine.save(item, Aliased(id="bar", my_str="other"))
    raw = client.get_item(TableName=engine.table_name(Aliased), Key={"id/alias": {"S": "foo"}})
    assert raw.get("Item") == {"id/alias": {"S": "foo"}, "my_str": {"S": "my_str_value"}}
    assert engine.get(Aliased, id="foo") == item
    both = [key_only(Aliased, id="foo"), key_only(Aliased, id="bar")]
    engine.load(*both)
    assert [a.my_str for a in both] == ["my_str_value", "other"]
    engine.update(item, col(Aliased.my_str).set("bar"))  # test_refresh_alias_item
    assert item.my_str == "bar"
    engine.delete(item)
    with pytest.raises(MissingObjects):
        engine.get(Aliased, id="foo")


def test_delete_then_load_finds_nothing(engine: Engine) -> None:
    """test_delete: get and refresh (load) of the deleted item raise"""
    doc = Doc(hash_key="a", data="foo")
    engine.save(doc)
    engine.delete(doc)
    with pytest.raises(MissingObjects):
        engine.get(Doc, hash_key="a")
    with pytest.raises(MissingObjects) as caught:
        engine.load(doc)
    assert caught.value.objects == [doc]


# ---------------------------------------------------------------------------------------------
# test_batch_write.py


def test_batched_saves_and_deletes(engine: Engine) -> None:
    """test_batch_write: three saves in one batch, then a save and two deletes in another"""
    with engine.context(persist="overwrite") as batch:
        first, second, third = Doc(hash_key="1"), Doc(hash_key="2"), Doc(hash_key="3")
        batch.save(first, second, third)
        assert keys(engine, Doc) == ["1", "2", "3"]
        engine.save(Doc(hash_key="4"))
        assert keys(engine, Doc) == ["1", "2", "3", "4"]
        batch.save(Doc(hash_key="5"))
        batch.delete(first, second)
    assert keys(engine, Doc) == ["3", "4", "5"]


def test_more_than_a_batch_of_writes(engine: Engine) -> None:
    """test_batch_write_with_batch_size: more items than one request takes (25)"""
    with engine.context(persist="overwrite") as batch:
        batch.save(*(Doc(hash_key=f"{n:02}") for n in range(60)))
    assert len(keys(engine, Doc)) == 60
    engine.delete(*(key_only(Doc, hash_key=f"{n:02}") for n in range(0, 60, 2)))
    assert keys(engine, Doc) == [f"{n:02}" for n in range(1, 60, 2)]


# ---------------------------------------------------------------------------------------------
# test_transact_write.py (moto: dynalite has no transactions)

transactions = pytest.mark.dynalite_unsupported("no transactions in dynalite")
EXISTS = col(Doc.hash_key).is_not(None)
ABSENT = col(Doc.hash_key).is_(None)


@transactions
def test_an_empty_transaction_sends_nothing(engine: Engine) -> None:
    """test_no_items_exits_cleanly"""
    with engine.transaction():
        pass
    assert keys(engine, Doc) == []


@transactions
def test_more_than_a_hundred_items_are_refused(engine: Engine) -> None:
    """test_item_limit_exceeded_without_auto_commit: nothing is written"""
    with pytest.raises(InvalidTransaction), engine.transaction() as tx:
        for n in range(101):
            tx.save(Doc(hash_key=str(n)))
    assert keys(engine, Doc) == []


@transactions
def test_one_item_twice_is_refused(engine: Engine) -> None:
    """test_multiple_operations_on_same_item_errors: refused before sending"""
    with pytest.raises(InvalidTransaction), engine.transaction() as tx:
        tx.save(Doc(hash_key="foo"))
        tx.save(Doc(hash_key="foo"))
    assert keys(engine, Doc) == []


@transactions
def test_saves_with_conditions_and_checks(engine: Engine) -> None:
    """test_save_single_table, test_save_multiple_tables: every condition and check pair"""
    checks: list[Condition | None] = [None, EXISTS, (col(Doc.hash_key) == "foo")]
    for condition, check in itertools.product([None, ABSENT], checks):
        engine.save(Doc(hash_key="foo"), Doc2(hash_key="check"))
        with engine.transaction() as tx:
            tx.save(Doc(hash_key="new"), condition=condition)
            tx.save(Doc2(hash_key="new2"), condition=condition)
            if check is not None:
                tx.check(Doc(hash_key="foo"), check)
        assert keys(engine, Doc) == ["foo", "new"], (condition, check)
        assert keys(engine, Doc2) == ["check", "new2"], (condition, check)
        engine.delete(Doc(hash_key="new"), Doc2(hash_key="new2"))


@transactions
def test_failed_conditions_name_each_item(engine: Engine) -> None:
    """test_save_single_table_failing_condition(_check), test_save_multiple_tables_failing_
    condition(_check): the reasons in order, nothing written"""
    cases: list[tuple[list[tuple[str, Doc, Condition | None]], list[str | None]]] = [
        ([("save", Doc(hash_key="foo"), EXISTS)], ["ConditionalCheckFailed"]),
        (
            [("save", Doc(hash_key="foo"), None), ("check", Doc(hash_key="foo2"), EXISTS)],
            [None, "ConditionalCheckFailed"],
        ),
        (
            [("save", Doc(hash_key="foo"), EXISTS), ("save", Doc2(hash_key="bar"), EXISTS)],
            ["ConditionalCheckFailed", "ConditionalCheckFailed"],
        ),
        (
            [
                ("save", Doc(hash_key="foo"), None),
                ("save", Doc2(hash_key="foo2"), None),
                ("check", Doc(hash_key="bar"), EXISTS),
            ],
            [None, None, "ConditionalCheckFailed"],
        ),
    ]
    for writes, codes in cases:
        with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
            for kind, obj, condition in writes:
                if kind == "save":
                    tx.save(obj, condition=condition)
                else:
                    assert condition is not None
                    tx.check(obj, condition)
        assert [reason.code for reason in caught.value.reasons] == codes
        assert [r.obj for r in caught.value.failed] == [
            obj for (_, obj, _), code in zip(writes, codes, strict=True) if code
        ]
        assert keys(engine, Doc) == keys(engine, Doc2) == []


@transactions
def test_updates_and_deletes_with_conditions_and_checks(engine: Engine) -> None:
    """test_update_single_table, test_update_multiple_tables, test_delete_single_table,
    test_delete_multiple_tables: every condition and check pair"""
    for condition, check in itertools.product([None, EXISTS], [None, ABSENT]):
        engine.save(Doc(hash_key="foo"), Doc2(hash_key="bar"))
        first, second = engine.get(Doc, hash_key="foo"), engine.get(Doc2, hash_key="bar")
        with engine.transaction() as tx:
            tx.update(first, col(Doc.data).set("data1"), condition=condition)
            tx.update(second, col(Doc2.data).set("data2"), condition=condition)
            if check is not None:
                tx.check(Doc(hash_key="foo2"), check)
        assert engine.get(Doc, hash_key="foo").data == "data1"
        assert engine.get(Doc2, hash_key="bar").data == "data2"
        with engine.transaction() as tx:
            tx.delete(first, condition=condition)
            tx.delete(second, condition=condition)
            if check is not None:
                tx.check(Doc(hash_key="foo2"), check)
        assert keys(engine, Doc) == keys(engine, Doc2) == []


@transactions
def test_failed_updates_and_deletes_change_nothing(engine: Engine) -> None:
    """test_update_*_failing_condition(_check), test_delete_*_failing_condition(_check)"""
    engine.save(Doc(hash_key="foo"), Doc2(hash_key="bar"))
    first, second = engine.get(Doc, hash_key="foo"), engine.get(Doc2, hash_key="bar")
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.update(first, col(Doc.data).set("bar"), condition=ABSENT)
        tx.update(second, col(Doc2.data).set("bar"), condition=ABSENT)
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed"] * 2
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.update(first, col(Doc.data).set("bar"))
        tx.update(second, col(Doc2.data).set("bar2"))
        tx.check(Doc(hash_key="foo2"), EXISTS)
    assert [r.code for r in caught.value.reasons] == [None, None, "ConditionalCheckFailed"]
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.delete(first, condition=ABSENT)
    assert [r.code for r in caught.value.reasons] == ["ConditionalCheckFailed"]
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.delete(first)
        tx.check(Doc(hash_key="foo2"), EXISTS)
    assert [r.code for r in caught.value.reasons] == [None, "ConditionalCheckFailed"]
    assert engine.get(Doc, hash_key="foo") == Doc(hash_key="foo")
    assert engine.get(Doc2, hash_key="bar") == Doc2(hash_key="bar")
