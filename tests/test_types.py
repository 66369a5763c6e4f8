"""The type registry: exact wire forms, round trips, rejected values, a real server, user types."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from ipaddress import IPv4Address
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, NewType, cast
from uuid import UUID

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mypy_boto3_dynamodb import DynamoDBClient
from typing_extensions import TypeAliasType, TypedDict  # pydantic needs this one on < 3.12

from pydantic_bloop.types import (
    MISSING,
    AsEpoch,
    AttributeValue,
    TypeRegistry,
    codec_for,
    register_type,
)
from pydantic_bloop.types.scalars import ScalarCodec

if TYPE_CHECKING:
    from tests.conftest import Backend


# Naive datetimes on purpose: hypothesis takes naive bounds, and the registry must refuse them.
NAIVE = datetime(2024, 1, 1)  # noqa: DTZ001
# Bounds that converting to UTC cannot push out of datetime's range.
NAIVE_MIN = datetime(2, 1, 1)  # noqa: DTZ001
NAIVE_MAX = datetime(9998, 12, 31)  # noqa: DTZ001
EARLIEST = datetime(1, 1, 2)  # noqa: DTZ001
LATEST = datetime(9999, 12, 30)  # noqa: DTZ001


class Color(StrEnum):
    RED = "red"
    GREEN = "green"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(Enum):
    A = "a"
    B = 2


class Address(pydantic.BaseModel):
    street: str
    number: int | None = None
    tags: set[str] = set()
    since: datetime | None = None


class Aliased(pydantic.BaseModel):
    name: str = pydantic.Field(alias="fullName")


class Tree(pydantic.BaseModel):
    label: str
    children: list[Tree] = []


class Movie(TypedDict):
    title: str
    year: int


class Flexible(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    name: str


class Span(NamedTuple):
    start: datetime
    minutes: int


@dataclasses.dataclass
class Reading:
    at: datetime
    value: float


UserId = NewType("UserId", UUID)
Scores = TypeAliasType("Scores", dict[str, list[int]])


# ------------------------------------------------------------------------------------------
# Helpers


def _check_wire(wire: AttributeValue) -> None:
    """``wire`` is a well-formed DynamoDB attribute value within DynamoDB's limits."""
    assert isinstance(wire, dict)
    assert len(wire) == 1, wire
    ((kind, plain),) = wire.items()
    if kind == "S":
        assert type(plain) is str
    elif kind == "N":
        _check_number(plain)
    elif kind == "B":
        assert type(plain) is bytes
    elif kind in ("BOOL", "NULL"):
        assert plain is True or (kind == "BOOL" and plain is False)
    elif kind in ("SS", "NS", "BS"):
        elements: list[Any] = plain
        assert isinstance(plain, list)
        assert elements, "DynamoDB rejects empty sets"
        assert len(set(elements)) == len(elements), "DynamoDB rejects duplicates in sets"
        for x in elements:
            _check_wire({kind[0]: x})
        if kind == "NS":
            assert len({Decimal(x) for x in elements}) == len(elements)
    elif kind == "L":
        items: list[Any] = plain
        assert isinstance(plain, list)
        for x in items:
            _check_wire(x)
    elif kind == "M":
        fields: dict[Any, Any] = plain
        assert isinstance(plain, dict)
        for key, x in fields.items():
            assert type(key) is str
            _check_wire(x)
    else:
        raise AssertionError(f"unknown type {kind}")


def _check_number(text: object) -> None:
    assert type(text) is str
    number = Decimal(text)
    assert number.is_finite()
    if number:
        digits = number.as_tuple().digits
        significant = len(bytes(digits).strip(b"\0"))
        assert significant <= 38, text
        assert -130 <= number.adjusted() <= 125, text


def round_trip(tp: Any, value: Any, metadata: tuple[object, ...] = ()) -> Any:
    """dump, check the wire form, load, and validate with pydantic as a model would."""
    codec = codec_for(tp, metadata)
    wire = codec.dump(value)
    if wire is None:
        raw = codec.load_absent()
        assert raw is not MISSING
    else:
        _check_wire(wire)
        raw = codec.load(wire)
    annotated: Any = cast(Any, Annotated)[(tp, *metadata)] if metadata else tp
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotated)
    return adapter.validate_python(raw)


def dumped(tp: Any, value: Any, metadata: tuple[object, ...] = ()) -> AttributeValue | None:
    return codec_for(tp, metadata).dump(value)


# ------------------------------------------------------------------------------------------
# (1) The exact wire form of every row


