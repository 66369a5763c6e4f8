"""dyntastic's update suite (nayaverdier/dyntastic, tests/test_update.py and tests/test_refresh.py),
ported to ``engine.update``: set, remove, set_default, counters, list appends, set elements, and
every update condition of its parametrised ``test_update_condition`` (the condition holds: the
update is stored; it fails: ``ConstraintViolation`` and the item is unchanged).

dyntastic's naive datetimes are aware here (a naive datetime is refused on purpose, see
docs/types.md). Scenarios whose behaviour we lack are listed in tests/peers/README.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Network
from typing import Annotated, Any, cast

import pytest
from pydantic import BaseModel

from pydantic_bloop import (
    Base,
    Column,
    Condition,
    ConstraintViolation,
    Engine,
    HashKey,
    InvalidCondition,
    RangeKey,
    UnloadedField,
    UpdateAction,
    UpdateValue,
    col,
    list_append,
)
from tests.engines import MakeEngine


class Nested(BaseModel):
    sample_field: str


class Thing(Base):
    """dyntastic's ``MyObject``: one optional field of each kind."""

    id: Annotated[str, HashKey()]
    my_str: str | None = None
    my_datetime: datetime | None = None
    my_bytes: bytes | None = None
    my_int: int | None = None
    my_decimal: Decimal | None = None
    my_str_set: set[str] | None = None
    my_bytes_set: set[bytes] | None = None
    my_int_set: set[int] | None = None
    my_str_list: list[str] | None = None
    my_int_list: list[int] | None = None
    my_dict: dict[str, int] | None = None
    my_nested_data: Any = None
    my_nested_model: Nested | None = None
    my_ipv4_address: IPv4Address | None = None
    my_ipv4_interface: IPv4Interface | None = None
    my_ipv4_network: IPv4Network | None = None
    my_ipv6_address: IPv6Address | None = None
    my_ipv6_network: IPv6Network | None = None
    hits: int = 0


class RangeThing(Thing):
    """dyntastic's ``MyRangeObject``: the same fields under a hash and range key."""

    timestamp: Annotated[datetime, RangeKey()] = datetime(2022, 2, 12, tzinfo=UTC)


DATA: dict[str, Any] = {
    "my_str": "foo",
    "my_datetime": datetime(2022, 2, 12, 12, 26, 35, tzinfo=UTC),
    "my_bytes": b"foobar",
    "my_int": 5,
    "my_decimal": Decimal("1.5"),
    "my_str_set": {"a", "b", "c"},
    "my_bytes_set": {b"a", b"b", b"c"},
    "my_int_set": {1, 2},
    "my_str_list": ["a", "b", "c", "d"],
    "my_int_list": [10, 20, 30],
    "my_dict": {"a": 1, "b": 2, "c": 3},
    "my_nested_data": [{"a": [{"foo": "bar"}], "b": "test"}, "some_string"],
    "my_nested_model": Nested(sample_field="hello"),
    "my_ipv4_address": IPv4Address("10.66.0.1"),
    "my_ipv4_interface": IPv4Interface("10.66.0.1"),
    "my_ipv4_network": IPv4Network("10.66.0.1/32"),
    "my_ipv6_address": IPv6Address("1:db8::"),
    "my_ipv6_network": IPv6Network("2001:db8::1000/124"),
}


@pytest.fixture
def model() -> type[Thing]:
    """dyntastic runs each test on both models; here two tests do (``both``)."""
    return Thing


both = pytest.mark.parametrize("model", [Thing, RangeThing], ids=["hash", "range"])


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Thing, RangeThing)
    return engine


def saved(engine: Engine, model: type[Thing], **changes: Any) -> Thing:
    """dyntastic's ``_create_item``: an item with every field set (``changes`` override)."""
    item = model(id="id1", **{**DATA, **changes})
    engine.save(item)
    return item


def stored(engine: Engine, item: Thing) -> Thing:
    key: dict[str, object] = {"id": item.id}
    if isinstance(item, RangeThing):
        key["timestamp"] = item.timestamp
    return engine.get(type(item), key, consistent=True)


