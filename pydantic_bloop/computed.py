"""Values DynamoDB computes for a SET from what is stored: ``Account.hits.set(100 - Account.hits)``.

A column's ``+`` / ``-``, its ``if_not_exists(default)`` and ``list_append(a, b)`` build them,
typed with the column's type, and ``column.set(...)`` takes them (``p`` the target's path):

| written | update expression |
| --- | --- |
| `A.n.set(100 - A.n)` | `SET p = :v - n` |
| `A.a.set(A.b + 1)` | `SET p = b + :v` |
| `A.n.set(A.n.if_not_exists(5) + 1)` | `SET p = if_not_exists(n, :d) + :v` |
| `A.l.set(list_append(A.l.if_not_exists(["y"]), ["z"]))` | `SET p = list_append(...)` |
| `A.a.set(A.b)` | `SET p = b` |

DynamoDB's grammar is kept when they are built: numbers take one ``+`` or ``-`` per SET (its
result, an :class:`UpdateValue`, has no operators), ``if_not_exists`` takes a value or another
attribute as its default, and ``list_append`` nests freely. Lists are joined by a function, not
``+``, which would read as Python's own list ``+`` (and linters rewrite that into unpacking).
Values are dumped through the column's codec; a type that cannot take part is ``InvalidUpdate``
(an operator the attribute's type lacks) or ``InvalidValue`` (a value the field cannot store),
before sending.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from typing_extensions import TypeIs

from .errors import InvalidUpdate, InvalidValue
from .limits import check_action_value, shown
from .types import AttributeValue, Codec
from .updates import Arithmetic, IfNotExists, ListAppend, Operand, PathOperand

if TYPE_CHECKING:
    from .models import Base

__all__ = [
    "Computable",
    "UpdateOperand",
    "UpdateValue",
    "dump_value",
    "if_not_exists",
    "list_append",
    "related",
    "value_of",
]

T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E")
N = TypeVar("N", bound=int | float | Decimal)  # what + and - compute


def dump_value(codec: Codec, depth: int, value: object, label: str) -> AttributeValue | None:
    """``value`` as stored ``depth`` levels into the item (below the top level None is NULL),
    within what DynamoDB can store there; ``label`` names it in errors."""
    try:
        dumped = codec.dump_item(value) if depth > 1 else codec.dump(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{label}: {exc}") from None
    if dumped is not None:
        check_action_value(label, dumped, depth)
    return dumped


class UpdateValue(Generic[T_co]):
    """A value DynamoDB computes from the stored item, for ``column.set(...)``. One built with
    ``+`` / ``-`` of numbers takes no further operator (DynamoDB computes one per SET)."""

    __slots__ = ("codec", "kind", "label", "model", "operand")

    def __init__(
        self, operand: Operand, kind: str | None, model: type[Base], codec: Codec, label: str
    ) -> None:
        self.operand = operand
        self.kind = kind  # the DynamoDB type it computes ("N", "L"; None: not known)
        self.model = model  # the model whose attributes it reads
        self.codec = codec  # dumps the values combined with it
        self.label = label  # as written: "100 - Account.hits"

    def __repr__(self) -> str:
        return self.label

    if not TYPE_CHECKING:  # a type error for checkers; at run time a message that says why

        def __add__(self, other):
            raise InvalidUpdate(
                f"{self.label} + {_label(other)}: DynamoDB computes one + or - per SET"
            )

        def __sub__(self, other):
            raise InvalidUpdate(
                f"{self.label} - {_label(other)}: DynamoDB computes one + or - per SET"
            )

        __radd__ = __add__
        __rsub__ = __sub__


class Computable(Generic[T_co]):
    """What may be an operand of an update value: a column, ``if_not_exists(...)``,
    ``list_append(...)``. Its ``+`` and ``-`` (of numbers) give an :class:`UpdateValue`."""

    __slots__ = ()

    def __update_value__(self) -> UpdateValue[T_co]:
        """What this stands for in an update (a column: its stored value)."""
        raise NotImplementedError

    # N is a number type: a column of another type has no + or - for checkers
    def __add__(self: Computable[N | None], other: N | Computable[N | None], /) -> UpdateValue[N]:
        return _arithmetic(self, "+", other, reflected=False)

    def __radd__(self: Computable[N | None], other: N, /) -> UpdateValue[N]:
        return _arithmetic(self, "+", other, reflected=True)

    def __sub__(self: Computable[N | None], other: N | Computable[N | None], /) -> UpdateValue[N]:
        return _arithmetic(self, "-", other, reflected=False)

    def __rsub__(self: Computable[N | None], other: N, /) -> UpdateValue[N]:
        return _arithmetic(self, "-", other, reflected=True)


class UpdateOperand(Computable[T_co], UpdateValue[T_co]):
    """An update value that may take part in another: ``if_not_exists(...)``,
    ``list_append(...)``."""

    __slots__ = ()

    def __update_value__(self) -> UpdateValue[T_co]:
        return self


def value_of(item: object) -> UpdateValue[Any] | None:
    """The update value ``item`` is or stands for (a column: its stored value); None for a
    plain value."""
    if _is_computable(item):
        return item.__update_value__()
    if _is_value(item):
        return item
    return None


def _is_computable(item: object) -> TypeIs[Computable[Any]]:
    return isinstance(item, Computable)


def _is_value(item: object) -> TypeIs[UpdateValue[Any]]:
    return isinstance(item, UpdateValue)


def related(a: type[Base], b: type[Base]) -> bool:
    """Whether attributes of models ``a`` and ``b`` can be those of one item."""
    return issubclass(a, b) or issubclass(b, a)


def if_not_exists(
    path: tuple[str | int, ...], target: UpdateValue[Any], default: object
) -> UpdateOperand[Any]:
    """``if_not_exists(path, default)``: the stored value at ``path`` (the column ``target``
    reads), else ``default``, a value of the column's type or another attribute."""
    label = f"{target.label}.if_not_exists({_label(default)})"
    operand: Operand
    other = value_of(default)
    if other is not None:
        if not isinstance(other.operand, PathOperand):  # DynamoDB's grammar: a path or value
            raise InvalidUpdate(f"{label}: the default is a value or an attribute")
        _check_kind(label, target, other, target.kind)
        operand = other.operand
    else:
        dumped = dump_value(target.codec, len(path), default, label)
        if dumped is None:
            raise InvalidValue(f"{label}: the default is stored as no attribute; give a value")
        operand = dumped
    return UpdateOperand(IfNotExists(path, operand), target.kind, target.model, target.codec, label)


