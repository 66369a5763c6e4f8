"""Columns: a model field (or a document path below one) seen from the class, ``Post.views``.

A column builds conditions (``Post.views > 10``, nodes of :mod:`pydantic_bloop.conditions`),
the operands of condition functions (``Post.tags.size()``, :mod:`pydantic_bloop.functions`).
Values are dumped through the field's codec when the condition is built, so a value the field
cannot store fails here, not at DynamoDB.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import builtins
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import BaseModel
from typing_extensions import TypeIs

from . import actions, computed
from .actions import UpdateAction
from .computed import Computable, UpdateOperand, UpdateValue
from .conditions import (
    BeginsWith,
    Between,
    Comparison,
    Condition,
    Contains,
    Exists,
    In,
    KeyCondition,
    Path,
)
from .errors import InvalidCondition
from .functions import DYNAMO_TYPES, SIZED, AttributeType, DynamoType, Size
from .limits import path_key_problem, shown, value_problem
from .types import AttributeValue, Codec
from .updates import PathOperand

if TYPE_CHECKING:
    from .models import Base

T = TypeVar("T")
E = TypeVar("E")
V = TypeVar("V")
_Model = TypeVar("_Model", bound=BaseModel)
# a column as given: its own type, never one inferred from where the result goes (mypy would
# otherwise make col(Post.lines) a Column[list[str] | None] where an optional list is expected)
_Col = TypeVar("_Col", bound="Column[Any]")

_ORDERED = frozenset({"S", "N", "B", None})
_PREFIXED = frozenset({"S", "B", None})
_CONTAINERS = frozenset({"S", "B", "SS", "NS", "BS", "L", None})


class Column(Computable[T], Generic[T]):
    """A model field (or a document path below one) seen from the class: ``Post.views``.

    Comparisons and methods build conditions, action methods update actions, ``+`` / ``-`` and
    ``if_not_exists`` values computed in an update (:mod:`pydantic_bloop.computed`). The type
    parameter is the field's Python type, so a type checker rejects ``Post.views > "ten"``.
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
            dumped = self.codec.dump(value)
        except (TypeError, ValueError) as exc:
            raise InvalidCondition(f"{self.label} {what}: {exc}") from None
        if dumped is not None and (problem := value_problem(dumped)) is not None:
            raise InvalidCondition(f"{self.label} {what}: {problem}")
        return dumped

    def _operand(self, value: object, op: str) -> AttributeValue | Column[Any]:
        if _is_column(value):
            return self._other(value, op, self.codec.dynamo_type)
        dumped = self._dump(value, f"{op} {shown(value)}")
        if dumped is None:
            raise InvalidCondition(
                f"{self.label} {op} {value!r}: the value is stored as an absent attribute; "
                "use .is_(None) / .is_not(None) to test for absence"
            )
        return dumped

    def _other(self, other: Column[Any], op: str, wanted: str | None) -> Column[Any]:
        """``other`` as an operand: a column of a related model, stored as ``wanted`` (None:
        any type) when both types are known; a comparison of two types is never true."""
        if not (issubclass(self.model, other.model) or issubclass(other.model, self.model)):
            raise InvalidCondition(
                f"{self.label} {op} {other.label}: a condition names attributes of one item"
            )
        kind = other.codec.dynamo_type
        if wanted is not None and kind is not None and kind != wanted:
            raise InvalidCondition(
                f"{self.label} {op} {other.label}: {other.label} is stored as {kind}, "
                f"{wanted} is needed here"
            )
        return other

    def _ordered(self, op: str) -> None:
        if self.codec.dynamo_type not in _ORDERED:
            raise InvalidCondition(
                f"{self.label} {op}: DynamoDB orders only strings, numbers and binary, "
                f"not {self.codec.dynamo_type} values"
            )

    # -- comparisons ---------------------------------------------------------------------------

    def _equality(self, other: object, op: str, *, equal: bool) -> KeyCondition:
        if _is_column(other):
            return Comparison(self, op, self._other(other, op, self.codec.dynamo_type))
        dumped = self._dump(other, f"{'==' if equal else '!='} {shown(other)}")
        if dumped is None:  # None and empty sets are stored as absent attributes
            return Exists(self, exists=not equal)
        return Comparison(self, op, dumped)

    def __eq__(  # type: ignore[override]  # returns a condition, not object's bool
        self, other: T | Column[T]
    ) -> KeyCondition:
        return self._equality(other, "=", equal=True)

    def __ne__(  # type: ignore[override]  # returns a condition, not object's bool
        self, other: T | Column[T]
    ) -> Condition:
        return self._equality(other, "<>", equal=False)

    def _ordering(self, op: str, other: object) -> KeyCondition:
        self._ordered(op)
        return Comparison(self, op, self._operand(other, op))

    # Each operator needs its own overload set (typing cannot share one between methods): the
    # repeats below are signatures; the logic is _ordering.
    @overload  # a Decimal column compares with int and float literals too (``Product.price > 5``)
    def __lt__(self: Column[Decimal], other: Decimal | float | Column[Decimal]) -> KeyCondition: ...
    @overload
    def __lt__(self, other: T | Column[T]) -> KeyCondition: ...
    def __lt__(self, other: object) -> KeyCondition:
        return self._ordering("<", other)

    @overload  # a Decimal column compares with int and float literals too (``Product.price > 5``)
    def __le__(self: Column[Decimal], other: Decimal | float | Column[Decimal]) -> KeyCondition: ...
    @overload
    def __le__(self, other: T | Column[T]) -> KeyCondition: ...
    def __le__(self, other: object) -> KeyCondition:
        return self._ordering("<=", other)

    @overload  # a Decimal column compares with int and float literals too (``Product.price > 5``)
    def __gt__(self: Column[Decimal], other: Decimal | float | Column[Decimal]) -> KeyCondition: ...
    @overload
    def __gt__(self, other: T | Column[T]) -> KeyCondition: ...
    def __gt__(self, other: object) -> KeyCondition:
        return self._ordering(">", other)

    @overload  # a Decimal column compares with int and float literals too (``Product.price > 5``)
    def __ge__(self: Column[Decimal], other: Decimal | float | Column[Decimal]) -> KeyCondition: ...
    @overload
    def __ge__(self, other: T | Column[T]) -> KeyCondition: ...
    def __ge__(self, other: object) -> KeyCondition:
        return self._ordering(">=", other)

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
    def begins_with(self: Column[str], prefix: str | Column[str]) -> KeyCondition: ...
    @overload
    def begins_with(self: Column[str | None], prefix: str | Column[str]) -> KeyCondition: ...
    @overload
    def begins_with(self: Column[bytes], prefix: bytes | Column[bytes]) -> KeyCondition: ...
    @overload
    def begins_with(self: Column[bytes | None], prefix: bytes | Column[bytes]) -> KeyCondition: ...
    def begins_with(self, prefix: object) -> KeyCondition:
        """The string (or binary) column starts with ``prefix`` (a value or another column)."""
        if self.codec.dynamo_type not in _PREFIXED:
            raise InvalidCondition(
                f"{self.label}.begins_with({prefix!r}): only string and binary attributes have "
                f"prefixes, this one is stored as {self.codec.dynamo_type}"
            )
        kind = self.codec.dynamo_type
        if _is_column(prefix):
            wanted = kind if prefix.codec.dynamo_type in _PREFIXED else "S or B"
            return BeginsWith(self, self._other(prefix, ".begins_with", wanted))
        if isinstance(prefix, str) and kind != "B":
            return BeginsWith(self, {"S": prefix})
        if isinstance(prefix, bytes) and kind != "S":
            return BeginsWith(self, {"B": prefix})
        wanted = {"S": "str", "B": "bytes"}.get(kind or "", "str or bytes")
        raise InvalidCondition(f"{self.label}.begins_with({prefix!r}): the prefix must be {wanted}")

    @overload
    def contains(self: Column[str], value: str | Column[str]) -> Condition: ...
    @overload
    def contains(self: Column[str | None], value: str | Column[str]) -> Condition: ...
    @overload
    def contains(self: Column[builtins.set[E]], value: E | Column[E]) -> Condition: ...
    @overload
    def contains(self: Column[builtins.set[E] | None], value: E | Column[E]) -> Condition: ...
    @overload
    def contains(self: Column[frozenset[E]], value: E | Column[E]) -> Condition: ...
    @overload
    def contains(self: Column[list[E]], value: E | Column[E]) -> Condition: ...
    @overload
    def contains(self: Column[list[E] | None], value: E | Column[E]) -> Condition: ...
    @overload
    def contains(self: Column[tuple[E, ...]], value: E | Column[E]) -> Condition: ...
    def contains(self, value: object) -> Condition:
        """A substring of a string column, or an element of a set or list column; ``value`` may
        be another column (``Post.tags.contains(Post.topic)``)."""
        kind = self.codec.dynamo_type
        if kind not in _CONTAINERS:
            raise InvalidCondition(
                f"{self.label}.contains({value!r}): contains applies to strings, sets and lists, "
                f"this attribute is stored as {kind}"
            )
        element = self.codec.element
        if _is_column(value):
            # a string holds a string, a set one of its elements; a list holds anything
            wanted = kind[0] if kind in ("S", "B", "SS", "NS", "BS") else None
            return Contains(self, self._other(value, ".contains", wanted))
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

    # -- condition functions -------------------------------------------------------------------

    @overload
    def size(self: Column[str]) -> Size: ...
    @overload
    def size(self: Column[str | None]) -> Size: ...
    @overload
    def size(self: Column[bytes]) -> Size: ...
    @overload
    def size(self: Column[bytes | None]) -> Size: ...
    @overload
    def size(self: Column[builtins.set[E]]) -> Size: ...
    @overload
    def size(self: Column[builtins.set[E] | None]) -> Size: ...
    @overload
    def size(self: Column[frozenset[E]]) -> Size: ...
    @overload
    def size(self: Column[frozenset[E] | None]) -> Size: ...
    @overload
    def size(self: Column[list[E]]) -> Size: ...
    @overload
    def size(self: Column[list[E] | None]) -> Size: ...
    @overload
    def size(self: Column[tuple[E, ...]]) -> Size: ...
    @overload
    def size(self: Column[tuple[E, ...] | None]) -> Size: ...
    @overload
    def size(self: Column[dict[str, V]]) -> Size: ...
    @overload
    def size(self: Column[dict[str, V] | None]) -> Size: ...
    # (no overload for nested models: mypy takes ``Column[_Model]`` to match ``Column[int]``)
    def size(self) -> Size:
        """``size()``: the length of a string or binary, the element count of a set, list or
        map; compare it with ints (``Post.tags.size() > 3``)."""
        if self.codec.dynamo_type not in SIZED:
            raise InvalidCondition(
                f"{self.label}.size(): size applies to strings, binary, sets, lists and maps, "
                f"this attribute is stored as {self.codec.dynamo_type}"
            )
        return Size(self)

    def attribute_type(self, kind: DynamoType) -> Condition:
        """The stored attribute has the DynamoDB type ``kind`` ("S", "N", "SS", "M", ...)."""
        if kind not in DYNAMO_TYPES:
            raise InvalidCondition(
                f"{self.label}.attribute_type({kind!r}): the type is one of "
                f"{', '.join(sorted(DYNAMO_TYPES))}"
            )
        return AttributeType(self, kind)

    # -- update actions (``engine.update(obj, *actions)``; see pydantic_bloop.actions) --------
    # (``builtins.set`` in the annotations: ``set`` here is the method below)

    def set(self, value: T | UpdateValue[T] | Computable[T]) -> UpdateAction:
        """``SET``: store ``value`` (None, or an empty set, removes a top-level attribute), or
        what DynamoDB computes: another attribute, ``100 - Post.views``,
        ``Post.views.if_not_exists(0) + 1``, ``list_append(Post.lines, ["x"])``."""
        return actions.set_value(self, value)

    def if_not_exists(self, default: T | Computable[T]) -> UpdateOperand[T]:
        """The stored value, or ``default`` (a value or another attribute) when the item lacks
        it: a value for ``set``, which may take ``+`` / ``-``."""
        return computed.if_not_exists(self.path, self.__update_value__(), default)

    def __update_value__(self) -> UpdateValue[T]:
        return UpdateValue(
            PathOperand(self.path), self.codec.dynamo_type, self.model, self.codec, self.label
        )

    def remove(self) -> UpdateAction:
        """``REMOVE``: delete the attribute (or the map key, or the list element)."""
        return actions.remove(self)

    def set_default(self, value: T) -> UpdateAction:
        """``SET p = if_not_exists(p, value)``: store ``value`` unless the attribute exists."""
        return actions.set_default(self, value)

    @overload
    def add(self: Column[int], value: int, /) -> UpdateAction: ...
    @overload
    def add(self: Column[int | None], value: int, /) -> UpdateAction: ...
    @overload
    def add(self: Column[float], value: float, /) -> UpdateAction: ...
    @overload
    def add(self: Column[float | None], value: float, /) -> UpdateAction: ...
    @overload
    def add(self: Column[Decimal], value: Decimal | int, /) -> UpdateAction: ...
    @overload
    def add(self: Column[Decimal | None], value: Decimal | int, /) -> UpdateAction: ...
    @overload
    def add(self: Column[builtins.set[E]], value: E, /, *values: E) -> UpdateAction: ...
    @overload
    def add(self: Column[builtins.set[E] | None], value: E, /, *values: E) -> UpdateAction: ...
    @overload
    def add(self: Column[frozenset[E]], value: E, /, *values: E) -> UpdateAction: ...
    def add(self, *values: object) -> UpdateAction:
        """``ADD``: add one number (negative to subtract; an absent attribute counts as 0), or
        elements to a set. A number below the top level is ``SET p = if_not_exists(p, 0) + n``."""
        return actions.add(self, values)

    @overload
    def discard(self: Column[builtins.set[E]], value: E, /, *values: E) -> UpdateAction: ...
    @overload
    def discard(self: Column[builtins.set[E] | None], value: E, /, *values: E) -> UpdateAction: ...
    @overload
    def discard(self: Column[frozenset[E]], value: E, /, *values: E) -> UpdateAction: ...
    def discard(self, *values: object) -> UpdateAction:
        """``DELETE``: take elements out of a set."""
        return actions.discard(self, values)

    @overload
    def append(self: Column[list[E]], value: E, /, *values: E) -> UpdateAction: ...
    @overload
    def append(self: Column[list[E] | None], value: E, /, *values: E) -> UpdateAction: ...
    def append(self, *values: object) -> UpdateAction:
        """``list_append`` at the end of a list (an absent list counts as empty)."""
        return actions.append(self, values, front=False)

    @overload
    def prepend(self: Column[list[E]], value: E, /, *values: E) -> UpdateAction: ...
    @overload
    def prepend(self: Column[list[E] | None], value: E, /, *values: E) -> UpdateAction: ...
    def prepend(self, *values: object) -> UpdateAction:
        """``list_append`` at the front of a list (an absent list counts as empty)."""
        return actions.append(self, values, front=True)

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
        if isinstance(key, int):
            if isinstance(key, bool):
                raise InvalidCondition(f"{self.label}[{key!r}]: a list index is an int, not a bool")
            # a plain int: an int subclass's own str() never reaches the expression text
            key = int(key)
        child = self.codec.child(key)
        if child is None:
            raise InvalidCondition(f"{self.label}[{key!r}]: no such path in this field's type")
        if isinstance(key, int) and key < 0:
            raise InvalidCondition(f"{self.label}[{key}]: list indexes must be >= 0")
        if isinstance(key, str) and (problem := path_key_problem(key)) is not None:
            raise InvalidCondition(f"{self.label}[{shown(key)}]: {problem}")
        return Column(self.model, self.field, (*self.path, key), child, f"{self.label}[{key!r}]")

    if not TYPE_CHECKING:  # mypy's plugin declares it for mypy (see pydantic_bloop.mypy)

        def __getattr__(self, name):
            """``Post.author.name``: the path to a field of a nested model, as
            ``Post.author["name"]``."""
            if name.startswith("_") or name in _SLOTS:
                # copy and pickle probe for dunders on objects whose slots are not set yet
                raise AttributeError(name)
            child = self.codec.attribute(name)
            if child is None:
                raise AttributeError(f"{self.label} has no attribute {name!r}")
            path = (*self.path, name)
            return Column(self.model, self.field, path, child, f"{self.label}.{name}")


_SLOTS = frozenset(Column.__slots__)


def _reversed(low: AttributeValue | Column[Any], high: AttributeValue | Column[Any]) -> bool:
    """Whether two scalar bounds are in the wrong order, as DynamoDB orders them (numbers by
    value, strings and binary by their bytes). Paths are never known to be."""
    if _is_column(low) or _is_column(high):
        return False
    if "N" in low and "N" in high:
        return Decimal(str(low["N"])) > Decimal(str(high["N"]))
    if "S" in low and "S" in high:
        return str(low["S"]).encode() > str(high["S"]).encode()
    if "B" in low and "B" in high:
        return bytes(low["B"]) > bytes(high["B"])
    return False


@overload
def col(column: _Col) -> _Col: ...
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


def _is_column(value: object) -> TypeIs[Column[Any]]:
    return isinstance(value, Column)