def test_set_a_new_attribute(engine: Engine, model: type[Thing]) -> None:
    """test_set_new_attribute"""
    item = saved(engine, model, my_str=None)
    engine.update(item, col(Thing.my_str).set("bar"))
    assert item.my_str == "bar" and stored(engine, item).my_str == "bar"


@both
def test_set_every_existing_attribute(engine: Engine, model: type[Thing]) -> None:
    """test_set_existing_attribute: a set of every field's type, read back equal"""
    item = saved(engine, model)
    new: dict[str, Any] = {
        "my_str": "new_value",
        "my_datetime": datetime(2022, 2, 13, tzinfo=UTC),
        "my_bytes": b"new_bytes",
        "my_int": 6,
        "my_decimal": Decimal("2.5"),
        "my_str_set": {"d", "e"},
        "my_bytes_set": {b"e", b"f"},
        "my_int_set": {3, 4},
        "my_str_list": ["e", "f"],
        "my_int_list": [40, 50],
        "my_dict": {"d": 4, "e": 5},
        "my_nested_data": {"foo": ["bar", "baz", "bat"]},
        "my_nested_model": Nested(sample_field="updated"),
        "my_ipv4_address": IPv4Address("99.66.0.1"),
        "my_ipv4_interface": IPv4Interface("99.66.0.1"),
        "my_ipv4_network": IPv4Network("99.66.0.1/32"),
        "my_ipv6_address": IPv6Address("991:db8::"),
        "my_ipv6_network": IPv6Network("9901:db8::1000/124"),
    }
    actions = [col(getattr(model, name)).set(value) for name, value in new.items()]
    engine.update(item, *actions)
    again = stored(engine, item)
    for name, value in new.items():
        assert getattr(again, name) == value, name
        assert getattr(item, name) == value, name


def test_set_a_field_of_a_nested_model(engine: Engine, model: type[Thing]) -> None:
    """test_update_nested_string"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_nested_model)["sample_field"].set("new_value"))
    assert item.my_nested_model == Nested(sample_field="new_value")
    assert stored(engine, item).my_nested_model == Nested(sample_field="new_value")


def test_set_and_remove_several_attributes(engine: Engine, model: type[Thing]) -> None:
    """test_set_and_remove_multiple_attributes"""
    item = saved(engine, model)
    engine.update(
        item,
        col(Thing.my_str).set("new_value"),
        col(Thing.my_int).set(500),
        col(Thing.my_decimal).remove(),
        col(Thing.my_dict).remove(),
    )
    for obj in (item, stored(engine, item)):
        assert (obj.my_str, obj.my_int, obj.my_decimal, obj.my_dict) == (
            "new_value",
            500,
            None,
            None,
        )


def test_set_default_keeps_an_existing_value(engine: Engine, model: type[Thing]) -> None:
    """test_set_if_not_exist_exists, test_set_default_exists"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str).set_default("bar"))
    assert item.my_str == "foo" and stored(engine, item).my_str == "foo"


def test_set_default_fills_a_missing_value(engine: Engine, model: type[Thing]) -> None:
    """test_set_if_not_exist_does_not_exists, test_set_default_does_not_exist"""
    item = saved(engine, model, my_str=None)
    engine.update(item, col(Thing.my_str).set_default("bar"))
    assert item.my_str == "bar" and stored(engine, item).my_str == "bar"


@pytest.mark.parametrize(("amount", "expected"), [(100, 105), (-100, -95)])
def test_add_to_a_number(engine: Engine, model: type[Thing], amount: int, expected: int) -> None:
    """test_add_int, test_set_int_plus, test_set_int_minus (SET my_int = my_int - 100 is an
    ADD of -100 here)"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_int).add(amount))
    assert item.my_int == expected and stored(engine, item).my_int == expected


def test_add_to_a_missing_number_starts_at_zero(engine: Engine, model: type[Thing]) -> None:
    """test_add_new_int, test_add_new_decimal"""
    item = saved(engine, model, my_int=None, my_decimal=None)
    engine.update(item, col(Thing.my_int).add(100), col(Thing.my_decimal).add(Decimal("100.5")))
    assert (item.my_int, item.my_decimal) == (100, Decimal("100.5"))


def test_add_a_decimal(engine: Engine, model: type[Thing]) -> None:
    """test_add_decimal"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_decimal).add(Decimal("3.25")))
    assert item.my_decimal == Decimal("4.75") and stored(engine, item).my_decimal == Decimal("4.75")


