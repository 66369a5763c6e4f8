"""What each object last saw of its stored item, and the diffs and atomic conditions built on it.

A `Snapshot` holds the stored item as last read or written, the attribute names that
read was expected to return (an attribute expected but absent was seen absent; one not expected
was never loaded, and no save touches it), and the values of the object's immutable fields at
that moment, so that a diff can skip dumping those that did not change. Those values are a
tuple of scalars, which the collector stops tracking at its first pass (a copy of the object's
``__dict__`` stayed tracked for the object's life: one more container for every full
collection to walk, for every object loaded).

An object read whole holds no `Snapshot` until one is asked for (see `loaded`): a plain
update-save of it diffs against the item read (`read_diff`), and once applied it holds the
item written the same way (`remember_after`), so that its next save does too.

Internal: not part of the public API (snapshots are reached with `snapshot_of` and `remember`;
`mapper_state` owns where objects keep them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from ._pydantic_compat import replace_fields_set
from .conditions import Condition, Or, PathEquals, and_all

# snapshots live on objects: reached through mapper_state, re-exported for the operations
from .mapper_state import kept_by, model_info, read_by, remember_read, seen_by
from .mapper_state import remember as remember
from .types import MISSING, AttributeValue
from .updates import Update

if TYPE_CHECKING:
    from .models import Base, ModelInfo


class Snapshot:
    """What an object last saw: ``names`` (stored attribute names) were expected of ``item``."""

    __slots__ = ("doubt", "item", "names", "values")

    def __init__(
        self,
        item: Mapping[str, AttributeValue],
        names: frozenset[str],
        values: tuple[Any, ...] | None,
        doubt: tuple[Snapshot | None, ...] = (),
    ) -> None:
        self.item = item  # never mutated: a response's item, or a dict made for this snapshot
        self.names = names
        # the object's immutable field values then (see `kept`; MISSING: not loaded), or None
        self.values = values
        # the last write's outcome is unknown: the stored item is one of these (None: no item),
        # and ``item`` serves only for the key
        self.doubt = doubt

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def get(self, name: str) -> AttributeValue | None:
        """The value seen of stored attribute ``name`` (None: absent, or never loaded)."""
        return self.item.get(name) if name in self.names else None

    def items(self) -> Iterator[tuple[str, AttributeValue | None]]:
        """Every expected attribute and the value seen (None: seen absent), by name."""
        item = self.item
        for name in sorted(self.names):
            yield name, item.get(name)

    def __repr__(self) -> str:
        return f"Snapshot({dict(self.items())!r})"


def seen(
    info: ModelInfo,
    item: Mapping[str, AttributeValue],
    names: frozenset[str] | None,
    obj: Base | None = None,
) -> Snapshot:
    """The snapshot of reading or writing ``item`` with the fields ``names`` (Python names;
    None: all) expected; ``obj``, the object that now matches it (its values are kept)."""
    kept = None if obj is None else _table(info).keep(obj.__dict__)
    return Snapshot(item, info.dynamo_names(names), kept)


def loaded(
    info: ModelInfo, obj: Base, item: Mapping[str, AttributeValue], names: frozenset[str] | None
) -> None:
    """``obj`` (of ``info``) was just made from ``item`` with the fields ``names`` (None: all):
    remember it as seen, as ``remember(obj, seen(info, item, names, obj))`` would. Reads do
    this once per object: a whole read keeps no `Snapshot` (see `mapper_state.remember_read`),
    `snapshot_of` makes it when asked."""
    table = _TABLES.get(info.model)
    if table is None or table.info is not info:
        table = _table(info)
    if names is None and isinstance(item, dict) and type(obj) is info.model:
        values = obj.__dict__
        try:  # (inlined `keep`: its common case, a whole object, without the method call)
            kept: tuple[Any, ...] = table.grab(values)
        except KeyError:
            kept = table.keep(values)
        remember_read(obj, item, kept)
    else:
        remember(obj, seen(info, item, names, obj))


def snapshot_of(obj: Base) -> Snapshot | None:
    """The snapshot of ``obj``; None for an object never loaded or saved."""
    seen = seen_by(obj)
    if isinstance(seen, dict):  # read whole (see `loaded`): all its stored names were expected
        names = model_info(type(obj)).dynamo_names(None)
        snapshot = Snapshot(seen, names, kept_by(obj))
        remember(obj, snapshot)  # made once: the object is about to be saved or compared
        return snapshot
    return seen


def remember_after(info: ModelInfo, obj: Base, after: Snapshot | ReadAfter | None) -> None:
    """Make ``after``, what a write just applied leaves ``obj`` to have seen, what it last saw:
    kept as a whole read's item and values (see `loaded`) when every field is expected, so
    that the next save of ``obj`` takes `read_diff` too."""
    if type(after) is tuple:
        remember_read(obj, _read_item(after), after[3])
    elif (
        isinstance(after, Snapshot)
        and type(obj) is info.model
        and after.values is not None
        and not after.doubt
        and isinstance(after.item, dict)
        and after.names == info.dynamo_names(None)
    ):
        remember_read(obj, cast("dict[str, Any]", after.item), after.values)
    else:
        remember(obj, after)  # type: ignore[arg-type]


def unsure(obj: Base, before: Snapshot | None, after: Snapshot | None, deleted: bool) -> None:
    """The outcome of a write of ``obj`` is unknown (no answer came, or the caller was cancelled
    with the request in flight): the stored item is what ``obj`` saw ``before`` (None: nothing)
    or what the write stores (``after``; none if ``deleted``; unknown if ``after`` is None).
    The object stops trusting its snapshot: its next save sends every loaded attribute, and
    atomic conditions accept either item."""
    earlier = before.doubt if before is not None and before.doubt else (before,)
    later: tuple[Snapshot | None, ...] = (None,) if deleted else (after,) if after else ()
    candidates = tuple({id(c): c for c in (*earlier, *later)}.values())
    base = next((c for c in reversed(candidates) if c is not None), None)
    if base is None:
        remember(obj, None)  # no item either way: as never seen
        return
    remember(obj, Snapshot(base.item, base.names, None, candidates))


def refresh(info: ModelInfo, obj: Base, item: dict[str, AttributeValue]) -> None:
    """Replace every field of ``obj`` with the stored item's, and remember it as seen."""
    fresh, given = info.values_from_item(item)  # new objects: ``fresh`` serves the snapshot
    values = vars(obj)
    values.clear()
    values.update(fresh)
    replace_fields_set(obj, given)
    if type(obj) is info.model:  # as `loaded`: no Snapshot made yet
        remember_read(obj, item, _table(info).keep(fresh))
    else:
        remember(obj, Snapshot(item, info.dynamo_names(None), _table(info).keep(fresh)))


