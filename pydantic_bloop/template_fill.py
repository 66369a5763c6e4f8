"""Keeping templated fields filled: on validation, on assignment, and from a stored key.

``install`` runs at class definition for a class that declares a ``Template``: it adds a
before-validator (fields missing from a loaded item are parsed back from its key), an
after-validator (the templated field is the template filled with the validated fields) and an
``__setattr__`` that refills it when one of its fields is assigned.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationInfo, model_validator

from .errors import InvalidValue
from .templates import KeyTemplate, Template

if TYPE_CHECKING:
    from .models import Base, FieldSpec, ModelInfo


def declares_template(namespace: dict[str, Any]) -> bool:
    return any(isinstance(v, Template) for v in namespace.values())


def add_validators(namespace: dict[str, Any]) -> None:
    """Before pydantic builds the class: the two validators (inherited by subclasses)."""
    namespace["__bloop_parse_keys__"] = model_validator(mode="before")(
        _parse_keys
    )  # cls: a classmethod
    namespace["__bloop_fill_keys__"] = model_validator(mode="after")(_fill_keys)


def install_setattr(cls: type[Base]) -> None:
    """After: assigning a field of a template refills the templated field."""

    def __setattr__(self: Base, name: str, value: Any) -> None:
        dependent = [t for t in _templates(type(self)) if name in t.fields]
        values = vars(self)
        filled: dict[str, str | None] = {}
        for t in dependent:
            if all(f in values or f == name for f in t.fields):
                filled[t.key] = _render(type(self), t, {**values, name: value})
        super(cls, self).__setattr__(name, value)
        vars(self).update(filled)  # validate_assignment may have replaced __dict__

    type.__setattr__(cls, "__setattr__", __setattr__)


def _templates(model: type[Base]) -> tuple[KeyTemplate, ...]:
    from .mapper_state import model_info

    return tuple(model_info(model).templates.values())


def _parse_keys(cls: type[Base], data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    given: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType] - user input
    for t in _templates(cls):
        parsed = _parsed(t, given, given)
        if parsed is not None:
            given = {**parsed, **given}
    return given


def _parsed(
    t: KeyTemplate, values: Mapping[str, Any], have: Container[str]
) -> dict[str, Any] | None:
    """The fields ``t``'s key in ``values`` was made of, when some are not in ``have`` (None:
    no key to read, or nothing missing); a ValueError naming the key when it does not parse."""
    key = values.get(t.key)
    if type(key) is not str or all(f in have for f in t.fields):
        return None
    try:
        return t.parse(key)
    except ValueError as exc:
        raise ValueError(f"{t.key}: {exc}") from None


def _fill_keys(self: Base, info: ValidationInfo) -> Base:
    if info.field_name is not None:
        return self  # assigning one field (__setattr__ refills) or loading a partial object
    values = vars(self)
    for t in _templates(type(self)):
        if not all(f in values for f in t.fields):
            continue  # a partial object: what it was loaded with stays
        made = _render(type(self), t, values)
        given = values.get(t.key)
        if type(given) is str and given != made:
            raise ValueError(
                f"{t.key}={given!r} is not what its key template {t.text!r} makes of the "
                f"fields ({made!r}); leave {t.key} out"
            )
        values[t.key] = made
    return self


def _render(model: type[Base], t: KeyTemplate, values: dict[str, Any]) -> str | None:
    if any(values[f] is None for f in t.fields):
        return None  # an optional field unset: no key (a sparse index leaves the item out)
    try:
        return t.render(values)
    except ValueError as exc:
        raise InvalidValue(f"{model.__name__}.{t.key}: {exc}") from None


def with_parsed_fields(
    info: ModelInfo, values: dict[str, Any], fields: tuple[FieldSpec, ...]
) -> tuple[FieldSpec, ...]:
    """``fields`` plus those parsed from a templated key in ``values`` (a partial object, e.g.
    from a keys-only projection); their values are added to ``values``."""
    names = {f.name for f in fields}
    for t in info.templates.values():
        try:
            parsed = _parsed(t, values, names)
        except ValueError as exc:
            raise InvalidValue(f"{info.label}.{exc}") from None
        if parsed is None:
            continue
        for name, value in parsed.items():
            if name not in names:
                values[name] = value
                names.add(name)
    return tuple(s for n, s in info.fields.items() if n in names)


def key_held(info: ModelInfo) -> set[str]:
    """The fields a key-only object holds: its keys, and the fields its templated keys are
    made from."""
    names = {k.name for k in info.keys}
    for k in info.keys:
        t = info.templates.get(k.name)
        if t is not None:
            names.update(t.fields)
    return names
