"""DynamoDB's condition functions beyond comparisons: ``size()`` and ``attribute_type()``.

``Post.tags.size() > 3`` builds a :class:`SizeComparison`: :class:`Size` is a numeric operand (the
length of a string or binary, the number of elements of a set, list or map) compared with an
``int``, a number column or another size. ``Post.data.attribute_type("M")`` builds an
:class:`AttributeType`. Both render through the request's :class:`Renderer` like every condition.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast, get_args

from .conditions import Condition, Renderer, show_operand
from .errors import InvalidCondition
from .types import AttributeValue

if TYPE_CHECKING:
    from .columns import Column

DynamoType = Literal["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"]
DYNAMO_TYPES: frozenset[str] = frozenset(get_args(DynamoType))

# what size() measures: strings and binary (length), sets, lists and maps (elements)
SIZED = frozenset({"S", "B", "SS", "NS", "BS", "L", "M", None})
_NUMERIC = frozenset({"N", None})


class Size:
    """``size(path)`` of a column, a number to compare: ``Post.tags.size() > 3``."""

    __slots__ = ("column",)

    def __init__(self, column: Column[Any]) -> None:
        self.column = column

    @property
    def label(self) -> str:
        return f"{self.column.label}.size()"

    def __repr__(self) -> str:
        return f"<Size {self.label}>"

    __hash__ = object.__hash__

    def _operand(self, other: object, op: str) -> SizeOperand:
        if isinstance(other, Size):
            return other
        # a column is an instance of the measured column's class (no import: columns import us)
        if isinstance(other, type(self.column)):
            column: Column[Any] = cast(Any, other)  # pyright narrows to Column[Unknown]
            if column.codec.dynamo_type not in _NUMERIC:
                raise InvalidCondition(
                    f"{self.label} {op} {column.label}: a size is compared with numbers, "
                    f"{column.label} is stored as {column.codec.dynamo_type}"
                )
            return column
        if isinstance(other, bool) or not isinstance(other, int):
            raise InvalidCondition(
                f"{self.label} {op} {other!r}: a size is compared with an int, a number "
                "column or another size"
            )
        return {"N": str(other)}

    def _compare(self, op: str, other: object, shown: str) -> SizeComparison:
        return SizeComparison(self, op, self._operand(other, shown))

    def __eq__(  # type: ignore[override]  # returns a condition, not object's bool
        self, other: int | Size | Column[int]
    ) -> Condition:
        return self._compare("=", other, "==")

    def __ne__(  # type: ignore[override]  # returns a condition, not object's bool
        self, other: int | Size | Column[int]
    ) -> Condition:
        return self._compare("<>", other, "!=")

    def __lt__(self, other: int | Size | Column[int]) -> Condition:
        return self._compare("<", other, "<")

    def __le__(self, other: int | Size | Column[int]) -> Condition:
        return self._compare("<=", other, "<=")

    def __gt__(self, other: int | Size | Column[int]) -> Condition:
        return self._compare(">", other, ">")

    def __ge__(self, other: int | Size | Column[int]) -> Condition:
        return self._compare(">=", other, ">=")

    def between(self, low: int | Size | Column[int], high: int | Size | Column[int]) -> Condition:
        """``low <= size <= high``."""
        lo, hi = self._operand(low, "between"), self._operand(high, "between")
        if isinstance(lo, dict) and isinstance(hi, dict) and int(lo["N"]) > int(hi["N"]):
            raise InvalidCondition(
                f"{self.label}.between({low!r}, {high!r}): the low bound is above the high one"
            )
        return SizeBetween(self, lo, hi)

    def render(self, r: Renderer) -> str:
        return f"size({r.path(self.column.path)})"


if TYPE_CHECKING:
    SizeOperand: TypeAlias = AttributeValue | Column[Any] | Size


def _text(r: Renderer, operand: SizeOperand) -> str:
    if isinstance(operand, dict):
        return r.value(operand)
    if isinstance(operand, Size):
        return operand.render(r)
    return r.path(operand.path)


def _shown(operand: SizeOperand) -> str:
    return operand.label if isinstance(operand, Size) else show_operand(operand)


def _columns(*operands: SizeOperand) -> Iterator[Column[Any]]:
    for operand in operands:
        if isinstance(operand, Size):
            yield operand.column
        elif not isinstance(operand, dict):
            yield operand


# Condition nodes: the same four methods as those of conditions.py, each with its own syntax.


class SizeComparison(Condition):
    __slots__ = ("op", "operand", "size")

    def __init__(self, size: Size, op: str, operand: SizeOperand):
        self.size, self.op, self.operand = size, op, operand

    def render(self, r: Renderer) -> str:
        return f"{self.size.render(r)} {self.op} {_text(r, self.operand)}"

    def columns(self) -> Iterator[Column[Any]]:
        return _columns(self.size, self.operand)

    def describe(self) -> str:
        op = {"=": "==", "<>": "!="}.get(self.op, self.op)
        return f"{self.size.label} {op} {_shown(self.operand)}"

    def _infix(self) -> bool:
        return True


class SizeBetween(Condition):
    __slots__ = ("high", "low", "size")

    def __init__(self, size: Size, low: SizeOperand, high: SizeOperand):
        self.size, self.low, self.high = size, low, high

    def render(self, r: Renderer) -> str:
        size = self.size.render(r)  # first, so that placeholders number left to right
        return f"{size} BETWEEN {_text(r, self.low)} AND {_text(r, self.high)}"

    def columns(self) -> Iterator[Column[Any]]:
        return _columns(self.size, self.low, self.high)

    def describe(self) -> str:
        return f"{self.size.label}.between({_shown(self.low)}, {_shown(self.high)})"


class AttributeType(Condition):
    """``attribute_type(path, :type)``: the stored attribute has that DynamoDB type."""

    __slots__ = ("column", "kind")

    def __init__(self, column: Column[Any], kind: DynamoType):
        self.column, self.kind = column, kind

    def render(self, r: Renderer) -> str:
        return f"attribute_type({r.path(self.column.path)}, {r.value({'S': self.kind})})"

    def columns(self) -> Iterator[Column[Any]]:
        yield self.column

    def describe(self) -> str:
        return f"{self.column.label}.attribute_type({self.kind!r})"
