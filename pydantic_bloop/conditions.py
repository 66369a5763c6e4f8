"""The condition algebra and its rendering into DynamoDB expressions.

Columns (:mod:`pydantic_bloop.columns`) build the nodes defined here: ``Post.views > 10`` is a
:class:`Comparison`. Rendering goes through a :class:`Renderer`, one per request, which owns the
``#n`` / ``:v`` placeholders of every expression in that request. An operand is either a stored
value (an ``AttributeValue`` dict) or another column, whose path is rendered instead.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, overload

from .errors import InvalidCondition
from .types import AttributeValue

if TYPE_CHECKING:
    from .columns import Column

    Operand: TypeAlias = AttributeValue | Column[Any]

PathStep = str | int
Path = tuple[PathStep, ...]


class Condition:
    """A condition expression; combine with ``&``, ``|`` and ``~``.

    ``bool`` operands are in the signatures for pyright, which sees ``Post.views > 1`` as a
    ``bool`` (see ``ConditionArg``); at run time they are always conditions.
    """

    __slots__ = ()

    def __and__(self, other: Condition | bool) -> Condition:
        return And(_flatten(And, self, other))

    def __rand__(self, other: bool) -> Condition:  # for pyright: `(Post.forum == "f") & cond`
        return And(_flatten(And, other, self))

    def __or__(self, other: Condition | bool) -> Condition:
        return Or(_flatten(Or, self, other))

    def __ror__(self, other: bool) -> Condition:
        return Or(_flatten(Or, other, self))

    def __invert__(self) -> Condition:
        return Not(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a condition has no truth value: combine conditions with &, | and ~ "
            "(not `and`, `or`, `not`)"
        )

    def render(self, r: Renderer) -> str:
        raise NotImplementedError

    def columns(self) -> Iterator[Column[Any]]:
        """Every column the condition names (left and right operands)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The condition as a user writes it (``(Post.views > 1) & Post.id.begins_with('a')``):
        its repr, and how every error message shows it."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.describe()

    def _infix(self) -> bool:
        """Whether ``describe()`` writes an operator (``a > b``, ``a & b``), which needs
        parentheses inside ``&``, ``|`` and ``~``."""
        return False

    def _grouped(self) -> str:
        """``describe()`` as an operand of ``&``, ``|`` or ``~``."""
        return f"({self.describe()})" if self._infix() else self.describe()


class KeyCondition(Condition):
    """A condition that may also serve as a query's key condition (=, <, <=, >, >=, between,
    begins_with, and ``&`` of those). ``key()`` checks the exact shape when the query runs."""

    __slots__ = ()

    @overload
    def __and__(self, other: KeyCondition | bool) -> KeyCondition: ...
    @overload
    def __and__(self, other: Condition) -> Condition: ...
    def __and__(self, other: Condition | bool) -> Condition:
        return And(_flatten(And, self, other))

    def __rand__(self, other: bool) -> KeyCondition:
        return And(_flatten(And, other, self))


# What ``key()``, ``filter()`` and ``condition=`` take. A comparison on a model field is a
# condition at run time, but pyright (no plugins) types ``Post.user == uid`` by the field's type:
# a ``bool``. Accepting ``bool`` keeps that natural code clean; a real ``bool`` is refused when
# the call runs, and mypy's plugin removes ``bool`` from these signatures again.
KeyConditionArg = KeyCondition | bool
ConditionArg = Condition | bool


def as_condition(value: object, where: str) -> Condition:
    """``value`` if it is a condition, else a clear error naming ``where`` it was passed."""
    if isinstance(value, Condition):
        return value
    hint = (
        ": a plain bool, e.g. a comparison of two values; compare a model column "
        "(Post.views > 1) instead"
        if isinstance(value, bool)
        else ""
    )
    raise InvalidCondition(f"{where} takes a condition such as Post.views > 1, not {value!r}{hint}")


def _flatten(kind: type[And] | type[Or], *parts: object) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for part in parts:
        if not isinstance(part, Condition):
            raise InvalidCondition(
                f"cannot combine a condition with {part!r}: `&`, `|` and `~` take conditions "
                "(on both sides, a model column compared to a value)"
            )
        out.extend(part.parts if isinstance(part, kind) else (part,))
    return tuple(out)


def _operand_text(r: Renderer, operand: Operand) -> str:
    return r.value(operand) if isinstance(operand, dict) else r.path(operand.path)


def _operand_columns(*operands: Operand) -> Iterator[Column[Any]]:
    return (o for o in operands if not isinstance(o, dict))


