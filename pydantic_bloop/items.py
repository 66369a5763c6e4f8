"""Objects and items without an engine: a key-only object, and a model's stored form both ways.

* `key_only(Post, forum="f", id=pid)` is a `Post` holding only its key, each key value
  validated as its field's type (`id="…"` for a UUID key works): what `engine.load` refreshes
  and what `engine.update` updates by key. A key made from fields (`Template`) may be given by
  them, and the object holds them too (`key_only(Product, sku="lamp").sku`). It type-checks
  under mypy and pyright alike, unlike `Post.model_construct(forum=..., id=...)`, which
  pydantic's mypy plugin (`init_typed`) refuses for the fields it leaves out.
* `to_item(post)` is the item DynamoDB stores for it (`{"forum": {"S": "f"}, ...}`), as sent
  in a `PutItem`; `from_item(Post, item)` reads such an item (from a boto3 client, a stream
  record, a fixture) into a `Post`, with the same conversions and errors as a load.

An object read by `from_item` is new to every engine, like one built by its constructor.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from .models import Base, model_info
from .template_fill import with_parsed_fields
from .template_query import key_kwargs
from .types import AttributeValue

__all__ = ["from_item", "key_only", "to_item"]

M = TypeVar("M", bound=Base)


def key_only(model: type[M], /, **key: object) -> M:
    """A `model` object holding only its key fields (named exactly, each validated) and the
    fields a templated key is made from (given, or read back from the key); its other fields
    are unset, with their defaults. `InvalidValue` names a missing, unknown or bad one."""
    info = model_info(model)
    info.key_from(key)  # names exactly the key fields, each valid and not empty
    given = key_kwargs(info, key)  # a templated key may be given by its fields
    values: dict[str, Any] = {s.name: info.key_value(s, given[s.name]) for s in info.keys}
    held = with_parsed_fields(info, values, info.keys)  # and holds them, from the key
    values = {s.name: info.key_value(s, values[s.name]) for s in held}
    obj = model.model_construct(**values)
    assert isinstance(obj, model)
    return obj


def to_item(obj: Base) -> dict[str, AttributeValue]:
    """The item DynamoDB stores for `obj`: attribute name to attribute value (`{"S": "x"}`,
    `{"N": "1"}`, ...), absent attributes (None, empty sets) left out. `obj` must hold every
    field (a partial or key-only object raises `InvalidValue`)."""
    return model_info(type(obj)).dump_item(obj)


def from_item(model: type[M], item: Mapping[str, Mapping[str, object]], /) -> M:
    """A `model` object from a stored item in DynamoDB's attribute-value form (a boto3 client's
    `response["Item"]` as it is); `InvalidItem` when it does not fit the model (naming model,
    key and fields)."""
    stored = cast(Mapping[str, AttributeValue], item)  # boto3 types it as TypedDicts
    return model_info(model).instance_from(stored, None)
