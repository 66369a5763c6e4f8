"""What DynamoDB would refuse or corrupt, and what the model could not read back, checked before
a write is sent (internal module).

One walk over the attributes a write stores finds: items over 400 KB, nesting deeper than 32
levels, key values that are empty or too long (2,048 bytes for a partition key, 1,024 for a sort
key, the same for index keys), empty or oversized map keys, strings that are not valid Unicode
(a lone surrogate cannot be encoded), and values the model's own constraints refuse (assigned
without validation: stored, they would fail every later read). Each is an ``InvalidValue``
naming the model, the field and the value; nothing is sent. Update actions, condition values
and document paths pass the same checks of their values when they are built.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from .errors import InvalidModel, InvalidValue
from .markers import DynamoName, HashKey, RangeKey, Version
from .types import AttributeValue
from .types.scalars import JsonTextCodec

if TYPE_CHECKING:
    from .models import Base, FieldSpec, ModelInfo

MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024
MAX_NAME_BYTES = 65535
MAX_KEY_NAME_BYTES = 255


class _Bad(Exception):
    """A problem found inside a value (the caller adds model and field)."""


def check_write(info: ModelInfo, obj: Base, item: Mapping[str, AttributeValue]) -> None:
    """Check the attributes ``item`` a write of ``obj`` stores (see the module docstring)."""
    checks = _checks(info)
    size = 0
    name = ""
    try:
        for name, value in item.items():
            check = checks.get(name)
            if check is None:  # an attribute no field stores (an entity's tag ...)
                size += _bytes(name) + _size(value, 1)
                continue
            name_size, limit, spec = check
            ((kind, inner),) = value.items()
            if kind == "S" and inner.isascii():  # the common values, without a call
                size += name_size + len(inner)
                if limit and not 0 < len(inner) <= limit:
                    _check_key_value(value, limit)
            elif kind == "N":
                size += name_size + len(inner) // 2 + 2
            else:
                size += name_size + _size(value, 1)
                if limit:
                    _check_key_value(value, limit)
            if spec is not None:
                _check_readable(info, spec, obj)
    except _Bad as bad:
        found = info.by_dynamo.get(name)
        label = f"{info.label}.{found.name}" if found is not None else f"{info.label}[{name!r}]"
        raise InvalidValue(f"{label}: {bad}") from None
    if size > MAX_ITEM_BYTES:
        keys = ", ".join(f"{k.name}={obj.__dict__.get(k.name)!r}" for k in info.keys)
        raise InvalidValue(
            f"{info.label}({keys}) is about {size:,} bytes; DynamoDB stores items of at most "
            f"400 KB ({MAX_ITEM_BYTES:,} bytes)"
        )


# by stored name: (bytes of the name, key byte limit or 0, the field if it has constraints)
_Check = tuple[int, int, "FieldSpec | None"]
_CHECKS: dict[type[Any], tuple[ModelInfo, dict[str, _Check]]] = {}


def _checks(info: ModelInfo) -> dict[str, _Check]:
    """What `check_write` checks of each stored field of ``info``'s model, worked out once."""
    cached = _CHECKS.get(info.model)
    if cached is not None and cached[0] is info:
        return cached[1]
    limits = _key_limits(info)
    adapters = _adapters(info)
    checks: dict[str, _Check] = {}
    for spec in info.fields.values():
        try:
            name_size = _bytes(spec.dynamo_name)
        except _Bad:
            continue  # refused when the model was defined; checked the slow way if ever met
        constrained = spec if spec.name in adapters else None
        checks[spec.dynamo_name] = (name_size, limits.get(spec.dynamo_name, 0), constrained)
    _CHECKS[info.model] = (info, checks)
    return checks


# (stored name, byte limit) of each table key field
_KeyLimits = tuple[tuple[str, int], ...]


def table_key_limits(info: ModelInfo) -> _KeyLimits:
    """(stored name, byte limit) of each table key field of ``info``'s model."""
    limits = {"hash": MAX_HASH_KEY_BYTES, "range": MAX_RANGE_KEY_BYTES}
    return tuple((s.dynamo_name, limits[s.role or "hash"]) for s in info.keys)


