"""What DynamoDB would refuse or corrupt, and what the model could not read back, is an
``InvalidValue`` naming model and field before anything is sent (issue 18: 7, 9, 15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import Field

from pydantic_bloop import (
    Base,
    DynamoName,
    GlobalIndex,
    HashKey,
    InvalidCondition,
    InvalidModel,
    InvalidValue,
    RangeKey,
    UpdateAction,
    col,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Crate(Base):
    id: Annotated[str, HashKey()]
    slot: Annotated[str, RangeKey()] = "a"
    name: str = ""
    stock: int = Field(default=0, ge=0)
    doc: Any = None
    label: str | None = None
    tag: str = "t"
    by_label: ClassVar[GlobalIndex] = GlobalIndex(hash_key="label", range_key="tag")


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"name": "a\ud800b"}, "Crate.name", "lone surrogate"),
    ({"stock": -1}, "Crate.stock", "greater than or equal to 0"),
    ({"doc": _nested(40)}, "Crate.doc", "deeper than DynamoDB's 32 levels"),
    ({"doc": _nested(1500)}, "Crate.doc", "deeper than DynamoDB's 32 levels"),
    ({"doc": {"": 1}}, "Crate.doc", "map key cannot be empty"),
    ({"id": "h" * 2049}, "Crate.id", "limit of 2,048 bytes"),
    ({"slot": "r" * 1025}, "Crate.slot", "limit of 1,024 bytes"),
    ({"slot": ""}, "Crate.slot", "cannot be empty"),
    ({"label": ""}, "Crate.label", "cannot be empty"),
    ({"label": "l" * 2049}, "Crate.label", "limit of 2,048 bytes"),
    ({"label": "l", "tag": "n" * 1025}, "Crate.tag", "limit of 1,024 bytes"),
    ({"tag": ""}, "Crate.tag", "cannot be empty"),
]


@pytest.mark.parametrize(("changes", "field", "why"), CASES)
@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_what_cannot_be_stored_or_read_back_is_refused_before_sending(
    make_engine: MakeEngine,
    request_log: RequestLog,
    changes: dict[str, Any],
    field: str,
    why: str,
    persist: str,
) -> None:
    engine = make_engine(persist=persist)
    engine.bind(Crate)
    crate = Crate(id="k")
    for name, value in changes.items():
        setattr(crate, name, value)  # assigned without validation
    sent = len(request_log.operations)
    with pytest.raises(InvalidValue, match=why) as caught:
        engine.save(crate)
    assert field in str(caught.value)
    assert len(request_log.operations) == sent  # nothing sent


@pytest.mark.parametrize(
    ("hash_value", "range_value", "why"),
    [
        ("h" * 2049, "a", "Crate.id = 'hhhh"),
        ("k", "r" * 1025, "limit of 1,024 bytes"),
        ("k", "", "Crate.slot = '': a key attribute cannot be empty"),
        ("k\udc00", "a", "lone surrogate"),
    ],
)
def test_keys_dynamodb_refuses_are_refused_before_a_read_or_delete(
    make_engine: MakeEngine,
    request_log: RequestLog,
    hash_value: str,
    range_value: str,
    why: str,
) -> None:
    engine = make_engine()
    engine.bind(Crate)
    request_log.clear()
    with pytest.raises(InvalidValue, match=why):
        engine.get(Crate, id=hash_value, slot=range_value)
    with pytest.raises(InvalidValue, match=why):
        engine.delete(Crate.model_construct(id=hash_value, slot=range_value))
    assert request_log.operations == []


def test_a_hash_key_of_2048_bytes_and_a_range_key_of_1024_are_stored(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    engine.bind(Crate)
    crate = Crate(id="é" * 1024, slot="r" * 1024)  # 2,048 bytes of UTF-8
    engine.save(crate)
    assert engine.get(Crate, id=crate.id, slot=crate.slot) == crate


def test_attribute_names_dynamodb_refuses_are_refused_at_class_definition() -> None:
    with pytest.raises(InvalidModel, match="key attribute names are 1 to 255 bytes"):

        class LongKey(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey(), DynamoName("k" * 256)]

    with pytest.raises(InvalidModel, match=r"Tagged.label: DynamoDB key attribute names"):

        class Tagged(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            label: Annotated[str, DynamoName("t" * 300)] = "x"
            by_label: ClassVar[GlobalIndex] = GlobalIndex(hash_key="label")

    with pytest.raises(InvalidModel, match="attribute names are 1 to 65,535 bytes"):

        class Wide(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            note: Annotated[str, DynamoName("n" * 65536)] = ""

    class Fine(Base):  # a long name that is no key is allowed
        id: Annotated[str, HashKey()]
        note: Annotated[str, DynamoName("n" * 300)] = ""

    assert Fine(id="x").note == ""


class Bin(Base):
    id: Annotated[str, HashKey()]
    name: str = ""
    counts: dict[str, int] = {}
    words: list[str] = []
    names: set[str] = set()
    doc: Any = None


ACTIONS: list[tuple[Callable[[], UpdateAction], type[Exception], str]] = [
    (lambda: col(Bin.counts)[""].add(1), InvalidCondition, r"Bin.counts\[''\]: a map key"),
    (lambda: col(Bin.counts)["k" * 70_000].set(1), InvalidCondition, "limit of 64 KB"),
    (lambda: col(Bin.name).set("a\ud800"), InvalidValue, r"Bin.name.set\(.*lone surrogate"),
    (lambda: col(Bin.words).append("a\ud800"), InvalidValue, "lone surrogate"),
    (lambda: col(Bin.names).add("a\ud800"), InvalidValue, "lone surrogate"),
    (lambda: col(Bin.doc).set({"": 1}), InvalidValue, "map key cannot be empty"),
    (lambda: col(Bin.doc).set(_nested(40)), InvalidValue, "deeper than DynamoDB's 32"),
    (lambda: col(Bin.doc)["a"].set(_nested(31)), InvalidValue, "deeper than DynamoDB's 32"),
    (lambda: col(Bin.words).append("x" * 500_000), InvalidValue, "cannot fit in an item"),
]


@pytest.mark.parametrize(("action", "error", "why"), ACTIONS)
def test_update_actions_dynamodb_would_refuse_or_corrupt_are_refused_when_built(
    make_engine: MakeEngine,
    request_log: RequestLog,
    action: Callable[[], UpdateAction],
    error: type[Exception],
    why: str,
) -> None:
    # moto stored an empty map key from a path, after which every read of the item failed
    engine = make_engine()
    engine.bind(Bin)
    engine.save(stored := Bin(id="b", counts={"k": 1}, words=["w"]))
    request_log.clear()
    with pytest.raises(error, match=why):
        engine.update(engine.get(Bin, id="b"), action())
    assert request_log.operations == ["GetItem"]  # the update was never sent
    assert engine.get(Bin, id="b") == stored


def test_a_path_30_levels_into_a_document_still_takes_a_value(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Bin)
    engine.save(Bin(id="b", doc={"a": None}))
    deep = engine.update(engine.get(Bin, id="b"), col(Bin.doc)["a"].set(_nested(30)))
    assert deep.doc == {"a": _nested(30)}  # 32 levels: the item's map, then 31 lists
    assert engine.get(Bin, id="b").doc == {"a": _nested(30)}


def test_condition_values_dynamodb_cannot_take_are_refused_when_built(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Bin)
    request_log.clear()
    with pytest.raises(InvalidCondition, match=r"Bin.name == .*lone surrogate"):
        _ = col(Bin.name) == "a\ud800"
    with pytest.raises(InvalidCondition, match="lone surrogate"):
        engine.query(Bin).key(col(Bin.id) == "\udc00").all()
    with pytest.raises(InvalidCondition, match="map key cannot be empty"):
        _ = col(Bin.doc) == {"": 1}
    assert request_log.operations == []
