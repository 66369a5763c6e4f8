"""The type registry: Python types <-> DynamoDB attribute values.

:func:`codec_for` turns a field annotation into a :class:`Codec` once, when a model is defined;
the codec's ``dump`` / ``load`` then run per value without looking at the annotation again.

========================================  ========================================================
Python type                               DynamoDB attribute
========================================  ========================================================
``str``, ``UUID``, ``date``               ``S`` (UUID canonical, date ISO ``YYYY-MM-DD``)
aware ``datetime``                        ``S``: UTC, fixed width ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
``Annotated[datetime, AsEpoch()]``        ``N``: whole epoch seconds (e.g. for TTL)
``int``, ``float``, ``Decimal``           ``N`` (finite, <= 38 significant digits, 1E-130..1E+126)
``bool``                                  ``BOOL``
``bytes``                                 ``B``
``Enum``, ``Literal``                     the codec of their values
``SecretStr`` / ``SecretBytes``           ``S`` / ``B`` of the secret (never the ``****`` mask)
``set``/``frozenset`` of str/num/bytes    ``SS`` / ``NS`` / ``BS``; an empty set is absent
``list``, ``tuple``, ``Sequence``         ``L``
``dict[K, V]``, ``Mapping``, TypedDict    ``M`` (keys must be str, or types stored as S or N)
nested pydantic ``BaseModel``             ``M`` keyed by field name; None fields left out
``T | None``                              the codec of ``T``; None is an absent attribute
other unions, ``Any``, ``object``         chosen per value (str S, int N, list L, dict M, ...)
anything else pydantic can serialize      its JSON-mode form (timedelta, Path, IPv4Address, ...)
========================================  ========================================================

``load`` returns the *validation input* of the field, not always the final Python object: a
UUID loads as its str, a datetime as its ISO string, an enum as its value, a tuple or a nested
model as a list or dict. Pydantic's (lax mode) validation of the model turns them into the field
types, in Rust, which is faster than doing it here.

Inside lists and maps, None is stored as ``{"NULL": True}`` and an empty set as an empty list.
"""

from __future__ import annotations

import collections
import collections.abc as abc
import dataclasses
import math
import types as pytypes
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import (
    Annotated,
    Any,
    ForwardRef,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)
from uuid import UUID

import pydantic
import typing_extensions

__all__ = [
    "MISSING",
    "AsEpoch",
    "AttributeValue",
    "Codec",
    "TypeRegistry",
    "codec_for",
    "default_registry",
    "register_type",
]

# A DynamoDB attribute value on the wire, e.g. {"S": "x"} or {"N": "3"}.
AttributeValue = dict[str, Any]


class AsEpoch:
    """Marker: store an aware datetime as epoch seconds (DynamoDB type N), e.g. for TTL.

    ``expires: Annotated[datetime, AsEpoch()]``. Sub-second precision is dropped (floored), and
    the value loads back as an aware UTC datetime.
    """

    def __repr__(self) -> str:
        return "AsEpoch()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsEpoch)

    def __hash__(self) -> int:
        return hash(AsEpoch)


class Codec:
    """Converts one Python type to and from its DynamoDB attribute value.

    ``dynamo_type`` is "S", "N", "B", "BOOL", "SS", "NS", "BS", "L", "M", or None when the
    stored type depends on the value (unions, Any).
    """

    dynamo_type: str | None

    #: When set, ``wire[wire_tag]`` is already what pydantic's lax validation of the field
    #: takes (an S string for str, UUID or datetime; an N string for numbers...), so models can
    #: validate stored items in one pydantic-core call without ``load``.
    wire_tag: str | None = None

    def dump(self, value: Any) -> AttributeValue | None:
        """The attribute value for ``value``; None means "store no attribute" (None, empty set).

        Raises ValueError or TypeError, with a message naming the offending value, when the value
        cannot be stored (NaN, infinity, >38 digits, naive datetime, wrong type, ...).
        """
        raise NotImplementedError

    def load(self, wire: AttributeValue) -> Any:
        """A Python value from ``wire`` that pydantic validation of the field accepts."""
        raise NotImplementedError

    def load_absent(self) -> Any:
        """The value of a field whose attribute is absent (None for optionals, set() for sets);
        returns MISSING when absence has no value (a required, non-set field)."""
        raise NotImplementedError

    def child(self, key: str | int) -> Codec | None:
        """The codec of a document path step: a map key, a list index, a nested model field.
        None when the step is not valid for this type."""
        return None

    @property
    def element(self) -> Codec | None:
        """For sets and lists: the codec of one element (``contains`` dumps its value with it)."""
        return None

    def dump_item(self, value: Any) -> AttributeValue:
        """Like :meth:`dump`, for a value inside a list or map, where an attribute cannot be
        absent: None is stored as ``{"NULL": True}``."""
        dumped = self.dump(value)
        return {"NULL": True} if dumped is None else dumped

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.dynamo_type or 'dynamic'}>"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# ------------------------------------------------------------------------------------------
# Messages


