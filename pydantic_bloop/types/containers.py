"""Codecs of wrappers and containers: ``T | None``, sets, lists, tuples, dicts, nested models,
TypedDicts.

Internal: import public names from ``pydantic_bloop.types``.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic

from pydantic_bloop._pydantic_compat import model_complete

from .base import MISSING, AttributeValue, Codec, show, wrong_type
from .dynamic import load_dynamic
from .scalars import ScalarCodec, StrCodec

if TYPE_CHECKING:
    from .registry import TypeRegistry


# ------------------------------------------------------------------------------------------
# Wrappers and containers
#
# Each load() below opens the same way (its tag, else load_dynamic for a value another tool
# stored with another type), and each dump() loops over its items alike: per-value hot paths,
# inlined for speed rather than routed through a shared helper.


class OptionalCodec(Codec):
    """``T | None``: None is an absent attribute (NULL inside lists and maps)."""

    def __init__(self, inner: Codec) -> None:
        self._inner = inner
        self.dynamo_type = inner.dynamo_type
        self.wire_tag = inner.wire_tag
        self.wire_parse = inner.wire_parse

    @property
    def inner(self) -> Codec:
        """The codec of the values other than None."""
        return self._inner

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

    def attribute(self, name: str) -> Codec | None:
        return self._inner.attribute(name)

    @property
    def element(self) -> Codec | None:
        return self._inner.element


def _check_iterable(value: Any, expected: str) -> Iterable[Any]:
    items: Iterable[Any] = value  # (typed before isinstance() narrows ``value``)
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise wrong_type(expected, items)
    return items


C = TypeVar("C", bound=Codec)


class _Collection(Codec, Generic[C]):
    """Elements of one codec, in a ``kind`` of collection (a set, a list, a tuple...)."""

    def __init__(self, element: C, kind: type[Any]) -> None:
        self._element = element
        self._kind = kind

    def dump_item(self, value: Any) -> AttributeValue:
        dumped = self.dump(value)
        if dumped is None:  # an empty set (DynamoDB has none) is an empty list inside L and M
            return {"NULL": True} if value is None else {"L": []}
        return dumped

    @property
    def element(self) -> Codec | None:
        return self._element


class SetCodec(_Collection[ScalarCodec]):
    """SS / NS / BS. Elements are sorted so that equal sets always dump equally."""

    def __init__(self, element: ScalarCodec, kind: type[Any]) -> None:
        super().__init__(element, kind)
        self.dynamo_type = self._key = element.dynamo_type + "S"
        self._strings = type(element) is StrCodec
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
            raise error_type(f"in set {show(items)}: {error}") from None

    def load(self, wire: AttributeValue) -> Any:
        try:
            plains = wire[self._key]
        except KeyError:
            return load_dynamic(wire)
        if self._strings:
            return set(plains)
        unplain = self._element.unplain
        return {unplain(x) for x in plains}

    def load_absent(self) -> Any:
        return frozenset[Any]() if self._kind is frozenset else set[Any]()


class ListCodec(_Collection[Codec]):
    """L of one element type: lists, homogeneous tuples, sequences, and sets of elements that
    cannot be in a DynamoDB set (models, tuples, bools...)."""

    dynamo_type = "L"

    def __init__(self, element: Codec, kind: type[Any]) -> None:
        super().__init__(element, kind)
        # plain strings dump to and load from {"S": ...} in one comprehension, no call each
        self._text = type(element) is StrCodec

    @property
    def text_list(self) -> bool:
        """Whether a list of exact ``str`` dumps as ``{"L": [{"S": x}, ...]}``, never absent
        (what `item_dump` writes inline)."""
        return self._text and self._kind is not set

    def dump(self, value: Any) -> AttributeValue | None:
        items: Sequence[Any] = value
        if type(value) is not list and type(value) is not tuple:
            items = list(_check_iterable(value, f"a {self._kind.__name__}"))
        if self._kind is set and not items:
            return None
        if self._text:
            texts = [{"S": x} for x in items if type(x) is str]
            if len(texts) == len(items):
                return {"L": texts}  # else an element is no plain str: each through the codec
        item = self._element.dump_item
        return {"L": [item(x) for x in items]}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["L"]
        except KeyError:
            return load_dynamic(wire)
        loaded: list[Any] | None = None
        if self._text:
            try:
                loaded = [x["S"] for x in items]
            except (KeyError, TypeError):  # an element stored otherwise: loaded one by one
                loaded = None
        if loaded is None:
            load = self._element.load
            loaded = [load(x) for x in items]
        return tuple(loaded) if self._kind is tuple else loaded

    def load_absent(self) -> Any:
        return set[Any]() if self._kind is set else MISSING

    def child(self, key: str | int) -> Codec | None:
        return self._element if isinstance(key, int) else None


class TupleCodec(Codec):
    """L of a fixed-shape tuple, ``tuple[int, str]``."""

    dynamo_type = "L"

    def __init__(self, elements: Sequence[Codec]) -> None:
        self._elements = tuple(elements)

    def dump(self, value: Any) -> AttributeValue | None:
        items: Sequence[Any] = value
        if not isinstance(value, (tuple, list)) or len(items) != len(self._elements):
            raise wrong_type(f"a tuple of {len(self._elements)} items", items)
        return {"L": [c.dump_item(x) for c, x in zip(self._elements, items, strict=True)]}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["L"]
        except KeyError:
            return load_dynamic(wire)
        loaded = [c.load(x) for c, x in zip(self._elements, items, strict=False)]
        loaded += [load_dynamic(x) for x in items[len(self._elements) :]]
        return tuple(loaded)  # a wrong length is for pydantic to report

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        if isinstance(key, int) and 0 <= key < len(self._elements):
            return self._elements[key]
        return None


class DictCodec(Codec):
    """M of ``dict[K, V]``: str keys as they are; other keys through their S or N codec."""

    dynamo_type = "M"

    def __init__(self, key: ScalarCodec | None, value: Codec) -> None:
        self._key = key
        self._value = value

    def _key_of(self, key: object) -> str:
        if self._key is not None:
            plain = self._key.plain(key)
            if isinstance(plain, str):
                return plain
        elif isinstance(key, str):
            return str.__str__(key)
        raise wrong_type("a str map key", key)

    def dump(self, value: Any) -> AttributeValue | None:
        items: Mapping[Any, Any] = value
        if not isinstance(value, Mapping):
            raise wrong_type("a mapping", value)
        item = self._value.dump_item
        out: dict[str, AttributeValue] = {}
        for key, x in items.items():
            out[key if type(key) is str else self._key_of(key)] = item(x)
        return {"M": out}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["M"]
        except KeyError:
            return load_dynamic(wire)
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


class ModelCodec(Codec):
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
        if not model_complete(model):
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
            raise wrong_type(self._model.__name__, value)
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
        extra = value.model_extra if self._extra else None
        if extra:
            dynamic = self._registry.dynamic
            for name, x in extra.items():
                out[name] = dynamic.dump_item(x)
        return {"M": out}

    def load(self, wire: AttributeValue) -> Any:
        try:
            items = wire["M"]
        except KeyError:
            return load_dynamic(wire)
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
                    out[name] = load_dynamic(x)
        return out

    def load_absent(self) -> Any:
        return MISSING

    def child(self, key: str | int) -> Codec | None:
        if self._fields is None:
            self.resolve()
        return self._by_name.get(key) if isinstance(key, str) else None

    def attribute(self, name: str) -> Codec | None:
        return self.child(name)


class TypedDictCodec(Codec):
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
            raise wrong_type(f"a {self._name} dict", value)
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
            return load_dynamic(wire)
        fields = self._fields
        out = {k: fields[k].load(x) if k in fields else load_dynamic(x) for k, x in items.items()}
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
