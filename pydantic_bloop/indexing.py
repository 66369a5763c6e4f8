"""Resolving index declarations against a model's fields at class definition.

Rules (``InvalidModel`` when the class is defined):

- A key attribute is stored as S, N or B. Table keys must be required fields; an index key may
  be optional, which makes the index *sparse*: an item without the attribute is not in it.
- A global index is keyed on one to four hash attributes and zero to four range attributes
  (DynamoDB's multi-attribute keys); ``hash_key=("tenant", "region")`` names several.
- The index's DynamoDB name is ``name=`` or else the attribute's; it is 3 to 255 characters.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast, get_origin

from .entities import discriminator_field
from .errors import InvalidModel
from .indexes import IndexDeclaration, IndexSpec
from .limits import check_attribute_name
from .table_options import index_options
from .types import MISSING

if TYPE_CHECKING:
    from .models import Base, FieldSpec, ModelInfo

KEY_TYPES = frozenset({"S", "N", "B"})
MAX_KEY_PARTS = 4  # per side of a multi-attribute global index key


def check_key_field(label: str, spec: FieldSpec, what: str, *, optional: bool = False) -> None:
    """A key is stored as S, N or B; only an index key (``optional``) may be absent."""
    if spec.codec.dynamo_type not in KEY_TYPES:
        raise InvalidModel(
            f"{label}.{spec.name} is a {what} but is stored as {spec.codec.dynamo_type or 'mixed'}"
            "; keys must be strings, numbers or binary (S, N or B)"
        )
    check_attribute_name(f"{label}.{spec.name}", spec.dynamo_name, key=True)
    if not optional and spec.codec.load_absent() is not MISSING:
        raise InvalidModel(f"{label}.{spec.name} is a {what} and cannot be optional")


def check_index_annotations(cls_name: str, namespace: Mapping[str, Any]) -> None:
    """An index assigned to an annotated name must be annotated ``ClassVar[...]``: otherwise
    pydantic takes it for a field (and fails with a schema error that does not say why)."""
    annotations: Mapping[str, object] = namespace.get("__annotations__", {})
    for name, value in namespace.items():
        if not isinstance(value, IndexDeclaration) or name not in annotations:
            continue
        annotation = annotations[name]
        shown = annotation if isinstance(annotation, str) else repr(annotation)
        if get_origin(annotation) is not ClassVar and not shown.startswith(
            ("ClassVar", "typing.ClassVar", "t.ClassVar")
        ):
            kind = type(value).__name__
            raise InvalidModel(
                f"{cls_name}.{name}: an index is a class attribute, not a field: declare it as "
                f"`{name}: ClassVar[{kind}] = {kind}(...)` (from typing import ClassVar)"
            )


def index_declarations(cls: type[Base]) -> dict[str, IndexDeclaration]:
    """The indexes declared on ``cls`` and its bases (mixins included), by attribute name."""
    found: dict[str, IndexDeclaration] = {}
    owners: dict[str, type[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, IndexDeclaration):
                found[name] = value
                owners[name] = klass
    for name, owner in owners.items():
        if name in cls.model_fields:
            raise InvalidModel(
                f"{cls.__name__}.{name} is a field, but {owner.__name__} declares an index "
                "of that name"
            )
        index_name = found[name].index_name
        dynamo_name = name if index_name is None else index_name
        if not 3 <= len(dynamo_name) <= 255:
            raise InvalidModel(
                f"{cls.__name__}.{name}: DynamoDB index names are 3 to 255 characters long, "
                f"not {dynamo_name!r}"
            )
    return found


def _parts(ref: object) -> tuple[object, ...]:
    if isinstance(ref, tuple | list):
        return tuple(cast("tuple[object, ...]", ref))
    return () if ref is None else (ref,)


def index_spec(info: ModelInfo, name: str, decl: IndexDeclaration) -> IndexSpec:
    """The index ``decl`` (held in attribute ``name``) resolved against ``info``'s fields."""
    label = f"{info.label}.{name}"
    assert info.hash_key is not None

    def field(ref: object, role: str) -> FieldSpec:
        if not isinstance(ref, str):
            raise InvalidModel(f"{label}: {role} must be a field name (str), not {ref!r}")
        spec = info.fields.get(ref)
        if spec is None:
            raise InvalidModel(f"{label}: {role} {ref!r} is not a field of {info.label}")
        check_key_field(info.label, spec, f"{role} of index {name}", optional=True)
        return spec

    def side(ref: object, role: str) -> tuple[FieldSpec, ...]:
        parts = _parts(ref)
        if len(parts) > MAX_KEY_PARTS:
            raise InvalidModel(
                f"{label}: {role} has {len(parts)} attributes; DynamoDB allows at most "
                f"{MAX_KEY_PARTS}"
            )
        if len(parts) > 1 and decl.kind == "local":
            raise InvalidModel(f"{label}: a LocalIndex has a single range key attribute")
        return tuple(field(p, role) for p in parts)

    if decl.kind == "local":
        if info.range_key is None:
            raise InvalidModel(
                f"{label}: a LocalIndex needs a table with a range key; {info.label} has none"
            )
        hash_keys: tuple[FieldSpec, ...] = (info.hash_key,)
    else:
        hash_keys = side(decl.hash_key, "hash_key")
        if not hash_keys:
            raise InvalidModel(f"{label}: a GlobalIndex needs a hash_key")
    range_keys = side(decl.range_key, "range_key")
    if decl.kind == "local" and not range_keys:
        raise InvalidModel(f"{label}: a LocalIndex needs a range_key")
    seen: set[str] = set()
    for spec in (*hash_keys, *range_keys):
        if spec.name in seen:
            raise InvalidModel(f"{label}: {spec.name} is named twice in the index's key")
        seen.add(spec.name)

    key_names = {f.name for f in (*info.keys, *hash_keys, *range_keys)}
    projection = decl.projection
    include: tuple[FieldSpec, ...] = ()
    if projection == "all":
        kind: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
        projected = frozenset(info.fields)
    elif projection == "keys":
        kind = "KEYS_ONLY"
        projected = frozenset(key_names)
    elif isinstance(projection, tuple):
        unknown = [p for p in projection if p not in info.fields]
        if unknown:
            raise InvalidModel(
                f"{label}: projection names {', '.join(map(repr, unknown))}, "
                f"not fields of {info.label}"
            )
        include = tuple(info.fields[p] for p in projection if p not in key_names)
        kind = "INCLUDE" if include else "KEYS_ONLY"
        projected = frozenset(key_names | set(projection))
    else:
        raise InvalidModel(
            f"{label}: projection must be 'all', 'keys' or a list of field names, "
            f"not {projection!r}"
        )
    if info.entity is not None and kind != "ALL":
        # a query of the index keeps only this model's items: it needs the discriminator
        include = (*include, discriminator_field(info.entity))
        kind = "INCLUDE"
    return IndexSpec(  # keyword arguments, one a line (as other constructor calls): no logic
        name=decl.index_name or name,
        kind=decl.kind,
        hash_keys=hash_keys,
        range_keys=range_keys,
        projection=kind,
        include=include,
        projected=projected,
        read_units=decl.read_units,
        write_units=decl.write_units,
        options=index_options(label, decl.throughput),
    )
