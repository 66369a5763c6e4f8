"""DynamoDB's number rules (38 significant digits, 1E-130 to 9.99E+125, no NaN or infinity)
and the conversions between Python numbers and the N type's plain strings.

Internal: import public names from ``pydantic_bloop.types``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import (
    cast,
)

from .base import show, wrong_type

# ------------------------------------------------------------------------------------------
# Numbers: DynamoDB keeps 38 significant digits, magnitudes 1E-130 to 9.99...E+125, and no
# NaN or infinity. moto accepts anything, so the limits are enforced here.

_MAX_DIGITS = 38
_MAX_ADJUSTED = 125  # 9.9999999999999999999999999999999999999E+125
_MIN_ADJUSTED = -130  # 1E-130
TEN_38 = 10**38
_LARGEST = "9.9999999999999999999999999999999999999E+125"


def _not_finite(value: object) -> ValueError:
    # (Decimal("sNaN") refuses to be compared, even for inequality)
    nan = value.is_nan() if isinstance(value, Decimal) else value != value
    if nan:
        return ValueError(f"NaN cannot be stored in DynamoDB (got {show(value)})")
    return ValueError(
        f"{show(value)} cannot be stored in DynamoDB: numbers must be finite, not infinity"
    )


def _too_large(value: object) -> ValueError:
    return ValueError(f"{show(value)} is too large for DynamoDB (at most {_LARGEST} in magnitude)")


def _too_small(value: object) -> ValueError:
    return ValueError(
        f"{show(value)} is too close to zero for DynamoDB (the smallest magnitude is 1E-130)"
    )


def decimal_plain(value: Decimal, shown: object = None) -> str:
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
            f"{show(shown)} has {significant} significant digits; DynamoDB keeps at most 38"
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


def int_plain(value: int) -> str:
    if -TEN_38 < value < TEN_38:
        return str(value)
    # Large ints are fine while their significant digits fit (10**40 is 1E+40).
    if value.bit_length() > 1000:  # > 1E+300: spare str() of a huge int (slow, and limited)
        raise ValueError(f"an int of {value.bit_length()} bits is too large for DynamoDB")
    return decimal_plain(Decimal(value), value)


def float_plain(value: float) -> str:
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


def number_plain(value: object) -> str:
    """The N string of any Python number (bool is not a number here)."""
    kind = type(value)
    if kind is int:
        return int_plain(cast(int, value))
    if kind is float:
        return float_plain(cast(float, value))
    if kind is Decimal:
        return decimal_plain(cast(Decimal, value))
    if isinstance(value, bool):
        raise wrong_type("a number", value)
    if isinstance(value, int):
        return int_plain(int(value))
    if isinstance(value, float):
        return float_plain(float(value))
    if isinstance(value, Decimal):
        return decimal_plain(value)
    raise wrong_type("a number", value)


def parse_number(text: str) -> int | Decimal:
    """A stored number as int when it is written as one, else as an exact Decimal."""
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


def parse_integer(text: str) -> int | Decimal:
    """A stored number for an int field: "1E+2" (how DynamoDB may normalise 100) is still 100.
    A fractional number is returned as a Decimal for pydantic to reject."""
    number = Decimal(text)
    return int(number) if number.is_finite() and number == number.to_integral_value() else number


def parse_json_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
