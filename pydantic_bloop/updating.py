"""``engine.update(obj, *actions, condition=None)``: one UpdateItem of an object's pending changes
and update actions, refreshed from the stored result.

The request carries exactly what ``save`` would send (the pending diff), the actions, the
caller's condition, atomic mode's condition and the version guard; it asks for the whole stored
item back (``ReturnValues=ALL_NEW``), which becomes the object's values and snapshot.

An object that has seen nothing of its item and holds nothing but its key (``Account(id="a1")``
or ``Account.model_construct(id="a1")``) is an update *by key*: it sends only the actions, with
no check of what it never saw (atomic mode's and the version's) and, for a versioned model, adds
one to the stored version.

Everything is checked before the request is built: each action's column belongs to the object's
model and is not a key or the version; no two actions touch one path (or one inside the other);
no action touches an attribute the pending diff also writes.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from .actions import UpdateAction
from .conditions import Condition, Path, and_all
from .errors import InvalidUpdate
from .models import Base, FieldSpec, ModelInfo, model_info
from .outcomes import settle, summary
from .plans import Before, Plan, Response
from .template_fill import key_held
from .tracking import Snapshot, atomic_condition, current_snapshot, diff, kept_with
from .types import MISSING
from .updates import Remove, Update
from .versions import bump
from .writes import TableOf, Write, WriteOptions, check_columns, with_version

__all__ = ["update", "update_write"]


def update(
    obj: Base,
    actions: Sequence[UpdateAction],
    table_of: TableOf,
    options: WriteOptions,
    condition: Condition | None,
    refresh: bool = True,
) -> Plan[Base]:
    """Send the one UpdateItem of :func:`update_write`; the object takes the stored item, or
    with ``refresh`` off (no item asked back) forgets the fields the actions change, as after
    a transaction. The before-update hooks run first: the write is built from what they left."""
    yield Before("update", (obj,), table_of)
    write = update_write(obj, actions, table_of, options, condition)
    request = write.request()
    if not refresh:  # no Attributes come back: Write._take then forgets instead of refreshing
        del request.params["ReturnValues"]
    outcome: Response | BaseException
    try:
        outcome = yield request
    except Exception as exc:
        outcome = exc
    except BaseException:  # cancelled or interrupted with the request in flight
        write.unsure()
        raise
    error = yield from settle(write, outcome)
    if error is not None:
        raise summary([write], {id(write): error}) or error
    return obj


def update_write(
    obj: Base,
    actions: Sequence[UpdateAction],
    table_of: TableOf,
    options: WriteOptions,
    condition: Condition | None,
) -> Write:
    """The write of ``engine.update``. Outside a single request (a transaction returns no item)
    the fields the actions change become unloaded once it is applied: only DynamoDB knows them."""
    info = model_info(type(obj))
    key = info.key_of(obj)
    _check_actions(info, obj, actions)
    if condition is not None:
        check_columns(info, obj, condition)
    before = current_snapshot(info, obj, key)
    by_key = before is None and obj.model_fields_set <= key_held(info)
    pending = Update()
    after: Snapshot | None = None
    if not by_key:
        changes = diff(info, obj, key)
        _check_pending(info, changes.update, actions)
        pending, after = changes.update, changes.after
    atomic = atomic_condition(info, obj) if options.atomic and not by_key else None
    guard = bump(info, obj, before, blind=by_key) if info.version is not None else None
    update = Update((*pending.actions, *(a.action for a in actions)))
    if guard is not None:
        update = Update((*update.actions, guard.action))
    changed = {a.column.field for a in actions}
    if guard is not None and guard.value is None and info.version is not None:
        changed.add(info.version.name)  # an update by key: the version it stores is unknown
    if after is not None:
        after = _forgetting(after, info, changed)
        if guard is not None and guard.value is not None:
            # what the object saw once no item comes back (refresh off, a transaction): the
            # version it wrote, which its next write checks
            after = with_version(info, after, guard.value)
    return Write(
        obj,
        info,
        table_of(type(obj)),
        key,
        "update",
        update=update,
        condition=and_all([condition, atomic, guard.condition if guard else None]),
        seen_after=after,
        version=guard.value if guard else None,
        returns=True,
        forget=tuple(sorted(changed)),
        guard=guard.condition if guard else None,
    )


def _check_actions(info: ModelInfo, obj: Base, actions: Sequence[UpdateAction]) -> None:
    paths: list[tuple[Path, UpdateAction]] = []
    for action in actions:
        if not isinstance(cast(object, action), UpdateAction):
            raise InvalidUpdate(
                f"update() takes actions such as {info.label}.<field>.set(value), not {action!r}"
            )
        column = action.column
        if not isinstance(obj, column.model):
            raise InvalidUpdate(f"{action}: {column.label} is not a field of {info.label}")
        spec = info.fields[column.field]
        if spec.role is not None:
            raise InvalidUpdate(
                f"{action}: {column.label} is the {spec.role} key; an update cannot change a key"
            )
        if spec is info.version:
            raise InvalidUpdate(f"{action}: {column.label} is the version, which writes manage")
        path = action.action.path
        if isinstance(action.action, Remove) and len(path) == 1 and _required(spec):
            raise InvalidUpdate(
                f"{action}: {column.label} has no default, so an item without it could not "
                "be loaded"
            )
        for other_path, other in paths:
            if _overlap(path, other_path):
                raise InvalidUpdate(
                    f"{other} and {action}: two actions on one path (or one inside the other) "
                    "in one update"
                )
        paths.append((path, action))


def _check_pending(info: ModelInfo, pending: Update, actions: Sequence[UpdateAction]) -> None:
    """No action on an attribute that the object's pending changes also write."""
    written = {a.path[0] for a in pending.actions}
    for action in actions:
        name = action.action.path[0]
        if name in written:
            spec = info.by_dynamo[str(name)]
            raise InvalidUpdate(
                f"{action}: {info.label}.{spec.name} was also changed on the object (now "
                "pending as a save), and one update cannot write it twice; save it first, "
                "or undo the change"
            )


def _required(spec: FieldSpec) -> bool:
    """Loading an item without the field's attribute fails (no default, no value for absence)."""
    return spec.required and spec.codec.load_absent() is MISSING


def _overlap(a: Path, b: Path) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _forgetting(snapshot: Snapshot, info: ModelInfo, fields: set[str]) -> Snapshot:
    """``snapshot`` without the attributes of ``fields`` (their stored values are unknown)."""
    gone = {info.fields[f].dynamo_name for f in fields if f in info.fields}
    item = {k: v for k, v in snapshot.item.items() if k not in gone}
    values = kept_with(info, snapshot.values, dict.fromkeys(fields, MISSING))
    return Snapshot(item, snapshot.names - gone, values)
