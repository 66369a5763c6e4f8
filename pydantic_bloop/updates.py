"""Update expressions: the SET / REMOVE / ADD / DELETE actions of an UpdateItem.

An `Update` is an immutable list of actions on document paths
(an attribute name, then map keys and list indexes, as conditions have them). It renders through
the request's `Renderer`, so the update, the condition and any projection of one request share
one placeholder namespace.

Values are already dumped (`AttributeValue`s); what a value means for a field (its codec) is the
caller's business. A SET takes an *operand*: a value, another path, `if_not_exists(path, value)`,
`list_append(a, b)`, or `a + b` / `a - b` of numbers:

- `SET p = :v`: `Update().set(p, v)`
- set unless present: `Update().set(p, if_not_exists(p, v))`
- append to a list, an absent one counting as empty:
  `Update().set(p, list_append(if_not_exists(p, EMPTY_LIST), v))`; prepend:
  `Update().set(p, list_append(v, if_not_exists(p, EMPTY_LIST)))`
- a counter, nested or not: `Update().set(p, plus(if_not_exists(p, ZERO), v))`
- `REMOVE p`: `Update().remove(p)`
- `ADD p :v` (a number, or elements into a set): `Update().add(p, v)`
- `DELETE p :v` (elements out of a set): `Update().delete(p, v)`

Internal: the rendering is used by the write unit; the action types are the vocabulary the
column actions build on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .conditions import Path, Renderer
from .types import AttributeValue

__all__ = [
    "EMPTY_LIST",
    "NOTHING_ATTRIBUTE",
    "ZERO",
    "Action",
    "Add",
    "Arithmetic",
    "Delete",
    "IfNotExists",
    "ListAppend",
    "Operand",
    "PathOperand",
    "Remove",
    "Set",
    "Update",
    "if_not_exists",
    "list_append",
    "minus",
    "plus",
]

# What an update with nothing to do removes (see Update.render): no model may store it.
NOTHING_ATTRIBUTE = "__bloop_nothing__"

EMPTY_LIST: AttributeValue = {"L": []}
ZERO: AttributeValue = {"N": "0"}


# -- operands of SET -------------------------------------------------------------------------
# Each operand form is a small frozen dataclass that renders itself: alike in shape only (a
# function and its arguments), each with its own syntax.


@dataclass(frozen=True, slots=True)
class PathOperand:
    """The value stored at another path (or the same one): `SET a = b`."""

    path: Path

    def render(self, r: Renderer) -> str:
        return r.path(self.path)


@dataclass(frozen=True, slots=True)
class IfNotExists:
    """`if_not_exists(path, default)`: the stored value at `path`, or `default` when absent."""

    path: Path
    default: Operand

    def render(self, r: Renderer) -> str:
        return f"if_not_exists({r.path(self.path)}, {_operand(r, self.default)})"


@dataclass(frozen=True, slots=True)
class ListAppend:
    """`list_append(first, second)`: the two lists concatenated."""

    first: Operand
    second: Operand

    def render(self, r: Renderer) -> str:
        return f"list_append({_operand(r, self.first)}, {_operand(r, self.second)})"


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """`left + right` or `left - right` of numbers."""

    left: Operand
    op: Literal["+", "-"]
    right: Operand

    def render(self, r: Renderer) -> str:
        return f"{_operand(r, self.left)} {self.op} {_operand(r, self.right)}"


Operand = AttributeValue | PathOperand | IfNotExists | ListAppend | Arithmetic


def _operand(r: Renderer, operand: Operand) -> str:
    if isinstance(operand, dict):
        return r.value(operand)
    return operand.render(r)


def _as_operand(value: Operand | Path) -> Operand:
    """A path given where an operand is expected names the value stored there."""
    return PathOperand(value) if isinstance(value, tuple) else value


def if_not_exists(path: Path, default: Operand) -> IfNotExists:
    return IfNotExists(path, default)


def list_append(first: Operand | Path, second: Operand | Path) -> ListAppend:
    return ListAppend(_as_operand(first), _as_operand(second))


def plus(left: Operand | Path, right: Operand | Path) -> Arithmetic:
    return Arithmetic(_as_operand(left), "+", _as_operand(right))


def minus(left: Operand | Path, right: Operand | Path) -> Arithmetic:
    return Arithmetic(_as_operand(left), "-", _as_operand(right))


# -- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Set:
    """`SET path = operand`."""

    path: Path
    value: Operand


@dataclass(frozen=True, slots=True)
class Remove:
    """`REMOVE path`."""

    path: Path


@dataclass(frozen=True, slots=True)
class Add:
    """`ADD path value`: add to a number (absent: 0), or union into a set (absent: empty)."""

    path: Path
    value: AttributeValue


@dataclass(frozen=True, slots=True)
class Delete:
    """`DELETE path value`: take the elements of the set `value` out of a stored set."""

    path: Path
    value: AttributeValue


Action = Set | Remove | Add | Delete

# (name placeholder, value placeholder, SET clause) of a diff's first attributes, numbered as
# a Renderer numbers them: `Update.render_alone`
_PLACEHOLDERS = tuple((f"#n{i}", f":v{i}", f"#n{i}=:v{i}") for i in range(64))


class Update:
    """An immutable update expression: its actions, in the order they were added.

    `Update()` is empty; `set`, `remove`, `add`, `delete` and `+` return new updates.
    `Update.of_attributes` is a diff's update (top-level SETs, then REMOVEs), which renders
    without making an action object per attribute: those are made only if asked for.
    """

    __slots__ = ("_actions", "_attributes")

    def __init__(self, actions: Iterable[Action] = ()) -> None:
        self._actions: tuple[Action, ...] | None = tuple(actions)
        # (stored name, value) to SET and stored names to REMOVE: see of_attributes
        self._attributes: tuple[tuple[tuple[str, AttributeValue], ...], tuple[str, ...]] | None
        self._attributes = None

    @classmethod
    def of_attributes(
        cls, sets: Mapping[str, AttributeValue], removes: Sequence[str] = ()
    ) -> Update:
        """`SET name = value` of each top-level attribute of `sets`, then `REMOVE name` of each
        of `removes`: the update of those `Set` and `Remove` actions, built without them."""
        update = cls.__new__(cls)
        update._actions = None
        update._attributes = (tuple(sets.items()), tuple(removes))
        return update

    @property
    def actions(self) -> tuple[Action, ...]:
        actions = self._actions
        if actions is None:
            assert self._attributes is not None
            sets, removes = self._attributes
            actions = self._actions = (
                *(Set((name,), value) for name, value in sets),
                *(Remove((name,)) for name in removes),
            )
        return actions

    def set(self, path: Path, value: Operand) -> Update:
        return Update((*self.actions, Set(path, value)))

    def remove(self, path: Path) -> Update:
        return Update((*self.actions, Remove(path)))

    def add(self, path: Path, value: AttributeValue) -> Update:
        return Update((*self.actions, Add(path, value)))

    def delete(self, path: Path, value: AttributeValue) -> Update:
        return Update((*self.actions, Delete(path, value)))

    def __add__(self, other: Update) -> Update:
        return Update((*self.actions, *other.actions))

    def __bool__(self) -> bool:
        if self._attributes is not None:
            return bool(self._attributes[0] or self._attributes[1])
        return bool(self._actions)

    def __eq__(self, other: object) -> bool:  # (and so unhashable: values are dicts)
        return isinstance(other, Update) and other.actions == self.actions

    def __repr__(self) -> str:
        return f"Update({list(self.actions)!r})"

    def render_alone(self) -> tuple[str, dict[str, str], dict[str, AttributeValue]] | None:
        """What `render` gives with a fresh `Renderer` (the expression, then its names and
        values by placeholder) for a diff's non-empty update, without the renderer: a save
        with no condition renders nothing else. None: any other update."""
        attributes = self._attributes
        if attributes is None:
            return None
        sets, removes = attributes
        if len(sets) + len(removes) > len(_PLACEHOLDERS):
            return None
        # stored names are distinct: one name placeholder per attribute, in order
        names: dict[str, str] = {}
        values: dict[str, AttributeValue] = {}
        parts: list[str] = []
        at = 0
        for name, value in sets:
            n, v, clause = _PLACEHOLDERS[at]
            at += 1
            names[n] = name
            values[v] = value
            parts.append(clause)
        expression = "SET " + ", ".join(parts) if parts else ""
        if removes:
            removed: list[str] = []
            for name in removes:
                n = _PLACEHOLDERS[at][0]
                at += 1
                names[n] = name
                removed.append(n)
            expression = (expression + " REMOVE " if parts else "REMOVE ") + ", ".join(removed)
        if not names:
            return None
        return expression, names, values

    def render(self, r: Renderer) -> str:
        """The UpdateExpression, placeholders registered with `r` (SET clauses first, then
        REMOVE, ADD, DELETE; each clause keeps the order of its actions).

        An empty update still renders an expression: it removes an attribute no item has.
        That changes nothing (a new key-only item is still created, a condition still
        checked), and some DynamoDB emulators (moto 5) require an expression although
        DynamoDB does not. This is the one place that workaround lives.
        """
        attributes = self._attributes
        if attributes is not None and (attributes[0] or attributes[1]):
            # the same text as the Set / Remove actions below render to, without them
            sets, removes = attributes
            name, value = r.name, r.value
            clauses: list[str] = []
            if sets:
                clauses.append("SET " + ", ".join([f"{name(n)}={value(v)}" for n, v in sets]))
            if removes:
                clauses.append("REMOVE " + ", ".join([name(n) for n in removes]))
            return " ".join(clauses)
        set_actions: list[Set] = []
        others: list[Remove | Add | Delete] = []
        for action in self.actions:
            if isinstance(action, Set):
                set_actions.append(action)
            else:
                others.append(action)
        if not set_actions and not others:
            return f"REMOVE {r.name(NOTHING_ATTRIBUTE)}"
        clauses = []
        if set_actions:
            clauses.append("SET " + ", ".join([_render_set(r, a) for a in set_actions]))
        for kind, keyword in ((Remove, "REMOVE"), (Add, "ADD"), (Delete, "DELETE")):
            parts = [_render_other(r, a) for a in others if type(a) is kind]
            if parts:
                clauses.append(f"{keyword} {', '.join(parts)}")
        return " ".join(clauses)


def _render_set(r: Renderer, action: Set) -> str:
    # `SET #n=:v` of a top-level attribute is the hot case (every diff): inlined for speed
    path, value = action.path, action.value
    head = path[0]
    target = r.name(head) if len(path) == 1 and isinstance(head, str) else r.path(path)
    if isinstance(value, dict):
        return f"{target}={r.value(value)}"
    return f"{target}={value.render(r)}"


def _render_other(r: Renderer, action: Remove | Add | Delete) -> str:
    if isinstance(action, Remove):
        return r.path(action.path)
    return f"{r.path(action.path)} {r.value(action.value)}"