@pytest.mark.parametrize(
    ("tp", "value", "wire"),
    [
        (str, "héllo", {"S": "héllo"}),
        (str, "", {"S": ""}),
        (int, 0, {"N": "0"}),
        (int, -42, {"N": "-42"}),
        (int, 10**38 - 1, {"N": "9" * 38}),
        (int, 10**40, {"N": "1E+40"}),  # 1 significant digit: DynamoDB keeps it
        (float, 1.5, {"N": "1.5"}),
        (float, 0.1, {"N": "0.1"}),
        (float, 1e16, {"N": "1E+16"}),
        (float, -0.0, {"N": "0.0"}),
        (float, 3, {"N": "3"}),
        (Decimal, Decimal("1.10"), {"N": "1.10"}),
        (Decimal, Decimal("-0.000123"), {"N": "-0.000123"}),
        (Decimal, Decimal("1E+2"), {"N": "1E+2"}),
        (Decimal, Decimal("-0"), {"N": "0"}),
        (Decimal, Decimal("1" * 38), {"N": "1" * 38}),
        (Decimal, Decimal("1" + "0" * 45), {"N": "1E+45"}),
        (Decimal, Decimal("9.9999999999999999999999999999999999999E+125"), None),
        (Decimal, Decimal("1E-130"), {"N": "1E-130"}),
        (bool, True, {"BOOL": True}),
        (bool, False, {"BOOL": False}),
        (bytes, b"\x00\xff", {"B": b"\x00\xff"}),
        (bytes, bytearray(b"ab"), {"B": b"ab"}),
        (
            UUID,
            UUID("12345678-1234-5678-1234-567812345678"),
            {"S": "12345678-1234-5678-1234-567812345678"},
        ),
        (
            datetime,
            datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2))),
            {"S": "2024-05-06T05:08:09.000000Z"},
        ),
        (
            datetime,
            datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
            {"S": "0001-01-01T00:00:00.000001Z"},
        ),
        (date, date(2024, 2, 29), {"S": "2024-02-29"}),
        (Color, Color.GREEN, {"S": "green"}),
        (Level, Level.HIGH, {"N": "2"}),
        (Mixed, Mixed.B, {"N": "2"}),
        (Literal["a", "b"], "b", {"S": "b"}),
        (Literal[1, 2], 2, {"N": "2"}),
        (Literal["a", 1], 1, {"N": "1"}),
        (set[str], {"b", "a"}, {"SS": ["a", "b"]}),
        (frozenset[str], frozenset({"x"}), {"SS": ["x"]}),
        (set[int], {10, 9}, {"NS": ["10", "9"]}),
        (set[Decimal], {Decimal("1.5")}, {"NS": ["1.5"]}),
        (set[bytes], {b"b", b"a"}, {"BS": [b"a", b"b"]}),
        (set[UUID], {UUID(int=1)}, {"SS": ["00000000-0000-0000-0000-000000000001"]}),
        (set[Color], {Color.RED}, {"SS": ["red"]}),
        (set[str], set[str](), None),
        (set[bool], {True}, {"L": [{"BOOL": True}]}),
        (list[int], [1, 2], {"L": [{"N": "1"}, {"N": "2"}]}),
        (list[int | None], [None], {"L": [{"NULL": True}]}),
        (list[set[str]], [set[str]()], {"L": [{"L": list[AttributeValue]()}]}),
        (tuple[int, str], (1, "a"), {"L": [{"N": "1"}, {"S": "a"}]}),
        (tuple[int, ...], (1,), {"L": [{"N": "1"}]}),
        (dict[str, int], {"a": 1}, {"M": {"a": {"N": "1"}}}),
        (dict[str, str | None], {"a": None}, {"M": {"a": {"NULL": True}}}),
        (dict[int, bool], {3: True}, {"M": {"3": {"BOOL": True}}}),
        (dict[Color, int], {Color.RED: 1}, {"M": {"red": {"N": "1"}}}),
        (
            Address,
            Address(street="Main", tags={"b"}),
            {"M": {"street": {"S": "Main"}, "tags": {"SS": ["b"]}}},
        ),
        (Aliased, Aliased(fullName="x"), {"M": {"name": {"S": "x"}}}),
        (
            Movie,
            {"title": "Up", "year": 2009},
            {"M": {"title": {"S": "Up"}, "year": {"N": "2009"}}},
        ),
        (int | None, None, None),
        (int | None, 3, {"N": "3"}),
        (str | int, 3, {"N": "3"}),
        (str | int, "3", {"S": "3"}),
        (Any, None, {"NULL": True}),
        (Any, [1, "a", b"b", True], {"L": [{"N": "1"}, {"S": "a"}, {"B": b"b"}, {"BOOL": True}]}),
        (Any, {"s": {1, 2}}, {"M": {"s": {"NS": ["1", "2"]}}}),
        (object, {"b"}, {"SS": ["b"]}),
        (timedelta, timedelta(minutes=90), {"S": "PT1H30M"}),
        (
            Span,
            Span(datetime(2024, 1, 1, tzinfo=UTC), 5),
            {"L": [{"S": "2024-01-01T00:00:00.000000Z"}, {"N": "5"}]},
        ),
        (
            Reading,
            Reading(datetime(2024, 1, 1, tzinfo=UTC), 0.5),
            {"M": {"at": {"S": "2024-01-01T00:00:00Z"}, "value": {"N": "0.5"}}},
        ),
        (UserId, UserId(UUID(int=0)), {"S": "00000000-0000-0000-0000-000000000000"}),
        (Scores, {"a": [1]}, {"M": {"a": {"L": [{"N": "1"}]}}}),
        (IPv4Address, IPv4Address("10.0.0.1"), {"S": "10.0.0.1"}),
        (PurePosixPath, PurePosixPath("/a/b"), {"S": "/a/b"}),
        (pydantic.SecretStr, pydantic.SecretStr("hunter2"), {"S": "hunter2"}),
    ],
)
def test_wire_form(tp: Any, value: Any, wire: AttributeValue | None) -> None:
    if tp is Decimal and wire is None:  # the largest number: its own string
        wire = {"N": str(value)}
    assert dumped(tp, value) == wire
    assert round_trip(tp, value) == value


