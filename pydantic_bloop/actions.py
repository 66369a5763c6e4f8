"""Update actions built by columns: ``Account.hits.add(1)``, ``Account.tags.discard("new")``.

Each column method returns an :class:`UpdateAction`: the column it changes and the action of the
update-expression type (:mod:`pydantic_bloop.updates`) that does it, its value already dumped
through the field's codec, so a value the field cannot store fails when the action is built.
``engine.update(obj, *actions)`` sends them in one ``UpdateItem``.

What each method sends (``p`` the column's path):

| method | update expression |
| --- | --- |
| `set(v)` | `SET p = :v` (`REMOVE p` for None or an empty set at the top level) |
| `remove()` | `REMOVE p` |
| `add(n)` on a number | `ADD p :n`; below the top level `SET p = if_not_exists(p, 0) + :n` |
| `add(*xs)` on a set | `ADD p :xs` |
| `discard(*xs)` on a set | `DELETE p :xs` |
| `append(*xs)` / `prepend(*xs)` | `SET p = list_append(if_not_exists(p, []), :xs)` (or reversed) |
| `set_default(v)` | `SET p = if_not_exists(p, :v)` |
| `set(100 - Account.hits)` | `SET p = :v - hits` (values DynamoDB computes: :mod:`.computed`) |

DynamoDB applies ``ADD`` and ``DELETE`` to top-level attributes only: a set below the top level
is refused.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .computed import UpdateValue, dump_value, related, value_of
from .errors import InvalidUpdate, InvalidValue
from .limits import shown as brief
from .types import AttributeValue
from .updates import (
    EMPTY_LIST,
    ZERO,
    Action,
    Add,
    Delete,
    Remove,
    Set,
    if_not_exists,
    list_append,
    plus,
)

if TYPE_CHECKING:
    from .columns import Column

_NUMBERS = frozenset({"N"})
_SETS = frozenset({"SS", "NS", "BS"})


@dataclass(frozen=True, slots=True, eq=False)
class UpdateAction:
    """One change of an attribute made by DynamoDB, built by a column (``Account.hits.add(1)``);
    pass it to ``engine.update``."""

    column: Column[Any]
    action: Action
    shown: str  # the call that built it, for messages: "Account.hits.add(1)"

    def describe(self) -> str:
        """The action as a user writes it (``Account.hits.add(1)``), like a condition's."""
        return self.shown

    def __repr__(self) -> str:
        return self.shown


def _shown(column: Column[Any], method: str, values: Sequence[object]) -> str:
    return f"{column.label}.{method}({', '.join(map(brief, values))})"


def _dump(column: Column[Any], value: object, shown: str) -> AttributeValue | None:
    """``value`` as stored at the column's path (inside a list or map None is NULL), within
    what DynamoDB can store there."""
    return dump_value(column.codec, len(column.path), value, shown)


def _kind(column: Column[Any], shown: str, allowed: frozenset[str], what: str) -> str:
    kind = column.codec.dynamo_type
    if kind not in allowed:
        raise InvalidUpdate(f"{shown}: {what}; {column.label} is stored as {kind or 'mixed'}")
    return kind


def _top_level(column: Column[Any], shown: str, clause: str) -> None:
    if len(column.path) > 1:
        raise InvalidUpdate(
            f"{shown}: DynamoDB's {clause} changes top-level attributes only, not a path inside one"
        )


def set_value(column: Column[Any], value: object) -> UpdateAction:
    computed = value_of(value)
    if computed is not None:
        return _set_computed(column, computed)
    shown = _shown(column, "set", [value])
    dumped = _dump(column, value, shown)
    action: Action = Remove(column.path) if dumped is None else Set(column.path, dumped)
    return UpdateAction(column, action, shown)


def _set_computed(column: Column[Any], computed: UpdateValue[Any]) -> UpdateAction:
    """``SET p = <what DynamoDB computes>``: of this item, of the type the column stores."""
    shown = f"{column.label}.set({computed.label})"
    if not related(column.model, computed.model):
        raise InvalidUpdate(f"{shown}: an update reads attributes of its own item only")
    kind = column.codec.dynamo_type
    if kind is not None and computed.kind is not None and kind != computed.kind:
        raise InvalidUpdate(
            f"{shown}: {column.label} is stored as {kind}, {computed.label} as {computed.kind}"
        )
    return UpdateAction(column, Set(column.path, computed.operand), shown)


def remove(column: Column[Any]) -> UpdateAction:
    return UpdateAction(column, Remove(column.path), _shown(column, "remove", []))


def add(column: Column[Any], values: Sequence[object]) -> UpdateAction:
    shown = _shown(column, "add", values)
    kind = _kind(column, shown, _NUMBERS | _SETS, "add applies to numbers and sets")
    if kind in _SETS:
        _top_level(column, shown, "ADD")
        return UpdateAction(column, Add(column.path, _elements(column, values, shown)), shown)
    if len(values) != 1:
        raise InvalidUpdate(f"{shown}: a number adds exactly one value (negative to subtract)")
    amount = _dump(column, values[0], shown)
    if amount is None or "N" not in amount:
        raise InvalidValue(f"{shown}: a number adds a number")
    if len(column.path) == 1:
        return UpdateAction(column, Add(column.path, amount), shown)
    # a nested counter: ADD cannot reach inside a map, SET can (an absent one counts as 0)
    return UpdateAction(
        column, Set(column.path, plus(if_not_exists(column.path, ZERO), amount)), shown
    )


def discard(column: Column[Any], values: Sequence[object]) -> UpdateAction:
    shown = _shown(column, "discard", values)
    _kind(column, shown, _SETS, "discard applies to sets")
    _top_level(column, shown, "DELETE")
    return UpdateAction(column, Delete(column.path, _elements(column, values, shown)), shown)


def append(column: Column[Any], values: Sequence[object], *, front: bool) -> UpdateAction:
    shown = _shown(column, "prepend" if front else "append", values)
    _kind(column, shown, frozenset({"L"}), "append and prepend apply to lists")
    if not values:
        raise InvalidUpdate(f"{shown}: give at least one element")
    added = _dump(column, list(values), shown)
    assert added is not None  # a non-empty list is never absent
    stored = if_not_exists(column.path, EMPTY_LIST)  # an absent list counts as empty
    both = list_append(added, stored) if front else list_append(stored, added)
    return UpdateAction(column, Set(column.path, both), shown)


def set_default(column: Column[Any], value: object) -> UpdateAction:
    shown = _shown(column, "set_default", [value])
    dumped = _dump(column, value, shown)
    if dumped is None:
        raise InvalidValue(f"{shown}: the default is stored as no attribute; give a value")
    return UpdateAction(column, Set(column.path, if_not_exists(column.path, dumped)), shown)


def _elements(column: Column[Any], values: Sequence[object], shown: str) -> AttributeValue:
    """The set of ``values`` as the set column stores it (DynamoDB takes no empty set)."""
    if not values:
        raise InvalidUpdate(f"{shown}: give at least one element")
    try:
        elements = set(values)
    except TypeError as exc:  # unhashable
        raise InvalidValue(f"{shown}: {exc}") from None
    dumped = _dump(column, elements, shown)
    assert dumped is not None
    return dumped
