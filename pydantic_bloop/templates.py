"""Keys made from fields: ``pk: Annotated[str, HashKey()] = Template("CUSTOMER#{customer}")``.

A ``Template`` is the default of a string field (a table or index key, usually) whose value is
always the template filled with other fields of the object, each in a string form that sorts
like the value (see ``ENCODINGS``). The field is filled when the object is validated and again
whenever one of its fields is assigned; a loaded item whose fields are not stored on their own
(a keys-only projection, a stream record's keys) gets them parsed back from the key.

What this module leaves to others: ``templated_key`` turns conditions on the fields into key
conditions (``key()``), and ``key_kwargs`` the fields given to ``engine.get`` into the key.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import types
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from string import Formatter
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin
from uuid import UUID

from .errors import InvalidModel
from .types.scalars import DatetimeCodec

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from .models import Base


class Template(str):
    """The default of a key field made from other fields: ``"ORDER#{placed}#{id}"`` (see the
    module docstring). Being a ``str``, it type-checks as the default of a ``str`` field."""

    __slots__ = ()


_INT_BOUND = 10**19  # |n| below this: int64 and more
_DATETIMES = DatetimeCodec()


@dataclass(frozen=True, slots=True)
class Encoding:
    """How values of one field type are written into a key, and read back."""

    name: str
    ordered: bool  # comparing the strings compares the values (range conditions allowed)

    def dump(self, value: object) -> str:
        if value is None:
            raise ValueError("None cannot be part of a key")
        if self.name == "int":
            return _dump_int(value)
        if self.name == "datetime":
            text: str = _DATETIMES.plain(value)
            return text
        if isinstance(value, Enum):
            return str(value.value)
        return str(value) if self.name != "date" else _dump_date(value)

    def load(self, text: str) -> object:
        """The value ``text`` holds, in a form pydantic validates into the field's type."""
        if self.name == "int":
            if text.startswith("-"):
                return int(text[1:]) - _INT_BOUND
            return int(text)
        return text

    def step(self, value: object, by: int) -> object:
        """The next (``by=1``) or previous (``-1``) value: ``< v`` is ``<= step(v, -1)``."""
        if isinstance(value, datetime):
            return value + timedelta(microseconds=by)
        if isinstance(value, date):
            return value + timedelta(days=by)
        if isinstance(value, int):
            return value + by
        raise ValueError(f"{value!r} is not a {self.name}")


def _dump_int(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an int")
    if not -_INT_BOUND <= value < _INT_BOUND:
        raise ValueError(f"{value} is out of the range a key template sorts (|n| < 10**19)")
    # 19 digits, zero-padded; negatives as "-" + (n + 10**19): "-" sorts before every digit
    return f"{value:019d}" if value >= 0 else f"-{value + _INT_BOUND:019d}"


def _dump_date(value: object) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a date")
    return value.isoformat()


ENCODINGS = {
    "str": Encoding("str", ordered=False),
    "int": Encoding("int", ordered=True),
    "datetime": Encoding("datetime", ordered=True),
    "date": Encoding("date", ordered=True),
    "uuid": Encoding("uuid", ordered=False),
}


@dataclass(frozen=True, slots=True)
class Part:
    literal: str  # the text before the field
    field: str
    encoding: Encoding


@dataclass(frozen=True, slots=True)
class KeyTemplate:
    """One parsed template: literal text and fields, alternating."""

    key: str  # the field whose value the template makes
    text: str
    parts: tuple[Part, ...]
    tail: str  # the text after the last field

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.parts)

    @property
    def shape(self) -> tuple[str, ...]:
        """What must agree between templates writing one attribute: texts and encodings."""
        return (*(f"{p.literal}{{{p.encoding.name}}}" for p in self.parts), self.tail)

    def render(self, values: dict[str, Any]) -> str:
        out: list[str] = []
        for i, part in enumerate(self.parts):
            text = part.encoding.dump(values[part.field])
            after = self.parts[i + 1].literal if i + 1 < len(self.parts) else self.tail
            if part.encoding.name == "str" and after and after in text:
                raise ValueError(
                    f"{part.field}={text!r} contains {after!r}, which ends it in the key "
                    f"template {self.text!r}"
                )
            out.append(part.literal + text)
        return "".join(out) + self.tail

    def parse(self, key: str) -> dict[str, object]:
        """The field values ``key`` was made from (``ValueError`` if it has another shape)."""
        values: dict[str, object] = {}
        pos = 0
        end = len(key) - len(self.tail)
        if not key.endswith(self.tail) or end < 0:
            raise ValueError(f"{key!r} does not end with {self.tail!r}")
        for i, part in enumerate(self.parts):
            if not key.startswith(part.literal, pos):
                raise ValueError(f"{key!r} does not match the key template {self.text!r}")
            pos += len(part.literal)
            after = self.parts[i + 1].literal if i + 1 < len(self.parts) else ""
            stop = key.find(after, pos, end) if after else end
            if stop < 0:
                raise ValueError(f"{key!r} does not match the key template {self.text!r}")
            values[part.field] = part.encoding.load(key[pos:stop])
            pos = stop
        if pos != end:
            raise ValueError(f"{key!r} does not match the key template {self.text!r}")
        return values


