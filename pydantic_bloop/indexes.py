"""Secondary index declarations (``GlobalIndex``, ``LocalIndex``) and their per-model view.

A declaration lives on the class as a ``ClassVar``; reading it from a model class gives an
:class:`Index` bound to that model, which is what ``engine.query(Post.by_user)`` takes and why the
query is typed ``Query[Post]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

if TYPE_CHECKING:
    from .models import Base, FieldSpec

M = TypeVar("M", bound="Base")

Projection = Literal["all", "keys"] | Sequence[str]


class IndexDeclaration:
    kind: Literal["global", "local"]

    def __init__(
        self,
        *,
        hash_key: str | None,
        range_key: str | None,
        projection: Projection,
        read_units: int | None = None,
        write_units: int | None = None,
    ) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        # any other str is kept as given, for the model to reject (not split into letters)
        self.projection: str | tuple[str, ...] = (
            projection if isinstance(projection, str) else tuple(projection)
        )
        self.read_units = read_units
        self.write_units = write_units
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, hash_key={self.hash_key!r}, "
            f"range_key={self.range_key!r}, projection={self.projection!r})"
        )

    @overload
    def __get__(self, obj: None, owner: type[M]) -> Index[M]: ...
    @overload
    def __get__(self, obj: M, owner: type[M]) -> Index[M]: ...
    def __get__(self, obj: object, owner: type[Any]) -> Any:
        info = owner.__dict__.get("__bloop__")
        if info is None and owner.__dict__.get("__bloop_deferred__"):
            from .models import model_info  # a cycle at import time

            info = model_info(owner)  # the model waited for a forward reference
        if info is None or self.name not in info.bound_indexes:
            # the class is still being built, or has no table (a mixin): the declaration itself
            return self
        return info.bound_indexes[self.name]


class GlobalIndex(IndexDeclaration):
    """A global secondary index: its own hash key (and optional range key) over the table.

    ``projection`` is ``"all"``, ``"keys"`` (the default) or a list of field names to include.
    ``read_units`` / ``write_units`` apply when the table's billing is provisioned.
    """

    kind = "global"

    def __init__(
        self,
        *,
        hash_key: str,
        range_key: str | None = None,
        projection: Projection = "keys",
        read_units: int | None = None,
        write_units: int | None = None,
    ) -> None:
        super().__init__(
            hash_key=hash_key,
            range_key=range_key,
            projection=projection,
            read_units=read_units,
            write_units=write_units,
        )


class LocalIndex(IndexDeclaration):
    """A local secondary index: the table's hash key with another range key."""

    kind = "local"

    def __init__(self, *, range_key: str, projection: Projection = "keys") -> None:
        super().__init__(hash_key=None, range_key=range_key, projection=projection)


@dataclass(frozen=True, slots=True, eq=False)
class IndexSpec:
    """An index resolved against its model's fields at class definition."""

    name: str
    kind: Literal["global", "local"]
    hash_key: FieldSpec
    range_key: FieldSpec | None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"]
    include: tuple[FieldSpec, ...]  # non-key fields named by an INCLUDE projection
    projected: frozenset[str]  # Python names of every field the index returns
    read_units: int | None
    write_units: int | None


@dataclass(frozen=True, slots=True, eq=False)
class Index(Generic[M]):
    """An index of a model class, ``Post.by_user``: what ``engine.query`` / ``scan`` take."""

    model: type[M]
    spec: IndexSpec

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"<Index {self.model.__name__}.{self.spec.name}>"
