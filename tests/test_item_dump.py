"""The generated whole-item dump (item_dump.py) stores exactly what the codec walk stores.

For every type of the registry and for edge values of the types it writes inline (wrong classes
assigned without validation included), `ModelInfo.dump_item` gives the same item as the checked
walk it falls back to, attribute for attribute, in the same order, of the same Python types, or
raises the same ``InvalidValue``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, cast

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pydantic_bloop import Base, BloopConfig, HashKey, InvalidValue, RangeKey
from pydantic_bloop.mapper_state import model_info
from pydantic_bloop.models import ModelInfo
from tests.test_types import EVERYTHING, NAIVE, ROUND_TRIPS, Everything

_PYDANTIC_UTC = pydantic.TypeAdapter(datetime).validate_python("2024-01-01T00:00:00Z").tzinfo


class Row(Base):
    pk: Annotated[str, HashKey()]
    sk: Annotated[int, RangeKey()]
    title: str
    views: int
    price: Decimal
    active: bool
    created: datetime
    tags: list[str]
    note: str | None = None
    count: int | None = None
    seen: datetime | None = None
    labels: list[str] | None = None
    kinds: set[str] = set()  # no inline case: its codec is called (and may store nothing)
    flag: bool | None = None


class Tagged(Base):
    model_config = BloopConfig(entity="T")
    pk: Annotated[str, HashKey()]
    title: str
    note: str | None = None


class Text(str):
    def __str__(self) -> str:
        return "not the value"


class Number(int):
    pass


class When(datetime):
    pass


def _typed(value: object) -> object:
    """``value`` with the class of every part spelled out: True and 1, or a str subclass and
    its str, differ."""
    if isinstance(value, dict):
        pairs: dict[object, object] = cast("dict[object, object]", value)
        return ("dict", [(_typed(k), _typed(v)) for k, v in pairs.items()])
    if isinstance(value, list):
        return ("list", [_typed(x) for x in cast("list[object]", value)])
    return (type(value).__name__, repr(value))


def _outcome(dump: Callable[[], dict[str, Any]]) -> object:
    try:
        return _typed(dump())
    except Exception as exc:
        return (type(exc).__name__, str(exc))


def _walked(info: ModelInfo, obj: Base, key: dict[str, Any] | None = None) -> dict[str, Any]:
    return info._dump_item_walked(obj, key)  # pyright: ignore[reportPrivateUsage]


def assert_same_dump(obj: Base) -> None:
    """The fast dump of ``obj`` is the walk's, whole and with its key given."""
    info = model_info(type(obj))
    assert _outcome(lambda: info.dump_item(obj)) == _outcome(lambda: _walked(info, obj))
    try:
        key = info.key_of(obj)
    except InvalidValue:
        return
    fast = _outcome(lambda: info.dump_item(obj, dict(key)))
    assert fast == _outcome(lambda: _walked(info, obj, dict(key)))


def _row(**changes: Any) -> Row:
    """A valid row, then ``changes`` assigned without validation (as a user's code may)."""
    row = Row(
        pk="user#1",
        sk=7,
        title="t",
        views=3,
        price=Decimal("1.50"),
        active=True,
        created=datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        tags=["a", "b"],
    )
    vars(row).update(changes)
    return row


def test_the_fast_dump_is_taken_and_stores_the_item() -> None:
    row = _row(note="n", kinds={"x"})
    whole, rest = model_info(Row)._item_dumps  # pyright: ignore[reportPrivateUsage]
    key = model_info(Row).key_of(row)
    assert whole(vars(row)) is not None and rest(vars(row), key) is not None  # no walk
    assert model_info(Row).dump_item(row) == {
        "pk": {"S": "user#1"},
        "sk": {"N": "7"},
        "title": {"S": "t"},
        "views": {"N": "3"},
        "price": {"N": "1.50"},
        "active": {"BOOL": True},
        "created": {"S": "2024-01-02T03:04:05.000006Z"},
        "tags": {"L": [{"S": "a"}, {"S": "b"}]},
        "note": {"S": "n"},
        "kinds": {"SS": ["x"]},
    }
    assert_same_dump(row)