def test_append_to_a_list(engine: Engine, model: type[Thing]) -> None:
    """test_list_append, test_append"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str_list).append("z"))
    assert item.my_str_list == ["a", "b", "c", "d", "z"]
    assert stored(engine, item).my_str_list == ["a", "b", "c", "d", "z"]


def test_append_to_a_missing_list_starts_it(engine: Engine, model: type[Thing]) -> None:
    """test_list_append_if_not_exists, with append's own default (the empty list)"""
    item = saved(engine, model, my_str_list=None)
    engine.update(item, col(Thing.my_str_list).append("z"))
    assert item.my_str_list == ["z"]


def test_an_update_without_refresh(engine: Engine, model: type[Thing]) -> None:
    """test_no_refresh, test_ignore_refresh: after ``refresh=False`` the changed field cannot
    be read until the object is loaded again (dyntastic's refresh()); the others stay"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str).set("bar"), refresh=False)
    with pytest.raises(UnloadedField, match="my_str"):
        _ = item.my_str
    assert item.my_int == 5
    assert stored(engine, item).my_str == "bar"
    engine.load(item)
    assert item.my_str == "bar"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (col(Thing.my_int) + 100, 105),
        (100 + col(Thing.my_int), 105),
        (col(Thing.my_int) - 100, -95),
        (100 - col(Thing.my_int), 95),
    ],
    ids=["plus", "rplus", "minus", "rminus"],
)
def test_set_to_arithmetic_of_the_stored_value(
    engine: Engine, model: type[Thing], value: UpdateValue[int], expected: int
) -> None:
    """test_set_int_plus, test_set_int_rplus, test_set_int_minus, test_set_int_rminus"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_int).set(value))
    assert item.my_int == expected and stored(engine, item).my_int == expected


def test_set_to_if_not_exists(engine: Engine, model: type[Thing]) -> None:
    """test_set_if_not_exist_exists, test_set_if_not_exist_does_not_exists"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str).set(col(Thing.my_str).if_not_exists("bar")))
    assert item.my_str == "foo" and stored(engine, item).my_str == "foo"
    fields: dict[str, Any] = {**DATA, "my_str": None}
    other = model(id="id2", **fields)
    engine.save(other)
    engine.update(other, col(Thing.my_str).set(col(Thing.my_str).if_not_exists("bar")))
    assert other.my_str == "bar" and stored(engine, other).my_str == "bar"


def test_list_append_of_if_not_exists(engine: Engine, model: type[Thing]) -> None:
    """test_list_append (``set(list_append(l, ["z"]))``), test_list_append_if_not_exists (a
    default of ["y"], then "z" appended)"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str_list).set(list_append(col(Thing.my_str_list), ["z"])))
    assert item.my_str_list == ["a", "b", "c", "d", "z"]
    fields: dict[str, Any] = {**DATA, "my_str_list": None}
    missing = model(id="id2", **fields)
    engine.save(missing)
    appended = list_append(col(Thing.my_str_list).if_not_exists(["y"]), ["z"])
    engine.update(missing, col(Thing.my_str_list).set(appended))
    assert missing.my_str_list == ["y", "z"] and stored(engine, missing).my_str_list == ["y", "z"]


def test_remove_attributes(engine: Engine, model: type[Thing]) -> None:
    """test_remove_attribute"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str).remove())
    assert item.my_str is None
    engine.update(item, col(Thing.my_str_list).remove())
    assert item.my_str_list is None
    again = stored(engine, item)
    assert (again.my_str, again.my_str_list) == (None, None)


def test_remove_a_list_element(engine: Engine, model: type[Thing]) -> None:
    """test_remove_list_element"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str_list)[0].remove())
    assert item.my_str_list == ["b", "c", "d"]
    assert stored(engine, item).my_str_list == ["b", "c", "d"]


class Gibberish(int):
    """dyntastic's ``CustomInt``: an int whose str() is no number."""

    def __str__(self) -> str:
        return "gibberish"


