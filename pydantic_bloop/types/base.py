"""The codec protocol every type row implements, the ``MISSING`` marker, and error-message helpers.

Internal: import public names from ``pydantic_bloop.types``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import (
    Any,
)

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

    #: With ``wire_tag``: a C-implemented callable that turns ``wire[wire_tag]`` into what
    #: pydantic takes, faster or with fewer objects than pydantic's own parse (datetimes:
    #: ``datetime.fromisoformat``, whose UTC values share ``timezone.utc`` where pydantic-core
    #: makes a ``TzInfo`` per value). A value it refuses (ValueError) goes to the general path,
    #: whose ``load`` must then give what pydantic alone would.
    wire_parse: Callable[[Any], Any] | None = None

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

    def attribute(self, name: str) -> Codec | None:
        """The codec of field ``name`` of a nested model (``Post.author.name``); None when this
        is no model or it has no such field."""
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


def show(value: object) -> str:
    """repr(value), shortened so that an error about a huge value stays readable."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}…{text[-2:]}"


def wrong_type(expected: str, value: object) -> TypeError:
    return TypeError(f"expected {expected}, got {show(value)} ({type(value).__name__})")


def describe(annotation: object) -> str:
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)