def plain_key(info: ModelInfo, values: Mapping[str, Any]) -> dict[str, AttributeValue] | None:
    """The primary key of an object's field ``values`` when each key dumps to a number or a
    short ASCII string, which need no further check; None: dump and check it field by field
    (which names the field at fault)."""
    key: dict[str, AttributeValue] = {}
    try:
        for name, dynamo_name, dump in info.key_dumpers:
            dumped = dump(values[name])
            if dumped is None:
                return None
            key[dynamo_name] = dumped
    except Exception:  # the caller's checked loop raises it again, naming the field
        return None
    return key if plain_key_in(key, info.key_limits) else None


def plain_key_in(item: Mapping[str, AttributeValue], limits: _KeyLimits) -> bool:
    """Whether the key attributes (``limits``: `table_key_limits`) of a dumped ``item`` are all
    there, each a number or a short ASCII string, which need no further check."""
    try:
        for dynamo_name, limit in limits:
            value = item[dynamo_name]
            # one tag, then its text: cheaper than unpacking items() (0.32 -> 0.25 us a key)
            if len(value) != 1:
                return False
            text = value.get("S")
            if text is None:
                if "N" not in value:
                    return False
            elif not (0 < len(text) <= limit and text.isascii()):
                return False
    except (KeyError, TypeError, AttributeError):  # no attribute, None, a text of no str
        return False
    return True


def attrs_size(attrs: Mapping[str, AttributeValue]) -> int:
    """About how many bytes DynamoDB counts for these attributes (names and values)."""
    try:
        return sum(_bytes(name) + _size(value, 1) for name, value in attrs.items())
    except _Bad as bad:
        raise InvalidValue(str(bad)) from None


def check_action_value(label: str, value: AttributeValue, depth: int) -> None:
    """A value an update action writes ``depth`` levels into the item (1: a whole attribute) is
    valid Unicode with valid map keys, nests within DynamoDB's limit, and could fit in an item.
    Unchecked, moto stores an empty map key so that every later read of the item fails."""
    try:
        size = _size(value, depth)
    except _Bad as bad:
        raise InvalidValue(f"{label}: {bad}") from None
    if size > MAX_ITEM_BYTES:
        raise InvalidValue(
            f"{label}: a value of {size:,} bytes cannot fit in an item (DynamoDB's limit is "
            f"{MAX_ITEM_BYTES:,} bytes)"
        )


def value_problem(value: AttributeValue) -> str | None:
    """Why DynamoDB cannot take ``value`` at all (a lone surrogate, an empty or oversized map
    key, nesting over 32 levels), or None: what a condition's value must pass."""
    try:
        _size(value, 1)
    except _Bad as bad:
        return str(bad)
    return None


def path_key_problem(key: str) -> str | None:
    """Why DynamoDB cannot have ``key`` as a map key in a document path, or None."""
    try:
        _map_key_bytes(key)
    except _Bad as bad:
        return str(bad)
    return None


def check_key_value(label: Callable[[], str], value: AttributeValue, role: str | None) -> None:
    """A table key value is not empty, nor over 2,048 bytes (hash) or 1,024 bytes (range);
    ``label()`` names it in the error."""
    limit = MAX_RANGE_KEY_BYTES if role == "range" else MAX_HASH_KEY_BYTES
    try:
        _check_key_value(value, limit)
    except _Bad as bad:
        raise InvalidValue(f"{label()}: {bad}") from None


def check_attribute_name(label: str, name: str, *, key: bool) -> None:
    """``InvalidModel`` for a stored name DynamoDB refuses: empty, over 64 KB, or (a table or
    index key attribute) over 255 bytes."""
    try:
        size = _bytes(name)
    except _Bad as bad:
        raise InvalidModel(f"{label}: the attribute name {bad}") from None
    limit = MAX_KEY_NAME_BYTES if key else MAX_NAME_BYTES
    if not 0 < size <= limit:
        what = "key attribute names" if key else "attribute names"
        raise InvalidModel(
            f"{label}: DynamoDB {what} are 1 to {limit:,} bytes long, not {size:,} ({shown(name)})"
        )


def _key_limits(info: ModelInfo) -> dict[str, int]:
    """The byte limit of each attribute that is a table or index key, by stored name."""
    limits: dict[str, int] = {}
    ranges = [info.range_key] + [i.range_key for i in info.indexes.values()]
    hashes = [info.hash_key] + [i.hash_key for i in info.indexes.values()]
    for spec in ranges:
        if spec is not None:
            limits[spec.dynamo_name] = MAX_RANGE_KEY_BYTES
    for spec in hashes:
        if spec is not None:
            limits[spec.dynamo_name] = MAX_HASH_KEY_BYTES
    return limits


