"""The registry: which codec an annotation gets, user-registered types, and the module-level
``codec_for`` / ``register_type``.

Internal: import public names from ``pydantic_bloop.types``.
"""

from __future__ import annotations

import collections
import collections.abc as abc
import dataclasses
import types as pytypes
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
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

from pydantic_bloop._pydantic_compat import model_complete

from .base import MISSING, AsEpoch, AttributeValue, Codec, describe, show
from .containers import (
    DictCodec,
    ListCodec,
    ModelCodec,
    OptionalCodec,
    SetCodec,
    TupleCodec,
    TypedDictCodec,
)
from .dynamic import DynamicCodec, JsonCodec, UnionCodec, load_dynamic
from .numbers import decimal_plain, number_plain, parse_number
from .scalars import (
    BoolCodec,
    BytesCodec,
    DateCodec,
    DatetimeCodec,
    DecimalCodec,
    EnumCodec,
    EpochCodec,
    FloatCodec,
    IntCodec,
    JsonTextCodec,
    ScalarCodec,
    ScalarEnumCodec,
    SecretCodec,
    StrCodec,
    UUIDCodec,
)

# ------------------------------------------------------------------------------------------
# User types

_PLAIN_CHECKS: dict[str, Callable[[Any], bool]] = {
    "S": lambda p: isinstance(p, str),
    "B": lambda p: isinstance(p, (bytes, bytearray)),
    "BOOL": lambda p: p is True or p is False,
}
_DYNAMO_TYPES = ("S", "N", "B", "BOOL", "L", "M", "SS", "NS", "BS")


def _not_stored(
    python_type: type[Any], returned: object, value: object, kind: str | None
) -> TypeError:
    return TypeError(
        f"the dump function registered for {python_type.__name__} returned {show(returned)} "
        f"for {show(value)}, which is not a DynamoDB {kind} value"
    )


class _RegisteredScalarCodec(ScalarCodec):
    """A user type stored as S, N, B or BOOL."""

    def __init__(self, python_type: type[Any], found: _Registration) -> None:
        self._type, self.dynamo_type = python_type, found.dynamo_type
        self._dump, self._load = found.dump, found.load

    def plain(self, value: Any) -> Any:
        plain = self._dump(value)
        if self.dynamo_type == "N":
            if isinstance(plain, str):
                try:
                    return decimal_plain(Decimal(plain))
                except ArithmeticError:
                    pass
            else:
                return number_plain(plain)
        elif _PLAIN_CHECKS[self.dynamo_type](plain):
            return bytes(plain) if self.dynamo_type == "B" else plain
        raise _not_stored(self._type, plain, value, self.dynamo_type)

    def unplain(self, plain: Any) -> Any:
        return self._load(parse_number(plain) if self.dynamo_type == "N" else plain)


class _RegisteredCodec(Codec):
    """A user type stored as L, M, SS, NS or BS: the plain value is a list, dict or set."""

    def __init__(
        self, registry: TypeRegistry, python_type: type[Any], found: _Registration
    ) -> None:
        self._type, self.dynamo_type = python_type, found.dynamo_type
        self._dump, self._load = found.dump, found.load
        self._dynamic = registry.dynamic

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
        raise _not_stored(self._type, result, value, kind)

    def load(self, wire: AttributeValue) -> Any:
        if self.dynamo_type not in wire:
            return load_dynamic(wire)
        return self._load(load_dynamic(wire))

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
    (str, StrCodec()),
    (int, IntCodec()),
    (float, FloatCodec()),
    (Decimal, DecimalCodec()),
    (bytes, BytesCodec()),
    (bytearray, BytesCodec()),
    (UUID, UUIDCodec()),
    (datetime, DatetimeCodec()),
    (date, DateCodec()),
    (pydantic.SecretStr, SecretCodec(pydantic.SecretStr, "S")),
    (pydantic.SecretBytes, SecretCodec(pydantic.SecretBytes, "B")),
)
_EPOCH_CODEC = EpochCodec()