def _show(value: object) -> str:
    """repr(value), shortened so that an error about a huge value stays readable."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}…{text[-2:]}"


def _wrong_type(expected: str, value: object) -> TypeError:
    return TypeError(f"expected {expected}, got {_show(value)} ({type(value).__name__})")


def _describe(annotation: object) -> str:
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


# ------------------------------------------------------------------------------------------
# Numbers: DynamoDB keeps 38 significant digits, magnitudes 1E-130 to 9.99...E+125, and no
# NaN or infinity. moto accepts anything, so the limits are enforced here.

_MAX_DIGITS = 38
_MAX_ADJUSTED = 125  # 9.9999999999999999999999999999999999999E+125
_MIN_ADJUSTED = -130  # 1E-130
_TEN_38 = 10**38
_LARGEST = "9.9999999999999999999999999999999999999E+125"


def _not_finite(value: object) -> ValueError:
    # (Decimal("sNaN") refuses to be compared, even for inequality)
    nan = value.is_nan() if isinstance(value, Decimal) else value != value
    if nan:
        return ValueError(f"NaN cannot be stored in DynamoDB (got {_show(value)})")
    return ValueError(
        f"{_show(value)} cannot be stored in DynamoDB: numbers must be finite, not infinity"
    )


def _too_large(value: object) -> ValueError:
    return ValueError(f"{_show(value)} is too large for DynamoDB (at most {_LARGEST} in magnitude)")


def _too_small(value: object) -> ValueError:
    return ValueError(
        f"{_show(value)} is too close to zero for DynamoDB (the smallest magnitude is 1E-130)"
    )


def _decimal_plain(value: Decimal, shown: object = None) -> str:
    """The N string of a Decimal: exactly its digits (``Decimal("1.10")`` -> ``"1.10"``).
    ``shown`` is the value that errors name, when it was not this Decimal."""
    if shown is None:
        shown = value
    if not value.is_finite():
        raise _not_finite(shown)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if not any(digits):
        # Zero: keep "0.00" as written, but never a sign or an exponent DynamoDB rejects.
        if sign or not _MIN_ADJUSTED <= exponent <= 0:
            return "0"
        return str(value)
    count = len(digits)  # as_tuple() has no leading zeros
    trailing = count - len(bytes(digits).rstrip(b"\0"))
    significant = count - trailing
    if significant > _MAX_DIGITS:
        raise ValueError(
            f"{_show(shown)} has {significant} significant digits; DynamoDB keeps at most 38"
        )
    adjusted = exponent + count - 1
    if adjusted > _MAX_ADJUSTED:
        raise _too_large(shown)
    if adjusted < _MIN_ADJUSTED:
        raise _too_small(shown)
    if count > _MAX_DIGITS:
        # Trailing zeros DynamoDB would drop anyway; an exponent keeps the value exact.
        return str(Decimal((sign, digits[:significant], exponent + trailing)))
    return str(value)


def _int_plain(value: int) -> str:
    if -_TEN_38 < value < _TEN_38:
        return str(value)
    # Large ints are fine while their significant digits fit (10**40 is 1E+40).
    if value.bit_length() > 1000:  # > 1E+300: spare str() of a huge int (slow, and limited)
        raise ValueError(f"an int of {value.bit_length()} bits is too large for DynamoDB")
    return _decimal_plain(Decimal(value), value)


def _float_plain(value: float) -> str:
    magnitude = abs(value)
    if not magnitude < math.inf:  # also catches NaN
        raise _not_finite(value)
    if not magnitude:
        return "0.0"  # no "-0.0"
    if magnitude >= 1e126:
        raise _too_large(value)
    if magnitude < 1e-130:
        raise _too_small(value)
    text = float.__repr__(value)  # shortest string that float() reads back exactly
    # "1e+16" -> "1E+16": Decimal's standard notation, which every backend parses.
    return str(Decimal(text)) if "e" in text else text


def _number_plain(value: object) -> str:
    """The N string of any Python number (bool is not a number here)."""
    kind = type(value)
    if kind is int:
        return _int_plain(cast(int, value))
    if kind is float:
        return _float_plain(cast(float, value))
    if kind is Decimal:
        return _decimal_plain(cast(Decimal, value))
    if isinstance(value, bool):
        raise _wrong_type("a number", value)
    if isinstance(value, int):
        return _int_plain(int(value))
    if isinstance(value, float):
        return _float_plain(float(value))
    if isinstance(value, Decimal):
        return _decimal_plain(value)
    raise _wrong_type("a number", value)


def _parse_number(text: str) -> int | Decimal:
    """A stored number as int when it is written as one, else as an exact Decimal."""
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


def _parse_integer(text: str) -> int | Decimal:
    """A stored number for an int field: "1E+2" (how DynamoDB may normalise 100) is still 100.
    A fractional number is returned as a Decimal for pydantic to reject."""
    number = Decimal(text)
    return int(number) if number.is_finite() and number == number.to_integral_value() else number


def _parse_json_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)


# ------------------------------------------------------------------------------------------
# Loading by wire type, for values whose type is not known from the annotation (Any, unions)
# and for attributes stored with another type than the field's (written by other tools):
# pydantic then validates what was stored and reports a mismatch with the field's name.

_DynamicLoader = Callable[[Any], Any]


def _load_dynamic(wire: AttributeValue) -> Any:
    for kind, plain in wire.items():
        loader = _DYNAMIC_LOADERS.get(kind)
        if loader is not None:
            return loader(plain)
    raise ValueError(f"not a DynamoDB attribute value: {_show(wire)}")


def _load_json(wire: AttributeValue) -> Any:
    """Like :func:`_load_dynamic`, with JSON's numbers (int or float) and lists for sets."""
    for kind, plain in wire.items():
        loader = _JSON_LOADERS.get(kind)
        if loader is not None:
            return loader(plain)
    raise ValueError(f"not a DynamoDB attribute value: {_show(wire)}")


def _identity(plain: Any) -> Any:
    return plain


_DYNAMIC_LOADERS: dict[str, _DynamicLoader] = {
    "S": _identity,
    "N": _parse_number,
    "B": _identity,
    "BOOL": _identity,
    "NULL": lambda _: None,
    "L": lambda items: [_load_dynamic(x) for x in items],
    "M": lambda items: {k: _load_dynamic(x) for k, x in items.items()},
    "SS": set,
    "NS": lambda items: {_parse_number(x) for x in items},
    "BS": set,
}

_JSON_LOADERS: dict[str, _DynamicLoader] = {
    **_DYNAMIC_LOADERS,
    "N": _parse_json_number,
    "L": lambda items: [_load_json(x) for x in items],
    "M": lambda items: {k: _load_json(x) for k, x in items.items()},
    "SS": list,
    "NS": lambda items: [_parse_json_number(x) for x in items],
    "BS": list,
}


# ------------------------------------------------------------------------------------------
# Scalars: S, N, B, BOOL. Each has a "plain" form (the str / bytes / bool inside the attribute
# value), which is also what sets and map keys hold.


class _ScalarCodec(Codec):
    """A codec of one scalar DynamoDB type; ``plain`` / ``unplain`` convert the bare value."""

    dynamo_type: str  # pyright: ignore[reportIncompatibleVariableOverride] - always known here

    def plain(self, value: Any) -> Any:
        raise NotImplementedError

    def unplain(self, plain: Any) -> Any:
        return plain

    def dump(self, value: Any) -> AttributeValue | None:
        return {self.dynamo_type: self.plain(value)}

    def load(self, wire: AttributeValue) -> Any:
        try:
            plain = wire[self.dynamo_type]
        except KeyError:
            return _load_dynamic(wire)
        return self.unplain(plain)

    def load_absent(self) -> Any:
        return MISSING


class _StrCodec(_ScalarCodec):
    dynamo_type = "S"
    wire_tag = "S"

    def plain(self, value: Any) -> Any:
        if type(value) is str:
            return value
        if isinstance(value, str):
            return str.__str__(value)  # the bare str, whatever the subclass's __str__ says
        raise _wrong_type("str", value)

    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is str:
            return {"S": value}
        return {"S": self.plain(value)}

    def load(self, wire: AttributeValue) -> Any:
        try:
            return wire["S"]
        except KeyError:
            return _load_dynamic(wire)