@dataclass(slots=True, eq=False)  # not frozen: its __init__ would cost a call per field
class Diff:
    """What an update-save sends: attributes to SET and to REMOVE (as the `update` to render,
    and by stored name), and the snapshot after."""

    update: Update
    set: dict[str, AttributeValue]
    remove: tuple[str, ...]
    after: Snapshot


def current_snapshot(
    info: ModelInfo, obj: Base, key: Mapping[str, AttributeValue] | None = None
) -> Snapshot | None:
    """The snapshot of ``obj`` if it still describes the item ``obj`` is keyed to (``key``: the
    key of ``obj``, when already dumped).

    After a key field changes, the object names another item, of which nothing was seen: it is
    new again (an update-save writes every loaded field; atomic mode expects no item there).
    """
    snapshot = snapshot_of(obj)
    if snapshot is None:
        return None
    values = obj.__dict__
    for spec in info.keys:
        seen_key = snapshot.get(spec.dynamo_name)
        if seen_key is None or spec.name not in values:
            continue
        current: AttributeValue | None
        if key is not None:
            current = key[spec.dynamo_name]
        else:
            value = values[spec.name]
            at = _table(info).position.get(spec.name)
            if at is not None and _unchanged(snapshot.values, at, value):
                continue
            current = info.dump_field(spec, value)
        if not same(current, seen_key):
            return None
    return snapshot


