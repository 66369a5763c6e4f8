"""A model's whole stored item dumped by one function, generated once per model: the fast path of
`ModelInfo.dump_item`.

Why generated source: the general walk makes one codec call per field and checks the key in a
second pass (measured on the benchmark's eight-field item: 2.0 of 3.5 µs in the calls, most of
the rest in the loop and the check). Python inlines nothing, so the function is written out once,
at first use, with the fast case of the common codecs as plain expressions (exact ``str``, ``int``
but not ``bool``, ``bool``, ``Decimal``, UTC ``datetime``, lists of ``str``, ``None`` of an
optional) and a call of the field's codec for anything else.

Nothing here decides what is stored or what is an error. Each inline case repeats its codec's own
fast case exactly (the tests compare them value by value); whenever a value needs more (a field
never loaded, a value the codec refuses, a key that is not a number or a short ASCII string) the
function returns None and the caller takes the checked walk, which stores the same item or names
the model, field and value at fault.

Internal module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .limits import plain_key_in
from .types import AttributeValue, Codec
from .types.containers import ListCodec, OptionalCodec
from .types.numbers import TEN_38
from .types.scalars import (
    TWO_DIGITS,
    ZERO,
    BoolCodec,
    DatetimeCodec,
    DecimalCodec,
    IntCodec,
    StrCodec,
)

if TYPE_CHECKING:
    from .models import ModelInfo

Item = dict[str, AttributeValue]
# (the object's __dict__) -> its whole item, or None: take the checked walk
WholeDump = Callable[[Mapping[str, Any]], Item | None]
# (the object's __dict__, its key already dumped) -> its whole item, or None
RestDump = Callable[[Mapping[str, Any], Item], Item | None]

_INT = f"type(v) is int and -{TEN_38} < v < {TEN_38}"  # IntCodec.dump's fast case
_ON_REFUSAL = "(KeyError, TypeError, ValueError, RecursionError)"  # as dump_item's walk


def item_dumps(info: ModelInfo) -> tuple[WholeDump, RestDump]:
    """The generated dumps of ``info``'s model: the whole item, and all but the given key."""
    namespace: dict[str, Any] = {
        "Decimal": Decimal,
        "datetime": datetime,
        "UTC": UTC,
        "ZERO": ZERO,
        "D": TWO_DIGITS,
        "key_in": plain_key_in,
    }
    lines: dict[str, list[str]] = {}  # by field name: the lines computing its value
    optional: set[str] = set()  # fields whose value may be None (no attribute stored)
    checked_keys: list[tuple[str, int]] = []  # keys dumped by their codec: checked afterwards
    limits = dict(info.key_limits)
    for i, spec in enumerate(info.fields.values()):
        namespace[f"d{i}"] = spec.codec.dump
        target, value = f"a{i}", f"values[{spec.name!r}]"
        if spec.role is not None:
            limit = limits[spec.dynamo_name]
            fast = _key_case(spec.codec, target, limit)
            if fast is None:
                fast = [f"{target} = d{i}(v)"]
                checked_keys.append((spec.dynamo_name, limit))
        else:
            fast = _field_case(spec.codec, target, f"d{i}")
            if fast is None:
                fast = [f"{target} = d{i}(v)"]
                optional.add(spec.name)
            elif isinstance(spec.codec, OptionalCodec):
                optional.add(spec.name)
        lines[spec.name] = [f"v = {value}", *fast]
    namespace["KEY_LIMITS"] = tuple(checked_keys)
    targets = {s.name: (f"a{i}", s.dynamo_name) for i, s in enumerate(info.fields.values())}
    keys = [s.name for s in info.keys]
    rest = [s.name for s in info.fields.values() if s.role is None]
    entity = None if info.entity is None else (info.entity.attribute, info.entity.tag)
    whole = _source("whole", "values", keys + rest, lines, targets, optional, entity, checked_keys)
    given = _source("rest", "values, key", rest, lines, targets, optional, entity, [])
    exec(compile(whole + given, f"<item_dump of {info.label}>", "exec"), namespace)
    return namespace["whole"], namespace["rest"]