@pytest.mark.parametrize(
    ("tp", "dynamo_type"),
    [
        (str, "S"),
        (int, "N"),
        (float, "N"),
        (Decimal, "N"),
        (bool, "BOOL"),
        (bytes, "B"),
        (UUID, "S"),
        (datetime, "S"),
        (date, "S"),
        (Color, "S"),
        (Level, "N"),
        (Mixed, None),
        (Literal["a", "b"], "S"),
        (Literal["a", 1], None),
        (set[str], "SS"),
        (set[float], "NS"),
        (set[bytes], "BS"),
        (list[str], "L"),
        (tuple[int, str], "L"),
        (dict[str, int], "M"),
        (Address, "M"),
        (str | None, "S"),
        (str | UUID, "S"),
        (str | int, None),
        (Any, None),
        (timedelta, "S"),
        (IPv4Address, "S"),
    ],
)
def test_dynamo_type(tp: Any, dynamo_type: str | None) -> None:
    assert codec_for(tp).dynamo_type == dynamo_type


def test_epoch() -> None:
    when = datetime(2024, 1, 1, 1, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=1)))
    codec = codec_for(datetime, [AsEpoch()])
    assert codec.dynamo_type == "N"
    assert codec.dump(when) == {"N": "1704067200"}  # sub-seconds dropped
    assert codec.load({"N": "1704067200"}) == datetime(2024, 1, 1, tzinfo=UTC)
    assert codec.load({"N": "1704067200"}).utcoffset() == timedelta(0)
    assert codec.dump(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)) == {"N": "-1"}
    optional = codec_for(datetime | None, [AsEpoch()])
    assert optional.dynamo_type == "N"
    assert optional.dump(None) is None
    nested = codec_for(list[Annotated[datetime, AsEpoch()]])
    assert nested.dump([datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC)]) == {"L": [{"N": "5"}]}
    assert codec_for(Annotated[datetime, AsEpoch()]).dynamo_type == "N"


def test_datetime_fixed_width_and_utc() -> None:
    codec = codec_for(datetime)
    for when in [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]:
        wire = codec.dump(when)
        assert wire is not None
        text = wire["S"]
        assert len(text) == 27 and text.endswith("Z")
        assert datetime.fromisoformat(text) == when


@settings(max_examples=200)
@given(
    st.lists(
        st.datetimes(
            min_value=NAIVE_MIN,
            max_value=NAIVE_MAX,
            timezones=st.builds(
                timezone,
                st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)),
            ),
        ),
        min_size=2,
        max_size=2,
    )
)
def test_datetime_string_order_is_time_order(pair: list[datetime]) -> None:
    a, b = pair
    codec = codec_for(datetime)
    wa, wb = codec.dump(a), codec.dump(b)
    assert wa is not None and wb is not None
    assert (wa["S"] < wb["S"]) == (a < b)
    assert (wa["S"] == wb["S"]) == (a == b)


_PYDANTIC_UTC = pydantic.TypeAdapter(datetime).validate_python("2024-01-01T00:00:00Z").tzinfo
_PYDANTIC_IST = pydantic.TypeAdapter(datetime).validate_python("2024-01-01T00:00:00+05:30").tzinfo


@settings(max_examples=500)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(9999, 12, 31, 23, 59, 59, 999_999),  # noqa: DTZ001
    ),
    st.sampled_from([UTC, timezone(timedelta(0), "Z"), _PYDANTIC_UTC]),
    st.booleans(),
)
def test_datetime_utc_fast_path_is_the_general_text(
    naive: datetime, tz: Any, whole_second: bool
) -> None:
    """The dump of a UTC datetime (timezone.utc, another zero-offset tzinfo, pydantic's own
    TzInfo) formats it without conversion: bit-exact the text of the general path (astimezone,
    isoformat), years 1 to 9999, with and without microseconds."""
    when = naive.replace(tzinfo=tz, microsecond=0 if whole_second else naive.microsecond)
    codec = codec_for(datetime)
    assert isinstance(codec, ScalarCodec)
    assert codec.dump(when) == {"S": codec.plain(when)}


@settings(max_examples=200)
@given(
    st.datetimes(min_value=NAIVE_MIN, max_value=NAIVE_MAX),
    st.sampled_from(
        [timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(seconds=1)), _PYDANTIC_IST]
    ),
)
def test_datetime_other_offsets_take_the_general_path(naive: datetime, tz: Any) -> None:
    when = naive.replace(tzinfo=tz)
    wire = codec_for(datetime).dump(when)
    assert wire is not None
    assert wire["S"].endswith("Z") and len(wire["S"]) == 27
    assert datetime.fromisoformat(wire["S"]) == when


def test_datetime_naive_is_refused_by_the_fast_path_too() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        codec_for(datetime).dump(NAIVE)


