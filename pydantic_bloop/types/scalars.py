"""Codecs of the scalar DynamoDB types: S, N, B, BOOL (str, numbers, bytes, UUID, datetimes,
secrets, enums, the text of ``pydantic.Json`` fields).

Internal: import public names from ``pydantic_bloop.types``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import (
    Any,
    cast,
)
from uuid import UUID

import pydantic

from .base import MISSING, AttributeValue, Codec, describe, show, wrong_type
from .dynamic import load_dynamic
from .numbers import (
    TEN_38,
    decimal_plain,
    float_plain,
    int_plain,
    number_plain,
    parse_integer,
    parse_number,
)

# ------------------------------------------------------------------------------------------
# Scalars: S, N, B, BOOL. Each has a "plain" form (the str / bytes / bool inside the attribute
# value), which is also what sets and map keys hold.


class ScalarCodec(Codec):
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
            return load_dynamic(wire)
        return self.unplain(plain)

    def load_absent(self) -> Any:
        return MISSING


# The codecs below each spell out their own plain / unplain / dump / load: they run once per
# stored value, so they are inlined for speed and alike in shape. Do not fold them together.


class StrCodec(ScalarCodec):
    dynamo_type = "S"
    wire_tag = "S"

    def plain(self, value: Any) -> Any:
        if type(value) is str:
            return value
        if isinstance(value, str):
            return str.__str__(value)  # the bare str, whatever the subclass's __str__ says
        raise wrong_type("str", value)

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is str:
            return {"S": value}
        return {"S": self.plain(value)}

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def load(self, wire: AttributeValue) -> Any:
        try:
            return wire["S"]
        except KeyError:
            return load_dynamic(wire)


class _PlainStrCodec(ScalarCodec):
    """An S codec whose load is the bare str (pydantic parses UUIDs, dates... from it)."""

    dynamo_type = "S"
    wire_tag = "S"

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def load(self, wire: AttributeValue) -> Any:
        try:
            return wire["S"]
        except KeyError:
            return load_dynamic(wire)


class IntCodec(ScalarCodec):
    dynamo_type = "N"
    wire_tag = "N"

    def plain(self, value: Any) -> Any:
        if type(value) is int:
            return int_plain(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return int_plain(int(value))
        raise wrong_type("int", value)

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is int and -TEN_38 < value < TEN_38:
            return {"N": str(value)}
        return {"N": self.plain(value)}

    def unplain(self, plain: Any) -> Any:
        try:
            return int(plain)
        except ValueError:
            return parse_integer(plain)

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def load(self, wire: AttributeValue) -> Any:
        try:
            plain = wire["N"]
        except KeyError:
            return load_dynamic(wire)
        try:
            return int(plain)
        except ValueError:
            return parse_integer(plain)


class FloatCodec(ScalarCodec):
    dynamo_type = "N"
    wire_tag = "N"

    def plain(self, value: Any) -> Any:
        if type(value) is float:
            return float_plain(value)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return number_plain(value)
        raise wrong_type("float", value)

    def unplain(self, plain: Any) -> Any:
        return float(plain)

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def load(self, wire: AttributeValue) -> Any:
        try:
            return float(wire["N"])
        except KeyError:
            return load_dynamic(wire)


class DecimalCodec(ScalarCodec):
    dynamo_type = "N"
    wire_tag = "N"

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
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
            return decimal_plain(value)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return number_plain(value)
        raise wrong_type("Decimal", value)

    def unplain(self, plain: Any) -> Any:
        return Decimal(plain)

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def load(self, wire: AttributeValue) -> Any:
        try:
            return Decimal(wire["N"])
        except KeyError:
            return load_dynamic(wire)


class BoolCodec(ScalarCodec):
    dynamo_type = "BOOL"
    wire_tag = "BOOL"

    def plain(self, value: Any) -> Any:
        if value is True or value is False:
            return value
        raise wrong_type("bool", value)

    # inlined for speed (a per-value hot path): the generic ScalarCodec method, unrolled
    def load(self, wire: AttributeValue) -> Any:
        try:
            return wire["BOOL"]
        except KeyError:
            return load_dynamic(wire)


class BytesCodec(ScalarCodec):
    dynamo_type = "B"
    wire_tag = "B"

    def plain(self, value: Any) -> Any:
        if type(value) is bytes:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(cast("bytes", value))
        raise wrong_type("bytes", value)


class UUIDCodec(_PlainStrCodec):
    dynamo_type = "S"

    def plain(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value)
        raise wrong_type("UUID", value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
ZERO = timedelta(0)
TWO_DIGITS = tuple(f"{i:02d}" for i in range(100))  # "00" ... "99" (item_dump uses them too)


def _utc_offset(value: object) -> timedelta:
    if not isinstance(value, datetime):
        raise wrong_type("datetime", value)
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(
            f"naive datetime {value} has no timezone; use an aware datetime "
            "(e.g. datetime.now(timezone.utc))"
        )
    return offset


class DatetimeCodec(_PlainStrCodec):
    """UTC with microseconds always written: every value has the same width (27 characters),
    so that comparing the strings (as DynamoDB does for S) compares the times."""

    dynamo_type = "S"
    wire_parse = datetime.fromisoformat  # the stored "...Z" text: aware, sharing timezone.utc

    def load(self, wire: AttributeValue) -> Any:
        try:
            text = wire["S"]
        except KeyError:
            return load_dynamic(wire)
        try:
            return datetime.fromisoformat(text)  # as the fast reader (see Codec.wire_parse)
        except (TypeError, ValueError):
            return text  # for pydantic to parse (a Unix time...) or reject

    def dump(self, value: Any) -> AttributeValue | None:
        if type(value) is datetime:
            tz = value.tzinfo
            if tz is UTC or (tz is not None and value.utcoffset() == ZERO):
                # already UTC (any tzinfo class): format only, from two-digit pieces (about
                # half the time of "%04d-%02d..." % (...) with seven fields)
                v, d = value, TWO_DIGITS
                y, us = v.year, v.microsecond
                return {
                    "S": f"{d[y // 100]}{d[y % 100]}-{d[v.month]}-{d[v.day]}T{d[v.hour]}:"
                    f"{d[v.minute]}:{d[v.second]}.{d[us // 10000]}{d[us // 100 % 100]}"
                    f"{d[us % 100]}Z"
                }
        return {"S": self.plain(value)}

    def plain(self, value: Any) -> Any:
        if type(value) is not datetime or value.tzinfo is not UTC:
            _utc_offset(value)  # refuses naive datetimes (astimezone() takes them as local time)
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                raise ValueError(f"{show(value)} is out of range once converted to UTC") from None
        # "...+00:00" -> "...Z"
        return datetime.isoformat(value, timespec="microseconds")[:-6] + "Z"


class EpochCodec(ScalarCodec):
    dynamo_type = "N"

    def plain(self, value: Any) -> Any:
        _utc_offset(value)
        return str((value - _EPOCH) // _SECOND)

    def unplain(self, plain: Any) -> Any:
        number = parse_number(plain)
        try:
            return _EPOCH + timedelta(seconds=number if isinstance(number, int) else float(number))
        except (OverflowError, ValueError):
            return number  # for pydantic to reject


class DateCodec(_PlainStrCodec):
    dynamo_type = "S"

    def plain(self, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return date.isoformat(value)
        raise wrong_type("date", value)


class SecretCodec(ScalarCodec):
    """SecretStr / SecretBytes: the secret itself is stored (JSON mode would store ``****``)."""

    def __init__(self, secret_type: type[Any], dynamo_type: str) -> None:
        self._secret_type = secret_type
        self.dynamo_type = dynamo_type

    def plain(self, value: Any) -> Any:
        if isinstance(value, self._secret_type):
            return value.get_secret_value()
        raise wrong_type(self._secret_type.__name__, value)


class EnumCodec(Codec):
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
            raise wrong_type(self._enum.__name__, value) from None

    def dump(self, value: Any) -> AttributeValue | None:
        return self._values.dump(self.value_of(value))

    def load(self, wire: AttributeValue) -> Any:
        return self._values.load(wire)

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._values.child(key)


class ScalarEnumCodec(EnumCodec, ScalarCodec):
    """An enum of S, N or B values: usable in sets and as map keys."""

    _values: ScalarCodec

    def plain(self, value: Any) -> Any:
        return self._values.plain(self.value_of(value))

    def unplain(self, plain: Any) -> Any:
        return self._values.unplain(plain)


class JsonTextCodec(ScalarCodec):
    """A ``pydantic.Json[T]`` field: stored as S, the JSON text of its value.

    Such a field validates from text (``J(doc='{"a": 1}')`` holds ``{"a": 1}``), so the text is
    what loads back; storing the parsed value would give a map that the field refuses.
    """

    dynamo_type = "S"
    wire_tag = "S"  # the stored text is what pydantic's validation of the field takes

    def __init__(self, annotation: object, adapter: pydantic.TypeAdapter[Any]) -> None:
        self._annotation = annotation
        self._adapter = adapter

    def plain(self, value: Any) -> Any:
        try:
            # round_trip: a Json field inside the value is written as text, as it validates
            return self._adapter.dump_json(value, round_trip=True, warnings="error").decode()
        except Exception as error:
            raise TypeError(
                f"{show(value)} cannot be written as JSON of {describe(self._annotation)}: {error}"
            ) from None
