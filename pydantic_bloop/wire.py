"""Validating stored items straight into model instances, in one pydantic-core call.

A model's own core schema is copied and re-pointed at the wire form: each field reads from the
path ``[attribute name, type tag]`` (``{"u": {"S": "..."}}`` -> the string pydantic parses into a
UUID), fields whose stored form needs unwrapping (lists, maps, nested models) get the codec's
``load`` as a before-validator, and attributes DynamoDB stores as absent (None, empty sets) get
that value as their default. Validators, defaults and config of the model all still apply.

The instance is made by pydantic-core, from a copy of the model's own node over the re-pointed
fields (or, where that cannot be built, assembled as pydantic does once the fields are
validated), so this serves only models whose validation is exactly their fields'. It is only a
fast path: a model it cannot serve gets None, and callers fall back to loading field by field,
which also produces the exact error when an item does not validate.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic_core import SchemaValidator

from ._pydantic_compat import (
    NO_DEFAULT,
    WireField,
    assemble,
    fields_set,
    wire_instance_validator,
    wire_validator,
)
from .types import MISSING

if TYPE_CHECKING:
    from .models import Base, FieldSpec

M = TypeVar("M", bound="Base")


class ItemReader(Generic[M]):
    """Reads stored items into instances of one model (see the module docstring)."""

    __slots__ = ("_attributes", "_count", "_model", "_to_instance", "_validator")

    def __init__(
        self,
        model: type[M],
        validator: SchemaValidator,
        attributes: dict[str, str],
        instances: SchemaValidator | None = None,
        defaults: bool = True,
    ) -> None:
        self._model = model
        self._validator = validator
        self._attributes = attributes  # field name -> stored attribute name
        # a field may take a default (its own, or the absent value of its attribute), so that
        # the fields set must be counted (see `_mistyped`); else 0: nothing to count
        self._count = len(attributes) if defaults else 0
        # stored items -> instances, when that validator could be built (bound once: `read`
        # runs once per object read)
        self._to_instance = None if instances is None else instances.validate_python

    def read(self, item: Mapping[str, Any]) -> M | None:
        """The instance ``item`` stores; None when this reader cannot tell (the general path
        decides); ``ValidationError`` when it does not validate."""
        to_instance = self._to_instance
        if to_instance is not None:
            try:
                obj: M = to_instance(item)
            except KeyError:  # a list element without the element's tag (see _wire_field)
                return None
            if self._count:
                given = fields_set(obj)
                if len(given) < self._count and self._mistyped(item, given):
                    return None
            return obj
        read = self.read_values(item)
        if read is None:
            return None
        # What pydantic's own model validator does once the fields are validated (the model
        # has no model validators, post-init or private attributes, or there is no reader).
        return assemble(self._model, *read)

    def read_values(self, item: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]] | None:
        """What the instance `read` makes would hold: its field values and the names of the
        fields given (new objects, the caller's); None and errors as `read`."""
        try:
            values, _extra, fields_set = self._validator.validate_python(item)
        except KeyError:  # a list element without the element's tag (see _wire_field)
            return None
        if len(fields_set) < self._count and self._mistyped(item, fields_set):
            return None
        return values, fields_set

    def _mistyped(self, item: Mapping[str, Any], fields_set: set[str]) -> bool:
        """Is an attribute stored with another type than the field's? Its value path
        (``[name, tag]``) then misses, and the field would silently take its default: the
        general path must convert the value or name the field."""
        return any(
            name not in fields_set and attribute in item
            for name, attribute in self._attributes.items()
        )


def item_reader(model: type[M], fields: Iterable[FieldSpec]) -> ItemReader[M] | None:
    """A reader of stored items (DynamoDB's ``{"name": {"S": ...}}``) into ``model``, or None
    when the model needs more than its fields validated (model validators, a custom
    ``__init__`` or post-init, private attributes, extra fields)."""
    specs = list(fields)
    wire_fields = [_wire_field(spec) for spec in specs]
    validator = wire_validator(model, wire_fields)
    if validator is None:
        return None
    attributes = {spec.name: spec.dynamo_name for spec in specs}
    defaults = any(
        not spec.required or wire.absent is not NO_DEFAULT or wire.default_factory is not None
        for spec, wire in zip(specs, wire_fields, strict=True)
    )
    instances = wire_instance_validator(model, wire_fields)
    return ItemReader(model, validator, attributes, instances, defaults)


def _wire_field(spec: FieldSpec) -> WireField:
    """Where the fast reader finds ``spec``'s value: the attribute's type tag when the bare
    value is what pydantic validates (``wire_tag``), else the attribute value through the
    codec's ``load``; absent attributes take the codec's absent value."""
    codec = spec.codec
    tag = codec.wire_tag
    path = [spec.dynamo_name] if tag is None else [spec.dynamo_name, tag]
    before = codec.load if tag is None else codec.wire_parse
    elements = None
    element = codec.element
    if codec.dynamo_type == "L" and element is not None and element.wire_tag is not None:
        # each element's value read by C callables: no Python call of ``load`` per list. An
        # element without the tag (NULL, another type) raises KeyError, so the general path
        # reads it: ``get`` would give None, which a nullable element takes silently and
        # ``fromisoformat`` refuses with a TypeError.
        steps = (itemgetter(element.wire_tag), element.wire_parse)
        elements = ("L", tuple(step for step in steps if step is not None))
    absent = codec.load_absent()
    if absent is MISSING:
        return WireField(spec.name, path, before, elements=elements)
    if isinstance(absent, set | frozenset):  # a fresh empty set for every instance
        factory: Callable[[], Any] = set if isinstance(absent, set) else frozenset
        return WireField(spec.name, path, before, default_factory=factory, elements=elements)
    return WireField(spec.name, path, before, absent=absent, elements=elements)
