"""Columns, the condition algebra, and rendering into DynamoDB expressions.

``Post.views > 10`` builds a :class:`Condition`; values are dumped through the field's codec when
the condition is built, so a value the field cannot store fails here, not at DynamoDB. Rendering
goes through a :class:`Renderer`, one per request, which owns the ``#n`` / ``:v`` placeholders of
every expression in that request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeGuard, TypeVar, overload

from pydantic import BaseModel

from .errors import InvalidCondition
from .types import AttributeValue, Codec

if TYPE_CHECKING:
    from .models import Base

T = TypeVar("T")
E = TypeVar("E")
V = TypeVar("V")
_Model = TypeVar("_Model", bound=BaseModel)

PathStep = str | int
Path = tuple[PathStep, ...]

_ORDERED = frozenset({"S", "N", "B", None})
_PREFIXED = frozenset({"S", "B", None})
_CONTAINERS = frozenset({"S", "B", "SS", "NS", "BS", "L", None})


class Column(Generic[T]):
    """A model field (or a document path below one) seen from the class: ``Post.views``.

    Comparisons and methods build conditions. The type parameter is the field's Python type, so a
    type checker rejects ``Post.views > "ten"``.
    """

    __slots__ = ("codec", "field", "label", "model", "path")

    def __init__(self, model: type[Base], field: str, path: Path, codec: Codec, label: str) -> None:
        self.model = model
        self.field = field  # the Python name of the top-level field
        self.path = path  # the stored path: dynamo name, then map keys / list indexes
        self.codec = codec
        self.label = label  # what error messages call it, e.g. "Post.meta['k']"

    def __repr__(self) -> str:
        return f"<Column {self.label}>"

    __hash__ = object.__hash__

    def _dump(self, value: object, what: str) -> AttributeValue | None:
        try:
            return self.codec.dump(value)
        except (TypeError, ValueError) as exc:
            raise InvalidCondition(f"{self.label} {what}: {exc}") from None

    def _operand(self, value: object, op: str) -> AttributeValue | Column[Any]:
        if _is_column(value):
            return value
        dumped = self._dump(value, f"{op} {value!r}")
        if dumped is None:
            raise InvalidCondition(
                f"{self.label} {op} {value!r}: the value is stored as an absent attribute; "
                "use .is_(None) / .is_not(None) to test for absence"
            )
        return dumped

    def _ordered(self, op: str) -> None:
        if self.codec.dynamo_type not in _ORDERED:
            raise InvalidCondition(
                f"{self.label} {op}: DynamoDB orders only strings, numbers and binary, "
                f"not {self.codec.dynamo_type} values"
            )

    # -- comparisons ---------------------------------------------------------------------------

    def _equality(self, other: object, op: str, *, equal: bool) -> KeyCondition:
        if _is_column(other):
            return Comparison(self, op, other)
        dumped = self._dump(other, f"{'==' if equal else '!='} {other!r}")
        if dumped is None:  # None and empty sets are stored as absent attributes
            return Exists(self, exists=not equal)
        return Comparison(self, op, dumped)

    def __eq__(self, other: T | Column[T]) -> KeyCondition:  # type: ignore[override]
        return self._equality(other, "=", equal=True)

    def __ne__(self, other: T | Column[T]) -> Condition:  # type: ignore[override]
        return self._equality(other, "<>", equal=False)

    def __lt__(self, other: T | Column[T]) -> KeyCondition:
        self._ordered("<")
        return Comparison(self, "<", self._operand(other, "<"))

    def __le__(self, other: T | Column[T]) -> KeyCondition:
        self._ordered("<=")
        return Comparison(self, "<=", self._operand(other, "<="))

    def __gt__(self, other: T | Column[T]) -> KeyCondition:
        self._ordered(">")
        return Comparison(self, ">", self._operand(other, ">"))

    def __ge__(self, other: T | Column[T]) -> KeyCondition:
        self._ordered(">=")
        return Comparison(self, ">=", self._operand(other, ">="))

    def between(self, low: T, high: T) -> KeyCondition:
        """``low <= column <= high``."""
        self._ordered("between")
        lo, hi = self._operand(low, "between"), self._operand(high, "between")
        if _reversed(lo, hi):  # DynamoDB would reject the whole request
            raise InvalidCondition(
                f"{self.label}.between({low!r}, {high!r}): the low bound is above the high one"
            )
        return Between(self, lo, hi)

    if TYPE_CHECKING:  # checkers require a first value; at run time none is InvalidCondition

        def in_(self, value: T, /, *values: T) -> Condition: ...

    else:

        def in_(self, *values):
            """The column equals one of ``values`` (1 to 100 of them)."""
            if not 1 <= len(values) <= 100:
                raise InvalidCondition(
                    f"{self.label}.in_() takes 1 to 100 values, not {len(values)}"
                )
            dumped = [self._operand(v, "in_") for v in values]
            return In(self, dumped)

    @overload
    def begins_with(self: Column[str], prefix: str) -> KeyCondition: ...
    @overload
    def begins_with(self: Column[str | None], prefix: str) -> KeyCondition: ...
    @overload
    def begins_with(self: Column[bytes], prefix: bytes) -> KeyCondition: ...
    @overload
    def begins_with(self: Column[bytes | None], prefix: bytes) -> KeyCondition: ...
    def begins_with(self, prefix: object) -> KeyCondition:
        """The string (or binary) column starts with ``prefix``."""
        if self.codec.dynamo_type not in _PREFIXED:
            raise InvalidCondition(
                f"{self.label}.begins_with({prefix!r}): only string and binary attributes have "
                f"prefixes, this one is stored as {self.codec.dynamo_type}"
            )
        kind = self.codec.dynamo_type
        if isinstance(prefix, str) and kind != "B":
            return BeginsWith(self, {"S": prefix})
        if isinstance(prefix, bytes) and kind != "S":
            return BeginsWith(self, {"B": prefix})
        wanted = {"S": "str", "B": "bytes"}.get(kind or "", "str or bytes")
        raise InvalidCondition(f"{self.label}.begins_with({prefix!r}): the prefix must be {wanted}")

    @overload
    def contains(self: Column[str], value: str) -> Condition: ...
    @overload
    def contains(self: Column[str | None], value: str) -> Condition: ...
    @overload
    def contains(self: Column[set[E]], value: E) -> Condition: ...
    @overload
    def contains(self: Column[set[E] | None], value: E) -> Condition: ...
    @overload
    def contains(self: Column[frozenset[E]], value: E) -> Condition: ...
    @overload
    def contains(self: Column[list[E]], value: E) -> Condition: ...
    @overload
    def contains(self: Column[list[E] | None], value: E) -> Condition: ...
    @overload
    def contains(self: Column[tuple[E, ...]], value: E) -> Condition: ...
    def contains(self, value: object) -> Condition:
        """A substring of a string column, or an element of a set or list column."""
        kind = self.codec.dynamo_type
        if kind not in _CONTAINERS:
            raise InvalidCondition(
                f"{self.label}.contains({value!r}): contains applies to strings, sets and lists, "
                f"this attribute is stored as {kind}"
            )
        element = self.codec.element
        if kind == "S":
            if not isinstance(value, str):
                raise InvalidCondition(
                    f"{self.label}.contains({value!r}): a string contains only a str"
                )
            operand: AttributeValue | Column[Any] = {"S": value}
        elif kind == "B":
            if not isinstance(value, bytes):
                raise InvalidCondition(
                    f"{self.label}.contains({value!r}): binary contains only bytes"
                )
            operand = {"B": value}
        elif element is not None:
            try:
                dumped = element.dump(value)
            except (TypeError, ValueError) as exc:
                raise InvalidCondition(f"{self.label}.contains({value!r}): {exc}") from None
            if dumped is None:
                raise InvalidCondition(f"{self.label}.contains(None) cannot be tested")
            operand = dumped
        else:
            operand = self._operand(value, "contains")  # dynamic type: dump by value
        return Contains(self, operand)

    def is_(self, value: None) -> Condition:
        """``is_(None)``: the attribute does not exist (DynamoDB stores None as absence)."""
        if value is not None:
            raise InvalidCondition(f"{self.label}.is_() takes None; use == for values")
        return Exists(self, exists=False)

    def is_not(self, value: None) -> Condition:
        """``is_not(None)``: the attribute exists."""
        if value is not None:
            raise InvalidCondition(f"{self.label}.is_not() takes None; use != for values")
        return Exists(self, exists=True)

    # -- document paths ------------------------------------------------------------------------

    @overload
    def __getitem__(self: Column[dict[str, V]], key: str) -> Column[V]: ...
    @overload
    def __getitem__(self: Column[dict[str, V] | None], key: str) -> Column[V]: ...
    @overload
    def __getitem__(self: Column[list[V]], key: int) -> Column[V]: ...
    @overload
    def __getitem__(self: Column[list[V] | None], key: int) -> Column[V]: ...
    @overload
    def __getitem__(self: Column[_Model], key: str) -> Column[Any]: ...
    @overload
    def __getitem__(self: Column[_Model | None], key: str) -> Column[Any]: ...
    def __getitem__(self, key: str | int) -> Column[Any]:
        """A path into a map (``Post.meta["k"]``), nested model or list (``Post.items[0]``)."""
        child = self.codec.child(key)
        if child is None:
            raise InvalidCondition(f"{self.label}[{key!r}]: no such path in this field's type")
        if isinstance(key, int) and key < 0:
            raise InvalidCondition(f"{self.label}[{key}]: list indexes must be >= 0")
        return Column(self.model, self.field, (*self.path, key), child, f"{self.label}[{key!r}]")


class Condition:
    """A condition expression; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __and__(self, other: Condition) -> Condition:
        return And(_flatten(And, self, other))

    def __or__(self, other: Condition) -> Condition:
        return Or(_flatten(Or, self, other))

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


