"""Version attributes (optimistic locking): which field is the version, checked at class definition.

A model marks one ``int`` field ``Annotated[int, Version()]``. Writes condition on the version the
object last saw and store the next one (see the write unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidModel
from .markers import Version

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from .models import FieldSpec


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