def _source(
    name: str,
    params: str,
    fields: list[str],
    lines: dict[str, list[str]],
    targets: dict[str, tuple[str, str]],
    optional: set[str],
    entity: tuple[str, str] | None,
    checked_keys: list[tuple[str, int]],
) -> str:
    body = [f"def {name}({params}):", "    try:"]
    body += [f"        {line}" for field in fields for line in lines[field]] or ["        pass"]
    body += [f"    except {_ON_REFUSAL}:", "        return None"]
    # One dict display for the attributes always stored, in the walk's order (the keys, then
    # the fields as declared, then the entity's tag); from the first that may be absent on,
    # one assignment each, so that the order stays the walk's.
    shown = ["**key"] if name == "rest" else []
    tail: list[str] = []
    for field in fields:
        target, dynamo_name = targets[field]
        if tail or field in optional:
            tail += [f"if {target} is not None:", f"    item[{dynamo_name!r}] = {target}"]
        else:
            shown.append(f"{dynamo_name!r}: {target}")
    if entity is not None:
        tag = f"{{'S': {entity[1]!r}}}"  # a new dict per item, as Entity.value
        if tail:
            tail.append(f"item[{entity[0]!r}] = {tag}")
        else:
            shown.append(f"{entity[0]!r}: {tag}")
    body.append(f"    item = {{{', '.join(shown)}}}")
    body += [f"    {line}" for line in tail]
    if checked_keys:
        body += ["    if not key_in(item, KEY_LIMITS):", "        return None"]
    body.append("    return item")
    return "\n".join(body) + "\n"


def _key_case(codec: Codec, target: str, limit: int) -> list[str] | None:
    """Lines dumping a key value of the exact type that needs no further check (what
    `plain_key_in` passes); any other value gives up."""
    if type(codec) is StrCodec:
        test = f"type(v) is str and 0 < len(v) <= {limit} and v.isascii()"
        dumped = '{"S": v}'
    elif type(codec) is IntCodec:
        test, dumped = _INT, '{"N": str(v)}'
    else:
        return None
    return [f"if {test}:", f"    {target} = {dumped}", "else:", "    return None"]


def _field_case(codec: Codec, target: str, dump: str) -> list[str] | None:
    """Lines dumping a non-key value: ``codec``'s fast case inline, else a call of ``dump``;
    None when the codec has no fast case here (always called, its result may be None)."""
    if type(codec) is OptionalCodec:
        inner = _field_case(codec.inner, target, dump)
        if inner is None:
            return None
        return ["if v is None:", f"    {target} = None", "else:", *(f"    {x}" for x in inner)]
    cases: list[str]
    if type(codec) is StrCodec:
        cases = [f'{target} = {{"S": v}} if type(v) is str else {dump}(v)']
    elif type(codec) is IntCodec:
        cases = [f'{target} = {{"N": str(v)}} if {_INT} else {dump}(v)']
    elif type(codec) is BoolCodec:
        cases = [f'{target} = {{"BOOL": v}} if v is True or v is False else {dump}(v)']
    elif type(codec) is DecimalCodec:
        # DecimalCodec.dump's fast case: <= 38 characters, no exponent, finite, not -0
        cases = [
            "if type(v) is Decimal:",
            "    t = str(v)",
            "    if len(t) <= 38 and 'E' not in t and t[-1].isdigit() and (v or t[0] != '-'):",
            f'        {target} = {{"N": t}}',
            "    else:",
            f"        {target} = {dump}(v)",
            "else:",
            f"    {target} = {dump}(v)",
        ]
    elif type(codec) is DatetimeCodec:
        # DatetimeCodec.dump's fast case: a datetime already in UTC, formatted from two-digit
        # pieces
        cases = [
            "if type(v) is datetime and ((z := v.tzinfo) is UTC or "
            "(z is not None and v.utcoffset() == ZERO)):",
            "    y, us = v.year, v.microsecond",
            f"    {target} = {{'S': f'{{D[y // 100]}}{{D[y % 100]}}-{{D[v.month]}}-{{D[v.day]}}"
            "T{D[v.hour]}:{D[v.minute]}:{D[v.second]}.{D[us // 10000]}{D[us // 100 % 100]}"
            "{D[us % 100]}Z'}",
            "else:",
            f"    {target} = {dump}(v)",
        ]
    elif type(codec) is ListCodec and codec.text_list:
        # ListCodec.dump's fast case: a list whose elements are all exact str
        cases = [
            "if type(v) is list:",
            "    t = [{'S': x} for x in v if type(x) is str]",
            f"    {target} = {{'L': t}} if len(t) == len(v) else {dump}(v)",
            "else:",
            f"    {target} = {dump}(v)",
        ]
    else:
        return None
    return cases
