"""Keys given by their fields: ``key(Order.customer == c)``, ``get(Order, customer=c, id=3)``.

A condition on a field of a key template becomes a condition on the key it makes, before the
key rules are checked (keyrules.py). The fields of a template are given left to right: ``==``
on each but the last one given, which may instead take ``< <= > >= between`` (fields whose
encoding sorts: int, datetime, date) or ``begins_with`` (strings). ``==`` on every field is
``key == text``; on the first few, ``begins_with`` of the text up to the next field; a range on
the next field is a ``between`` of two texts (so it stays within the template's prefix:
``placed >= t`` is ``SK BETWEEN "ORDER#<t>" AND "ORDER#<highest character>"``). A sort key none
of whose fields is given is limited to the template's leading text (a query, not a collection).

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .columns import Column
from .conditions import And, BeginsWith, Between, Comparison, Condition
from .errors import InvalidQuery, InvalidValue
from .templates import KeyTemplate, Part
from .types import AttributeValue

if TYPE_CHECKING:
    from .conditions import Operand
    from .field_spec import FieldSpec
    from .models import ModelInfo
    from .paging import QueryState

# Above every character a key template's encodings write: the upper end of "starts with P"
HIGHEST = "\U0010ffff"


def key_kwargs(info: ModelInfo, given: Mapping[str, object]) -> Mapping[str, object]:
    """``given`` (keyword arguments of ``get``) with the fields of templated keys made into
    those keys: ``customer="ada", id=3`` -> ``pk="CUSTOMER#ada", sk="ORDER#...3"``."""
    if not info.templates:
        return given
    out = dict(given)
    used: set[str] = set()
    by_fields = any(f in given for t in info.templates.values() for f in t.fields)
    for spec in info.keys:
        t = info.templates.get(spec.name)
        if t is None or spec.name in given or (t.fields and not by_fields):
            continue  # given as the key, or not by fields (a constant template is filled)
        missing = [f for f in t.fields if f not in given]
        if missing:
            raise InvalidValue(
                f"{info.label}.{spec.name} is made from {', '.join(t.fields)} ({t.text!r}): "
                f"missing {', '.join(missing)}"
            )
        values = {f: info.key_value(info.fields[f], given[f]) for f in t.fields}
        try:
            out[spec.name] = t.render(values)
        except ValueError as exc:
            raise InvalidValue(f"{info.label}.{spec.name}: {exc}") from None
        used.update(t.fields)
    key_names = {k.name for k in info.keys}
    return {k: v for k, v in out.items() if k not in used or k in key_names}


def templated_key(
    state: QueryState[Any],
    condition: Condition,
    sides: tuple[tuple[FieldSpec, ...], tuple[FieldSpec, ...]],
    where: str,
) -> Condition:
    """``condition`` with conditions on the fields of templated keys made into conditions on
    the keys (unchanged when the queried keys have no template). ``sides``: the hash and range
    keys queried; ``where``: what is queried, for messages."""
    templates = state.info.templates
    if not templates:
        return condition
    parts = list(condition.parts if isinstance(condition, And) else (condition,))
    hash_keys, range_keys = sides
    made: list[Condition] = []
    for spec in (*hash_keys, *range_keys):
        t = templates.get(spec.name)
        if t is None:
            continue
        given: dict[str, Condition] = {}
        for part in parts:
            column = getattr(part, "column", None)
            if isinstance(column, Column) and column.field in t.fields and len(column.path) == 1:
                if column.field in given:
                    raise InvalidQuery(f"key(): {column.label} is given twice")
                given[column.field] = part
        if not given and (spec in range_keys and not state.members):
            # no condition on the sort key: at least the template's leading text
            if not any(_field_of(p) == spec.name for p in parts):
                lead = t.parts[0].literal if t.parts else t.tail
                if lead:
                    made.append(BeginsWith(state.info.columns[spec.name], _s(lead)))
            continue
        if not given:
            if spec in hash_keys and t.fields and not any(_field_of(p) == spec.name for p in parts):
                raise InvalidQuery(
                    f"key(): a query on {where} needs "
                    f"{' & '.join(f'{f} == value' for f in t.fields)} (its hash key "
                    f"{spec.name} is made from {t.text!r})"
                )
            continue
        parts = [p for p in parts if p not in given.values()]
        made.append(_key_condition(state.info, spec, t, given, is_hash=spec in hash_keys))
    if not made:
        return condition
    every = (*made, *parts)
    return every[0] if len(every) == 1 else And(every)


def _field_of(part: Condition) -> str | None:
    column = getattr(part, "column", None)
    return column.field if isinstance(column, Column) else None


def _key_condition(
    info: ModelInfo, spec: FieldSpec, t: KeyTemplate, given: dict[str, Condition], *, is_hash: bool
) -> Condition:
    column = info.columns[spec.name]
    where = f"key(): {info.label}.{spec.name} is made from {', '.join(t.fields)} ({t.text!r})"
    text = ""
    for part in t.parts:
        text += part.literal
        cond = given.pop(part.field, None)
        if cond is None:
            if is_hash:
                raise InvalidQuery(f"{where}: a query needs {part.field} == value too")
            if given:
                raise InvalidQuery(
                    f"{where}: {', '.join(given)} is given but {part.field} is not; give the "
                    f"fields left to right (add {part.field} == value)"
                )
            return BeginsWith(column, _s(text))
        if isinstance(cond, Comparison) and cond.op == "=":
            text += part.encoding.dump(_value(info, part, cond.operand))
            continue
        if is_hash:
            raise InvalidQuery(f"{where}: a hash key takes == on each of them, not {cond!r}")
        if given:
            later = ", ".join(given)
            raise InvalidQuery(
                f"{where}: the range condition on {part.field} must be on the last field given, "
                f"but {later} follows it; use == on {part.field}"
            )
        return _range(info, column, text, part, cond)
    return Comparison(column, "=", _s(text + t.tail))


def _range(
    info: ModelInfo, column: Column[Any], prefix: str, part: Part, cond: Condition
) -> Condition:
    """The key condition for a range condition ``cond`` on ``part`` after ``prefix``."""
    label = f"{info.label}.{part.field}"
    encode = part.encoding.dump
    if isinstance(cond, BeginsWith):
        if part.encoding.name != "str":
            raise InvalidQuery(f"key(): begins_with takes a string; {label} is not one")
        start = _value(info, part, cond.operand)
        return BeginsWith(column, _s(prefix + str(start)))
    if not part.encoding.ordered:
        raise InvalidQuery(
            f"key(): {label} is a {part.encoding.name} in a key template, whose text does not "
            "sort like the values; it takes == or begins_with only"
        )
    step = part.encoding.step
    top = prefix + HIGHEST
    if isinstance(cond, Between):
        low, high = _value(info, part, cond.low), _value(info, part, cond.high)
        return Between(column, _s(prefix + encode(low)), _s(prefix + encode(high) + HIGHEST))
    if isinstance(cond, Comparison) and cond.op in ("<", "<=", ">", ">="):
        v = _value(info, part, cond.operand)
        if cond.op == ">":
            v = step(v, 1)
        elif cond.op == "<":
            v = step(v, -1)
        if cond.op in (">", ">="):
            return Between(column, _s(prefix + encode(v)), _s(top))
        upper = _s(prefix + encode(v) + HIGHEST)
        # DynamoDB refuses an empty string as a key value: no lower end without a prefix
        return Between(column, _s(prefix), upper) if prefix else Comparison(column, "<=", upper)
    raise InvalidQuery(
        f"key(): {label} takes one condition of == < <= > >= between in a key, not {cond!r}"
    )


def _value(info: ModelInfo, part: Part, operand: Operand) -> object:
    """The Python value of an operand (conditions hold values in their stored form)."""
    spec = info.fields[part.field]
    if isinstance(operand, Column):
        raise InvalidQuery(f"key(): {info.label}.{part.field} takes a value, not a column")
    return info.key_value(spec, spec.codec.load(operand))


def _s(text: str) -> AttributeValue:
    return {"S": text}
