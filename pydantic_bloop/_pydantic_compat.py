"""Every use of pydantic's private or semi-private API, in one place (internal module).

pydantic_bloop relies on a few things pydantic does not promise to keep: the metaclass, the
per-instance ``__pydantic_fields_set__``, the compiled validator, the model's core schema (which
the fast reader in ``wire.py`` copies and re-points at DynamoDB's wire form) and the class-build
flags. Each is reached only through a function here, each function has a test in
tests/test_pydantic_compat.py, and `./dev test` runs the suite on the oldest pydantic that
pyproject.toml allows and on the newest: a pydantic release that moves one of them breaks one
function here and the test that names it.

The floor is pydantic 2.11: ``model_validate(..., by_name=True)`` and the ``validate_by_name``
/ ``validate_by_alias`` settings (which the loaders rely on to read fields by name whatever
their aliases) appear in 2.11.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import operator
import threading
from collections.abc import Callable, Generator, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar, cast

import pydantic
from pydantic import BaseModel, ValidationInfo
from pydantic._internal._model_construction import ModelMetaclass, NoInitField
from pydantic_core import SchemaValidator, core_schema

__all__ = [
    "NO_DEFAULT",
    "WHOLE_CHECK",
    "ModelMetaclass",
    "NoInitField",
    "WireField",
    "assemble",
    "class_fields_complete",
    "fields_set",
    "is_assignment",
    "mark_assignments",
    "model_complete",
    "own_field_names",
    "plain_fields_model",
    "refuse_validation",
    "replace_fields_set",
    "unloaded",
    "validate_field",
    "wire_instance_validator",
    "wire_validator",
]

_setattr = object.__setattr__
B = TypeVar("B", bound=BaseModel)


# ------------------------------------------------------------------------------------------
# Classes


def model_complete(model: type[BaseModel]) -> bool:
    """Has pydantic finished building ``model`` (validator and schema ready)?"""
    return bool(model.__pydantic_complete__)


def class_fields_complete(cls: type[BaseModel]) -> bool:
    """Are the field annotations of ``cls`` resolved (no forward reference left)?

    pydantic >= 2.10 says so apart from the validator (``__pydantic_fields_complete__``); older
    releases only have ``__pydantic_complete__``.
    """
    complete = getattr(cls, "__pydantic_fields_complete__", None)
    if complete is None:
        complete = cls.__pydantic_complete__
    return bool(complete)


class _Refusing:
    """Stands in for the validator of a class that must make no objects: every use raises."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def __getattr__(self, name: str) -> Any:
        raise type(self._error)(*self._error.args)


def refuse_validation(cls: type[BaseModel], error: Exception) -> None:
    """Make every instantiation and validation of ``cls`` raise a copy of ``error`` (pydantic
    calls ``__pydantic_validator__`` for each)."""
    type.__setattr__(cls, "__pydantic_validator__", _Refusing(error))


def own_field_names(cls: type[Any]) -> Mapping[str, object]:
    """The fields pydantic collected for ``cls`` itself, read from the class ``__dict__`` (no
    attribute lookup, so that it is safe inside a metaclass ``__getattr__``)."""
    fields: Mapping[str, object] | None = cls.__dict__.get("__pydantic_fields__")
    return fields or {}


# ------------------------------------------------------------------------------------------
# Instances


WHOLE_CHECK = "__bloop_whole__"
"""The name of the after-validator every model gets (``partial_dumps``): it only refuses a
partial object validated as a whole, so the fast reader may ignore it."""


def is_assignment(info: ValidationInfo) -> bool:
    """Is an after-validator of a model running for ``validate_assignment`` of one field (the
    object may be partial there), rather than for validating a whole object? From pydantic 2.12
    an assignment names the field and has no data of a parent; validating the model as a field
    of another model names that field too, but with the parent's data. pydantic 2.11 names no
    field in an assignment: there the assignments the library makes (``validate_field``) and
    those of a ``validate_assignment`` model (``mark_assignments``) say so themselves."""
    if cast(object, info.data) is not None:  # typed as a dict, but None outside a parent
        return False
    if _NAMES_ASSIGNED_FIELD:
        return info.field_name is not None
    return _ASSIGNING.get()