def show_operand(operand: Operand | None) -> str:
    """An operand as a user writes it: a column's label, a stored value's Python form."""
    if operand is None:
        return "nothing"
    if not isinstance(operand, dict):
        return operand.label
    ((kind, plain),) = operand.items()
    if kind == "N":
        return str(plain)  # stored numbers are decimal strings: shown unquoted
    if kind in ("L", "M", "SS", "NS", "BS"):
        return repr(_plain(operand))
    return repr(plain)


def _plain(value: AttributeValue) -> object:
    ((kind, inner),) = value.items()
    if kind == "N":
        return _Number(inner)
    if kind == "NS":
        return {_Number(n) for n in inner}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind in ("SS", "BS"):
        return set(inner)
    return None if kind == "NULL" else inner


class _Number(str):
    """A stored number inside a shown list, map or set: its digits, unquoted."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _python_op(op: str) -> str:
    return {"=": "==", "<>": "!="}.get(op, op)


# The nodes below each implement Condition's protocol (__init__, render, columns, describe):
# alike in shape, each with its own DynamoDB and Python syntax.


class Comparison(KeyCondition):
    __slots__ = ("column", "op", "operand")

    def _infix(self) -> bool:
        return True

    def __init__(self, column: Column[Any], op: str, operand: Operand):
        self.column, self.op, self.operand = column, op, operand

    def render(self, r: Renderer) -> str:
        return f"{r.path(self.column.path)} {self.op} {_operand_text(r, self.operand)}"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(self.operand)

    def describe(self) -> str:
        return f"{self.column.label} {_python_op(self.op)} {show_operand(self.operand)}"


class Between(KeyCondition):
    __slots__ = ("column", "high", "low")

    def __init__(
        self,
        column: Column[Any],
        low: Operand,
        high: Operand,
    ):
        self.column, self.low, self.high = column, low, high

    def render(self, r: Renderer) -> str:
        path = r.path(self.column.path)  # first, so that placeholders number left to right
        low, high = _operand_text(r, self.low), _operand_text(r, self.high)
        return f"{path} BETWEEN {low} AND {high}"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(self.low, self.high)

    def describe(self) -> str:
        low, high = show_operand(self.low), show_operand(self.high)
        return f"{self.column.label}.between({low}, {high})"


class _Function(Condition):
    """A DynamoDB function of a path and one operand, written as the column method of the same
    name: ``begins_with(path, x)`` is ``Post.id.begins_with(x)``."""

    __slots__ = ("column", "operand")
    function: ClassVar[str]

    def __init__(self, column: Column[Any], operand: Operand):
        self.column, self.operand = column, operand

    def render(self, r: Renderer) -> str:
        return f"{self.function}({r.path(self.column.path)}, {_operand_text(r, self.operand)})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(self.operand)

    def describe(self) -> str:
        return f"{self.column.label}.{self.function}({show_operand(self.operand)})"


class BeginsWith(_Function, KeyCondition):
    __slots__ = ()
    function = "begins_with"


class Contains(_Function):
    __slots__ = ()
    function = "contains"


class In(Condition):
    __slots__ = ("column", "values")

    def __init__(self, column: Column[Any], values: Sequence[Operand]):
        self.column, self.values = column, tuple(values)

    def render(self, r: Renderer) -> str:
        values = ", ".join(_operand_text(r, v) for v in self.values)
        return f"{r.path(self.column.path)} IN ({values})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(*self.values)

    def describe(self) -> str:
        return f"{self.column.label}.in_({', '.join(map(show_operand, self.values))})"


class Exists(KeyCondition):
    """attribute_exists / attribute_not_exists. (A KeyCondition only so that ``== None`` keeps
    the static type of ``==``; ``key()`` rejects it at run time.)"""

    __slots__ = ("column", "exists")

    def __init__(self, column: Column[Any], *, exists: bool):
        self.column, self.exists = column, exists

    def render(self, r: Renderer) -> str:
        fn = "attribute_exists" if self.exists else "attribute_not_exists"
        return f"{fn}({r.path(self.column.path)})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column

    def describe(self) -> str:
        return f"{self.column.label}.{'is_not' if self.exists else 'is_'}(None)"


class PathEquals(Condition):
    """The stored value at ``path`` equals ``value`` (None: the attribute is absent); what
    atomic mode builds from a snapshot.

    A small list or map is compared by its size and element by element rather than whole:
    it means the same to DynamoDB, and some emulators (dynalite) cannot compare a non-empty
    list or map whole. A large one is compared whole, to keep the expression short.
    """

    __slots__ = ("path", "value")

    def __init__(self, path: Path, value: AttributeValue | None):
        self.path, self.value = path, value

    def render(self, r: Renderer) -> str:
        if self.value is None:
            return f"attribute_not_exists({r.path(self.path)})"
        if _leaves(self.value) <= _MAX_LEAVES:
            return " AND ".join(_equal_parts(r, self.path, self.value))
        return f"{r.path(self.path)} = {r.value(self.value)}"

    def columns(self) -> Iterator[Column[Any]]:
        return iter(())

    def describe(self) -> str:
        # no column: the stored path (atomic mode compares what the object last saw)
        path = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.path)[1:]
        if self.value is None:
            return f"{path}.is_(None)"
        return f"{path} == {show_operand(self.value)}"

    def _infix(self) -> bool:
        return self.value is not None


_MAX_LEAVES = 32


def _leaves(value: AttributeValue) -> int:
    """How many comparisons comparing ``value`` element by element takes."""
    ((kind, inner),) = value.items()
    if kind == "L" and inner:
        return 1 + sum(_leaves(v) for v in inner)
    if kind == "M" and inner:
        return 1 + sum(_leaves(v) for v in inner.values())
    return 1


def _equal_parts(r: Renderer, path: Path, value: AttributeValue) -> Iterator[str]:
    ((kind, inner),) = value.items()
    if kind in ("L", "M") and inner:
        yield f"size({r.path(path)}) = {r.value({'N': str(len(inner))})}"
        steps = enumerate(inner) if kind == "L" else inner.items()
        for step, element in steps:
            yield from _equal_parts(r, (*path, step), element)
        return
    yield f"{r.path(path)} = {r.value(value)}"


class _Junction(Condition):
    """Parts joined by DynamoDB's ``keyword`` (``AND``), written with Python's ``operator``."""

    __slots__ = ("parts",)
    keyword: ClassVar[str]
    operator: ClassVar[str]

    def _infix(self) -> bool:
        return True

    def __init__(self, parts: tuple[Condition, ...]):
        self.parts = parts

    def render(self, r: Renderer) -> str:
        return f" {self.keyword} ".join(_group(r, p) for p in self.parts)

    def columns(self) -> Iterator[Column[Any]]:
        for p in self.parts:
            yield from p.columns()

    def describe(self) -> str:
        return f" {self.operator} ".join(p._grouped() for p in self.parts)


class And(_Junction, KeyCondition):
    __slots__ = ()
    keyword, operator = "AND", "&"


class Or(_Junction):
    __slots__ = ()
    keyword, operator = "OR", "|"


class Not(Condition):
    __slots__ = ("part",)

    def __init__(self, part: Condition):
        self.part = part

    def render(self, r: Renderer) -> str:
        return f"NOT {_group(r, self.part)}"

    def columns(self) -> Iterator[Column[Any]]:
        return self.part.columns()

    def describe(self) -> str:
        return f"~{self.part._grouped()}"


def _group(r: Renderer, part: Condition) -> str:
    text = part.render(r)
    return f"({text})" if isinstance(part, And | Or | Not) else text


def and_all(conditions: Sequence[Condition | None]) -> Condition | None:
    """AND together the conditions that are not None; None when there are none."""
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return And(_flatten(And, *present))


class Renderer:
    """Placeholders for one request: every name becomes ``#nK`` and every value ``:vK``."""

    __slots__ = ("_by_name", "names", "values")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}
        self._by_name: dict[str, str] = {}

    def name(self, name: str) -> str:
        placeholder = self._by_name.get(name)
        if placeholder is None:
            placeholder = f"#n{len(self._by_name)}"
            self._by_name[name] = placeholder
            self.names[placeholder] = name
        return placeholder

    def path(self, path: Path) -> str:
        out = self.name(str(path[0]))
        for step in path[1:]:
            out += f"[{step}]" if isinstance(step, int) else "." + self.name(step)
        return out

    def value(self, value: AttributeValue) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def condition(self, condition: Condition) -> str:
        return condition.render(self)

    def projection(self, paths: Sequence[Path]) -> str:
        return ", ".join(self.path(p) for p in paths)

    def into(self, params: dict[str, Any]) -> dict[str, Any]:
        """Add the placeholder maps to request ``params`` (only when non-empty: DynamoDB
        rejects empty maps)."""
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params
