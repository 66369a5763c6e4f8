"""Where pydantic_bloop keeps its state on model classes and instances: the one owner of it.

A model class carries its `ModelInfo` in its own ``__dict__`` (never inherited: a subclass has
its own), or, while one of its annotations waits for a forward reference, the function that
completes it on first use. An instance carries its `Snapshot` (what it last saw of its stored
item) in a slot of `Base`. Every other module reaches them through these functions, as
SQLAlchemy's ``manager_of_class`` / ``instance_state`` do, never by attribute name.

Internal: a leaf module (it imports nothing of the package but `errors`), so that any module may
import it at import time without a cycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .errors import InvalidModel

if TYPE_CHECKING:
    from .models import Base, ModelInfo
    from .tracking import Snapshot

M = TypeVar("M", bound="Base")

INFO_ATTRIBUTE = "__bloop__"
SNAPSHOT_SLOT = "__bloop_snapshot__"  # named in Base.__slots__
_DEFERRED_ATTRIBUTE = "__bloop_deferred__"


class Completer(Protocol):
    """Builds the metadata of a class that waited for a forward reference."""

    def __call__(self, cls: type[M], /) -> ModelInfo[M]: ...


# -- classes -------------------------------------------------------------------------------------


def attach_info(cls: type[M], info: ModelInfo[M]) -> None:
    """Make ``info`` the metadata of ``cls``."""
    type.__setattr__(cls, INFO_ATTRIBUTE, info)


def defer_info(cls: type[Base], complete: Completer) -> None:
    """``cls`` names a type not defined yet: ``complete(cls)`` builds its metadata on first use."""
    type.__setattr__(cls, _DEFERRED_ATTRIBUTE, complete)


def own_info(cls: type[M]) -> ModelInfo[M] | None:
    """The metadata built for ``cls`` itself so far (None: not a model, or not built yet)."""
    info: ModelInfo[M] | None = vars(cls).get(INFO_ATTRIBUTE)
    return info


def is_deferred(cls: type[Any]) -> bool:
    """Whether the metadata of ``cls`` waits for a forward reference."""
    return _DEFERRED_ATTRIBUTE in vars(cls)


def find_info(cls: type[M]) -> ModelInfo[M] | None:
    """The metadata of ``cls``, completing it if it waited for a forward reference; None for a
    class that is no model (or a model still being built)."""
    namespace: Mapping[str, Any] = getattr(cls, "__dict__", {})
    info: ModelInfo[M] | None = namespace.get(INFO_ATTRIBUTE)  # attach_info put cls's own
    if info is None:
        complete: Completer | None = namespace.get(_DEFERRED_ATTRIBUTE)
        if complete is not None:
            return complete(cls)
    return info


def model_info(model: type[M]) -> ModelInfo[M]:
    """The metadata of a model class."""
    info = find_info(model)
    if info is None:
        raise InvalidModel(f"{model!r} is not a pydantic_bloop model (subclass Base)")
    return info


# -- instances -----------------------------------------------------------------------------------


def snapshot_of(obj: Base) -> Snapshot | None:
    """The snapshot of ``obj``; None for an object never loaded or saved."""
    try:
        snapshot: Snapshot | None = object.__getattribute__(obj, SNAPSHOT_SLOT)
    except AttributeError:
        return None
    return snapshot


def remember(obj: Base, snapshot: Snapshot | None) -> None:
    """Make ``snapshot`` what ``obj`` last saw of its stored item."""
    object.__setattr__(obj, SNAPSHOT_SLOT, snapshot)


def carry_snapshot(source: Base, twin: Base) -> None:
    """A copy of ``source`` saw what it saw (a snapshot is never mutated: both may share it)."""
    with contextlib.suppress(AttributeError):  # never loaded nor saved
        object.__setattr__(twin, SNAPSHOT_SLOT, object.__getattribute__(source, SNAPSHOT_SLOT))


def pickle_snapshot(obj: Base, state: dict[Any, Any]) -> None:
    """Put what ``obj`` last saw into its pickled ``state`` (pydantic's leaves slots out)."""
    with contextlib.suppress(AttributeError):  # never loaded nor saved
        state[SNAPSHOT_SLOT] = object.__getattribute__(obj, SNAPSHOT_SLOT)


def unpickle_snapshot(obj: Base, state: dict[Any, Any]) -> None:
    """Restore what an unpickled ``obj`` last saw, if its ``state`` has it."""
    if SNAPSHOT_SLOT in state:
        object.__setattr__(obj, SNAPSHOT_SLOT, state[SNAPSHOT_SLOT])