_NAMES_ASSIGNED_FIELD = tuple(int(part) for part in pydantic.VERSION.split(".")[:2]) >= (2, 12)
_ASSIGNING: ContextVar[bool] = ContextVar("pydantic_bloop_assigning", default=False)


def mark_assignments(cls: type[BaseModel]) -> None:
    """On pydantic 2.11, make the assignments of a ``validate_assignment=True`` model tell
    ``is_assignment`` that they are one (nothing to do on 2.12 and newer, nor for a model whose
    assignments are never validated)."""
    if _NAMES_ASSIGNED_FIELD or not cls.model_config.get("validate_assignment"):
        return
    inner = cls.__setattr__

    def __setattr__(self: BaseModel, name: str, value: Any) -> None:
        with _assigning():
            inner(self, name, value)

    type.__setattr__(cls, "__setattr__", __setattr__)


@contextlib.contextmanager
def _assigning() -> Generator[None]:
    token = _ASSIGNING.set(True)
    try:
        yield
    finally:
        _ASSIGNING.reset(token)


#: The live set of field names an object was given (``model_fields_set`` is the same set); a
#: C-level getter, no Python call: it runs once per loaded object.
fields_set: Callable[[BaseModel], set[str]] = operator.attrgetter("__pydantic_fields_set__")


def replace_fields_set(obj: BaseModel, names: set[str]) -> None:
    """Make ``names`` the fields ``obj`` was given."""
    live = obj.__pydantic_fields_set__
    live.clear()
    live.update(names)


def unloaded(model: type[B]) -> B:
    """An instance of ``model`` holding no field at all, not even defaults (its private
    attributes have theirs): what a partial object starts from."""
    obj = model.model_construct()
    vars(obj).clear()
    replace_fields_set(obj, set())
    return obj


def validate_field(model: type[BaseModel], obj: BaseModel, name: str, value: Any) -> None:
    """Validate ``value`` as field ``name`` of ``model`` and store it on ``obj`` (what
    ``validate_assignment=True`` does), whatever the model's config says."""
    if _NAMES_ASSIGNED_FIELD:
        model.__pydantic_validator__.validate_assignment(obj, name, value)
        return
    with _assigning():
        model.__pydantic_validator__.validate_assignment(obj, name, value)


def assemble(model: type[B], values: dict[str, Any], given: set[str]) -> B:
    """An instance of ``model`` holding already-validated ``values``: what pydantic's model
    validator does once the fields are validated, for a model with no extra fields and no
    private attributes."""
    obj = model.__new__(model)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_fields_set__", given)
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


# ------------------------------------------------------------------------------------------
# Core-schema surgery (the fast reader)


NO_DEFAULT: Any = object()
"""``WireField.absent`` of a field that has no value when its attribute is absent."""


@dataclasses.dataclass(frozen=True, slots=True)
class WireField:
    """How the fast reader reads one field: from ``path`` in the stored item, through
    ``before`` (a codec's load) when set; when the path is missing, ``default_factory()`` (a
    fresh empty set each time) or ``absent``.

    ``elements``, for a list: its tag and what each element goes through before the element's
    own schema (outermost first), used when the field's schema is a plain list: the list is
    then read from ``[*path, tag]`` with no ``before``, and no Python call per value."""

    name: str
    path: list[str]
    before: Callable[[Any], Any] | None = None
    absent: object = NO_DEFAULT
    default_factory: Callable[[], Any] | None = None
    elements: tuple[str, tuple[Callable[[Any], Any], ...]] | None = None


