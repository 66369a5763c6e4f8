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

The rows live in submodules along their seams (``numbers``, ``scalars``, ``containers``,
``dynamic``, ``registry``, and ``base`` for the codec protocol); they are internal: the public
names are the ones this package exports.
"""

from __future__ import annotations

from .base import MISSING, AsEpoch, AttributeValue, Codec
from .registry import TypeRegistry, codec_for, default_registry, register_type

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