class _PlainStrCodec(_ScalarCodec):
    """An S codec whose load is the bare str (pydantic parses UUIDs, dates... from it)."""

    dynamo_type = "S"
    wire_tag = "S"

    def load(self, wire: AttributeValue) -> Any:
        try:
            return wire["S"]
        except KeyError:
            return _load_dynamic(wire)


class _IntCodec(_ScalarCodec):
    dynamo_type = "N"
    wire_tag = "N"

    def plain(self, value: Any) -> Any:
        if type(value) is int:
            return _int_plain(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return _int_plain(int(value))
        raise _wrong_type("int", value)

    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is int and -_TEN_38 < value < _TEN_38:
            return {"N": str(value)}
        return {"N": self.plain(value)}

    def unplain(self, plain: Any) -> Any:
        try:
            return int(plain)
        except ValueError:
            return _parse_integer(plain)

    def load(self, wire: AttributeValue) -> Any:
        try:
            plain = wire["N"]
        except KeyError:
            return _load_dynamic(wire)
        try:
            return int(plain)
        except ValueError:
            return _parse_integer(plain)


class _FloatCodec(_ScalarCodec):
    dynamo_type = "N"
    wire_tag = "N"

    def plain(self, value: Any) -> Any:
        if type(value) is float:
            return _float_plain(value)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return _number_plain(value)
        raise _wrong_type("float", value)

    def unplain(self, plain: Any) -> Any:
        return float(plain)

    def load(self, wire: AttributeValue) -> Any:
        try:
            return float(wire["N"])
        except KeyError:
            return _load_dynamic(wire)


class _DecimalCodec(_ScalarCodec):
    dynamo_type = "N"
    wire_tag = "N"

    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is Decimal:
            text = str(value)
            # No exponent, at most 38 characters, ends in a digit (not NaN/Infinity), not -0:
            # then it has <= 38 digits and a magnitude DynamoDB takes, exactly as written.
            if (
                len(text) <= 38
                and "E" not in text
                and text[-1].isdigit()
                and (value or text[0] != "-")
            ):
                return {"N": text}
        return {"N": self.plain(value)}

    def plain(self, value: Any) -> Any:
        if type(value) is Decimal:
            return _decimal_plain(value)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return _number_plain(value)
        raise _wrong_type("Decimal", value)

    def unplain(self, plain: Any) -> Any:
        return Decimal(plain)

    def load(self, wire: AttributeValue) -> Any:
        try:
            return Decimal(wire["N"])
        except KeyError:
            return _load_dynamic(wire)


class _BoolCodec(_ScalarCodec):
    dynamo_type = "BOOL"
    wire_tag = "BOOL"

    def plain(self, value: Any) -> Any:
        if value is True or value is False:
            return value
        raise _wrong_type("bool", value)

    def load(self, wire: AttributeValue) -> Any:
        try:
            return wire["BOOL"]
        except KeyError:
            return _load_dynamic(wire)


class _BytesCodec(_ScalarCodec):
    dynamo_type = "B"
    wire_tag = "B"

    def plain(self, value: Any) -> Any:
        if type(value) is bytes:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(cast("bytes", value))
        raise _wrong_type("bytes", value)


class _UUIDCodec(_PlainStrCodec):
    dynamo_type = "S"

    def plain(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value)
        raise _wrong_type("UUID", value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _utc_offset(value: object) -> timedelta:
    if not isinstance(value, datetime):
        raise _wrong_type("datetime", value)
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(
            f"naive datetime {value} has no timezone; use an aware datetime "
            "(e.g. datetime.now(timezone.utc))"
        )
    return offset


class _DatetimeCodec(_PlainStrCodec):
    """UTC with microseconds always written: every value has the same width (27 characters),
    so that comparing the strings (as DynamoDB does for S) compares the times."""

    dynamo_type = "S"

    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is datetime:
            offset = value.utcoffset()
            if offset is not None and not offset:  # already UTC (any tzinfo class): format only
                v = value
                text = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 - the fastest
                    v.year,
                    v.month,
                    v.day,
                    v.hour,
                    v.minute,
                    v.second,
                    v.microsecond,
                )
                return {"S": text}
        return {"S": self.plain(value)}

    def plain(self, value: Any) -> Any:
        if type(value) is not datetime or value.tzinfo is not UTC:
            _utc_offset(value)  # refuses naive datetimes (astimezone() takes them as local time)
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                raise ValueError(f"{_show(value)} is out of range once converted to UTC") from None
        # "...+00:00" -> "...Z"
        return datetime.isoformat(value, timespec="microseconds")[:-6] + "Z"


class _EpochCodec(_ScalarCodec):
    dynamo_type = "N"

    def plain(self, value: Any) -> Any:
        _utc_offset(value)
        return str((value - _EPOCH) // _SECOND)

    def unplain(self, plain: Any) -> Any:
        number = _parse_number(plain)
        try:
            return _EPOCH + timedelta(seconds=number if isinstance(number, int) else float(number))
        except (OverflowError, ValueError):
            return number  # for pydantic to reject


class _DateCodec(_PlainStrCodec):
    dynamo_type = "S"

    def plain(self, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return date.isoformat(value)
        raise _wrong_type("date", value)


class _SecretCodec(_ScalarCodec):
    """SecretStr / SecretBytes: the secret itself is stored (JSON mode would store ``****``)."""

    def __init__(self, secret_type: type[Any], dynamo_type: str) -> None:
        self._secret_type = secret_type
        self.dynamo_type = dynamo_type

    def plain(self, value: Any) -> Any:
        if isinstance(value, self._secret_type):
            return value.get_secret_value()
        raise _wrong_type(self._secret_type.__name__, value)


class _EnumCodec(Codec):
    """An enum stored as its value, with the codec of the values' type."""

    def __init__(self, enum: type[Enum], values: Codec) -> None:
        self._enum = enum
        self._values = values
        self.dynamo_type = values.dynamo_type

    def value_of(self, value: Any) -> Any:
        if isinstance(value, self._enum):
            return value.value
        try:  # a bare value that is valid for the enum (e.g. assigned without validation)
            return self._enum(value).value
        except (TypeError, ValueError):
            raise _wrong_type(self._enum.__name__, value) from None

    def dump(self, value: Any) -> AttributeValue | None:
        return self._values.dump(self.value_of(value))

    def load(self, wire: AttributeValue) -> Any:
        return self._values.load(wire)

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._values.child(key)


class _ScalarEnumCodec(_EnumCodec, _ScalarCodec):
    """An enum of S, N or B values: usable in sets and as map keys."""

    _values: _ScalarCodec

    def plain(self, value: Any) -> Any:
        return self._values.plain(self.value_of(value))

    def unplain(self, plain: Any) -> Any:
        return self._values.unplain(plain)


# ------------------------------------------------------------------------------------------
# Wrappers and containers


class _OptionalCodec(Codec):
    """``T | None``: None is an absent attribute (NULL inside lists and maps)."""

    def __init__(self, inner: Codec) -> None:
        self._inner = inner
        self.dynamo_type = inner.dynamo_type
        self.wire_tag = inner.wire_tag

    def dump(self, value: Any) -> AttributeValue | None:
        return None if value is None else self._inner.dump(value)

    def dump_item(self, value: Any) -> AttributeValue:
        return {"NULL": True} if value is None else self._inner.dump_item(value)

    def load(self, wire: AttributeValue) -> Any:
        return self._inner.load(wire)  # {"NULL": True} falls back to the dynamic None

    def load_absent(self) -> Any:
        return None

    def child(self, key: str | int) -> Codec | None:
        return self._inner.child(key)

    @property
    def element(self) -> Codec | None:
        return self._inner.element


def _check_iterable(value: Any, expected: str) -> Iterable[Any]:
    items: Iterable[Any] = value  # (typed before isinstance() narrows ``value``)
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise _wrong_type(expected, items)
    return items


class _SetCodec(Codec):
    """SS / NS / BS. Elements are sorted so that equal sets always dump equally."""

    def __init__(self, element: _ScalarCodec, kind: type[Any]) -> None:
        self._element = element
        self._kind = kind
        self.dynamo_type = self._key = element.dynamo_type + "S"
        self._strings = type(element) is _StrCodec
        if element.wire_tag is not None:  # pydantic builds the set from the list of plains
            self.wire_tag = self._key

    def dump(self, value: Any) -> AttributeValue | None:
        items: abc.Collection[Any] = value
        kind = type(items)
        if (
            kind is not set
            and kind is not frozenset
            and not isinstance(value, (abc.Set, list, tuple))
        ):
            items = list(_check_iterable(value, "a set"))
        if not items:
            return None  # DynamoDB has no empty sets
        if self._strings and all(type(x) is str for x in items):
            return {"SS": sorted(items if isinstance(items, abc.Set) else set(items))}
        plain = self._element.plain
        try:
            return {self._key: sorted({plain(x) for x in items})}
        except (TypeError, ValueError) as error:
            error_type = TypeError if isinstance(error, TypeError) else ValueError
            raise error_type(f"in set {_show(items)}: {error}") from None

    def dump_item(self, value: Any) -> AttributeValue:
        dumped = self.dump(value)
        if dumped is None:
            return {"NULL": True} if value is None else {"L": []}
        return dumped

    def load(self, wire: AttributeValue) -> Any:
        try:
            plains = wire[self._key]
        except KeyError:
            return _load_dynamic(wire)
        if self._strings:
            return set(plains)
        unplain = self._element.unplain
        return {unplain(x) for x in plains}

    def load_absent(self) -> Any:
        return frozenset[Any]() if self._kind is frozenset else set[Any]()

    @property
    def element(self) -> Codec | None:
        return self._element


class _ListCodec(Codec):
    """L of one element type: lists, homogeneous tuples, sequences, and sets of elements that
    cannot be in a DynamoDB set (models, tuples, bools...)."""

    dynamo_type = "L"

    def __init__(self, element: Codec, kind: type[Any]) -> None:
        self._element = element
        self._kind = kind

    def dump(self, value: Any) -> AttributeValue | None:
        items: Sequence[Any] = value
        if type(value) is not list and type(value) is not tuple:
            items = list(_check_iterable(value, f"a {self._kind.__name__}"))
        if self._kind is set and not items:
            return None
        item = self._element.dump_item
        return {"L": [item(x) for x in items]}

    def dump_item(self, value: Any) -> AttributeValue:
        dumped = self.dump(value)
        if dumped is None:
            return {"NULL": True} if value is None else {"L": []}
        return dumped

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["L"]
        except KeyError:
            return _load_dynamic(wire)
        load = self._element.load
        if self._kind is tuple:
            return tuple([load(x) for x in items])
        return [load(x) for x in items]

    def load_absent(self) -> Any:
        return set[Any]() if self._kind is set else MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._element if isinstance(key, int) else None

    @property
    def element(self) -> Codec | None:
        return self._element


class _TupleCodec(Codec):
    """L of a fixed-shape tuple, ``tuple[int, str]``."""

    dynamo_type = "L"

    def __init__(self, elements: Sequence[Codec]) -> None:
        self._elements = tuple(elements)

    def dump(self, value: Any) -> AttributeValue | None:
        items: Sequence[Any] = value
        if not isinstance(value, (tuple, list)) or len(items) != len(self._elements):
            raise _wrong_type(f"a tuple of {len(self._elements)} items", items)
        return {"L": [c.dump_item(x) for c, x in zip(self._elements, items, strict=True)]}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["L"]
        except KeyError:
            return _load_dynamic(wire)
        loaded = [c.load(x) for c, x in zip(self._elements, items, strict=False)]
        loaded += [_load_dynamic(x) for x in items[len(self._elements) :]]
        return tuple(loaded)  # a wrong length is for pydantic to report

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        if isinstance(key, int) and 0 <= key < len(self._elements):
            return self._elements[key]
        return None


class _DictCodec(Codec):
    """M of ``dict[K, V]``: str keys as they are; other keys through their S or N codec."""

    dynamo_type = "M"

    def __init__(self, key: _ScalarCodec | None, value: Codec) -> None:
        self._key = key
        self._value = value

    def _key_of(self, key: object) -> str:
        if self._key is not None:
            plain = self._key.plain(key)
            if isinstance(plain, str):
                return plain
        elif isinstance(key, str):
            return str.__str__(key)
        raise _wrong_type("a str map key", key)

    def dump(self, value: Any) -> AttributeValue | None:
        items: Mapping[Any, Any] = value
        if not isinstance(value, Mapping):
            raise _wrong_type("a mapping", value)
        item = self._value.dump_item
        out: dict[str, AttributeValue] = {}
        for key, x in items.items():
            out[key if type(key) is str else self._key_of(key)] = item(x)
        return {"M": out}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["M"]
        except KeyError:
            return _load_dynamic(wire)
        load = self._value.load
        return {k: load(x) for k, x in items.items()}

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._value if isinstance(key, str) else None


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str  # the map key in DynamoDB
    key: str  # the key pydantic validation expects (the alias, if any)
    codec: Codec


class _ModelCodec(Codec):
    """M of a nested pydantic model, keyed by field name; None fields are left out.

    Fields are resolved on first use when the model is not complete yet (forward references),
    and the codec is cached before its fields are, so recursive models work.
    """

    dynamo_type = "M"

    def __init__(self, registry: TypeRegistry, model: type[pydantic.BaseModel]) -> None:
        self._registry = registry
        self._model = model
        self._fields: tuple[_Field, ...] | None = None
        self._by_name: dict[str, Codec] = {}
        self._extra = model.model_config.get("extra") == "allow"

    def resolve(self) -> tuple[_Field, ...]:
        model = self._model
        if not model.__pydantic_complete__:
            model.model_rebuild()
        by_alias = model.model_config.get("validate_by_alias", True)
        fields: list[_Field] = []
        for name, info in model.model_fields.items():
            try:
                codec = self._registry.codec_for(info.annotation, info.metadata)
            except TypeError as error:
                raise TypeError(f"{model.__name__}.{name}: {error}") from None
            alias = info.validation_alias if info.validation_alias is not None else info.alias
            key = alias if by_alias and isinstance(alias, str) else name
            fields.append(_Field(name, key, codec))
        self._by_name = {f.name: f.codec for f in fields}
        self._fields = tuple(fields)
        return self._fields

    def dump(self, value: Any) -> AttributeValue | None:
        if not isinstance(value, self._model):
            raise _wrong_type(self._model.__name__, value)
        fields = self._fields if self._fields is not None else self.resolve()
        out: dict[str, AttributeValue] = {}
        for field in fields:
            try:
                dumped = field.codec.dump(getattr(value, field.name))
            except (TypeError, ValueError) as error:
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"{self._model.__name__}.{field.name}: {error}") from None
            if dumped is not None:
                out[field.name] = dumped
        if self._extra and value.__pydantic_extra__:
            dynamic = self._registry.dynamic
            for name, x in value.__pydantic_extra__.items():
                out[name] = dynamic.dump_item(x)
        return {"M": out}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["M"]
        except KeyError:
            return _load_dynamic(wire)
        fields = self._fields if self._fields is not None else self.resolve()
        out: dict[str, Any] = {}
        for field in fields:
            x = items.get(field.name)
            if x is not None:
                out[field.key] = field.codec.load(x)
            else:
                absent = field.codec.load_absent()
                if absent is not MISSING:
                    out[field.key] = absent
        if self._extra:
            for name, x in items.items():
                if name not in self._by_name:
                    out[name] = _load_dynamic(x)
        return out

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        if self._fields is None:
            self.resolve()
        return self._by_name.get(key) if isinstance(key, str) else None


class _TypedDictCodec(Codec):
    """M of a TypedDict, each key with the codec of its annotation."""

    dynamo_type = "M"

    def __init__(self, registry: TypeRegistry, typed_dict: type[Any]) -> None:
        hints = typing.get_type_hints(typed_dict, include_extras=True)
        self._name = typed_dict.__name__
        self._fields = {name: registry.codec_for(tp) for name, tp in hints.items()}
        self._dynamic = registry.dynamic

    def dump(self, value: Any) -> AttributeValue | None:
        items: Mapping[Any, Any] = value
        if not isinstance(value, Mapping):
            raise _wrong_type(f"a {self._name} dict", value)
        out: dict[str, AttributeValue] = {}
        for key, x in items.items():
            codec = self._fields.get(key, self._dynamic)
            try:
                dumped = codec.dump(x)
            except (TypeError, ValueError) as error:
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"{self._name}[{key!r}]: {error}") from None
            if dumped is not None:
                out[str(key)] = dumped
        return {"M": out}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["M"]
        except KeyError:
            return _load_dynamic(wire)
        fields = self._fields
        out = {k: fields[k].load(x) if k in fields else _load_dynamic(x) for k, x in items.items()}
        for name, codec in fields.items():
            if name not in out:
                absent = codec.load_absent()
                if absent is not MISSING:
                    out[name] = absent
        return out

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._fields.get(key) if isinstance(key, str) else None


# ------------------------------------------------------------------------------------------
# Dynamic: the wire type follows the runtime value


class _DynamicCodec(Codec):
    """Any, object, unions: the stored type is chosen from each value.

    ``dynamo_type`` is None, or the one type every possible value is stored as (``str | UUID``
    is S), which is what key and condition checks need.
    """

    def __init__(self, registry: TypeRegistry, dynamo_type: str | None = None) -> None:
        self._registry = registry
        self.dynamo_type = dynamo_type

    def dump(self, value: Any) -> AttributeValue | None:
        kind: type[Any] = type(cast(object, value))
        if kind is str:
            return {"S": value}
        dumper = _DYNAMIC_DUMPERS.get(kind)
        if dumper is not None:
            return dumper(self, value)
        return self._registry.codec_for_value(value).dump(value)

    def dump_item(self, value: Any) -> AttributeValue:
        dumped = self.dump(value)
        return {"L": []} if dumped is None else dumped  # None dumps as NULL: an empty set

    def load(self, wire: AttributeValue) -> Any:
        return _load_dynamic(wire)

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._registry.dynamic

    @property
    def element(self) -> Codec | None:
        return self._registry.dynamic

    def dump_list(self, value: Iterable[Any]) -> AttributeValue:
        item = self.dump_item
        return {"L": [item(x) for x in value]}

    def dump_map(self, value: Mapping[Any, Any]) -> AttributeValue:
        item = self.dump_item
        out: dict[str, AttributeValue] = {}
        for key, x in value.items():
            if not isinstance(key, str):
                raise _wrong_type("a str map key", key)
            out[str.__str__(key)] = item(x)
        return {"M": out}

    def dump_set(self, value: abc.Set[Any]) -> AttributeValue | None:
        if not value:
            return None
        if all(isinstance(x, str) for x in value):
            return {"SS": sorted({str.__str__(x) for x in value})}
        if all(isinstance(x, (bytes, bytearray)) for x in value):
            return {"BS": sorted({bytes(x) for x in value})}
        if all(isinstance(x, (int, float, Decimal)) and not isinstance(x, bool) for x in value):
            return {"NS": sorted({_number_plain(x) for x in value})}
        return self.dump_list(value)  # no DynamoDB set holds these: a list keeps them


_DynamicDumper = Callable[[_DynamicCodec, Any], "AttributeValue | None"]

_DYNAMIC_DUMPERS: dict[type[Any], _DynamicDumper] = {
    int: lambda _, v: {"N": _int_plain(v)},
    float: lambda _, v: {"N": _float_plain(v)},
    Decimal: lambda _, v: {"N": _decimal_plain(v)},
    bool: lambda _, v: {"BOOL": v},
    bytes: lambda _, v: {"B": v},
    bytearray: lambda _, v: {"B": bytes(v)},
    type(None): lambda _, v: {"NULL": True},
    list: _DynamicCodec.dump_list,
    tuple: _DynamicCodec.dump_list,
    dict: _DynamicCodec.dump_map,
    set: _DynamicCodec.dump_set,
    frozenset: _DynamicCodec.dump_set,
}


class _UnionCodec(_DynamicCodec):
    """A union: a value of one member's class is dumped by that member's codec (so that a
    datetime member keeps its format), anything else dynamically."""

    def __init__(
        self, registry: TypeRegistry, dynamo_type: str | None, members: Sequence[tuple[type, Codec]]
    ) -> None:
        super().__init__(registry, dynamo_type)
        self._members = tuple(members)
        self._exact = dict(members)

    def dump(self, value: Any) -> AttributeValue | None:
        kind: type[Any] = type(cast(object, value))
        codec = self._exact.get(kind)
        if codec is not None:
            return codec.dump(value)
        for cls, codec in self._members:
            if isinstance(value, cls) and not (kind is bool and cls is not bool):
                return codec.dump(value)
        return super().dump(value)


class _JsonCodec(Codec):
    """Any other type pydantic can serialize: its JSON-mode form, stored dynamically."""

    def __init__(
        self, registry: TypeRegistry, annotation: object, adapter: pydantic.TypeAdapter[Any]
    ) -> None:
        self._annotation = annotation
        self._adapter = adapter
        self._dynamic = registry.dynamic
        self.dynamo_type = _json_schema_type(adapter)

    def dump(self, value: Any) -> AttributeValue | None:
        try:
            plain = self._adapter.dump_python(value, mode="json", warnings="error")
        except Exception as error:
            raise TypeError(
                f"{_show(value)} cannot be serialized as {_describe(self._annotation)}: {error}"
            ) from None
        return self._dynamic.dump(plain)

    def load(self, wire: AttributeValue) -> Any:
        return _load_json(wire)

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        if self.dynamo_type in ("M", "L", None):
            return self._dynamic
        return None

    @property
    def element(self) -> Codec | None:
        return self._dynamic if self.dynamo_type in ("L", None) else None


_JSON_SCHEMA_TYPES = {
    "string": "S",
    "integer": "N",
    "number": "N",
    "boolean": "BOOL",
    "array": "L",
    "object": "M",
}


def _json_schema_type(adapter: pydantic.TypeAdapter[Any]) -> str | None:
    """The stored type of a JSON-mode value, when its schema has a single type."""
    try:
        schema = adapter.json_schema(mode="serialization")
    except Exception:
        return None
    kind = schema.get("type")
    return _JSON_SCHEMA_TYPES.get(kind) if isinstance(kind, str) else None


# ------------------------------------------------------------------------------------------
# User types

_PLAIN_CHECKS: dict[str, Callable[[Any], bool]] = {
    "S": lambda p: isinstance(p, str),
    "B": lambda p: isinstance(p, (bytes, bytearray)),
    "BOOL": lambda p: p is True or p is False,
}
_DYNAMO_TYPES = ("S", "N", "B", "BOOL", "L", "M", "SS", "NS", "BS")


class _RegisteredScalarCodec(_ScalarCodec):
    """A user type stored as S, N, B or BOOL."""

    def __init__(
        self,
        python_type: type[Any],
        dynamo_type: str,
        dump: Callable[[Any], Any],
        load: Callable[[Any], Any],
    ) -> None:
        self._type = python_type
        self.dynamo_type = dynamo_type
        self._dump = dump
        self._load = load

    def plain(self, value: Any) -> Any:
        plain = self._dump(value)
        if self.dynamo_type == "N":
            if isinstance(plain, str):
                try:
                    return _decimal_plain(Decimal(plain))
                except ArithmeticError:
                    pass
            else:
                return _number_plain(plain)
        elif _PLAIN_CHECKS[self.dynamo_type](plain):
            return bytes(plain) if self.dynamo_type == "B" else plain
        raise TypeError(
            f"the dump function registered for {self._type.__name__} returned {_show(plain)} "
            f"for {_show(value)}, which is not a DynamoDB {self.dynamo_type} value"
        )

    def unplain(self, plain: Any) -> Any:
        return self._load(_parse_number(plain) if self.dynamo_type == "N" else plain)


class _RegisteredCodec(Codec):
    """A user type stored as L, M, SS, NS or BS: the plain value is a list, dict or set."""

    def __init__(
        self,
        registry: TypeRegistry,
        python_type: type[Any],
        dynamo_type: str,
        dump: Callable[[Any], Any],
        load: Callable[[Any], Any],
    ) -> None:
        self._type = python_type
        self.dynamo_type = dynamo_type
        self._dynamic = registry.dynamic
        self._dump = dump
        self._load = load

    def dump(self, value: Any) -> AttributeValue | None:
        result: Any = self._dump(value)
        if result is None:
            return None
        plain: object = result  # checked; ``result`` keeps its type (Any) for the calls
        kind = self.dynamo_type
        dynamic = self._dynamic
        if kind == "L" and isinstance(plain, (list, tuple)):
            return dynamic.dump_list(result)
        if kind == "M" and isinstance(plain, Mapping):
            return dynamic.dump_map(result)
        if kind in ("SS", "NS", "BS") and isinstance(plain, abc.Set):
            dumped = dynamic.dump_set(result)
            if dumped is None or kind in dumped:
                return dumped
        raise TypeError(
            f"the dump function registered for {self._type.__name__} returned {_show(result)} "
            f"for {_show(value)}, which is not a DynamoDB {kind} value"
        )

    def load(self, wire: AttributeValue) -> Any:
        if self.dynamo_type not in wire:
            return _load_dynamic(wire)
        return self._load(_load_dynamic(wire))

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._dynamic if self.dynamo_type in ("L", "M") else None

    @property
    def element(self) -> Codec | None:
        return self._dynamic if self.dynamo_type != "M" else None


# ------------------------------------------------------------------------------------------
# The registry

_UNION_TYPES: tuple[object, ...] = (Union, pytypes.UnionType)
_SET_TYPES: tuple[object, ...] = (set, frozenset, abc.Set, abc.MutableSet)
_LIST_TYPES: tuple[object, ...] = (
    list,
    abc.Sequence,
    abc.MutableSequence,
    abc.Iterable,
    abc.Collection,
    collections.deque,
)
_MAP_TYPES: tuple[object, ...] = (dict, abc.Mapping, abc.MutableMapping)
_TYPE_ALIAS_TYPES: tuple[type[Any], ...] = tuple(
    {
        getattr(typing, "TypeAliasType", typing_extensions.TypeAliasType),
        typing_extensions.TypeAliasType,
    }
)

_SIMPLE_CODECS: tuple[tuple[type[Any], Codec], ...] = (
    (str, _StrCodec()),
    (int, _IntCodec()),
    (float, _FloatCodec()),
    (Decimal, _DecimalCodec()),
    (bytes, _BytesCodec()),
    (bytearray, _BytesCodec()),
    (UUID, _UUIDCodec()),
    (datetime, _DatetimeCodec()),
    (date, _DateCodec()),
    (pydantic.SecretStr, _SecretCodec(pydantic.SecretStr, "S")),
    (pydantic.SecretBytes, _SecretCodec(pydantic.SecretBytes, "B")),
)
_EPOCH_CODEC = _EpochCodec()


def _is_epoch(metadata: Iterable[object]) -> bool:
    return any(m is AsEpoch or isinstance(m, AsEpoch) for m in metadata)


@dataclasses.dataclass(frozen=True, slots=True)
class _Registration:
    dynamo_type: str
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]