def plain_fields_model(model: type[BaseModel]) -> bool:
    """Is validating ``model`` exactly validating its fields? (No model validators but the
    whole-object check, no post-init, private attributes or stored extra fields, which the fast
    reader would skip.)"""
    validators = model.__pydantic_decorators__.model_validators
    return not (
        model.model_config.get("extra") not in (None, "ignore")
        or any(name != WHOLE_CHECK for name in validators)
        or model.__pydantic_post_init__ is not None
        or model.__private_attributes__
    )


def wire_validator(model: type[BaseModel], fields: list[WireField]) -> SchemaValidator | None:
    """A validator of stored items into ``(values, extra, fields_set)`` for ``model``, built from
    a copy of the model's own core schema with each field re-pointed as ``fields`` say; None
    when the model's schema is not one this can edit safely."""
    return _wire(model, fields, instances=False)


def wire_instance_validator(
    model: type[BaseModel], fields: list[WireField]
) -> SchemaValidator | None:
    """Like `wire_validator`, validating stored items into instances of ``model``: its own
    ``model`` node over the re-pointed fields, so that pydantic-core makes the instance as the
    model's own validator does (faster than `assemble`). pydantic-core takes a complete model's
    own validator for a ``model`` node naming it (its "prebuilt" lookup, which reads
    ``__pydantic_complete__`` in the class's ``__dict__``): the flag is hidden while this one is
    built, and a validator that still came out prebuilt is refused (None)."""
    return _wire(model, fields, instances=True)


def _wire(
    model: type[BaseModel], fields: list[WireField], *, instances: bool
) -> SchemaValidator | None:
    if not plain_fields_model(model):
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
    for wire in fields:
        field = fields_node["fields"].get(wire.name)
        if field is None:
            return None
        inner: Any = field["schema"]
        path = wire.path
        if wire.elements is not None and inner.get("type") == "list":
            tag, steps = wire.elements
            items = inner.get("items_schema", core_schema.any_schema())
            for step in reversed(steps):
                items = core_schema.no_info_before_validator_function(step, items)
            inner = {**inner, "items_schema": items}
            path = [*path, tag]
        elif wire.before is not None:
            inner = core_schema.no_info_before_validator_function(wire.before, inner)
        field["validation_alias"] = path
        if wire.default_factory is not None:
            inner = core_schema.with_default_schema(inner, default_factory=wire.default_factory)
        elif wire.absent is not NO_DEFAULT:
            inner = core_schema.with_default_schema(inner, default=wire.absent)
        field["schema"] = inner
    config: Any = {
        **node.get("config", {}),
        "extra_fields_behavior": "ignore",
        "validate_by_alias": True,
        "validate_by_name": False,
    }
    schema: Any = fields_node
    if instances:  # the model's node, without its ``ref`` (which names the model's own schema)
        schema = {k: v for k, v in node.items() if k not in ("ref", "schema", "config")}
        schema.update(schema=fields_node, config=config)
    if definitions:
        schema = core_schema.definitions_schema(schema, definitions)
    try:
        if not instances:
            return SchemaValidator(schema, config)
        with _BUILDING, _own_validator_hidden(model):
            validator = SchemaValidator(schema, config)
    except Exception:  # pydantic-core refused the edited schema: keep the general path
        return None
    built = repr(validator).split("validator=", 1)[-1]
    return validator if built.startswith("Model(") else None


_BUILDING = threading.Lock()


@contextlib.contextmanager
def _own_validator_hidden(model: type[BaseModel]) -> Generator[None]:
    """``model`` looks incomplete to pydantic-core's prebuilt lookup meanwhile."""
    flag = "__pydantic_complete__"
    if not model.__dict__.get(flag):
        yield
        return
    type.__setattr__(model, flag, False)
    try:
        yield
    finally:
        type.__setattr__(model, flag, True)


def _model_node(schema: Any, model: type[BaseModel]) -> tuple[dict[str, Any], list[Any]] | None:
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