class KeyCondition(Condition):
    """A condition that may also serve as a query's key condition (=, <, <=, >, >=, between,
    begins_with, and ``&`` of those). ``key()`` checks the exact shape when the query runs."""

    __slots__ = ()

    @overload
    def __and__(self, other: KeyCondition) -> KeyCondition: ...
    @overload
    def __and__(self, other: Condition) -> Condition: ...
    def __and__(self, other: Condition) -> Condition:
        return And(_flatten(And, self, other))


def _flatten(kind: type[And] | type[Or], *parts: object) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for part in parts:
        if not isinstance(part, Condition):
            raise InvalidCondition(f"cannot combine a condition with {part!r}")
        out.extend(part.parts if isinstance(part, kind) else (part,))
    return tuple(out)


def _reversed(low: AttributeValue | Column[Any], high: AttributeValue | Column[Any]) -> bool:
    """Whether two scalar bounds are in the wrong order, as DynamoDB orders them (numbers by
    value, strings and binary by their bytes). Paths are never known to be."""
    if _is_column(low) or _is_column(high):
        return False
    lo: AttributeValue = low  # type: ignore[assignment]  # TypeGuard narrows one way only
    hi: AttributeValue = high  # type: ignore[assignment]
    if "N" in lo and "N" in hi:
        return Decimal(str(lo["N"])) > Decimal(str(hi["N"]))
    if "S" in lo and "S" in hi:
        return str(lo["S"]).encode() > str(hi["S"]).encode()
    if "B" in lo and "B" in hi:
        return bytes(lo["B"]) > bytes(hi["B"])
    return False


