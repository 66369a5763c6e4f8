"""Version attributes (optimistic locking).

A model marks one ``int`` field ``Annotated[int, Version()]`` (checked at class definition). The
write unit asks :func:`bump` for every save and update and :func:`check` for every delete: the
write is conditioned on the version the object last saw (for an object never saved: on no item
existing), and saves and updates store that version plus one in the same request.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .conditions import Condition, Or, PathEquals
from .errors import InvalidModel, InvalidValue
from .markers import Version
from .updates import Add, Set

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from .models import Base, FieldSpec, ModelInfo
    from .tracking import Snapshot
    from .types import AttributeValue


def version_field(
    label: str, infos: Mapping[str, FieldInfo], fields: Mapping[str, FieldSpec]
) -> FieldSpec | None:
    """The field marked ``Version()`` among ``fields`` (None: the model is not versioned);
    ``InvalidModel`` unless there is at most one, an ``int`` that is not a key."""
    marked = [n for n, fi in infos.items() if any(isinstance(m, Version) for m in fi.metadata)]
    if not marked:
        return None
    if len(marked) > 1:
        raise InvalidModel(
            f"{label} marks {' and '.join(marked)} Version(); a model has one version field"
        )
    name = marked[0]
    annotation: Any = infos[name].annotation
    if annotation is not int:
        raise InvalidModel(
            f"{label}.{name} is marked Version() but is {_show(annotation)}; "
            "a version is an int (Annotated[int, Version()] = 0)"
        )
    spec = fields[name]
    if spec.role is not None:
        raise InvalidModel(f"{label}.{name} is a {spec.role} key and cannot be the version")
    return spec


def _show(annotation: object) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


@dataclass(frozen=True, slots=True)
class Bump:
    """What a versioned write adds: its condition on the version, the action that stores the
    next version, and the version the object holds once the write is applied (None: known only
    from the response)."""

    condition: Condition | None
    action: Set | Add
    value: int | None


def bump(info: ModelInfo, obj: Base, snapshot: Snapshot | None, *, blind: bool = False) -> Bump:
    """The version guard of a write of ``obj`` that last saw ``snapshot`` (None: never saved,
    so no item may exist). ``blind``: an update by key alone, which saw no version to check
    and adds one to whatever is stored."""
    spec = info.version
    assert spec is not None and info.hash_key is not None
    path = (spec.dynamo_name,)
    if snapshot is not None and snapshot.doubt and not blind:
        # the last write's outcome is unknown: either version it may have left, and past both
        guards = [bump(info, obj, s) for s in snapshot.doubt]
        top = max(g.value or 0 for g in guards)
        either = Or(tuple(g.condition for g in guards if g.condition is not None))
        return Bump(either, _store(path, top), top)
    if snapshot is None:
        if blind:
            return Bump(None, Add(path, {"N": "1"}), None)
        current = vars(obj).get(spec.name, 0)
        return Bump(
            PathEquals((info.hash_key.dynamo_name,), None), _store(path, current + 1), current + 1
        )
    if spec.dynamo_name not in snapshot:
        raise InvalidValue(
            f"{info.label}.{spec.name} (the version) was not loaded, so no write can check it: "
            "load the object first"
        )
    seen = snapshot.get(spec.dynamo_name)  # None: an item stored before the model had versions
    old = int(seen["N"]) if seen is not None else 0
    return Bump(PathEquals(path, seen), _store(path, old + 1), old + 1)


def check(info: ModelInfo, snapshot: Snapshot | None) -> Condition:
    """A delete's condition: the stored version is the one last seen (never saved: no item)."""
    assert info.version is not None and info.hash_key is not None
    if snapshot is not None and snapshot.doubt:
        return Or(tuple(check(info, s) for s in snapshot.doubt))
    if snapshot is None:
        return PathEquals((info.hash_key.dynamo_name,), None)
    name = info.version.dynamo_name
    if name not in snapshot:
        raise InvalidValue(
            f"{info.label}.{info.version.name} (the version) was not loaded, so no write can "
            "check it: load the object first"
        )
    return PathEquals((name,), snapshot.get(name))


def stored_version(info: ModelInfo, item: Mapping[str, AttributeValue] | None) -> int | None:
    """The version in a stored ``item`` (None: no item, or one stored without a version)."""
    assert info.version is not None
    value = (item or {}).get(info.version.dynamo_name)
    return None if value is None or "N" not in value else int(value["N"])


def _store(path: tuple[str], value: int) -> Set:
    return Set(path, {"N": str(value)})