def test_load_absent() -> None:
    assert codec_for(str).load_absent() is MISSING
    assert codec_for(list[int]).load_absent() is MISSING
    assert codec_for(Address).load_absent() is MISSING
    assert codec_for(Any).load_absent() is MISSING
    assert codec_for(str | None).load_absent() is None
    assert codec_for(set[str]).load_absent() == set()
    assert codec_for(frozenset[int]).load_absent() == frozenset()
    assert codec_for(set[bool]).load_absent() == set()


def test_numbers_load_as_their_field_type() -> None:
    assert codec_for(int).load({"N": "12"}) == 12
    assert type(codec_for(int).load({"N": "12"})) is int
    assert codec_for(int).load({"N": "1E+2"}) == 100  # how DynamoDB may normalise 100
    assert type(codec_for(float).load({"N": "12"})) is float
    assert codec_for(Decimal).load({"N": "1.10"}) == Decimal("1.10")
    assert str(codec_for(Decimal).load({"N": "1.10"})) == "1.10"
    assert codec_for(Any).load({"N": "12"}) == 12
    assert type(codec_for(Any).load({"N": "12"})) is int
    assert codec_for(Any).load({"N": "1.5"}) == Decimal("1.5")
    assert codec_for(Any).load({"N": "1E+2"}) == Decimal(100)
    assert codec_for(set[int]).load({"NS": ["1", "2"]}) == {1, 2}
    assert codec_for(Any).load({"NS": ["1", "2.5"]}) == {1, Decimal("2.5")}


def test_attribute_stored_with_another_type_is_left_to_pydantic() -> None:
    """Items written by other tools: the stored value goes to validation as it is."""
    assert codec_for(int).load({"S": "5"}) == "5"
    assert pydantic.TypeAdapter(int).validate_python(codec_for(int).load({"S": "5"})) == 5
    assert codec_for(str | None).load({"NULL": True}) is None
    assert codec_for(set[str]).load({"L": [{"S": "a"}]}) == ["a"]
    with pytest.raises(pydantic.ValidationError):
        pydantic.TypeAdapter(str).validate_python(codec_for(str).load({"N": "5"}))


def test_nested_model_fields() -> None:
    codec = codec_for(Address)
    wire = codec.dump(Address(street="s", number=None, since=datetime(2024, 1, 1, tzinfo=UTC)))
    assert wire == {"M": {"street": {"S": "s"}, "since": {"S": "2024-01-01T00:00:00.000000Z"}}}
    assert wire is not None
    loaded = codec.load(wire)
    assert loaded == {
        "street": "s",
        "number": None,
        "tags": set(),
        "since": datetime(2024, 1, 1, tzinfo=UTC),
    }
    assert loaded["since"].tzinfo is UTC  # the shared timezone.utc, as the fast reader's
    # the alias is what validation expects, the field name is what is stored
    assert codec_for(Aliased).load({"M": {"name": {"S": "x"}}}) == {"fullName": "x"}


def test_extra_fields_of_models_that_allow_them() -> None:
    value = Flexible.model_validate({"name": "n", "more": [1, "x"]})
    wire = codec_for(Flexible).dump(value)
    assert wire == {"M": {"name": {"S": "n"}, "more": {"L": [{"N": "1"}, {"S": "x"}]}}}
    assert round_trip(Flexible, value) == value


def test_recursive_model() -> None:
    tree = Tree(label="a", children=[Tree(label="b", children=[Tree(label="c")])])
    assert round_trip(Tree, tree) == tree
    child = codec_for(Tree).child("children")
    assert child is not None and child.child(0) is codec_for(Tree)


def test_child_and_element() -> None:
    assert codec_for(dict[str, int]).child("any") is codec_for(int)
    assert codec_for(dict[str, int]).child(0) is None
    assert codec_for(Address).child("street") is codec_for(str)
    assert codec_for(Address).child("nope") is None
    assert codec_for(list[UUID]).child(3) is codec_for(UUID)
    assert codec_for(list[UUID]).child("x") is None
    assert codec_for(tuple[int, str]).child(1) is codec_for(str)
    assert codec_for(tuple[int, str]).child(2) is None
    assert codec_for(str).child("x") is None
    assert codec_for(dict[str, int] | None).child("k") is codec_for(int)
    any_child = codec_for(Any).child("k")
    assert any_child is not None and any_child.dynamo_type is None
    assert codec_for(set[str]).element is codec_for(str)
    assert codec_for(list[int]).element is codec_for(int)
    assert codec_for(set[int] | None).element is codec_for(int)
    assert codec_for(str).element is None
    element = codec_for(set[Color]).element
    assert element is not None and element.dump(Color.RED) == {"S": "red"}


def test_annotated_inside_containers_and_aliases() -> None:
    assert codec_for(list[Annotated[int, pydantic.Field(gt=0)]]).dump([1]) == {"L": [{"N": "1"}]}
    assert codec_for(pydantic.PositiveInt).dynamo_type == "N"
    assert codec_for(pydantic.AwareDatetime).dynamo_type == "S"
    assert codec_for(dict[str, Annotated[str, "doc"]]).dump({"a": "b"}) == {"M": {"a": {"S": "b"}}}


def test_codecs_are_cached() -> None:
    assert codec_for(list[int]) is codec_for(list[int])
    assert codec_for(datetime) is not codec_for(datetime, [AsEpoch()])
    assert codec_for(datetime, [AsEpoch()]) is codec_for(datetime, [AsEpoch()])


