"""PynamoDB's model integration tests (pynamodb/PynamoDB, tests/integration/
model_integration_test.py, binary_update_test.py, test_discriminator_index.py,
base_integration_test.py), ported: the life of a model with a local and a global index and a
version (saves, loads, batch writes and loads, queries, scans, update actions with conditions,
deletes), an inherited version, binary values, and entities of one table sharing an index.

PynamoDB's ``batch_get`` of keys that do not exist returns nothing; ``engine.load`` lists them in
``MissingObjects`` after loading the others, which is what is checked here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, ClassVar

import pytest

from pydantic_bloop import (
    Base,
    BloopConfig,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    LocalIndex,
    MissingObjects,
    RangeKey,
    TableMismatch,
    Version,
    col,
    key_only,
)
from pydantic_bloop.models import model_info
from tests.engines import MakeEngine

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


class Thread(Base):
    """PynamoDB's ``TestModel`` of model_integration_test.py."""

    forum: Annotated[str, HashKey()]
    thread: Annotated[str, RangeKey()]
    view: int = 0
    epoch: datetime = NOW
    content: bytes | None = None
    scores: set[float] = set()
    version: Annotated[int, Version()] = 0
    view_index: ClassVar[LocalIndex] = LocalIndex(range_key="view", projection="all")
    epoch_index: ClassVar[GlobalIndex] = GlobalIndex(hash_key="epoch", projection="all")


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Thread)
    return engine


def test_the_life_of_a_model(engine: Engine) -> None:
    """test_model_integration, step by step"""
    obj = Thread(forum="1", thread="2")
    engine.save(obj)
    engine.load(obj)
    assert (obj.view, obj.version, obj.content) == (0, 1, None)
    engine.save(Thread(forum="foo", thread="bar"))
    unsaved = Thread(forum="foo2", thread="bar2")
    obj3 = Thread(forum="setitem", thread="setrange", scores={1, 2.1})
    engine.save(obj3)
    engine.load(obj3)
    assert obj3.scores == {1, 2.1}

    # batch_write of ten versioned items, batch_get of them and of keys never written
    batch = [Thread(forum=f"hash-{n}", thread=str(n)) for n in range(10)]
    engine.save(*batch)
    loaded = [key_only(Thread, forum=f"hash-{n}", thread=str(n)) for n in range(10)]
    engine.load(*loaded)
    assert loaded == batch and all(t.version == 1 for t in loaded)
    ghosts = [key_only(Thread, forum=f"hash-{n}", thread=f"thread-{n}") for n in range(10)]
    with pytest.raises(MissingObjects) as caught:
        engine.load(*ghosts, unsaved)
    assert caught.value.objects == [*ghosts, unsaved]

    query = engine.query(Thread).key(
        (col(Thread.forum) == "setitem") & col(Thread.thread).begins_with("set")
    )
    assert query.all() == [obj3]

    engine.delete(*batch)
    assert {t.forum for t in engine.scan(Thread)} == {"1", "foo", "setitem"}

    query_obj = Thread(forum="query_forum", thread="query_thread")
    query_obj.forum = "foo"
    engine.save(query_obj)
    engine.update(query_obj, col(Thread.view).add(1))
    assert query_obj.view == 1 and query_obj.version == 2
    by_epoch = engine.query(Thread.epoch_index).key(col(Thread.epoch) == NOW)
    assert {t.forum for t in by_epoch} == {"1", "foo", "setitem"}
    assert engine.query(Thread.epoch_index).key(col(Thread.epoch) == NOW + timedelta(1)).all() == []
    by_view = engine.query(Thread.view_index).key(
        (col(Thread.forum) == "foo") & (col(Thread.view) > 0)
    )
    assert [t.thread for t in by_view] == ["query_thread"]

    engine.update(query_obj, col(Thread.scores).set(set()))
    engine.load(query_obj)
    assert query_obj.scores == set()

    engine.update(query_obj, col(Thread.view).add(1), condition=col(Thread.forum).is_not(None))
    assert query_obj.view == 2
    assert engine.delete_table(Thread)
    assert not engine.table_exists(Thread)