def _operand_text(r: Renderer, operand: AttributeValue | Column[Any]) -> str:
    return r.path(operand.path) if isinstance(operand, Column) else r.value(operand)


def _operand_columns(*operands: AttributeValue | Column[Any]) -> Iterator[Column[Any]]:
    return (o for o in operands if isinstance(o, Column))


class Comparison(KeyCondition):
    __slots__ = ("column", "op", "operand")

    def __init__(self, column: Column[Any], op: str, operand: AttributeValue | Column[Any]):
        self.column, self.op, self.operand = column, op, operand

    def render(self, r: Renderer) -> str:
        return f"{r.path(self.column.path)} {self.op} {_operand_text(r, self.operand)}"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(self.operand)

    def __repr__(self) -> str:
        return f"({self.column.label} {self.op} {self.operand!r})"


class Between(KeyCondition):
    __slots__ = ("column", "high", "low")

    def __init__(
        self,
        column: Column[Any],
        low: AttributeValue | Column[Any],
        high: AttributeValue | Column[Any],
    ):
        self.column, self.low, self.high = column, low, high

    def render(self, r: Renderer) -> str:
        path = r.path(self.column.path)  # first, so that placeholders number left to right
        low, high = _operand_text(r, self.low), _operand_text(r, self.high)
        return f"{path} BETWEEN {low} AND {high}"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(self.low, self.high)

    def __repr__(self) -> str:
        return f"({self.column.label} between {self.low!r} and {self.high!r})"


