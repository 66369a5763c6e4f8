"""Secondary index declarations (``GlobalIndex``, ``LocalIndex``) and their per-model view.

A declaration lives on the class as a ``ClassVar``; reading it from a model class gives an
:class:`Index` bound to that model, which is what ``engine.query(Post.by_user)`` takes and why the
query is typed ``Query[Post]``.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from .mapper_state import find_info
from .table_options import IndexOptions

if TYPE_CHECKING:
    from .models import Base, FieldSpec

M = TypeVar("M", bound="Base")

Projection = Literal["all", "keys"] | Sequence[str]
KeyParts = str | tuple[str, ...]  # one attribute, or up to four of a multi-attribute key


class IndexDeclaration:
    kind: Literal["global", "local"]

    def __init__(  # keyword parameters, alike in shape only to other constructors
        self,
        *,
        hash_key: KeyParts | None,
        range_key: KeyParts | None,
        projection: Projection,
        read_units: int | None = None,
        write_units: int | None = None,
        name: str | None = None,
    ) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        # any other str is kept as given, for the model to reject (not split into letters)
        self.projection: str | tuple[str, ...] = (
            projection if isinstance(projection, str) else tuple(projection)
        )
        self.read_units = read_units
        self.write_units = write_units
        self.index_name = name  # DynamoDB's name when it differs from the attribute's
        # on-demand maximum and warm throughput (GlobalIndex only), validated by the model
        self.throughput: dict[str, object] = {}
        self.name = ""  # the class attribute holding the declaration

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.index_name or self.name!r}, "
            f"hash_key={self.hash_key!r}, "
            f"range_key={self.range_key!r}, projection={self.projection!r})"
        )

    @overload
    def __get__(self, obj: None, owner: type[M]) -> Index[M]: ...
    @overload
    def __get__(self, obj: M, owner: type[M]) -> Index[M]: ...
    def __get__(self, obj: object, owner: type[Any]) -> Any:
        info = find_info(owner)  # completes a model that waited for a forward reference
        if info is None or self.name not in info.bound_indexes:
            # the class is still being built, or has no table (a mixin): the declaration itself
            return self
        return info.bound_indexes[self.name]


class GlobalIndex(IndexDeclaration):
    """A global secondary index: its own hash key (and optional range key) over the table.

    ``projection`` is ``"all"``, ``"keys"`` (the default) or a list of field names to include.
    ``hash_key`` / ``range_key`` may each be a tuple of up to four field names: DynamoDB's
    multi-attribute keys, queried with ``==`` on every hash part and range parts left to right.
    ``read_units`` / ``write_units`` apply when the table's billing is provisioned. ``name`` is
    the index's name in DynamoDB (default: the class attribute's name), so that several models
    of one table can share a generic index such as ``"gsi1"``. A key field may be optional: the
    index is then sparse (it holds only the items that have the attribute).
    ``max_read_units`` / ``max_write_units`` cap an on-demand index, and ``warm_read_units`` /
    ``warm_write_units`` ask for warm throughput (see docs/tables.md).
    """

    kind = "global"

    def __init__(
        self,
        *,
        hash_key: KeyParts,
        range_key: KeyParts | None = None,
        projection: Projection = "keys",
        read_units: int | None = None,
        write_units: int | None = None,
        name: str | None = None,
        max_read_units: int | None = None,
        max_write_units: int | None = None,
        warm_read_units: int | None = None,
        warm_write_units: int | None = None,
    ) -> None:
        # the shared keywords passed on by name (a parameter list, alike only in shape)
        super().__init__(
            hash_key=hash_key,
            range_key=range_key,
            projection=projection,
            read_units=read_units,
            write_units=write_units,
            name=name,
        )
        self.throughput = {
            "max_read_units": max_read_units,
            "max_write_units": max_write_units,
            "warm_read_units": warm_read_units,
            "warm_write_units": warm_write_units,
        }


class LocalIndex(IndexDeclaration):
    """A local secondary index: the table's hash key with another range key."""

    kind = "local"

    def __init__(
        self, *, range_key: str, projection: Projection = "keys", name: str | None = None
    ) -> None:
        super().__init__(hash_key=None, range_key=range_key, projection=projection, name=name)


_NO_OPTIONS = IndexOptions()


@dataclass(frozen=True, slots=True, eq=False)
class IndexSpec:
    """An index resolved against its model's fields at class definition."""

    name: str  # DynamoDB's IndexName
    kind: Literal["global", "local"]
    hash_keys: tuple[FieldSpec, ...]  # one, or up to four (a multi-attribute key)
    range_keys: tuple[FieldSpec, ...]  # none, or up to four
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"]
    include: tuple[FieldSpec, ...]  # non-key fields named by an INCLUDE projection
    projected: frozenset[str]  # Python names of every field the index returns
    read_units: int | None
    write_units: int | None
    options: IndexOptions = _NO_OPTIONS

    @property
    def hash_key(self) -> FieldSpec:
        """The (first) hash key attribute."""
        return self.hash_keys[0]

    @property
    def range_key(self) -> FieldSpec | None:
        """The (first) range key attribute, if any."""
        return self.range_keys[0] if self.range_keys else None

    @property
    def keys(self) -> tuple[FieldSpec, ...]:
        """Every key attribute of the index: hash parts, then range parts."""
        return (*self.hash_keys, *self.range_keys)


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
