"""The fields of a model as stored, checked at its definition (internal module): each field's
markers and codec (`field_spec`), one field per stored attribute name (`by_stored_name`), at
most one hash key and one range key (`primary_key`). Each raises ``InvalidModel`` naming the
model and the field.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic.fields import FieldInfo

from .errors import InvalidModel
from .field_spec import FieldSpec
from .immutable import immutable
from .indexing import check_key_field
from .limits import check_attribute_name
from .markers import DynamoName, HashKey, RangeKey
from .types import codec_for
from .updates import NOTHING_ATTRIBUTE


def field_spec(label: str, name: str, fi: FieldInfo) -> FieldSpec:
    """One field as stored: its markers (``DynamoName``, key role) and its codec."""
    dynamo_name = name
    role: Literal["hash", "range"] | None = None
    for marker in fi.metadata:
        if isinstance(marker, DynamoName):
            if not marker.name:
                raise InvalidModel(f"{label}.{name}: DynamoName needs a non-empty name")
            if marker.name == NOTHING_ATTRIBUTE:
                raise InvalidModel(f"{label}.{name}: {NOTHING_ATTRIBUTE!r} is reserved")
            dynamo_name = marker.name
            check_attribute_name(f"{label}.{name}", dynamo_name, key=False)
        elif isinstance(marker, HashKey | RangeKey):
            new_role: Literal["hash", "range"] = "hash" if isinstance(marker, HashKey) else "range"
            if role is not None and role != new_role:
                raise InvalidModel(f"{label}.{name} cannot be both hash key and range key")
            role = new_role
    try:
        codec = codec_for(fi.annotation, fi.metadata)
    except (TypeError, ValueError) as exc:
        raise InvalidModel(f"{label}.{name}: {exc}") from None
    spec = FieldSpec(
        name,
        dynamo_name,
        codec,
        role,
        required=fi.is_required(),
        immutable=immutable(fi.annotation),
    )
    if role is not None:
        check_key_field(label, spec, "key")
    return spec


def by_stored_name(label: str, fields: Mapping[str, FieldSpec]) -> dict[str, FieldSpec]:
    """The fields by attribute name: two fields stored under one name is an error."""
    by_dynamo: dict[str, FieldSpec] = {}
    for spec in fields.values():
        taken = by_dynamo.setdefault(spec.dynamo_name, spec)
        if taken is not spec:
            raise InvalidModel(
                f"{label}.{spec.name} is stored as {spec.dynamo_name!r}, "
                f"which {label}.{taken.name} already uses"
            )
    return by_dynamo


def primary_key(
    label: str, fields: Mapping[str, FieldSpec]
) -> tuple[FieldSpec | None, FieldSpec | None]:
    """The hash key and range key fields: at most one of each, and no range key alone."""
    keys: dict[str, FieldSpec] = {}
    for spec in fields.values():
        if spec.role is None:
            continue
        other = keys.setdefault(spec.role, spec)
        if other is not spec:
            what = "hash keys" if spec.role == "hash" else "range keys"
            raise InvalidModel(
                f"{label} has two {what}: {other.name} and {spec.name} (a table has one)"
            )
    hash_key, range_key = keys.get("hash"), keys.get("range")
    if range_key is not None and hash_key is None:
        raise InvalidModel(f"{label} declares range key {range_key.name} but no HashKey field")
    return hash_key, range_key