def test_literal_with_none_is_optional() -> None:
    codec = codec_for(Literal["a", None])
    assert codec.dynamo_type == "S"
    assert codec.dump(None) is None
    assert codec.load_absent() is None


def test_enum_accepts_its_bare_values() -> None:
    assert codec_for(Color).dump("red") == {"S": "red"}
    assert codec_for(Level).dump(1) == {"N": "1"}


def test_dump_item_in_containers() -> None:
    assert codec_for(str | None).dump_item(None) == {"NULL": True}
    assert codec_for(set[str]).dump_item(set()) == {"L": []}
    assert codec_for(Any).dump({"a": set()}) == {"M": {"a": {"L": []}}}


# ------------------------------------------------------------------------------------------
# (2) Round trips of generated values

_finite_floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: f == 0 or 1e-130 <= abs(f) < 1e126
)
_ints = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)


@st.composite
def _decimals(draw: st.DrawFn) -> Decimal:
    digits = draw(st.lists(st.integers(0, 9), min_size=1, max_size=38))
    if digits[0] == 0 and any(digits):
        digits[0] = 1
    exponent = draw(st.integers(-130 - len(digits) + 1, 125 - len(digits) + 1))
    return Decimal((draw(st.integers(0, 1)), tuple(digits), exponent))


_timezones = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
_aware = st.datetimes(min_value=NAIVE_MIN, max_value=NAIVE_MAX, timezones=_timezones)
_text = st.text(max_size=20)
_addresses = st.builds(
    Address,
    street=_text,
    number=st.none() | _ints,
    tags=st.sets(_text, max_size=3),
    since=st.none() | _aware,
)
_trees: st.SearchStrategy[Tree] = st.recursive(
    st.builds(Tree, label=_text),
    lambda kids: st.builds(Tree, label=_text, children=st.lists(kids, max_size=3)),
    max_leaves=8,
)
# Values of Any that load back equal: no floats (Any loads N as Decimal) and no tuples.
_any: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | _ints | _decimals() | _text | st.binary(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_text, inner, max_size=3)
        | st.sets(_text, min_size=1, max_size=3)
        | st.sets(_ints, min_size=1, max_size=3)
    ),
    max_leaves=10,
)

ROUND_TRIPS: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (str, st.text()),
    (int, _ints),
    (float, _finite_floats),
    (Decimal, _decimals()),
    (bool, st.booleans()),
    (bytes, st.binary()),
    (UUID, st.uuids()),
    (datetime, _aware),
    (date, st.dates()),
    (Color, st.sampled_from(Color)),
    (Level, st.sampled_from(Level)),
    (Mixed, st.sampled_from(Mixed)),
    (Literal["x", "y", 3], st.sampled_from(["x", "y", 3])),
    (set[str], st.sets(_text, max_size=5)),
    (frozenset[int], st.frozensets(_ints, max_size=5)),
    (set[float], st.sets(_finite_floats, max_size=5)),
    (set[Decimal], st.sets(_decimals(), max_size=5)),
    (set[bytes], st.sets(st.binary(max_size=8), max_size=5)),
    (set[UUID], st.sets(st.uuids(), max_size=3)),
    (list[int], st.lists(_ints, max_size=5)),
    (list[list[str | None]], st.lists(st.lists(st.none() | _text, max_size=3), max_size=3)),
    (tuple[int, str, bool], st.tuples(_ints, _text, st.booleans())),
    (tuple[datetime, ...], st.lists(_aware, max_size=3).map(tuple)),
    (dict[str, float], st.dictionaries(_text, _finite_floats, max_size=4)),
    (dict[str, list[set[str]]], st.dictionaries(_text, st.lists(st.sets(_text, max_size=2)))),
    (dict[int, UUID], st.dictionaries(_ints, st.uuids(), max_size=3)),
    (Address, _addresses),
    (list[Address], st.lists(_addresses, max_size=3)),
    (dict[str, Address | None], st.dictionaries(_text, st.none() | _addresses, max_size=3)),
    (Tree, _trees),
    (int | None, st.none() | _ints),
    (set[str] | None, st.none() | st.sets(_text, min_size=1, max_size=3)),
    (Address | None, st.none() | _addresses),
    (int | str, _ints | _text),
    (datetime | int, _aware | _ints),
    (Any, _any),
    (timedelta, st.timedeltas()),
    (IPv4Address, st.ip_addresses(v=4)),
]


@pytest.mark.parametrize(("tp", "values"), ROUND_TRIPS, ids=[repr(tp) for tp, _ in ROUND_TRIPS])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_round_trip(tp: Any, values: st.SearchStrategy[Any], data: st.DataObject) -> None:
    value = data.draw(values)
    assert round_trip(tp, value) == value


