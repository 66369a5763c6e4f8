"""Version attributes (optimistic locking): the ``Version()`` marker and what writes do with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    ConstraintViolation,
    DynamoName,
    Engine,
    HashKey,
    InvalidModel,
    InvalidValue,
    RangeKey,
    TransactionCanceled,
    Version,
    col,
)
from pydantic_bloop.models import model_info
from tests.conftest import RequestLog
from tests.engines import MakeEngine
from tests.test_engine import returned_item
from tests.test_updates import readable


class Account(Base):
    id: Annotated[str, HashKey()]
    hits: int = 0
    version: Annotated[int, Version()] = 0


def test_the_version_field_is_on_the_model_info() -> None:
    version = model_info(Account).version
    assert version is not None
    assert (version.name, version.dynamo_name, version.role) == ("version", "version", None)


def test_a_model_without_version_has_none() -> None:
    class Plain(Base):
        id: Annotated[str, HashKey()]

    assert model_info(Plain).version is None


def test_the_version_may_be_stored_under_another_name_and_inherited() -> None:
    class Versioned(Base):
        rev: Annotated[int, Version(), DynamoName("r")] = 0

    class Doc(Versioned):
        id: Annotated[str, HashKey()]

    version = model_info(Doc).version
    assert version is not None and (version.name, version.dynamo_name) == ("rev", "r")


def test_two_versions_are_refused() -> None:
    with pytest.raises(InvalidModel, match=re.escape("Twice marks a and b Version()")):

        class Twice(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            a: Annotated[int, Version()] = 0
            b: Annotated[int, Version()] = 0


@pytest.mark.parametrize("annotation", [str, float, bool, int | None])
def test_a_version_that_is_no_int_is_refused(annotation: object) -> None:
    with pytest.raises(InvalidModel, match=re.escape("Bad.version is marked Version() but is")):
        type(
            "Bad",
            (Base,),
            {
                "__annotations__": {
                    "id": Annotated[str, HashKey()],
                    "version": Annotated[annotation, Version()],
                },
                "__module__": __name__,
            },
        )


def test_a_key_cannot_be_the_version() -> None:
    with pytest.raises(
        InvalidModel, match=re.escape("Keyed.n is a range key and cannot be the version")
    ):

        class Keyed(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            n: Annotated[int, RangeKey(), Version()]


# -- what writes do with it ----------------------------------------------------------------------


class Doc(Base):
    model_config = BloopConfig(table_name="versioned_docs")
    id: Annotated[str, HashKey()]
    text: str = ""
    hits: int = 0
    version: Annotated[int, Version(), DynamoName("v")] = 0


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Doc)
    return engine


def stored(client: DynamoDBClient, engine: Engine, id: str = "d") -> dict[str, Any] | None:
    response = client.get_item(
        TableName=engine.table_name(Doc), Key={"id": {"S": id}}, ConsistentRead=True
    )
    return response.get("Item")


@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_saves_check_and_increment_the_version(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    request_log: RequestLog,
    persist: Literal["update", "overwrite"],
) -> None:
    engine = make_engine(persist=persist)
    engine.bind(Doc)
    doc = Doc(id="d", text="first")
    request_log.clear()
    engine.save(doc)
    (first,) = [r.params for r in request_log]
    assert readable(first) == "attribute_not_exists(id)"  # a new object: no item may exist
    assert doc.version == 1
    item = stored(client, engine)
    assert item is not None and item["v"] == {"N": "1"} and item["text"] == {"S": "first"}

    doc.text = "second"
    request_log.clear()
    engine.save(doc)
    (second,) = [r.params for r in request_log]
    assert readable(second) == "v = 1"
    assert doc.version == 2
    item = stored(client, engine)
    assert item is not None and item["v"] == {"N": "2"} and item["text"] == {"S": "second"}
    assert engine.get(Doc, id="d", consistent=True) == doc

    request_log.clear()
    if persist == "update":
        engine.save(doc)  # nothing changed: nothing sent, no new version
        assert request_log == []


def test_of_two_writers_exactly_one_wins(
    engine: Engine, client: DynamoDBClient, backend: str
) -> None:
    engine.save(Doc(id="d", text="base"))
    mine, theirs = engine.get(Doc, id="d"), engine.get(Doc, id="d")
    mine.text = "mine"
    engine.save(mine)
    after_mine = stored(client, engine)
    theirs.text = "theirs"
    with pytest.raises(ConstraintViolation) as lost:
        engine.save(theirs)
    assert lost.value.obj is theirs
    assert lost.value.item == returned_item(backend, after_mine or {})
    assert stored(client, engine) == after_mine  # the loser's change is not stored
    assert (mine.version, theirs.version) == (2, 1)
    with pytest.raises(ConstraintViolation):
        engine.update(theirs, col(Doc.hits).add(1))
    with pytest.raises(ConstraintViolation):
        engine.delete(theirs)
    assert stored(client, engine) == after_mine
    engine.load(theirs)  # a fresh read: the write goes through
    engine.update(theirs, col(Doc.hits).add(1))
    assert theirs.version == 3 and theirs.hits == 1
    engine.delete(theirs)
    assert stored(client, engine) is None


def test_a_new_object_may_not_overwrite_a_stored_item(
    engine: Engine, client: DynamoDBClient
) -> None:
    engine.save(Doc(id="d", text="kept"))
    with pytest.raises(ConstraintViolation):
        engine.save(Doc(id="d", text="lost"))
    item = stored(client, engine)
    assert item is not None and item["text"] == {"S": "kept"}


def test_update_checks_and_increments_the_version(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    doc = Doc(id="d")
    engine.save(doc)
    request_log.clear()
    engine.update(doc, col(Doc.hits).add(2), condition=col(Doc.hits) == 0)
    (params,) = request_log.of("UpdateItem")
    assert readable(params, "UpdateExpression") == "SET v=2 ADD hits 2"
    assert readable(params) == "hits = 0 AND v = 1"
    assert (doc.version, doc.hits) == (2, 2)
    item = stored(client, engine)
    assert item is not None and item["v"] == {"N": "2"}


@pytest.mark.parametrize("how", ["refresh=False", "transaction"])
def test_an_update_with_no_item_back_remembers_the_version_it_wrote(
    engine: Engine, client: DynamoDBClient, how: str, skip_on_dynalite: Callable[[str], None]
) -> None:
    """The object wrote the next version itself: its next write checks that one (it is not
    stale), as after an update that returns the item."""
    doc = Doc(id="d")
    engine.save(doc)
    if how == "transaction":
        skip_on_dynalite("no transactions in dynalite")
        with engine.transaction() as tx:
            tx.update(doc, col(Doc.hits).add(1))
    else:
        engine.update(doc, col(Doc.hits).add(1), refresh=False)
    assert doc.version == 2
    doc.text = "then"
    engine.save(doc)  # conditioned on v = 2, the version it stored
    engine.update(doc, col(Doc.hits).add(1), refresh=False)
    item = stored(client, engine)
    assert item is not None and item["v"] == {"N": "4"} and item["text"] == {"S": "then"}
    assert item["hits"] == {"N": "2"} and doc.version == 4


def test_an_update_by_key_adds_one_to_the_stored_version(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    engine.save(Doc(id="d"))
    request_log.clear()
    by_key = engine.update(Doc.model_construct(id="d"), col(Doc.hits).add(1))
    (params,) = request_log.of("UpdateItem")
    assert readable(params, "UpdateExpression") == "ADD hits 1, v 1"
    assert "ConditionExpression" not in params  # nothing seen: nothing to check
    assert (by_key.version, by_key.hits) == (2, 1)


def test_versioned_objects_are_not_batched(
    make_engine: MakeEngine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    """A conditional write cannot go in BatchWriteItem: each is its own request."""
    engine = make_engine(persist="overwrite")
    engine.bind(Doc)
    docs = [Doc(id=f"d{i}") for i in range(3)]
    request_log.clear()
    engine.save(*docs)
    assert sorted(request_log.operations) == ["PutItem"] * 3
    assert [d.version for d in docs] == [1, 1, 1]
    request_log.clear()
    engine.delete(*docs)
    assert sorted(request_log.operations) == ["DeleteItem"] * 3
    assert all(stored(client, engine, d.id) is None for d in docs)


def test_atomic_mode_and_versions_together(make_engine: MakeEngine, client: DynamoDBClient) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Doc)
    doc = Doc(id="d")
    engine.save(doc)
    doc.text = "x"
    engine.save(doc)
    assert doc.version == 2
    stale = Doc.model_validate({"id": "d"})
    with pytest.raises(ConstraintViolation):
        engine.save(stale)
    item = stored(client, engine)
    assert item is not None and item["text"] == {"S": "x"}


def test_an_unloaded_version_is_refused(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    engine.save(Doc(id="d", text="t"))
    (partial,) = engine.scan(Doc).select(col(Doc.id), col(Doc.text)).all()
    partial.text = "u"
    request_log.clear()
    with pytest.raises(InvalidValue, match=re.escape("Doc.version (the version) was not loaded")):
        engine.save(partial)
    assert request_log == []


# -- a version conflict told apart from the caller's condition ----------------------------------


NO_ITEM_BACK = "dynalite returns no stored item with a failed condition"


def test_a_lost_race_is_stale_and_a_failed_condition_is_not(
    engine: Engine, skip_on_dynalite: Callable[[str], None]
) -> None:
    skip_on_dynalite(NO_ITEM_BACK)
    engine.save(Doc(id="d", text="base"))
    mine, theirs = engine.get(Doc, id="d"), engine.get(Doc, id="d")
    mine.text = "mine"
    engine.save(mine)  # version 2

    theirs.text = "theirs"
    with pytest.raises(ConstraintViolation) as lost:
        engine.save(theirs, condition=col(Doc.hits) == 0)  # holds: only the version fails
    assert lost.value.stale is True
    assert "the stored version is 2, not what this object last saw" in str(lost.value)
    with pytest.raises(ConstraintViolation) as deleting:
        engine.delete(theirs)
    assert deleting.value.stale is True

    mine.text = "again"
    with pytest.raises(ConstraintViolation) as refused:
        engine.save(mine, condition=col(Doc.hits) > 0)  # the version holds, the condition not
    assert refused.value.stale is False
    assert "not what this object last saw" not in str(refused.value)
    with pytest.raises(ConstraintViolation) as updating:
        engine.update(mine, col(Doc.hits).add(1), condition=col(Doc.hits) > 5)
    assert updating.value.stale is False


def test_a_new_object_over_a_stored_item_is_stale(
    engine: Engine, skip_on_dynalite: Callable[[str], None]
) -> None:
    skip_on_dynalite(NO_ITEM_BACK)
    engine.save(Doc(id="d", text="kept"))
    with pytest.raises(ConstraintViolation) as caught:
        engine.save(Doc(id="d", text="lost"))
    assert caught.value.stale is True
    assert "the stored version is 1" in str(caught.value)


def test_a_deleted_item_is_stale_for_its_loaded_object(engine: Engine) -> None:
    engine.save(Doc(id="d"))
    doc = engine.get(Doc, id="d")
    engine.delete(engine.get(Doc, id="d"))
    doc.text = "late"
    with pytest.raises(ConstraintViolation) as caught:
        engine.save(doc)
    assert caught.value.stale is True
    assert "no stored item came back with the failure (none is stored)" in str(caught.value)


def test_an_unversioned_model_is_never_stale(make_engine: MakeEngine) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Plain)
    engine.save(Plain(id="p"))
    with pytest.raises(ConstraintViolation) as caught:
        engine.save(Plain(id="p"))  # atomic: a new object may not overwrite
    assert caught.value.stale is False


class Plain(Base):
    model_config = BloopConfig(table_name="plain_docs")
    id: Annotated[str, HashKey()]


def test_a_transaction_tells_which_item_lost_its_race(
    engine: Engine, skip_on_dynalite: Callable[[str], None]
) -> None:
    skip_on_dynalite("no transactions in dynalite")
    engine.save(Doc(id="a"), Doc(id="b"))
    a, b = engine.get(Doc, id="a"), engine.get(Doc, id="b")
    racing = engine.get(Doc, id="a")
    racing.text = "first"
    engine.save(racing)
    a.text, b.text = "x", "y"

    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(a)  # stale: another writer saved it
        tx.save(b, condition=col(Doc.hits) > 0)  # current, but its condition fails

    by_obj = {id(r.obj): r for r in caught.value.reasons}
    assert by_obj[id(a)].stale is True
    assert by_obj[id(a)].code == "ConditionalCheckFailed"
    assert "the stored version is 2, not what this object last saw" in str(caught.value)
    if by_obj[id(b)].code is not None:  # DynamoDB may stop at the first failure
        assert by_obj[id(b)].stale is False