def test_a_list_index_is_a_plain_int(engine: Engine) -> None:
    """tests/test_update_expressions.py: test_remove_index, test_cannot_remove_non_int,
    test_cannot_remove_int_subclass (an int subclass is taken as its number: its str() never
    reaches the expression; a bool is refused)"""
    with pytest.raises(InvalidCondition, match="not a bool"):
        col(Thing.my_str_list)[True]
    with pytest.raises(InvalidCondition, match="no such path"):
        col(Thing.my_str_list)["asd"]  # pyright: ignore[reportArgumentType]  # wrong on purpose
    item = saved(engine, Thing)
    engine.update(item, col(Thing.my_str_list)[Gibberish(1)].remove())
    assert item.my_str_list == ["a", "c", "d"]
    assert stored(engine, item).my_str_list == ["a", "c", "d"]


def test_add_elements_to_a_set(engine: Engine, model: type[Thing]) -> None:
    """test_add_single_string_to_set, test_add_multiple_strings_to_set"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str_set).add("z"))
    assert item.my_str_set == {"a", "b", "c", "z"}
    engine.update(item, col(Thing.my_str_set).add("y", "x"))
    assert item.my_str_set == {"a", "b", "c", "x", "y", "z"}
    assert stored(engine, item).my_str_set == {"a", "b", "c", "x", "y", "z"}


def test_add_elements_to_a_missing_set(engine: Engine, model: type[Thing]) -> None:
    """test_add_single_string_to_new_set, test_add_multiple_strings_to_new_set"""
    item = saved(engine, model, my_str_set=None)
    engine.update(item, col(Thing.my_str_set).add("y", "z"))
    assert item.my_str_set == {"y", "z"}


def test_add_a_number_to_a_number_set(engine: Engine, model: type[Thing]) -> None:
    """test_cannot_add_int_to_set: dyntastic sends a bare number, which DynamoDB refuses; here
    an element of a set[int] goes as a number set, and is added"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_int_set).add(5))
    assert item.my_int_set == {1, 2, 5} and stored(engine, item).my_int_set == {1, 2, 5}


def test_discard_elements_of_a_set(engine: Engine, model: type[Thing]) -> None:
    """test_delete_single_string_from_set, test_delete_multiple_strings, test_delete_all_strings"""
    item = saved(engine, model)
    engine.update(item, col(Thing.my_str_set).discard("a"))
    assert stored(engine, item).my_str_set == {"b", "c"}
    engine.update(item, col(Thing.my_str_set).discard("b", "c"))
    assert item.my_str_set is None  # the last element gone: no attribute
    assert stored(engine, item).my_str_set is None


def test_another_object_sees_the_update_once_loaded(engine: Engine, model: type[Thing]) -> None:
    """tests/test_refresh.py: test_refresh_hash"""
    item = saved(engine, model)
    retrieved = stored(engine, item)
    engine.update(retrieved, col(Thing.my_str).set("new_value"))
    assert (item.my_str, retrieved.my_str) == ("foo", "new_value")
    engine.load(item)
    assert item.my_str == "new_value"


NESTED = col(Thing.my_nested_model)["sample_field"]
MY_STR = col(Thing.my_str)
MY_INT = col(Thing.my_int)
# my_str as the operand of contains(): typed Column[str] (it is optional, and an absent operand
# only makes the condition false)
OPERAND: Column[str] = cast("Column[str]", MY_STR)