@settings(max_examples=40, deadline=None)
@given(st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=_timezones))
def test_epoch_round_trip(when: datetime) -> None:
    back = round_trip(datetime, when, (AsEpoch(),))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert back == epoch + timedelta(seconds=(when - epoch) // timedelta(seconds=1))
    assert back.utcoffset() == timedelta(0)


@settings(max_examples=100)
@given(_decimals())
def test_decimal_digits_are_kept_exactly(number: Decimal) -> None:
    wire = dumped(Decimal, number)
    assert wire is not None
    assert wire["N"] == str(number) if number else Decimal(wire["N"]) == 0
    assert str(codec_for(Decimal).load(wire)) == wire["N"]


@settings(max_examples=100)
@given(_finite_floats)
def test_float_strings_read_back_exactly(number: float) -> None:
    wire = dumped(float, number)
    assert wire is not None
    assert float(wire["N"]) == number
    _check_number(wire["N"])


# ------------------------------------------------------------------------------------------
# (3) Values DynamoDB cannot store


@pytest.mark.parametrize(
    ("tp", "value", "error", "message"),
    [
        (float, math.nan, ValueError, "NaN cannot be stored in DynamoDB"),
        (float, math.inf, ValueError, "inf cannot be stored in DynamoDB: numbers must be finite"),
        (float, -math.inf, ValueError, "-inf cannot be stored"),
        (float, 1e300, ValueError, "1e+300 is too large for DynamoDB"),
        (float, 1e126, ValueError, "too large"),
        (float, 5e-324, ValueError, "5e-324 is too close to zero for DynamoDB"),
        (Decimal, Decimal("NaN"), ValueError, "NaN cannot be stored"),
        (Decimal, Decimal("-Infinity"), ValueError, "must be finite"),
        (
            Decimal,
            Decimal("1.23456789012345678901234567890123456789"),
            ValueError,
            "Decimal('1.23456789012345678901234567890123456789') has 39 significant digits; "
            "DynamoDB keeps at most 38",
        ),
        (Decimal, Decimal("1E+126"), ValueError, "Decimal('1E+126') is too large for DynamoDB"),
        (Decimal, Decimal("-1E-131"), ValueError, "Decimal('-1E-131') is too close to zero"),
        (int, 10**38 + 1, ValueError, "has 39 significant digits; DynamoDB keeps at most 38"),
        (int, 10**126, ValueError, "is too large for DynamoDB"),
        (int, 7**5000, ValueError, "too large for DynamoDB"),
        (
            datetime,
            NAIVE,
            ValueError,
            "naive datetime 2024-01-01 00:00:00 has no timezone; use an aware datetime",
        ),
        (datetime, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), ValueError, "range"),
        (int, "x", TypeError, "expected int, got 'x' (str)"),
        (int, True, TypeError, "expected int, got True (bool)"),
        (int, 1.0, TypeError, "expected int, got 1.0 (float)"),
        (float, "1", TypeError, "expected float, got '1' (str)"),
        (Decimal, None, TypeError, "expected Decimal, got None"),
        (str, 3, TypeError, "expected str, got 3 (int)"),
        (bool, 1, TypeError, "expected bool, got 1 (int)"),
        (bytes, "x", TypeError, "expected bytes, got 'x' (str)"),
        (UUID, "12345678-1234-5678-1234-567812345678", TypeError, "expected UUID, got '1234"),
        (datetime, "2024-01-01", TypeError, "expected datetime, got '2024-01-01'"),
        (date, datetime(2024, 1, 1, tzinfo=UTC), TypeError, "expected date, got datetime"),
        (Color, "blue", TypeError, "expected Color, got 'blue'"),
        (set[str], "abc", TypeError, "expected a set, got 'abc'"),
        (set[int], {1, "x"}, TypeError, "expected int, got 'x'"),
        (set[float], {math.nan}, ValueError, "NaN cannot be stored"),
        (list[int], "abc", TypeError, "expected a list, got 'abc'"),
        (list[float], [1.0, math.inf], ValueError, "must be finite"),
        (tuple[int, str], (1,), TypeError, "expected a tuple of 2 items, got (1,)"),
        (dict[str, int], [1], TypeError, "expected a mapping, got [1]"),
        (dict[str, int], {1: 1}, TypeError, "expected a str map key, got 1 (int)"),
        (Address, {"street": "x"}, TypeError, "expected Address, got {'street': 'x'}"),
        (
            Address,
            Address.model_construct(street=cast(Any, 1)),
            TypeError,
            "Address.street: expected str, got 1 (int)",
        ),
        (Any, object(), TypeError, "cannot store <object object at"),
        (Any, {1: "a"}, TypeError, "expected a str map key, got 1 (int)"),
        (Any, [math.nan], ValueError, "NaN cannot be stored"),
        (Any, NAIVE, ValueError, "naive datetime"),
        (timedelta, "PT1H", TypeError, "'PT1H' cannot be serialized as timedelta"),
        (int | None, "x", TypeError, "expected int, got 'x'"),
    ],
)
def test_bad_values(tp: Any, value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        codec_for(tp).dump(value)
    assert message in str(raised.value)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValueError, match=r"^Decimal\('1\.2345.*…'\) has 59 significant"):
        codec_for(Decimal).dump(Decimal(("1." + "2345678901" * 6)[:-1]))


def test_the_largest_and_smallest_numbers_are_accepted() -> None:
    assert dumped(Decimal, Decimal("-9.9999999999999999999999999999999999999E+125")) == {
        "N": "-9.9999999999999999999999999999999999999E+125"
    }
    assert dumped(float, 1e-130) == {"N": "1E-130"}
    assert dumped(float, 9.99e125) == {"N": "9.99E+125"}


