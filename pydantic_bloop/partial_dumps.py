"""Serialising a partial object (internal module).

An object read through a projection, ``select()``, ``key_only`` or a keys-only index lacks its
other fields. Dumping it whole would give a document that violates the model's own schema
(required fields missing), so ``model_dump`` and ``model_dump_json`` refuse with
``UnloadedField`` naming the model and the fields. The caller may ask for exactly what the
object holds: ``exclude_unset=True``, or ``include=`` / ``exclude=`` that leave every unloaded
field out.

Serialisers that bypass ``model_dump`` (pydantic-core's, which FastAPI's ``response_model=``
uses) first validate the object as the response type; an object passes such a validation as
itself, so every model gets an after-validator (`add_whole_check`) that refuses a partial
object validated as a whole. Assigning a field of a partial object stays allowed.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from pydantic import BaseModel, ValidationInfo, model_validator

from ._pydantic_compat import WHOLE_CHECK, is_assignment
from .errors import UnloadedField


def check_dump(obj: BaseModel, options: Mapping[str, Any]) -> None:
    """Raise ``UnloadedField`` when a dump of ``obj`` with these ``model_dump`` options would
    cover a field that was never loaded. Called only for an object missing some field."""
    held = vars(obj)
    unloaded = [name for name in type(obj).model_fields if name not in held]
    if not unloaded or options.get("exclude_unset"):
        return  # exclude_unset dumps what the object was given: loaded or assigned fields
    left = set(unloaded) - _excluded(options.get("exclude"))
    include = options.get("include")
    if include is not None:
        left &= set(include)
    if left:
        names = _labels(type(obj), [name for name in unloaded if name in left])
        raise UnloadedField(
            f"{names} not loaded: a dump of this partial object (from a projection, select() "
            "or key_only) would lack them; engine.load(obj) fetches the whole item, or dump "
            "only what it holds: model_dump(exclude_unset=True), or include= its loaded fields"
        )


def add_whole_check(namespace: dict[str, Any]) -> Callable[[type[BaseModel]], None]:
    """Before pydantic builds a model class: the after-validator that refuses a partial object
    validated as a whole instance of it. Returns what to call with the class once built (the
    check compares with that class's fields: a subclass's object validated as its base class
    only needs the base's fields)."""
    made: list[type[BaseModel]] = []

    def check(obj: BaseModel, info: ValidationInfo) -> BaseModel:
        if len(obj.__dict__) < len(type(obj).__pydantic_fields__) and not is_assignment(info):
            model = made[0] if made else type(obj)
            unloaded = [name for name in model.__pydantic_fields__ if name not in obj.__dict__]
            if unloaded:
                raise UnloadedField(
                    f"{_labels(model, unloaded)} not loaded: this partial object (from a "
                    "projection, select() or key_only) cannot stand for a whole "
                    f"{model.__name__} (a FastAPI response_model={model.__name__} would send "
                    "a document without them); engine.load(obj) fetches the whole item, or "
                    "answer with a model of the loaded fields"
                )
        return obj

    namespace[WHOLE_CHECK] = model_validator(mode="after")(check)
    return made.append


def _labels(model: type[BaseModel], names: Iterable[str]) -> str:
    return ", ".join(f"{model.__name__}.{name}" for name in names)


def _excluded(exclude: object) -> set[str]:
    """The top-level fields ``exclude`` leaves out entirely (a set, or a dict whose value is
    True or ...; a nested dict leaves part of the field in)."""
    if isinstance(exclude, Mapping):
        entries = cast("Mapping[object, object]", exclude)
        return {str(k) for k, v in entries.items() if v is True or v is ...}
    if isinstance(exclude, set | frozenset | list | tuple):
        names = cast("Iterable[object]", exclude)
        return {str(name) for name in names}
    return set()
