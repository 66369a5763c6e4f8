"""What each object last saw of its stored item, and the diffs and atomic conditions built on it.

A snapshot maps stored attribute names to the attribute value last seen (None: seen absent).
Attributes missing from the snapshot were never loaded: no save touches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .conditions import Condition, PathEquals, and_all
from .types import AttributeValue

if TYPE_CHECKING:
    from .models import Base, ModelInfo

Snapshot = dict[str, AttributeValue | None]


def snapshot_of(obj: Base) -> Snapshot | None:
    """The snapshot of ``obj``; None for an object never loaded or saved."""
    try:
        snapshot: Snapshot | None = object.__getattribute__(obj, "__bloop_snapshot__")
    except AttributeError:
        return None
    return snapshot


def remember(obj: Base, snapshot: Snapshot | None) -> None:
    object.__setattr__(obj, "__bloop_snapshot__", snapshot)


def seen(
    info: ModelInfo, item: dict[str, AttributeValue], names: frozenset[str] | None
) -> Snapshot:
    """The snapshot of reading ``item`` with the fields ``names`` expected (None: all)."""
    specs = info.fields.values() if names is None else (info.fields[n] for n in names)
    return {s.dynamo_name: item.get(s.dynamo_name) for s in specs}


@dataclass(frozen=True, slots=True)
class Diff:
    """What an update-save sends: attributes to SET and to REMOVE, and the snapshot after."""

    set: dict[str, AttributeValue]
    remove: tuple[str, ...]
    after: Snapshot


def current_snapshot(info: ModelInfo, obj: Base) -> Snapshot | None:
    """The snapshot of ``obj`` if it still describes the item ``obj`` is keyed to.

    After a key field changes, the object names another item, of which nothing was seen: it is
    new again (an update-save writes every loaded field; atomic mode expects no item there).
    """
    snapshot = snapshot_of(obj)
    if snapshot is None:
        return None
    for spec in info.keys:
        seen_key = snapshot.get(spec.dynamo_name)
        if seen_key is None or spec.name not in obj.__dict__:
            continue
        if not same(info.dump_field(spec, obj.__dict__[spec.name]), seen_key):
            return None
    return snapshot


def diff(info: ModelInfo, obj: Base) -> Diff:
    """Compare the loaded fields of ``obj`` with its snapshot."""
    values = obj.__dict__
    before = current_snapshot(info, obj) or {}
    after: Snapshot = dict(before)
    sets: dict[str, AttributeValue] = {}
    removes: list[str] = []
    for spec in info.fields.values():
        if spec.name not in values:
            continue  # never loaded: leave the stored attribute alone
        name = spec.dynamo_name
        if spec.role is not None:
            after[name] = info.key_of(obj)[name]
            continue
        current = info.dump_field(spec, values[spec.name])
        if name in before:
            if same(current, before[name]):
                continue
            if current is None:
                removes.append(name)
            else:
                sets[name] = current
            after[name] = current
        elif current is not None:
            sets[name] = current
            after[name] = current
        # never seen and now None: nothing to send, and nothing known about what is stored
    return Diff(sets, tuple(removes), after)


def atomic_condition(info: ModelInfo, obj: Base) -> Condition:
    """The stored item still matches the snapshot; for an object never seen: no item exists."""
    snapshot = current_snapshot(info, obj)
    if snapshot is None:
        assert info.hash_key is not None
        return PathEquals((info.hash_key.dynamo_name,), None)
    condition = and_all([PathEquals((name,), value) for name, value in _ordered(snapshot)])
    assert condition is not None
    return condition


def _ordered(snapshot: Snapshot) -> list[tuple[str, AttributeValue | None]]:
    return sorted(snapshot.items(), key=lambda kv: kv[0])


def same(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    """Equal stored values, ignoring set order and number spelling (DynamoDB normalises both)."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    return bool(canonical(a) == canonical(b))


def canonical(value: AttributeValue) -> Any:
    """A hashable form of a stored value in which equal values are equal (sets unordered,
    numbers normalised)."""
    ((kind, inner),) = value.items()
    if kind == "N":
        return kind, _number(inner)
    if kind == "NS":
        return kind, frozenset(_number(n) for n in inner)
    if kind in ("SS", "BS"):
        return kind, frozenset(inner)
    if kind == "L":
        return kind, tuple(canonical(v) for v in inner)
    if kind == "M":
        return kind, frozenset((k, canonical(v)) for k, v in inner.items())
    return kind, inner


def _number(text: str) -> Decimal | str:
    try:
        return Decimal(text).normalize()
    except InvalidOperation:
        return text