class BeginsWith(KeyCondition):
    __slots__ = ("column", "prefix")

    def __init__(self, column: Column[Any], prefix: AttributeValue):
        self.column, self.prefix = column, prefix

    def render(self, r: Renderer) -> str:
        return f"begins_with({r.path(self.column.path)}, {r.value(self.prefix)})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column

    def __repr__(self) -> str:
        return f"begins_with({self.column.label}, {self.prefix!r})"


class Contains(Condition):
    __slots__ = ("column", "operand")

    def __init__(self, column: Column[Any], operand: AttributeValue | Column[Any]):
        self.column, self.operand = column, operand

    def render(self, r: Renderer) -> str:
        return f"contains({r.path(self.column.path)}, {_operand_text(r, self.operand)})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(self.operand)

    def __repr__(self) -> str:
        return f"contains({self.column.label}, {self.operand!r})"


class In(Condition):
    __slots__ = ("column", "values")

    def __init__(self, column: Column[Any], values: Sequence[AttributeValue | Column[Any]]):
        self.column, self.values = column, tuple(values)

    def render(self, r: Renderer) -> str:
        values = ", ".join(_operand_text(r, v) for v in self.values)
        return f"{r.path(self.column.path)} IN ({values})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column
        yield from _operand_columns(*self.values)

    def __repr__(self) -> str:
        return f"({self.column.label} in {list(self.values)!r})"


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

    def __repr__(self) -> str:
        return f"{'exists' if self.exists else 'not_exists'}({self.column.label})"


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


class And(KeyCondition):
    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Condition, ...]):
        self.parts = parts

    def render(self, r: Renderer) -> str:
        return " AND ".join(_group(r, p) for p in self.parts)

    def columns(self) -> Iterator[Column[Any]]:
        for p in self.parts:
            yield from p.columns()

    def __repr__(self) -> str:
        return " & ".join(map(repr, self.parts))


class Or(Condition):
    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Condition, ...]):
        self.parts = parts

    def render(self, r: Renderer) -> str:
        return " OR ".join(_group(r, p) for p in self.parts)

    def columns(self) -> Iterator[Column[Any]]:
        for p in self.parts:
            yield from p.columns()

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.parts))


class Not(Condition):
    __slots__ = ("part",)

    def __init__(self, part: Condition):
        self.part = part

    def render(self, r: Renderer) -> str:
        return f"NOT {_group(r, self.part)}"

    def columns(self) -> Iterator[Column[Any]]:
        return self.part.columns()

    def __repr__(self) -> str:
        return f"~{self.part!r}"


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


@overload
def col(column: Column[T]) -> Column[T]: ...
@overload
def col(column: T) -> Column[T]: ...
def col(column: object) -> Column[Any]:
    """Type a class attribute as its column for checkers without our plugin (pyright).

    ``col(Post.views)`` is ``Post.views`` at run time; pyright sees ``Column[int]``. (The first
    overload keeps it ``Column[int]`` under mypy's plugin, where ``Post.views`` already is one.)
    """
    if _is_column(column):
        return column
    raise InvalidCondition(f"col() takes a model column such as Post.views, not {column!r}")


def _is_column(value: object) -> TypeGuard[Column[Any]]:
    return isinstance(value, Column)