# -- at class definition --------------------------------------------------------------------------


def templates_of(model: type[Base]) -> dict[str, KeyTemplate]:
    """The key templates of ``model``'s fields, checked (``InvalidModel`` naming the field)."""
    label = model.__name__
    found: dict[str, KeyTemplate] = {}
    fields = model.model_fields
    for name, info in fields.items():
        if isinstance(info.default, Template):
            found[name] = _parse(label, name, info, str(info.default), fields)
    for t in found.values():
        made = [f for f in t.fields if f in found]
        if made:
            raise InvalidModel(
                f"{label}.{t.key}: the key template {t.text!r} names {made[0]}, which is "
                "itself made from a template; name the fields it is made from"
            )
    return found


def _parse(
    label: str, name: str, info: FieldInfo, text: str, fields: dict[str, FieldInfo]
) -> KeyTemplate:
    where = f"{label}.{name}: the key template {text!r}"
    if _scalar(info.annotation) is not str:
        raise InvalidModel(f"{where} makes a string: declare {name} as str")
    try:
        pieces = list(Formatter().parse(text))
    except ValueError as exc:
        raise InvalidModel(f"{where} cannot be read: {exc}") from None
    parts: list[Part] = []
    tail = ""
    for literal, field, spec, conversion in pieces:
        if field is None:
            tail = literal
            continue
        if spec or conversion:
            raise InvalidModel(f"{where}: {{{field}}} takes no format; the encoding is fixed")
        if field not in fields:
            raise InvalidModel(f"{where} names {field!r}, which is not a field of {label}")
        if field == name:
            raise InvalidModel(f"{where} names the field itself")
        if parts and not literal:
            raise InvalidModel(
                f"{where}: {{{parts[-1].field}}} and {{{field}}} need text between them "
                "(e.g. '#'), so that the key can be read back"
            )
        encoding = _encoding(fields[field].annotation)
        if encoding is None:
            raise InvalidModel(
                f"{where}: {field} ({_show(fields[field].annotation)}) cannot be written into a "
                "key so that it sorts; key templates take str, int, datetime, date, UUID, "
                "str enums and Literal strings"
            )
        parts.append(Part(literal, field, encoding))
    return KeyTemplate(name, text, tuple(parts), tail)


def _scalar(annotation: Any) -> Any:
    """``X`` of ``X | None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _encoding(annotation: Any) -> Encoding | None:
    scalar = _scalar(annotation)
    if get_origin(scalar) is Literal:
        values = get_args(scalar)
        return ENCODINGS["str"] if all(isinstance(v, str) for v in values) else None
    if not isinstance(scalar, type):
        return None
    if issubclass(scalar, Enum):
        ok = all(isinstance(m.value, str) for m in scalar)
        return ENCODINGS["str"] if ok else None
    if scalar is bool:
        return None
    for kind, name in ((str, "str"), (int, "int"), (datetime, "datetime"), (UUID, "uuid")):
        if issubclass(scalar, kind):
            return ENCODINGS[name]
    return ENCODINGS["date"] if issubclass(scalar, date) else None


def _show(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


# Templates already declared per (table, stored attribute): models sharing a table must agree
# on the shape of the keys that start with the same text, or one's query reads the other's keys
# with the wrong encoding (a collection query by customer 42 reads "CUSTOMER#42" or
# "CUSTOMER#0000000000000000042"). Weak: a model class that is gone declares nothing.
_declared: dict[tuple[str, str], weakref.WeakKeyDictionary[type[Base], KeyTemplate]] = {}


def check_shapes(model: type[Base], table: str, found: dict[str, KeyTemplate]) -> None:
    for name, t in found.items():
        info = model.model_fields[name]
        attribute = _stored_name(name, info)
        declared = _declared.setdefault((table, attribute), weakref.WeakKeyDictionary())
        first = t.parts[0].literal if t.parts else t.tail
        for other, o in list(declared.items()):
            if other.__name__ == model.__name__ or issubclass(model, other):
                continue  # a subclass, or a redefinition of the same class
            o_first = o.parts[0].literal if o.parts else o.tail
            if first == o_first and t.shape != o.shape:
                raise InvalidModel(
                    f"{model.__name__}.{name}: the key template {t.text!r} writes {attribute!r} "
                    f"of table {table!r} like {other.__name__}.{o.key} ({o.text!r}) does, "
                    "starting with the same text but with other fields or encodings; give "
                    "them the same shape or different prefixes"
                )
        declared[model] = t


def _stored_name(name: str, info: FieldInfo) -> str:
    from .markers import DynamoName

    for marker in info.metadata:
        if isinstance(marker, DynamoName):
            return marker.name
    return name