def _check_key_value(value: AttributeValue, limit: int) -> None:
    ((kind, inner),) = value.items()
    if kind == "S":
        n = _bytes(inner)
    elif kind == "B":
        n = len(inner)
    else:
        return
    if n == 0:
        raise _Bad("a key attribute cannot be empty")
    if n > limit:
        raise _Bad(f"a key value of {n:,} bytes is over DynamoDB's limit of {limit:,} bytes")


def _bytes(text: str) -> int:
    try:
        return len(text.encode())
    except UnicodeEncodeError as error:
        bad = text[error.start : error.end]
        raise _Bad(
            f"{shown(text)} holds {bad!r}, a lone surrogate, which is not valid Unicode "
            "and cannot be stored"
        ) from None


def _map_key_bytes(key: str) -> int:
    """The size of a map key, in a stored value or a document path: 1 byte to 64 KB."""
    n = _bytes(key)
    if n == 0:
        raise _Bad("a map key cannot be empty")
    if n > MAX_NAME_BYTES:
        raise _Bad(f"a map key of {n:,} bytes is over DynamoDB's limit of 64 KB")
    return n


def _size(value: AttributeValue, depth: int) -> int:
    """DynamoDB's size of an attribute value (numbers approximately: 1 byte per 2 digits),
    checking strings, map keys and nesting on the way."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner) if inner.isascii() else _bytes(inner)  # isascii(): O(1)
    if kind == "N":
        return len(inner) // 2 + 2
    if kind == "B":
        return len(inner)
    if kind in ("SS", "BS"):
        return sum(_bytes(v) if isinstance(v, str) else len(v) for v in inner)
    if kind == "NS":
        return sum(len(v) // 2 + 2 for v in inner)
    if kind in ("L", "M"):
        if depth >= MAX_DEPTH:
            raise _Bad(f"the value nests lists and maps deeper than DynamoDB's {MAX_DEPTH} levels")
        total = 3
        if kind == "L":
            for v in inner:
                ((sub, text),) = v.items()
                if sub == "S" and text.isascii():  # the common element, without a call
                    total += 1 + len(text)
                else:
                    total += 1 + _size(v, depth + 1)
            return total
        for k, v in inner.items():
            total += 1 + _map_key_bytes(k) + _size(v, depth + 1)
        return total
    return 1  # BOOL, NULL


def _check_readable(info: ModelInfo, spec: FieldSpec, obj: Base) -> None:
    """The field's value satisfies the field's own type and constraints (``Field(ge=0)``...):
    what reading the item back will check."""
    adapter = _adapters(info).get(spec.name)
    if adapter is None:
        return
    value = obj.__dict__.get(spec.name)
    if isinstance(spec.codec, JsonTextCodec):  # a Json[...] field reads back from its text
        value = spec.codec.plain(value)
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        message = error.errors(include_url=False)[0]["msg"]
        raise InvalidValue(
            f"{info.label}.{spec.name} = {shown(value)}: {message}; the item could not be "
            "read back, so it is not saved"
        ) from None


_ADAPTERS: dict[type[Any], dict[str, TypeAdapter[Any]]] = {}
_MARKERS = (HashKey, RangeKey, DynamoName, Version)


def _adapters(info: ModelInfo) -> dict[str, TypeAdapter[Any]]:
    """A validator of each constrained field of ``info``'s model (fields without constraints
    need none: a value that dumps reads back)."""
    found = _ADAPTERS.get(info.model)
    if found is None:
        found = {}
        for name, field in info.model.model_fields.items():
            metadata = [m for m in field.metadata if not isinstance(m, _MARKERS)]
            if metadata:  # key roles and stored names constrain nothing
                found[name] = TypeAdapter(_annotated(field.annotation, metadata))
        _ADAPTERS[info.model] = found
    return found


def _annotated(annotation: Any, metadata: list[Any]) -> Any:
    from typing import Annotated

    return Annotated[(annotation, *metadata)]  # pyright: ignore[reportInvalidTypeArguments] - built at run time


def shown(value: object) -> str:
    """``repr(value)``, cut short for a message."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}…{text[-2:]}"
