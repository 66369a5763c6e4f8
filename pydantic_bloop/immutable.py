"""Which annotations hold immutable values: for those, equal to the value last seen means
unchanged, so tracking need not dump them again.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

_IMMUTABLE = (str, int, float, Decimal, bool, bytes, UUID, datetime, date, time, timedelta, Enum)


def immutable(annotation: Any) -> bool:
    """Values of ``annotation`` are immutable scalars (or None): equality is enough to know one
    did not change since it was seen."""
    if annotation is None or annotation is type(None):
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, _IMMUTABLE)
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if origin is Union or origin is UnionType:
        return all(immutable(arg) for arg in get_args(annotation))
    return False