class TypeRegistry:
    """Python types and their codecs: the built-in rows and the types users register.

    The module-level :func:`codec_for` and :func:`register_type` use :data:`default_registry`.
    Codecs are cached per annotation; registering a type clears the cache, so register types
    before defining the models that use them.
    """

    def __init__(self) -> None:
        self._types: dict[type[Any], _Registration] = {}
        self._cache: dict[tuple[object, bool], Codec] = {}
        self.dynamic: _DynamicCodec = _DynamicCodec(self)
        """The codec of ``Any``."""

    def register(
        self,
        python_type: type[Any],
        dynamo_type: str,
        *,
        dump: Callable[[Any], Any],
        load: Callable[[Any], Any],
    ) -> None:
        """Store ``python_type`` (and its subclasses) as ``dynamo_type``: see
        :func:`register_type`."""
        if not isinstance(cast(object, python_type), type):
            raise TypeError(f"register_type() takes a class, not {_show(python_type)}")
        if dynamo_type not in _DYNAMO_TYPES:
            raise ValueError(
                f"register_type({python_type.__name__}, {dynamo_type!r}): the DynamoDB type "
                f"must be one of {', '.join(_DYNAMO_TYPES)}"
            )
        if not callable(dump) or not callable(load):  # type: ignore[redundant-expr]
            raise TypeError("register_type() needs callable dump= and load= functions")
        self._types[python_type] = _Registration(dynamo_type, dump, load)
        self._cache.clear()

    def codec_for(self, annotation: Any, metadata: Sequence[object] = ()) -> Codec:
        """The codec of a field annotation; ``metadata`` is its ``Annotated`` metadata."""
        return self._codec(annotation, _is_epoch(metadata))

    def codec_for_value(self, value: object) -> Codec:
        """The codec of ``type(value)``, for a value whose annotation is dynamic."""
        try:
            codec = self._codec(type(value), False)
        except TypeError as error:
            raise TypeError(f"cannot store {_show(value)} in DynamoDB: {error}") from None
        if isinstance(codec, _DynamicCodec):  # e.g. object(): nothing to store it as
            raise TypeError(f"cannot store {_show(value)} in DynamoDB")
        return codec

    def _codec(self, annotation: Any, epoch: bool) -> Codec:
        while get_origin(annotation) is Annotated:
            epoch = epoch or _is_epoch(annotation.__metadata__)
            annotation = get_args(annotation)[0]
        key = (annotation, epoch)
        try:
            return self._cache[key]
        except KeyError:
            pass
        except TypeError:  # unhashable (e.g. metadata nested deeper): build it every time
            return self._build(annotation, epoch)
        codec = self._build(annotation, epoch)
        self._cache[key] = codec
        return codec

    def _build(self, annotation: Any, epoch: bool) -> Codec:
        origin = get_origin(annotation)
        if origin in _UNION_TYPES:
            return self._union(get_args(annotation), epoch)
        if epoch:
            if isinstance(annotation, type) and issubclass(annotation, datetime):
                return _EPOCH_CODEC
            raise TypeError(
                f"AsEpoch() applies to datetime fields, not {_describe(cast(object, annotation))}"
            )
        if annotation is Any or annotation is object:
            return self.dynamic
        if isinstance(annotation, (str, ForwardRef)):
            raise TypeError(f"unresolved forward reference {annotation!r}")
        if isinstance(annotation, _TYPE_ALIAS_TYPES):
            return self._codec(annotation.__value__, False)
        supertype = getattr(annotation, "__supertype__", None)  # typing.NewType
        if supertype is not None:
            return self._codec(supertype, False)
        if isinstance(annotation, TypeVar):
            bound = annotation.__bound__
            return self.dynamic if bound is None else self._codec(bound, False)
        if annotation is None or annotation is type(None):
            return _OptionalCodec(self.dynamic)
        if origin is Literal:
            return self._literal(get_args(annotation))
        if origin is not None:
            return self._generic(annotation, origin, get_args(annotation))
        if isinstance(annotation, type):
            return self._class(annotation)
        return self._json(annotation)

    def _registered(self, cls: type[Any]) -> Codec | None:
        for klass in cls.__mro__:
            found = self._types.get(klass)
            if found is not None:
                if found.dynamo_type in ("S", "N", "B", "BOOL"):
                    return _RegisteredScalarCodec(cls, found.dynamo_type, found.dump, found.load)
                return _RegisteredCodec(self, cls, found.dynamo_type, found.dump, found.load)
        return None

    def _class(self, cls: type[Any]) -> Codec:
        registered = self._registered(cls) if self._types else None
        if registered is not None:
            return registered
        if issubclass(cls, bool):
            return _BoolCodec()
        if issubclass(cls, Enum):
            return self._enum(cls)
        if issubclass(cls, pydantic.BaseModel):
            return self._model(cls)
        if typing_extensions.is_typeddict(cls):
            return _TypedDictCodec(self, cls)
        for base, codec in _SIMPLE_CODECS:
            if issubclass(cls, base):
                return codec
        if issubclass(cls, tuple):
            names: tuple[str, ...] | None = getattr(cast(object, cls), "_fields", None)
            if names is not None:  # a NamedTuple: typed positions
                hints: dict[str, Any] = typing.get_type_hints(
                    cast(object, cls), include_extras=True
                )
                return _TupleCodec([self._codec(hints.get(n, object), False) for n in names])
            return _ListCodec(self.dynamic, tuple)
        if cls in _SET_TYPES or issubclass(cls, (set, frozenset)):
            return self._set(cls, ())
        if cls in _LIST_TYPES or issubclass(cls, list):
            return self._list(cls, ())
        if cls in _MAP_TYPES or issubclass(cls, dict):
            return _DictCodec(None, self.dynamic)
        return self._json(cls)

    def _model(self, model: type[pydantic.BaseModel]) -> Codec:
        codec = _ModelCodec(self, model)
        key = (model, False)
        self._cache[key] = codec  # before its fields, which may refer back to the model
        try:
            if model.__pydantic_complete__:
                codec.resolve()
        except BaseException:
            del self._cache[key]
            raise
        return codec

    def _enum(self, enum: type[Enum]) -> Codec:
        kinds: set[type[Any]] = {type(member.value) for member in enum}
        values: Codec = self.dynamic
        if len(kinds) == 1:
            try:
                values = self._codec(kinds.pop(), False)
            except TypeError:
                values = self.dynamic
        if isinstance(values, _DynamicCodec):
            values = self._values_codec([member.value for member in enum])
        if isinstance(values, _ScalarCodec):
            return _ScalarEnumCodec(enum, values)
        return _EnumCodec(enum, values)

    def _values_codec(self, values: Sequence[object]) -> Codec:
        """A dynamic codec for a fixed set of values, typed when they share a stored type."""
        try:
            stored = {next(iter(self.dynamic.dump_item(v))) for v in values}
        except (TypeError, ValueError):
            stored = set[str]()  # values that cannot be stored: the error comes when one is dumped
        return _DynamicCodec(self, stored.pop() if len(stored) == 1 else None)

    def _literal(self, values: tuple[object, ...]) -> Codec:
        present = [v for v in values if v is not None]
        kinds = {type(v) for v in present}
        if len(kinds) == 1:
            codec = self._codec(kinds.pop(), False)
        elif not present:
            codec = self.dynamic
        else:
            codec = self._values_codec(present)
        return _OptionalCodec(codec) if len(present) < len(values) else codec

    def _union(self, members: tuple[Any, ...], epoch: bool) -> Codec:
        present = [m for m in members if m is not type(None) and m is not None]
        if len(present) == 1:
            codec = self._codec(present[0], epoch)
        elif not present:
            codec = self.dynamic
        else:
            codecs = [self._codec(m, epoch) for m in present]
            stored = {c.dynamo_type for c in codecs}
            classes: list[tuple[type, Codec]] = []
            for member, member_codec in zip(present, codecs, strict=True):
                cls = _class_of(member)
                if cls is not None:
                    classes.append((cls, member_codec))
            # A class that appears twice (list[int] | list[str]) is left to dynamic dumping.
            counts = collections.Counter(cls for cls, _ in classes)
            classes = [(cls, c) for cls, c in classes if counts[cls] == 1]
            codec = _UnionCodec(self, stored.pop() if len(stored) == 1 else None, classes)
        return _OptionalCodec(codec) if len(present) < len(members) else codec

    def _generic(self, annotation: Any, origin: Any, args: tuple[Any, ...]) -> Codec:
        if isinstance(origin, type):
            if self._types:
                registered = self._registered(origin)
                if registered is not None:
                    return registered
            if issubclass(origin, pydantic.BaseModel):
                return self._class(origin)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return _ListCodec(self._codec(args[0], False), tuple)
            if args == ((),):  # tuple[()] on old Pythons
                args = ()
            return _TupleCodec([self._codec(a, False) for a in args])
        if origin in _SET_TYPES:
            return self._set(origin, args)
        if origin in _LIST_TYPES:
            return self._list(origin, args)
        if origin in _MAP_TYPES or (isinstance(origin, type) and issubclass(origin, dict)):
            if origin is collections.Counter:
                args = (*args, int)
            key = self._codec(args[0], False) if args else self.dynamic
            value = self._codec(args[1], False) if len(args) > 1 else self.dynamic
            if isinstance(key, _OptionalCodec | _DynamicCodec) or type(key) is _StrCodec:
                return _DictCodec(None, value)
            if isinstance(key, _ScalarCodec) and key.dynamo_type in ("S", "N"):
                return _DictCodec(key, value)
            raise TypeError(
                f"{_describe(annotation)}: map keys must be stored as strings, "
                f"not as {key.dynamo_type}"
            )
        return self._json(annotation)

    def _set(self, origin: Any, args: tuple[Any, ...]) -> Codec:
        element = self._codec(args[0], False) if args else self.dynamic
        kind = frozenset if origin is frozenset else set
        if isinstance(element, _ScalarCodec) and element.dynamo_type in ("S", "N", "B"):
            return _SetCodec(element, kind)
        # No DynamoDB set holds these elements (bools, models, tuples, mixed): a list does.
        return _ListCodec(element, set)

    def _list(self, origin: Any, args: tuple[Any, ...]) -> Codec:
        element = self._codec(args[0], False) if args else self.dynamic
        return _ListCodec(element, list)

    def _json(self, annotation: Any) -> Codec:
        try:
            adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotation)
        except Exception as error:
            raise TypeError(
                f"cannot store {_describe(annotation)} in DynamoDB: pydantic cannot serialize it "
                f"({type(error).__name__}); register it with pydantic_bloop.register_type()"
            ) from None
        return _JsonCodec(self, annotation, adapter)