# (holds, fails) for the item of DATA: test_update_condition's parameters, in its order
CONDITIONS: list[tuple[Condition, Condition]] = [
    (MY_STR == "foo", MY_STR == "non-matching"),
    (
        col(Thing.my_datetime) == datetime(2022, 2, 12, 12, 26, 35, tzinfo=UTC),
        col(Thing.my_datetime) == datetime(2022, 3, 1, tzinfo=UTC),
    ),
    (col(Thing.my_bytes) == b"foobar", col(Thing.my_bytes) == b"not this"),
    (MY_INT == 5, MY_INT == -1000),
    (col(Thing.my_decimal) == Decimal("1.5"), col(Thing.my_decimal) == Decimal("100.5")),
    (col(Thing.my_str_set) == {"a", "b", "c"}, col(Thing.my_str_set) == {"x", "y"}),
    (col(Thing.my_bytes_set) == {b"a", b"b", b"c"}, col(Thing.my_bytes_set) == {b"x", b"y"}),
    (col(Thing.my_int_set) == {1, 2}, col(Thing.my_int_set) == {5, 6}),
    (NESTED == "hello", NESTED == "non-matching"),
    (MY_STR != "non-matching", MY_STR != "foo"),
    (MY_INT != 5000, MY_INT != 5),
    (NESTED != "non-matching", NESTED != "hello"),
    (MY_INT < 10, MY_INT < 0),
    (MY_INT <= 5, MY_INT <= 4),
    (MY_STR < "zzz", MY_STR < "abc"),
    (MY_INT > 0, MY_INT > 10),
    (MY_INT >= 5, MY_INT >= 6),
    (MY_STR > "fff", MY_STR > "zzz"),
    (NESTED > "he", NESTED > "hello"),
    (NESTED >= "hello", NESTED >= "hello2"),
    (NESTED < "hello2", NESTED < "hello"),
    (NESTED <= "hello", NESTED <= "he"),
    (MY_STR.begins_with("f"), MY_STR.begins_with("z")),
    (MY_STR.between("f", "food"), MY_STR.between("z", "zebra")),
    (MY_STR.in_("foo", "bar", "baz"), MY_STR.in_("d", "e")),
    (MY_STR.contains("fo"), MY_STR.contains("blah")),
    (col(Thing.my_str_set).contains("a"), col(Thing.my_str_set).contains(OPERAND)),
    (NESTED.begins_with("h"), NESTED.begins_with("z")),
    (NESTED.between("h", "hello2"), NESTED.between("h", "he")),
    (NESTED.in_("a", "hello", "b"), NESTED.in_("a", "b")),
    (NESTED.contains("hel"), NESTED.contains("foo")),
    (MY_STR.attribute_type("S"), MY_STR.attribute_type("N")),
    (MY_STR.size() < 15, MY_STR.size() > 20),
    (MY_STR.size() == 3, ~(MY_STR.size() == 3)),
    (MY_STR.is_not(None), MY_STR.is_(None)),
    (NESTED.attribute_type("S"), NESTED.attribute_type("N")),
    (NESTED.size() < 15, NESTED.size() > 20),
    (NESTED.size() == 5, ~(NESTED.size() == 5)),
    (NESTED.is_not(None), NESTED.is_(None)),
    (~(MY_STR == "bar"), ~(MY_STR == "foo")),
    ((MY_STR == "foo") | (MY_STR == "bar"), (MY_STR == "foo") & (MY_INT == 10)),
]


# equality of lists and maps: dynalite finds no L or M value equal, even sent by boto3 itself
DOCUMENT_CONDITIONS: list[tuple[Condition, Condition]] = [
    (col(Thing.my_str_list) == ["a", "b", "c", "d"], col(Thing.my_str_list) == ["x", "y", "z"]),
    (col(Thing.my_int_list) == [10, 20, 30], col(Thing.my_int_list) == [500, 600]),
    (col(Thing.my_dict) == {"a": 1, "b": 2, "c": 3}, col(Thing.my_dict) == {"x": 100, "y": 200}),
    (
        col(Thing.my_nested_data) == [{"a": [{"foo": "bar"}], "b": "test"}, "some_string"],
        col(Thing.my_nested_data) == ["not", {"this": "data"}],
    ),
]


@both
def test_update_conditions(engine: Engine, model: type[Thing], backend: str) -> None:
    """test_update_condition, every parameter, in its "success" and "raise_failure" modes
    ("failure", dyntastic's silent no-op, is no mode of ours: a failed condition raises)"""
    item = saved(engine, model)
    count: UpdateAction = col(Thing.hits).add(1)  # a change no condition looks at
    conditions = CONDITIONS + (DOCUMENT_CONDITIONS if backend != "dynalite" else [])
    for n, (holds, fails) in enumerate(conditions):
        with pytest.raises(ConstraintViolation):
            engine.update(item, count, condition=fails)
        assert item.hits == n, repr(fails)
        engine.update(item, count, condition=holds)
        assert item.hits == n + 1, repr(holds)
    assert stored(engine, item).hits == len(conditions)  # no failed update was stored
