"""`FieldSpec`: one model field as stored, the unit of a model's metadata.

Internal: its own module so that the modules `models` builds on (entities, indexing) can make
one at import time without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .types import Codec


@dataclass(slots=True, eq=False)
class FieldSpec:
    """One model field as stored: its Python name, attribute name, codec and key role."""

    name: str
    dynamo_name: str
    codec: Codec
    role: Literal["hash", "range"] | None
    required: bool  # no value exists for an absent attribute: loading it fails
    # values of the type cannot change in place, so equal to the value seen means unchanged
    immutable: bool = False
