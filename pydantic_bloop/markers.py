"""Field markers used inside ``Annotated[...]``: key roles and stored names."""

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
