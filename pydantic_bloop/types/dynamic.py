"""Values whose stored type follows the runtime value: ``Any``, unions, JSON-mode types, and
loading any attribute value by its wire type.

Internal: import public names from ``pydantic_bloop.types``.
"""

from __future__ import annotations

import collections.abc as abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import (
    TYPE_CHECKING,
    Any,
    cast,
)

import pydantic

from .base import MISSING, AttributeValue, Codec, describe, show, wrong_type
from .numbers import (
    decimal_plain,
    float_plain,
    int_plain,
    number_plain,
    parse_json_number,
    parse_number,
)

if TYPE_CHECKING:
    from .registry import TypeRegistry


# ------------------------------------------------------------------------------------------
# Loading by wire type, for values whose type is not known from the annotation (Any, unions)
# and for attributes stored with another type than the field's (written by other tools):
# pydantic then validates what was stored and reports a mismatch with the field's name.

_DynamicLoader = Callable[[Any], Any]


def load_dynamic(wire: AttributeValue) -> Any:
    return _load(_DYNAMIC_LOADERS, wire)


def load_json(wire: AttributeValue) -> Any:
    """Like :func:`load_dynamic`, with JSON's numbers (int or float) and lists for sets."""
    return _load(_JSON_LOADERS, wire)


def _load(loaders: Mapping[str, _DynamicLoader], wire: AttributeValue) -> Any:
    for kind, plain in wire.items():
        loader = loaders.get(kind)
        if loader is not None:
            return loader(plain)
    raise ValueError(f"not a DynamoDB attribute value: {show(wire)}")


def _identity(plain: Any) -> Any:
    return plain


_DYNAMIC_LOADERS: dict[str, _DynamicLoader] = {
    "S": _identity,
    "N": parse_number,
    "B": _identity,
    "BOOL": _identity,
    "NULL": lambda _: None,
    "L": lambda items: [load_dynamic(x) for x in items],
    "M": lambda items: {k: load_dynamic(x) for k, x in items.items()},
    "SS": set,
    "NS": lambda items: {parse_number(x) for x in items},
    "BS": set,
}

_JSON_LOADERS: dict[str, _DynamicLoader] = {
    **_DYNAMIC_LOADERS,
    "N": parse_json_number,
    "L": lambda items: [load_json(x) for x in items],
    "M": lambda items: {k: load_json(x) for k, x in items.items()},
    "SS": list,
    "NS": lambda items: [parse_json_number(x) for x in items],
    "BS": list,
}


# ------------------------------------------------------------------------------------------
# Dynamic: the wire type follows the runtime value


class DynamicCodec(Codec):
    """Any, object, unions: the stored type is chosen from each value.

    ``dynamo_type`` is None, or the one type every possible value is stored as (``str | UUID``
    is S), which is what key and condition checks need.
    """

    def __init__(self, registry: TypeRegistry, dynamo_type: str | None = None) -> None:
        self._registry = registry
        self.dynamo_type = dynamo_type

    def dump(self, value: Any) -> AttributeValue | None:
        kind: type[Any] = type(cast(object, value))
        if kind is str:  # inlined for speed: the most common value skips the table lookup
            return {"S": value}
        dumper = _DYNAMIC_DUMPERS.get(kind)
        if dumper is not None:
            return dumper(self, value)
        return self._registry.codec_for_value(value).dump(value)

    def dump_item(self, value: Any) -> AttributeValue:
        dumped = self.dump(value)
        return {"L": []} if dumped is None else dumped  # None dumps as NULL: an empty set

    def load(self, wire: AttributeValue) -> Any:
        return load_dynamic(wire)

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
                raise wrong_type("a str map key", key)
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
            return {"NS": sorted({number_plain(x) for x in value})}
        return self.dump_list(value)  # no DynamoDB set holds these: a list keeps them


_DynamicDumper = Callable[[DynamicCodec, Any], "AttributeValue | None"]

_DYNAMIC_DUMPERS: dict[type[Any], _DynamicDumper] = {
    int: lambda _, v: {"N": int_plain(v)},
    float: lambda _, v: {"N": float_plain(v)},
    Decimal: lambda _, v: {"N": decimal_plain(v)},
    bool: lambda _, v: {"BOOL": v},
    bytes: lambda _, v: {"B": v},
    bytearray: lambda _, v: {"B": bytes(v)},
    type(None): lambda _, v: {"NULL": True},
    list: DynamicCodec.dump_list,
    tuple: DynamicCodec.dump_list,
    dict: DynamicCodec.dump_map,
    set: DynamicCodec.dump_set,
    frozenset: DynamicCodec.dump_set,
}


class UnionCodec(DynamicCodec):
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


class JsonCodec(Codec):
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
                f"{show(value)} cannot be serialized as {describe(self._annotation)}: {error}"
            ) from None
        return self._dynamic.dump(plain)

    def load(self, wire: AttributeValue) -> Any:
        return load_json(wire)

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