def _unchanged(kept: tuple[Any, ...] | None, at: int, value: object) -> bool:
    """``value`` is the very value (or an equal immutable one) that an object's field (``at``
    in the snapshot's ``kept`` values) had when seen."""
    if kept is None:
        return False
    old = kept[at]
    return value is old or (type(value) is type(old) and value == old)


def kept_with(
    info: ModelInfo, kept: tuple[Any, ...] | None, changes: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """A snapshot's ``kept`` values with the fields ``changes`` names set to the values it gives
    (MISSING: unknown)."""
    if kept is None:
        return None
    position = _table(info).position
    out = list(kept)
    for name, value in changes.items():
        at = position.get(name)
        if at is not None:
            out[at] = value
    return tuple(out)


def holds(condition: Condition, item: Mapping[str, AttributeValue] | None) -> bool:
    """Whether the stored ``item`` (None: there is none) meets ``condition``, one built from what
    an object saw (`PathEquals` of top-level attributes, `Or` of those: a version guard, or an
    atomic condition of a doubtful object), so that a failed write can tell which part failed."""
    if isinstance(condition, Or):
        return any(holds(part, item) for part in condition.parts)
    assert isinstance(condition, PathEquals) and len(condition.path) == 1
    return same((item or {}).get(str(condition.path[0])), condition.value)


class _Table:
    """What tracking needs of each field of a model, worked out once: ``fields`` (field, name,
    stored name, dump, position in ``kept`` or -1, filled on load when absent), the names of
    the immutable fields whose values a snapshot keeps (``kept``), and where each is.

    Filled on load when absent: a templated field or a key of an index, whose attribute the
    stored item may lack (written before the template or the index existed): loading filled it
    (from the template, or the field's default), and the next save writes it, so that the item
    gets into the index. Other fields filled on load (defaults) are not."""

    __slots__ = ("fields", "grab", "info", "kept", "keys", "position", "values")

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        indexed = {spec.name for index in info.indexes.values() for spec in index.keys}
        indexed.update(info.templates)
        self.kept = tuple(s.name for s in info.fields.values() if s.immutable)
        self.position = {name: at for at, name in enumerate(self.kept)}
        self.fields = tuple(
            (
                s,
                s.name,
                s.dynamo_name,
                s.codec.dump,
                self.position.get(s.name, -1),
                s.name in indexed,
            )
            for s in info.fields.values()
        )
        # (position in ``kept``, stored name, dump) of each key field, in key order (a key
        # field of a type kept by reference, none today, leaves it empty: `read_diff` declines),
        # and the other fields' entries of ``fields``: `read_diff`'s two loops
        keys = tuple(
            (self.position.get(s.name, -1), s.dynamo_name, s.codec.dump) for s in info.keys
        )
        self.keys = keys if all(at >= 0 for at, _, _ in keys) else ()
        self.values = tuple(f for f in self.fields if f[0].role is None)
        kept = self.kept
        # the kept values of a whole object, in one C call (KeyError: a partial object)
        self.grab: Callable[[Mapping[str, Any]], Any] = (
            itemgetter(*kept) if len(kept) > 1 else lambda values: tuple(values[n] for n in kept)
        )

    def keep(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values of the immutable fields among an object's ``values`` (MISSING: not
        loaded)."""
        try:
            kept: tuple[Any, ...] = self.grab(values)
        except KeyError:  # a partial object
            return tuple(values.get(name, MISSING) for name in self.kept)
        return kept


_TABLES: dict[type[Any], _Table] = {}


def _table(info: ModelInfo) -> _Table:
    table = _TABLES.get(info.model)
    if table is None or table.info is not info:
        table = _TABLES[info.model] = _Table(info)
    return table


def diff(info: ModelInfo, obj: Base, key: Mapping[str, AttributeValue]) -> Diff:
    """Compare the loaded fields of ``obj`` (whose stored ``key`` is given) with its snapshot."""
    values = obj.__dict__
    before = current_snapshot(info, obj, key)
    if before is not None and before.doubt:
        before = None  # the last write's outcome is unknown: send everything, as a new object
    item: dict[str, AttributeValue] = {}
    names: set[str] = set()
    seen_names: frozenset[str] = frozenset()
    kept: tuple[Any, ...] | None = None
    if before is not None:
        item.update(before.item)  # attributes outside ``names`` stay unread (see Snapshot.get)
        names.update(before.names)
        seen_names, kept = before.names, before.values
    table = _table(info)
    sets: dict[str, AttributeValue] = {}
    removes: list[str] = []
    for spec, name, dynamo_name, dump, at, filled in table.fields:
        if name not in values:
            continue  # never loaded: leave the stored attribute alone
        value = values[name]
        if spec.role is not None:
            item[dynamo_name] = key[dynamo_name]
            names.add(dynamo_name)
            continue
        seen_value: AttributeValue | None = None
        was_seen = dynamo_name in seen_names
        if was_seen:
            seen_value = item.get(dynamo_name)
            if at >= 0 and kept is not None and (seen_value is not None or not filled):
                old = kept[at]
                if value is old or (type(value) is type(old) and value == old):
                    continue  # the same immutable value as when seen: nothing to dump or send
        try:
            current = dump(value)
        except (TypeError, ValueError, RecursionError):
            current = info.dump_field(spec, value)  # InvalidValue naming model, field and value
        if not was_seen:
            if current is None:
                # a new object: the item it saves is the object, whatever was stored there; a
                # partial object whose unloaded field was set to None: the stored one goes too
                removes.append(dynamo_name)
            else:
                sets[dynamo_name] = item[dynamo_name] = current
            names.add(dynamo_name)
            continue
        if current == seen_value or (
            current is not None and seen_value is not None and same(current, seen_value)
        ):
            continue
        if current is None:
            removes.append(dynamo_name)
            del item[dynamo_name]
        else:
            sets[dynamo_name] = item[dynamo_name] = current
    entity = info.entity
    if entity is not None and (before is None or before.item.get(entity.attribute) != entity.value):
        sets[entity.attribute] = item[entity.attribute] = entity.value  # tag every item written
    after = Snapshot(item, frozenset(names), table.keep(values))
    removed = tuple(removes)
    return Diff(Update.of_attributes(sets, removed), sets, removed, after)


def read_diff(info: ModelInfo, obj: Base) -> tuple[dict[str, AttributeValue], ReadAfter] | None:
    """`diff` of an object read whole and not written since (no `Snapshot` made yet, see
    `loaded`) whose key fields still hold the values read: its key (the stored item's, checked
    to be what each key field dumps to) and, as the parts of what it will have seen once the
    update is applied (`ReadAfter`), the attributes to SET and to REMOVE that `diff` would find.
    None: any other object, left to `diff` and `key_of`."""
    read = read_by(obj)
    if read is None or type(obj) is not info.model:
        return None
    item, kept = read
    values = obj.__dict__
    table = _TABLES.get(info.model)
    if table is None or table.info is not info:
        table = _table(info)
    try:
        now = table.grab(values)  # what the snapshot after keeps (`_Table.keep`)
    except KeyError:  # a partial object
        now = table.keep(values)
    if not table.keys:
        return None
    key: dict[str, AttributeValue] = {}
    try:
        for at, dynamo_name, dump in table.keys:
            # the key read, if the field still holds it and it dumps to the stored spelling
            value, old, stored = now[at], kept[at], item[dynamo_name]
            held = value is old or (type(value) is type(old) and value == old)
            if not held or value is MISSING or dump(value) != stored:
                return None
            key[dynamo_name] = stored
    except (LookupError, TypeError, ValueError, RecursionError):
        return None  # key_of names the key field at fault
    sets: dict[str, AttributeValue] = {}
    removes: list[str] = []
    for spec, name, dynamo_name, dump, at, filled in table.values:
        if at >= 0:
            value = now[at]
            if value is kept[at] and not filled:
                continue  # the very value read (the common case, with no lookup)
            if value is MISSING:
                continue  # never loaded: leave the stored attribute alone
            seen_value = item.get(dynamo_name)
            if seen_value is not None or not filled:
                old = kept[at]
                if value is old or (type(value) is type(old) and value == old):
                    continue  # the same immutable value as when read: nothing to send
        elif name in values:
            value = values[name]
            seen_value = item.get(dynamo_name)
        else:
            continue  # never loaded: leave the stored attribute alone
        try:
            current = dump(value)
        except (TypeError, ValueError, RecursionError):
            current = info.dump_field(spec, value)  # InvalidValue naming model, field and value
        if current == seen_value or (
            current is not None and seen_value is not None and same(current, seen_value)
        ):
            continue
        if current is None:
            removes.append(dynamo_name)
        else:
            sets[dynamo_name] = current
    entity = info.entity
    if entity is not None and item.get(entity.attribute) != entity.value:
        sets[entity.attribute] = entity.value  # tag every item written
    return key, (item, sets, tuple(removes), now)


# What an object `read_diff` answered for will have seen once its update is applied, as parts
# made into the item it then holds as read (`remember_after`) or into a Snapshot
# (`read_snapshot`) only when applied or asked: the item read, the attributes set, those
# removed, and the values of the immutable fields when the write was built.
ReadAfter = tuple[
    Mapping[str, AttributeValue], dict[str, AttributeValue], tuple[str, ...], tuple[Any, ...]
]


def _read_item(read: ReadAfter) -> dict[str, AttributeValue]:
    item, sets, removes, _ = read
    after = {**item, **sets}
    for name in removes:
        del after[name]
    return after


def read_snapshot(info: ModelInfo, read: ReadAfter) -> Snapshot:
    """The Snapshot of `read`."""
    return Snapshot(_read_item(read), info.dynamo_names(None), read[3])


def atomic_condition(info: ModelInfo, obj: Base) -> Condition:
    """The stored item still matches the snapshot; for an object never seen: no item exists."""
    snapshot = current_snapshot(info, obj)
    if snapshot is not None and snapshot.doubt:  # either item the unknown outcome may have left
        return Or(tuple(_matches(info, s) for s in snapshot.doubt))
    return _matches(info, snapshot)


def _matches(info: ModelInfo, snapshot: Snapshot | None) -> Condition:
    """The stored item is ``snapshot``'s (None: no item exists)."""
    if snapshot is None:
        assert info.hash_key is not None
        return PathEquals((info.hash_key.dynamo_name,), None)
    condition = and_all([PathEquals((name,), value) for name, value in snapshot.items()])
    assert condition is not None
    return condition


def same(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    """Equal stored values, ignoring set order and number spelling (DynamoDB normalises both)."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    ((kind, value),) = a.items()
    if kind not in b or kind in _PLAIN:
        return False  # another type, or a string / binary / bool that differs
    if kind == "N":
        other = b["N"]
        if value.isdigit() and other.isdigit() and value.isascii() and other.isascii():
            return int(value) == int(other)  # `number`'s common case, without its two calls
        return number(value) == number(other)
    return bool(canonical(a) == canonical(b))


_PLAIN = frozenset({"S", "B", "BOOL", "NULL"})


def canonical(value: AttributeValue) -> Any:
    """A hashable form of a stored value in which equal values are equal (sets unordered,
    numbers normalised)."""
    ((kind, inner),) = value.items()
    if kind == "N":
        return kind, number(inner)
    if kind == "NS":
        return kind, frozenset(number(n) for n in inner)
    if kind in ("SS", "BS"):
        return kind, frozenset(inner)
    if kind == "L":
        return kind, tuple(canonical(v) for v in inner)
    if kind == "M":
        return kind, frozenset((k, canonical(v)) for k, v in inner.items())
    return kind, inner


def number(text: str) -> Decimal | int | str:
    """A stored number in a form equal (and hashing equal) for every spelling of it."""
    if text.isdigit() and text.isascii():  # the common spelling: equal to its Decimal
        return int(text)
    try:
        return Decimal(text).normalize()
    except InvalidOperation:
        return text
