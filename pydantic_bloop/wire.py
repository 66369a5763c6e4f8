"""Validating stored items straight into model instances, in one pydantic-core call.

A model's own core schema is copied and re-pointed at the wire form: each field reads from the
path ``[attribute name, type tag]`` (``{"u": {"S": "..."}}`` -> the string pydantic parses into a
UUID), fields whose stored form needs unwrapping (lists, maps, nested models) get the codec's
``load`` as a before-validator, and attributes DynamoDB stores as absent (None, empty sets) get
that value as their default. Validators, defaults and config of the model all still apply.

The model node itself is not reused (pydantic-core would substitute the model's prebuilt
validator for it): the fields are validated and the instance is assembled as pydantic does, so
this serves only models whose validation is exactly their fields'. It is only a fast path: a
model it cannot serve gets None, and callers fall back to loading field by field, which also
produces the exact error when an item does not validate.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from pydantic_core import SchemaValidator, core_schema

from .types import MISSING

if TYPE_CHECKING:
    from .models import Base, FieldSpec


class ItemReader:
    """Reads stored items into instances of one model (see the module docstring)."""

    __slots__ = ("_model", "_validator")

    def __init__(self, model: type[Base], validator: SchemaValidator) -> None:
        self._model = model
        self._validator = validator

    def read(self, item: Mapping[str, Any]) -> Base:
        """The instance ``item`` stores; ``ValidationError`` when it does not validate."""
        values, _extra, fields_set = self._validator.validate_python(item)
        # What pydantic's own model validator does once the fields are validated (the model
        # has no model validators, post-init or private attributes, or there is no reader).
        obj = self._model.__new__(self._model)
        _setattr(obj, "__dict__", values)
        _setattr(obj, "__pydantic_fields_set__", fields_set)
        _setattr(obj, "__pydantic_extra__", None)
        _setattr(obj, "__pydantic_private__", None)
        return obj


_setattr = object.__setattr__


def item_reader(model: type[Base], fields: Iterable[FieldSpec]) -> ItemReader | None:
    """A reader of stored items (DynamoDB's ``{"name": {"S": ...}}``) into ``model``, or None
    when the model needs more than its fields validated (model validators, a custom
    ``__init__`` or post-init, private attributes, extra fields)."""
    if (
        model.model_config.get("extra") not in (None, "ignore")
        or model.__pydantic_decorators__.model_validators
        or model.__pydantic_post_init__ is not None
        or model.__private_attributes__
    ):
        return None
    found = _model_node(model.__pydantic_core_schema__, model)
    if found is None:
        return None
    node, definitions = found
    if node.get("custom_init") or node.get("root_model"):
        return None
    try:
        fields_node: Any = copy.deepcopy(node["schema"])
    except Exception:  # a schema holding something uncopyable: keep the general path
        return None
    if fields_node.get("type") != "model-fields":
        return None
    fields_node["extra_behavior"] = "ignore"
    for spec in fields:
        field = fields_node["fields"].get(spec.name)
        if field is None:
            return None
        inner = field["schema"]
        tag = spec.codec.wire_tag
        if tag is None:
            inner = core_schema.no_info_before_validator_function(spec.codec.load, inner)
            field["validation_alias"] = [spec.dynamo_name]
        else:
            field["validation_alias"] = [spec.dynamo_name, tag]
        absent = spec.codec.load_absent()
        if absent is not MISSING:
            if isinstance(absent, set | frozenset):  # a fresh empty set for every instance
                factory: Callable[[], Any] = set if isinstance(absent, set) else frozenset
                inner = core_schema.with_default_schema(inner, default_factory=factory)
            else:
                inner = core_schema.with_default_schema(inner, default=absent)
        field["schema"] = inner
    schema: Any = fields_node
    if definitions:
        schema = core_schema.definitions_schema(fields_node, definitions)
    config: Any = {
        **node.get("config", {}),
        "extra_fields_behavior": "ignore",
        "validate_by_alias": True,
        "validate_by_name": False,
    }
    try:
        return ItemReader(model, SchemaValidator(schema, config))
    except Exception:  # pydantic-core refused the edited schema: keep the general path
        return None


def _model_node(schema: Any, model: type[Base]) -> tuple[dict[str, Any], list[Any]] | None:
    """The ``model`` node of ``model`` itself (below any validator or definitions wrappers),
    and the definitions it may refer to."""
    definitions: list[Any] = []
    node: Any = schema
    while isinstance(node, dict):
        found: dict[str, Any] = cast(dict[str, Any], node)
        if found.get("type") == "model" and found.get("cls") is model:
            return found, definitions
        definitions.extend(found.get("definitions", ()))
        node = found.get("schema")
    return None