def _label(value: object) -> str:
    computed = value_of(value)
    return computed.label if computed is not None else shown(value)


def _check_kind(
    label: str, mine: UpdateValue[Any], other: UpdateValue[Any], wanted: str | None
) -> None:
    if not related(mine.model, other.model):
        raise InvalidUpdate(f"{label}: an update reads attributes of its own item only")
    if wanted is not None and other.kind is not None and other.kind != wanted:
        raise InvalidUpdate(f"{label}: {other.label} is stored as {other.kind}, {wanted} is needed")


def _arithmetic(
    left: Computable[Any], op: str, other: object, *, reflected: bool
) -> UpdateValue[Any]:
    """``left op other`` (``other op left`` when ``reflected``) of numbers."""
    mine = left.__update_value__()
    shown_other = _label(other)
    label = f"{shown_other} {op} {mine.label}" if reflected else f"{mine.label} {op} {shown_other}"
    if _is_value(other) and not _is_computable(other):
        raise InvalidUpdate(f"{label}: DynamoDB computes one + or - per SET")
    if mine.kind not in ("N", None):
        lists = " (list_append joins lists)" if mine.kind == "L" else ""
        raise InvalidUpdate(
            f"{label}: + and - compute numbers{lists}; {mine.label} is stored as {mine.kind}"
        )
    operand = _operand(label, mine, other, "N")
    first, second = (operand, mine.operand) if reflected else (mine.operand, operand)
    return UpdateValue(
        Arithmetic(first, "+" if op == "+" else "-", second), "N", mine.model, mine.codec, label
    )


@overload
def list_append(
    first: Computable[list[E] | None], second: list[E] | Computable[list[E] | None], /
) -> UpdateOperand[list[E]]: ...
@overload
def list_append(
    first: list[E], second: Computable[list[E] | None], /
) -> UpdateOperand[list[E]]: ...
def list_append(first: object, second: object, /) -> UpdateOperand[Any]:
    """``first`` and ``second`` joined: lists, at least one of them stored (a column,
    ``if_not_exists(...)``, another ``list_append``), the other may be a list value."""
    label = f"list_append({_label(first)}, {_label(second)})"
    mine = value_of(first if _is_computable(first) else second)
    if mine is None:
        raise InvalidUpdate(f"{label}: one of the lists is a stored attribute (a column)")
    if mine.kind not in ("L", None):
        raise InvalidUpdate(f"{label}: {mine.label} is stored as {mine.kind}, not a list")
    a, b = (_operand(label, mine, v, "L") for v in (first, second))
    return UpdateOperand(ListAppend(a, b), "L", mine.model, mine.codec, label)


def _operand(label: str, mine: UpdateValue[Any], other: object, kind: str) -> Operand:
    """``other`` as an operand beside ``mine`` in a computation of ``kind`` ("N" or "L"): a
    stored value (of this item, of that kind), or a value dumped through ``mine``'s codec."""
    theirs = value_of(other)
    if _is_computable(other) and theirs is not None:
        if theirs is not mine:
            _check_kind(label, mine, theirs, kind)
        return theirs.operand
    if theirs is not None:
        raise InvalidUpdate(
            f"{label}: {theirs.label} cannot be an operand (DynamoDB computes one + or - per SET)"
        )
    value, shown_other = other, _label(other)
    if isinstance(other, tuple):  # a tuple of elements: the list DynamoDB stores
        value = list(cast(tuple[object, ...], other))
    dumped = dump_value(mine.codec, 2, value, label)
    if dumped is None or kind not in dumped:
        raise InvalidValue(
            f"{label}: {shown_other} is not {'a list' if kind == 'L' else 'a number'}"
        )
    return dumped
