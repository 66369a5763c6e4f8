"""Serialising a partial object (internal module).

An object read through a projection, ``select()``, ``key_only`` or a keys-only index lacks its
other fields. Dumping it whole would give a document that violates the model's own schema
(required fields missing), so ``model_dump`` and ``model_dump_json`` refuse with
``UnloadedField`` naming the model and the fields. The caller may ask for exactly what the
object holds: ``exclude_unset=True``, or ``include=`` / ``exclude=`` that leave every unloaded
field out.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .errors import UnloadedField

if TYPE_CHECKING:
    from pydantic import BaseModel


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
        label = type(obj).__name__
        names = ", ".join(f"{label}.{name}" for name in unloaded if name in left)
        raise UnloadedField(
            f"{names} not loaded: a dump of this partial object (from a projection, select() "
            "or key_only) would lack them; engine.load(obj) fetches the whole item, or dump "
            "only what it holds: model_dump(exclude_unset=True), or include= its loaded fields"
        )


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
