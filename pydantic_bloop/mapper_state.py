"""Where pydantic_bloop keeps its state on model classes and instances: the one owner of it.

A model class carries its `ModelInfo` in its own ``__dict__`` (never inherited: a subclass has
its own), or, while one of its annotations waits for a forward reference, the function that
completes it on first use. An instance carries its `Snapshot` (what it last saw of its stored
item) in slots of `Base`. Every other module reaches them through these functions, as
SQLAlchemy's ``manager_of_class`` / ``instance_state`` do, never by attribute name.

Internal: a leaf module (it imports nothing of the package but `errors`), so that any module may
import it at import time without a cycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from .errors import InvalidModel

if TYPE_CHECKING:
    from .models import Base, ModelInfo
    from .tracking import Snapshot

M = TypeVar("M", bound="Base")

INFO_ATTRIBUTE = "__bloop__"
SNAPSHOT_SLOT = "__bloop_snapshot__"  # Base.__slots__: the Snapshot, or a read's item
KEPT_SLOT = "__bloop_kept__"  # Base.__slots__: a read's kept values (see remember_read)
SLOTS = (SNAPSHOT_SLOT, KEPT_SLOT)
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


def seen_by(obj: Base) -> Snapshot | dict[str, Any] | None:
    """What ``obj`` carries of what it last saw: its `Snapshot`, or a whole read's stored item
    (see `remember_read`); None for an object never loaded or saved."""
    try:
        seen: Snapshot | dict[str, Any] | None = object.__getattribute__(obj, SNAPSHOT_SLOT)
    except AttributeError:
        return None
    return seen


def read_by(obj: Base) -> tuple[dict[str, Any], tuple[Any, ...]] | None:
    """The stored item and kept values ``obj`` holds as read whole (see `remember_read`);
    None: it holds a `Snapshot` or nothing."""
    try:
        seen = _get_seen(obj)
    except AttributeError:
        return None
    if type(seen) is not dict:
        return None
    item = cast("dict[str, Any]", seen)
    kept: tuple[Any, ...] = _get_kept(obj)
    return item, kept


def kept_by(obj: Base) -> tuple[Any, ...]:
    """The values of the immutable fields of ``obj`` when it was read (with `remember_read`)."""
    kept: tuple[Any, ...] = object.__getattribute__(obj, KEPT_SLOT)
    return kept


def remember(obj: Base, snapshot: Snapshot | None) -> None:
    """Make ``snapshot`` what ``obj`` last saw of its stored item."""
    _set_seen(obj, snapshot)
    _set_kept(obj, None)


def remember_read(obj: Base, item: dict[str, Any], kept: tuple[Any, ...]) -> None:
    """``obj`` was just read whole from ``item``; ``kept``: the values of its immutable fields.

    Only the item and those values are kept, in two slots: a `Snapshot` per read would be one
    more container per loaded object for every full collection to walk (``kept`` holds scalars:
    the collector stops tracking it), and its construction a Python call. `tracking.snapshot_of`
    makes the snapshot when one is asked for."""
    _set_seen(obj, item)
    _set_kept(obj, kept)


def _slot_setter(name: str) -> Callable[[Base, Any], None]:
    return lambda obj, value: object.__setattr__(obj, name, value)


# The slots' own descriptors, once `slot_defined` runs (at import: before any instance exists),
# set them with no lookup by name: about 4x faster than object.__setattr__.
_set_seen = _slot_setter(SNAPSHOT_SLOT)
_set_kept = _slot_setter(KEPT_SLOT)


def _slot_getter(name: str) -> Callable[[Base], Any]:
    return lambda obj: object.__getattribute__(obj, name)


_get_seen = _slot_getter(SNAPSHOT_SLOT)  # and read through them (`read_by`)
_get_kept = _slot_getter(KEPT_SLOT)


def slot_defined(base: type[Base]) -> None:
    """``base``, the class that names the slots in its ``__slots__``, exists."""
    global _set_seen, _set_kept, _get_seen, _get_kept
    _set_seen = vars(base)[SNAPSHOT_SLOT].__set__
    _set_kept = vars(base)[KEPT_SLOT].__set__
    _get_seen = vars(base)[SNAPSHOT_SLOT].__get__
    _get_kept = vars(base)[KEPT_SLOT].__get__


def carry_snapshot(source: Base, twin: Base) -> None:
    """A copy of ``source`` saw what it saw (a snapshot is never mutated: both may share it)."""
    for slot in SLOTS:
        with contextlib.suppress(AttributeError):  # never loaded nor saved
            object.__setattr__(twin, slot, object.__getattribute__(source, slot))


def pickle_snapshot(obj: Base, state: dict[Any, Any]) -> None:
    """Put what ``obj`` last saw into its pickled ``state`` (pydantic's leaves slots out)."""
    for slot in SLOTS:
        with contextlib.suppress(AttributeError):  # never loaded nor saved
            state[slot] = object.__getattribute__(obj, slot)


def unpickle_snapshot(obj: Base, state: dict[Any, Any]) -> None:
    """Restore what an unpickled ``obj`` last saw, if its ``state`` has it."""
    for slot in SLOTS:
        if slot in state:
            object.__setattr__(obj, slot, state[slot])