class Opaque:
    pass


@pytest.mark.parametrize(
    ("tp", "metadata", "message"),
    [
        (int, [AsEpoch()], "AsEpoch() applies to datetime fields, not int"),
        (list[datetime], [AsEpoch()], "AsEpoch() applies to datetime fields"),
        (Opaque, [], "cannot store Opaque in DynamoDB"),
        (dict[tuple[int, int], str], [], "map keys must be stored as strings"),
        ("Forward", [], "unresolved forward reference"),
    ],
)
def test_bad_annotations(tp: Any, metadata: list[object], message: str) -> None:
    with pytest.raises(TypeError) as raised:
        codec_for(tp, metadata)
    assert message in str(raised.value)


# ------------------------------------------------------------------------------------------
# (4) Through a real DynamoDB-compatible server


class Everything(pydantic.BaseModel):
    s: str
    i: int
    f: float
    d: Decimal
    big: Decimal
    b: bool
    raw: bytes
    u: UUID
    when: datetime
    day: date
    expires: Annotated[datetime, AsEpoch()]
    color: Color
    level: Level
    lit: Literal["a", 1]
    ss: set[str]
    ns: set[int]
    fs: set[float]
    bs: set[bytes]
    empty: set[str]
    items: list[int | None]
    pair: tuple[int, str]
    meta: dict[str, Any]
    address: Address
    maybe: str | None
    union: int | str
    anything: Any
    span: timedelta
    ip: IPv4Address


EVERYTHING = Everything(
    s="text",
    i=-(10**37),
    f=0.1,
    d=Decimal("1.10"),
    big=Decimal("9.9999999999999999999999999999999999999E+125"),
    b=True,
    raw=b"\x00\x01",
    u=UUID("12345678-1234-5678-1234-567812345678"),
    when=datetime(2024, 5, 6, 7, 8, 9, 123, tzinfo=timezone(timedelta(hours=-3))),
    day=date(2000, 1, 1),
    expires=datetime(2030, 1, 1, tzinfo=UTC),
    color=Color.RED,
    level=Level.LOW,
    lit=1,
    ss={"a", "b"},
    ns={1, 2, 300},
    fs={0.5, 1e-100},
    bs={b"x", b"y"},
    empty=set(),
    items=[1, None, 3],
    pair=(7, "seven"),
    meta={"nested": [1, "two", {"three": Decimal("3.5")}], "flag": False, "none": None},
    address=Address(street="Main", number=1, tags={"t"}, since=datetime(2020, 1, 1, tzinfo=UTC)),
    maybe=None,
    union="u",
    anything={"set": {"x"}, "bytes": b"z"},
    span=timedelta(days=1, seconds=5),
    ip=IPv4Address("192.168.0.1"),
)


@pytest.fixture
def table(client: DynamoDBClient, table_prefix: str) -> Iterator[str]:
    name = f"{table_prefix}types"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    yield name


def _item_of(obj: pydantic.BaseModel) -> dict[str, AttributeValue]:
    item: dict[str, AttributeValue] = {}
    for name, info in type(obj).model_fields.items():
        wire = codec_for(info.annotation, info.metadata).dump(getattr(obj, name))
        if wire is not None:
            item[name] = wire
    return item


def _object_from(model: type[pydantic.BaseModel], item: Mapping[str, AttributeValue]) -> Any:
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        codec = codec_for(info.annotation, info.metadata)
        values[name] = codec.load(item[name]) if name in item else codec.load_absent()
    return model.model_validate(values)


def test_server_round_trip(client: DynamoDBClient, table: str, backend: Backend) -> None:
    item = _item_of(EVERYTHING)
    assert "empty" not in item and "maybe" not in item
    client.put_item(TableName=table, Item={"pk": {"S": "one"}, **item})
    stored = client.get_item(TableName=table, Key={"pk": {"S": "one"}}, ConsistentRead=True)
    got = dict(cast("dict[str, AttributeValue]", stored.get("Item", {})))
    del got["pk"]
    assert got.keys() == item.keys()
    assert _object_from(Everything, got) == EVERYTHING


def test_server_keeps_datetime_order(client: DynamoDBClient, table: str) -> None:
    """A range condition on the stored strings selects by time."""
    codec = codec_for(datetime)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    offsets = [timedelta(hours=h) for h in (-30, -1, 0, 1, 30)]
    for n, offset in enumerate(offsets):
        when = (start + offset).astimezone(timezone(timedelta(hours=n - 2)))
        client.put_item(TableName=table, Item={"pk": {"S": f"t{n}"}, "at": codec.dump(when) or {}})
    low, high = codec.dump(start - timedelta(hours=2)), codec.dump(start + timedelta(hours=2))
    assert low is not None and high is not None
    found = client.scan(
        TableName=table,
        FilterExpression="#at BETWEEN :low AND :high",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":low": low, ":high": high},
        ConsistentRead=True,
    )
    assert sorted(i["pk"].get("S", "") for i in found.get("Items", [])) == ["t1", "t2", "t3"]


# ------------------------------------------------------------------------------------------
# (5) User types


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))

    def __repr__(self) -> str:
        return f"Point({self.x}, {self.y})"


class Point3(Point):
    pass