def _class_of(annotation: Any) -> type[Any] | None:
    """The runtime class of a union member's values, when it has one."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    origin = get_origin(annotation)
    cls = origin if origin is not None else annotation
    if not isinstance(cls, type) or cls is object:
        return None
    return cls


default_registry = TypeRegistry()
"""The registry behind :func:`codec_for` and :func:`register_type`."""


def codec_for(annotation: Any, metadata: Sequence[object] = ()) -> Codec:
    """The codec for a field annotation (Annotated already stripped, its metadata given apart)."""
    return default_registry.codec_for(annotation, metadata)


def register_type(
    python_type: type[Any],
    dynamo_type: str,
    *,
    dump: Callable[[Any], Any],
    load: Callable[[Any], Any],
) -> None:
    """Register a user type: ``dump`` gives the plain value of ``dynamo_type``, ``load`` reverses.

    The plain value is what sits inside the attribute value: a str for "S", an int, float,
    Decimal or numeric str for "N", bytes for "B", a bool for "BOOL", a list for "L" (its items
    stored like values of an ``Any`` field), a dict with str keys for "M", a set for "SS", "NS"
    and "BS". ``load`` receives the same kinds of values (numbers as int or Decimal). A
    registered type is found by its MRO before the built-in rows, so subclasses share it and a
    registration can override a built-in type. Register types before defining the models that
    use them. Example::

        class Point:
            def __init__(self, x: int, y: int) -> None:
                self.x, self.y = x, y

        register_type(
            Point,
            "S",
            dump=lambda p: f"{p.x},{p.y}",
            load=lambda s: Point(*map(int, s.split(","))),
        )

    The model needs ``arbitrary_types_allowed=True`` (or the class a pydantic schema) for
    pydantic to accept a ``Point`` field. Registered S, N and B types can be set elements
    (``set[Point]`` is an SS) and map keys.
    """
    default_registry.register(python_type, dynamo_type, dump=dump, load=load)
