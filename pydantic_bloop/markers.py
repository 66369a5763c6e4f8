"""Field markers used inside ``Annotated[...]``: key roles and stored names.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HashKey:
    """Marks the field that is the table's partition (hash) key."""


@dataclass(frozen=True, slots=True)
class RangeKey:
    """Marks the field that is the table's sort (range) key."""


@dataclass(frozen=True, slots=True)
class DynamoName:
    """Stores the field under another attribute name, e.g. ``Annotated[UUID, DynamoName("u")]``."""

    name: str


@dataclass(frozen=True, slots=True)
class Version:
    """Marks the model's version field: ``version: Annotated[int, Version()] = 0``.

    Optimistic locking: every save, update and delete is conditioned on the version last seen
    (for an object never loaded or saved: on no item existing), and saves and updates store
    the version plus one. A stale writer gets ``ConstraintViolation``. One per model, an ``int``,
    not a key.
    """