def _point_registry() -> TypeRegistry:
    registry = TypeRegistry()
    registry.register(
        Point,
        "S",
        dump=lambda p: f"{p.x},{p.y}",
        load=lambda s: Point(*map(int, s.split(","))),
    )
    return registry


def test_register_scalar_type() -> None:
    registry = _point_registry()
    codec = registry.codec_for(Point)
    assert codec.dynamo_type == "S"
    assert codec.dump(Point(1, 2)) == {"S": "1,2"}
    assert codec.load({"S": "1,2"}) == Point(1, 2)
    # subclasses are found through the MRO
    assert registry.codec_for(Point3).dump(Point3(3, 4)) == {"S": "3,4"}
    # and the type works wherever a type goes
    sets = registry.codec_for(set[Point] | None)
    assert sets.dynamo_type == "SS"
    assert sets.dump({Point(2, 0), Point(1, 0)}) == {"SS": ["1,0", "2,0"]}
    assert sets.load({"SS": ["1,0"]}) == {Point(1, 0)}
    keyed = registry.codec_for(dict[Point, list[Point]])
    wire = keyed.dump({Point(0, 0): [Point(1, 1)]})
    assert wire == {"M": {"0,0": {"L": [{"S": "1,1"}]}}}
    # the default registry knows nothing about it
    with pytest.raises(TypeError, match="register_type"):
        codec_for(Point)


def test_registered_types_in_models() -> None:
    registry = _point_registry()

    class Shape(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
        corner: Point
        others: list[Point] = []

    codec = registry.codec_for(Shape)
    shape = Shape(corner=Point(1, 2), others=[Point(3, 4)])
    wire = codec.dump(shape)
    assert wire == {"M": {"corner": {"S": "1,2"}, "others": {"L": [{"S": "3,4"}]}}}
    assert wire is not None
    assert Shape.model_validate(codec.load(wire)) == shape


def test_register_other_dynamo_types() -> None:
    registry = TypeRegistry()
    registry.register(
        Point, "N", dump=lambda p: p.x * 1000 + p.y, load=lambda n: Point(*divmod(n, 1000))
    )
    assert registry.codec_for(Point).dump(Point(1, 2)) == {"N": "1002"}
    assert registry.codec_for(Point).load({"N": "1002"}) == Point(1, 2)

    registry.register(Point, "M", dump=lambda p: {"x": p.x, "y": p.y}, load=lambda m: Point(**m))
    assert registry.codec_for(Point).dump(Point(1, 2)) == {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}
    assert registry.codec_for(Point).load({"M": {"x": {"N": "1"}, "y": {"N": "2"}}}) == Point(1, 2)

    registry.register(Point, "L", dump=lambda p: [p.x, p.y], load=lambda xs: Point(*xs))
    assert registry.codec_for(Point).dump(Point(1, 2)) == {"L": [{"N": "1"}, {"N": "2"}]}
    assert registry.codec_for(Point).load({"L": [{"N": "1"}, {"N": "2"}]}) == Point(1, 2)

    registry.register(Point, "NS", dump=lambda p: {p.x, p.y}, load=lambda ns: Point(*sorted(ns)))
    assert registry.codec_for(Point).dump(Point(1, 2)) == {"NS": ["1", "2"]}

    registry.register(Point, "B", dump=lambda p: bytes([p.x, p.y]), load=lambda b: Point(*b))
    assert registry.codec_for(Point).dump(Point(1, 2)) == {"B": b"\x01\x02"}
    assert registry.codec_for(Point).load({"B": b"\x01\x02"}) == Point(1, 2)


def test_registration_overrides_builtin_rows() -> None:
    class Celsius(float):
        pass

    registry = TypeRegistry()
    registry.register(Celsius, "S", dump=lambda c: f"{float(c)}C", load=lambda s: Celsius(s[:-1]))
    assert registry.codec_for(Celsius).dump(Celsius(21.5)) == {"S": "21.5C"}
    assert registry.codec_for(float).dump(21.5) == {"N": "21.5"}


def test_bad_registrations() -> None:
    registry = TypeRegistry()
    with pytest.raises(ValueError, match="must be one of"):
        registry.register(Point, "X", dump=str, load=str)
    registry.register(Point, "S", dump=lambda p: p.x, load=str)
    with pytest.raises(TypeError, match=r"registered for Point returned 1 .* not a DynamoDB S"):
        registry.codec_for(Point).dump(Point(1, 2))
    registry.register(Point, "N", dump=lambda p: "one", load=str)
    with pytest.raises(TypeError, match="not a DynamoDB N value"):
        registry.codec_for(Point).dump(Point(1, 2))
    registry.register(Point, "N", dump=lambda p: math.nan, load=str)
    with pytest.raises(ValueError, match="NaN"):
        registry.codec_for(Point).dump(Point(1, 2))


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.cents == self.cents

    __hash__ = None  # type: ignore[assignment]


def test_module_level_register_type() -> None:
    register_type(
        Money, "N", dump=lambda m: Decimal(m.cents) / 100, load=lambda n: Money(int(n * 100))
    )
    codec = codec_for(Money | None)
    assert codec.dump(Money(1234)) == {"N": "12.34"}
    assert codec.load({"N": "12.34"}) == Money(1234)
    assert codec.dump(None) is None