def _is_epoch(metadata: Iterable[object]) -> bool:
    return any(m is AsEpoch or isinstance(m, AsEpoch) for m in metadata)


def _is_json(metadata: Iterable[object]) -> bool:
    """``pydantic.Json[T]`` is ``Annotated[T, Json()]``: a field that validates from JSON text."""
    marker = cast(type, pydantic.Json)  # generic in the stubs; a plain class at runtime
    return any(m is marker or isinstance(m, marker) for m in metadata)


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
        self.dynamic: DynamicCodec = DynamicCodec(self)
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
            raise TypeError(f"register_type() takes a class, not {show(python_type)}")
        if dynamo_type not in _DYNAMO_TYPES:
            raise ValueError(
                f"register_type({python_type.__name__}, {dynamo_type!r}): the DynamoDB type "
                f"must be one of {', '.join(_DYNAMO_TYPES)}"
            )
        given: tuple[object, object] = (dump, load)  # checked: callers may be untyped
        if not all(map(callable, given)):
            raise TypeError("register_type() needs callable dump= and load= functions")
        self._types[python_type] = _Registration(dynamo_type, dump, load)
        self._cache.clear()

    def codec_for(self, annotation: Any, metadata: Sequence[object] = ()) -> Codec:
        """The codec of a field annotation; ``metadata`` is its ``Annotated`` metadata."""
        if _is_json(metadata):
            return self._json_text(annotation)
        return self._codec(annotation, _is_epoch(metadata))

    def codec_for_value(self, value: object) -> Codec:
        """The codec of ``type(value)``, for a value whose annotation is dynamic."""
        try:
            codec = self._codec(type(value), False)
        except TypeError as error:
            raise TypeError(f"cannot store {show(value)} in DynamoDB: {error}") from None
        if isinstance(codec, DynamicCodec):  # e.g. object(): nothing to store it as
            raise TypeError(f"cannot store {show(value)} in DynamoDB")
        return codec

    def _codec(self, annotation: Any, epoch: bool) -> Codec:
        while get_origin(annotation) is Annotated:
            if _is_json(annotation.__metadata__):
                return self._json_text(get_args(annotation)[0])
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
                f"AsEpoch() applies to datetime fields, not {describe(cast(object, annotation))}"
            )
        if annotation is Any or annotation is object:
            return self.dynamic
        if annotation is pydantic.Json:  # a bare ``Json``: ``Json[Any]``
            return self._json_text(Any)
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
            return OptionalCodec(self.dynamic)
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
                    return _RegisteredScalarCodec(cls, found)
                return _RegisteredCodec(self, cls, found)
        return None

    def _class(self, cls: type[Any]) -> Codec:
        registered = self._registered(cls) if self._types else None
        if registered is not None:
            return registered
        if issubclass(cls, bool):
            return BoolCodec()
        if issubclass(cls, Enum):
            return self._enum(cls)
        if issubclass(cls, pydantic.BaseModel):
            return self._model(cls)
        if typing_extensions.is_typeddict(cls):
            return TypedDictCodec(self, cls)
        for base, codec in _SIMPLE_CODECS:
            if issubclass(cls, base):
                return codec
        if issubclass(cls, tuple):
            names: tuple[str, ...] | None = getattr(cast(object, cls), "_fields", None)
            if names is not None:  # a NamedTuple: typed positions
                hints: dict[str, Any] = typing.get_type_hints(
                    cast(object, cls), include_extras=True
                )
                return TupleCodec([self._codec(hints.get(n, object), False) for n in names])
            return ListCodec(self.dynamic, tuple)
        if cls in _SET_TYPES or issubclass(cls, (set, frozenset)):
            return self._set(cls, ())
        if cls in _LIST_TYPES or issubclass(cls, list):
            return self._list(cls, ())
        if cls in _MAP_TYPES or issubclass(cls, dict):
            return DictCodec(None, self.dynamic)
        return self._json(cls)

    def _model(self, model: type[pydantic.BaseModel]) -> Codec:
        codec = ModelCodec(self, model)
        key = (model, False)
        self._cache[key] = codec  # before its fields, which may refer back to the model
        try:
            if model_complete(model):
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
        if isinstance(values, DynamicCodec):
            values = self._values_codec([member.value for member in enum])
        if isinstance(values, ScalarCodec):
            return ScalarEnumCodec(enum, values)
        return EnumCodec(enum, values)

    def _values_codec(self, values: Sequence[object]) -> Codec:
        """A dynamic codec for a fixed set of values, typed when they share a stored type."""
        try:
            stored = {next(iter(self.dynamic.dump_item(v))) for v in values}
        except (TypeError, ValueError):
            stored = set[str]()  # values that cannot be stored: the error comes when one is dumped
        return DynamicCodec(self, stored.pop() if len(stored) == 1 else None)

    def _literal(self, values: tuple[object, ...]) -> Codec:
        present = [v for v in values if v is not None]
        kinds = {type(v) for v in present}
        if len(kinds) == 1:
            codec = self._codec(kinds.pop(), False)
        elif not present:
            codec = self.dynamic
        else:
            codec = self._values_codec(present)
        return OptionalCodec(codec) if len(present) < len(values) else codec

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
            codec = UnionCodec(self, stored.pop() if len(stored) == 1 else None, classes)
        return OptionalCodec(codec) if len(present) < len(members) else codec

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
                return ListCodec(self._codec(args[0], False), tuple)
            if args == ((),):  # tuple[()] on old Pythons
                args = ()
            return TupleCodec([self._codec(a, False) for a in args])
        if origin in _SET_TYPES:
            return self._set(origin, args)
        if origin in _LIST_TYPES:
            return self._list(origin, args)
        if origin in _MAP_TYPES or (isinstance(origin, type) and issubclass(origin, dict)):
            if origin is collections.Counter:
                args = (*args, int)
            key = self._codec(args[0], False) if args else self.dynamic
            value = self._codec(args[1], False) if len(args) > 1 else self.dynamic
            if isinstance(key, OptionalCodec | DynamicCodec) or type(key) is StrCodec:
                return DictCodec(None, value)
            if isinstance(key, ScalarCodec) and key.dynamo_type in ("S", "N"):
                return DictCodec(key, value)
            raise TypeError(
                f"{describe(annotation)}: map keys must be stored as strings, "
                f"not as {key.dynamo_type}"
            )
        return self._json(annotation)

    def _set(self, origin: Any, args: tuple[Any, ...]) -> Codec:
        element = self._codec(args[0], False) if args else self.dynamic
        kind = frozenset if origin is frozenset else set
        if isinstance(element, ScalarCodec) and element.dynamo_type in ("S", "N", "B"):
            return SetCodec(element, kind)
        # No DynamoDB set holds these elements (bools, models, tuples, mixed): a list does.
        return ListCodec(element, set)

    def _list(self, origin: Any, args: tuple[Any, ...]) -> Codec:
        element = self._codec(args[0], False) if args else self.dynamic
        return ListCodec(element, list)

    def _json(self, annotation: Any) -> Codec:
        where = f"cannot store {describe(annotation)} in DynamoDB"
        advice = "; register it with pydantic_bloop.register_type()"
        return JsonCodec(self, annotation, _adapter(annotation, where, advice))

    def _json_text(self, annotation: Any) -> Codec:
        """A ``Json[annotation]`` field or element: the JSON text of its value, as S."""
        adapter = _adapter(annotation, f"Json[{describe(annotation)}]", "")
        return JsonTextCodec(annotation, adapter)


def _adapter(annotation: Any, where: str, advice: str) -> pydantic.TypeAdapter[Any]:
    """pydantic's serializer of ``annotation``, or a TypeError saying it has none."""
    try:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotation)
    except Exception as error:
        raise TypeError(
            f"{where}: pydantic cannot serialize it ({type(error).__name__}){advice}"
        ) from None
    return adapter


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