def test_a_version_is_inherited_and_a_second_one_refused() -> None:
    """test_can_inherit_version_attribute"""

    class ThreadA(Base):
        model_config = BloopConfig(table_name="pynamodb-ci-a")
        forum: Annotated[str, HashKey()]
        thread: Annotated[str, RangeKey()]
        scores: int = 0
        version: Annotated[int, Version()] = 0

    class ThreadB(ThreadA):
        model_config = BloopConfig(table_name="pynamodb-ci-b")

    version = model_info(ThreadB).version
    assert version is not None and version.name == "version"
    with pytest.raises(InvalidModel, match="version and version_invalid"):

        class ThreadC(ThreadA):  # pyright: ignore[reportUnusedClass]
            model_config = BloopConfig(table_name="pynamodb-ci-c")
            version_invalid: Annotated[int, Version()] = 0


class Data(Base):
    """binary_update_test.py's ``DataModel``, both of them."""

    pkey: Annotated[str, HashKey()]
    data: bytes = b""
    data_set: set[bytes] = set()


def test_binary_values_update(engine: Engine) -> None:
    """test_binary_set_attribute_update (both: a binary and a binary set)"""
    engine.bind(Data)
    engine.save(Data(pkey="pkey", data=b"\x00hey\xfb", data_set={b"\x00hey\xfb", b"\x00b\xfb"}))
    m = engine.get(Data, pkey="pkey")
    assert (m.data, m.data_set) == (b"\x00hey\xfb", {b"\x00hey\xfb", b"\x00b\xfb"})
    engine.update(m, col(Data.data).set(b"\xff"), col(Data.data_set).set({b"\xff"}))
    assert (m.data, m.data_set) == (b"\xff", {b"\xff"})
    assert engine.get(Data, pkey="pkey") == m


class Parent(Base):
    """test_discriminator_index.py's ``ParentModel``: the table its children share."""

    model_config = BloopConfig(table_name="discriminator_index_test")
    hash_key: Annotated[str, HashKey()]


class Child1(Parent):
    index_key: str
    child_index: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="index_key", name="child_index", projection="all"
    )


class Child2(Parent):
    index_key: str
    child_index: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="index_key", name="child_index", projection="all"
    )


def test_children_share_an_index_of_their_table(engine: Engine) -> None:
    """TestDiscriminatorIndex.test_create_table: binding the parent creates the children's
    index; a query of each child's index yields that child"""
    engine.bind(Parent)
    engine.save(Child1(hash_key="hash_key1", index_key="bar"))
    engine.save(Child2(hash_key="hash_key2", index_key="baz"))
    first: object = engine.query(Child1.child_index).key(col(Child1.index_key) == "bar").one()
    assert first == Child1(hash_key="hash_key1", index_key="bar")
    assert type(first) is Child1
    second: object = engine.query(Child2.child_index).key(col(Child2.index_key) == "baz").one()
    assert second == Child2(hash_key="hash_key2", index_key="baz")
    assert type(second) is Child2


def test_children_whose_index_keys_disagree_are_refused(engine: Engine) -> None:
    """TestDiscriminatorIndex.test_create_table__incompatible_indexes: one attribute, two types"""

    class Other(Base):
        model_config = BloopConfig(table_name="incompatible_indexes")
        hash_key: Annotated[str, HashKey()]

    class Text(Other):
        index_key: str
        child_index: ClassVar[GlobalIndex] = GlobalIndex(
            hash_key="index_key", name="child_index1", projection="all"
        )

    class Number(Other):  # pyright: ignore[reportUnusedClass]
        index_key: int
        child_index: ClassVar[GlobalIndex] = GlobalIndex(
            hash_key="index_key", name="child_index2", projection="all"
        )

    with pytest.raises((InvalidModel, TableMismatch), match="index_key"):
        engine.bind(Other)
    assert Text.__name__ == "Text"