_OFFSET = timezone(timedelta(hours=5, minutes=30))
EDGES: dict[str, list[Any]] = {
    "pk": ["", "x", "x" * 2048, "x" * 2049, "é", "é" * 1024, "é" * 1025, Text("k"), 5, None],
    "sk": [0, -1, 10**38 - 1, -(10**38) + 1, 10**38, -(10**38), 10**39, True, Number(3), "1", None],
    "title": ["", "é", "\ud800", Text("x"), 1, None, b"x"],
    "views": [0, 10**38 - 1, -(10**38) + 1, 10**38, -(10**38), 10**40 + 1, True, False, Number(4)],
    "price": [
        Decimal("0"),
        Decimal("-0"),
        Decimal("-0.00"),
        Decimal("1E+2"),
        Decimal("1" * 38),
        Decimal("1" * 39),
        Decimal("-" + "1" * 37),
        Decimal("0.000001"),
        Decimal("1E-130"),
        Decimal("1E-131"),
        Decimal("9.9999999999999999999999999999999999999E+125"),
        Decimal("1E+126"),
        Decimal("NaN"),
        Decimal("-Infinity"),
        1,
        1.5,
        True,
        "1",
    ],
    "active": [True, False, 1, 0, None, "True"],
    "created": [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=_PYDANTIC_UTC),
        datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=timezone(timedelta(0))),
        datetime(2024, 1, 1, 0, 0, 0, 10, tzinfo=_OFFSET),
        datetime(1, 1, 1, tzinfo=_OFFSET),
        NAIVE,
        When(2024, 1, 1, tzinfo=UTC),
        "2024-01-01T00:00:00Z",
        None,
    ],
    "tags": [[], [""], ["a", Text("b")], ["a", 1], ("a",), {"a"}, "ab", None, [None]],
    "note": [None, "", "n", Text("n"), 3],
    "count": [None, 0, 10**38, True, "3"],
    "seen": [None, datetime(2024, 1, 1, tzinfo=UTC), NAIVE, datetime(2024, 1, 1, tzinfo=_OFFSET)],
    "labels": [None, [], ["x"], ["x", None]],
    "kinds": [set[str](), {"a"}, {"b", "a"}, None, [1]],
    "flag": [None, True, 0],
}


@pytest.mark.parametrize(
    ("field", "value"),
    [(f, v) for f, values in EDGES.items() for v in values],
    ids=[f"{f}-{i}" for f, values in EDGES.items() for i in range(len(values))],  # set reprs vary
)
def test_edge_values_dump_as_the_walk(field: str, value: Any) -> None:
    assert_same_dump(_row(**{field: value}))


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({f: st.sampled_from(values) for f, values in EDGES.items()}))
def test_edge_values_together_dump_as_the_walk(values: dict[str, Any]) -> None:
    assert_same_dump(_row(**values))


@pytest.mark.parametrize("field", list(Row.model_fields))
def test_a_field_never_loaded_is_the_walks_error(field: str) -> None:
    row = _row()
    del vars(row)[field]
    with pytest.raises(InvalidValue) as raised:
        model_info(Row).dump_item(row)
    assert _outcome(lambda: model_info(Row).dump_item(row)) == _outcome(
        lambda: _walked(model_info(Row), row)
    )
    assert f"Row.{field}" in str(raised.value)


def test_an_empty_key_is_the_walks_error() -> None:
    with pytest.raises(InvalidValue, match=r"Row\.pk = ''"):
        model_info(Row).dump_item(_row(pk=""))


def test_the_entity_tag_is_stored_last_each_time_a_new_value() -> None:
    info = model_info(Tagged)
    first = info.dump_item(Tagged(pk="a", title="x"))
    assert list(first.items()) == [("pk", {"S": "a"}), ("title", {"S": "x"}), ("_et", {"S": "T"})]
    with_note = info.dump_item(Tagged(pk="a", title="x", note="n"))
    assert list(with_note) == ["pk", "title", "note", "_et"]
    first["_et"]["S"] = "changed"  # a caller's change stays in its own item
    assert info.dump_item(Tagged(pk="b", title="y"))["_et"] == {"S": "T"}
    for obj in (Tagged(pk="a", title="x"), Tagged(pk="a", title="x", note="n")):
        assert_same_dump(obj)


class KeysOnly(Base):
    pk: Annotated[str, HashKey()]
    sk: Annotated[bytes, RangeKey()]  # no inline case: dumped by its codec, then checked


@pytest.mark.parametrize("sk", [b"x", b"", b"x" * 1025, "x", None])
def test_a_model_of_keys_only_dumps_as_the_walk(sk: object) -> None:
    obj = KeysOnly(pk="a", sk=b"x")
    vars(obj)["sk"] = sk
    assert_same_dump(obj)


def _typed_model(index: int, tp: Any) -> type[Base]:
    model: type[Base] = pydantic.create_model(
        f"Of{index}",
        __base__=Base,
        pk=(Annotated[str, HashKey()], ...),
        value=(tp, ...),
    )
    return model


_MODELS = {repr(tp): _typed_model(i, tp) for i, (tp, _) in enumerate(ROUND_TRIPS)}


@pytest.mark.parametrize(("tp", "values"), ROUND_TRIPS, ids=[repr(tp) for tp, _ in ROUND_TRIPS])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_registry_type_dumps_as_the_walk(
    tp: Any, values: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    value = data.draw(values)
    model = _MODELS[repr(tp)]
    assert_same_dump(model.model_validate({"pk": "k", "value": value}))
    unvalidated = model.model_validate({"pk": "k", "value": value})
    vars(unvalidated)["value"] = value  # as given, before pydantic converted it
    assert_same_dump(unvalidated)


def test_every_field_of_everything_dumps_as_the_walk() -> None:
    fields: dict[str, Any] = {n: (f.annotation, f) for n, f in Everything.model_fields.items()}
    model: type[Base] = pydantic.create_model(
        "EveryType", __base__=Base, pk=(Annotated[str, HashKey()], ...), **fields
    )
    obj = model.model_validate({**dict(EVERYTHING), "pk": "k"})
    assert_same_dump(obj)
