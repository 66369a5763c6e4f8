"""The write unit: one object's put, update, delete or condition check.

A `Write` knows its object, the object's model, the table and key, what it does (`kind`), its
update expression, and its full condition (the caller's condition AND, in atomic mode, that the
stored item is what the object last saw). Every way of sending writes is an envelope around
writes:

- a single request: `write.request()` is the PutItem / UpdateItem / DeleteItem `Call`;
- BatchWriteItem: `write.batch_entry()` is its `PutRequest` / `DeleteRequest`;
- TransactWriteItems: `write.transact_entry()` is its `Put` / `Update` / `Delete` /
  `ConditionCheck`.

Whoever sends it reports back: `write.applied(response)` once DynamoDB has applied it (the
object remembers what is now stored; the response is there for what a write may return, such as
ReturnValues or consumed capacity), and `write.failed(exc)` turns a failure into the library's
error (`ConstraintViolation` with the stored item, the `ClientError` kept as `__cause__`).

Pure logic: building a write sends nothing. Every value is dumped and checked when the write is
built, so a batch fails before its first request.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import versions
from .conditions import Condition, Renderer, and_all
from .errors import ConstraintViolation, InvalidCondition
from .hooks import ObjectKind, report_object
from .limits import attrs_size, check_write
from .models import Base, ModelInfo, model_info
from .plans import Backoff, Call, Response, error_code
from .refusals import restate
from .tracking import (
    ReadAfter,
    Snapshot,
    atomic_condition,
    canonical,
    current_snapshot,
    diff,
    holds,
    kept_with,
    number,
    read_diff,
    read_snapshot,
    refresh,
    remember_after,
    seen,
    unsure,
)
from .types import AttributeValue
from .updates import Update

__all__ = [
    "KeyId",
    "Persist",
    "TableOf",
    "Write",
    "WriteKind",
    "WriteOptions",
    "check_columns",
    "condition_check",
    "delete_write",
    "describe_object",
    "describe_objects",
    "key_id",
    "save_write",
    "with_version",
]

Persist = Literal["update", "overwrite"]
WriteKind = Literal["put", "update", "delete", "check"]
TableOf = Callable[[type[Base]], str]
KeyId = tuple[Hashable, ...]  # a table and the canonical form of a key in it


_NO_UPDATE = Update()
_OPERATIONS = {"put": "put_item", "update": "update_item", "delete": "delete_item"}
_TRANSACT = {"put": "Put", "update": "Update", "delete": "Delete", "check": "ConditionCheck"}


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """The engine settings a write depends on."""

    persist: Persist
    atomic: bool
    backoff: Backoff = field(default_factory=Backoff)


@dataclass(slots=True, eq=False)  # not frozen: its __init__ would cost a call per field
class Write:
    """One object's write. Build it with `save_write`, `delete_write` or `condition_check`;
    never changed once built."""

    obj: Base
    info: ModelInfo
    table: str
    key: dict[str, AttributeValue]
    kind: WriteKind
    item: dict[str, AttributeValue] | None = None  # a put's whole item
    update: Update | None = None  # an update's actions (empty: create or check only)
    condition: Condition | None = None  # the full condition
    # what the object has seen once the write is applied (see `after`): a Snapshot, or for a
    # plain save of an object read whole its parts, made into one only if asked
    seen_after: Snapshot | ReadAfter | None = None
    version: int | None = None  # the version the object holds once the write is applied
    returns: bool = False  # ask for the stored item (ReturnValues=ALL_NEW) and take it
    forget: tuple[str, ...] = ()  # fields whose stored value only the returned item tells
    guard: Condition | None = None  # the version check within `condition`, if any
    _ident: KeyId | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def after(self) -> Snapshot | None:
        """What the object has seen once this write is applied (None: not known here)."""
        after = self.seen_after
        if type(after) is tuple:
            after = self.seen_after = read_snapshot(self.info, after)
        return after  # type: ignore[return-value]

    @property
    def ident(self) -> KeyId:
        """The table and key this write is about (equal for equal keys however spelt): worked
        out once, when first asked (batches and transactions ask; a single request does not)."""
        ident = self._ident
        if ident is None:
            ident = self._ident = key_id(self.table, tuple(self.key), self.key)
        return ident

    def _params(self) -> dict[str, Any]:
        """The request parameters this write renders to (without the operation)."""
        if self.condition is None and self.update is not None and self.kind == "update":
            alone = self.update.render_alone()  # a save's diff: the same, without a Renderer
            if alone is not None:
                expression, names, values = alone
                params: dict[str, Any] = {
                    "TableName": self.table,
                    "Key": self.key,
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": names,
                }
                if values:
                    params["ExpressionAttributeValues"] = values
                return params
        r = Renderer()
        params = {"TableName": self.table}
        if self.item is not None:
            params["Item"] = self.item
        else:
            params["Key"] = self.key
        if self.kind == "update":
            params["UpdateExpression"] = (self.update or _NO_UPDATE).render(r)
        if self.condition is not None:
            params["ConditionExpression"] = r.condition(self.condition)
            # the stored item comes back in the error, for ConstraintViolation.item
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return r.into(params)

    def request(self) -> Call:
        """The single PutItem / UpdateItem / DeleteItem request of this write."""
        operation = _OPERATIONS.get(self.kind)
        if operation is None:
            raise ValueError("a condition check is sent only inside a transaction")
        params = self._params()
        if self.returns:
            params["ReturnValues"] = "ALL_NEW"
        return Call(operation, params)

    def batch_entry(self) -> dict[str, Any]:
        """This write as an entry of BatchWriteItem (unconditional puts and deletes only)."""
        if self.condition is not None or self.kind not in ("put", "delete"):
            raise ValueError(f"BatchWriteItem cannot carry a conditional or {self.kind} write")
        if self.item is not None:
            return {"PutRequest": {"Item": self.item}}
        return {"DeleteRequest": {"Key": self.key}}

    def transact_entry(self) -> dict[str, Any]:
        """This write as an entry of TransactWriteItems."""
        return {_TRANSACT[self.kind]: self._params()}

    def shown_condition(self) -> str | None:
        """The full condition as a user writes it (`Item.stock >= 1`), for messages."""
        return self.condition.describe() if self.condition is not None else None

    def stale(self, item: Mapping[str, Any] | None) -> bool:
        """Whether the stored `item` (returned with a failed condition; None: no item) fails
        this write's version check."""
        return self.guard is not None and not holds(self.guard, item)

    def stale_note(self, item: Mapping[str, Any] | None) -> str:
        """What a failed version check means, for messages."""
        stored = versions.stored_version(self.info, item)
        found = (
            "no stored item came back with the failure (none is stored)"
            if item is None
            else f"the stored version is {stored}"
        )
        return f"{found}, not what this object last saw (another writer changed it: load it again)"

    def size(self) -> int:
        """About how many bytes of items this write sends (its item, or its key and values),
        as DynamoDB counts them against a transaction's 4 MB."""
        params = self._params()
        attrs: dict[str, AttributeValue] = dict(params.get("Item") or params["Key"])
        attrs.update(params.get("ExpressionAttributeValues") or {})
        return attrs_size(attrs)

    def applied(self, response: Response | None = None, *, in_transaction: bool = False) -> None:
        """DynamoDB applied this write: the object now has seen what is stored (then the
        lifecycle hooks hear of it). `response` is the write's own response (None inside a
        batch or a transaction, which have none per item)."""
        if self.kind == "check":
            return
        self._take(response)
        # `returns` marks the write of engine.update / tx.update (see updating.update_write)
        kind: ObjectKind = (
            "deleted" if self.kind == "delete" else "updated" if self.returns else "saved"
        )
        report_object(kind, self.obj, self.table, transaction=in_transaction)

    def _take(self, response: Response | None) -> None:
        stored: dict[str, AttributeValue] | None = (response or {}).get("Attributes")
        if self.returns and stored is not None:
            refresh(self.info, self.obj, stored)
            return
        remember_after(self.info, self.obj, self.seen_after)
        values = vars(self.obj)
        if self.version is not None and self.info.version is not None:
            values[self.info.version.name] = self.version
        for name in self.forget:  # unloaded: reading it says so, saving it leaves it alone
            values.pop(name, None)

    def unsure(self) -> None:
        """This write's outcome is unknown: the object no longer trusts its snapshot (see
        `tracking.unsure`)."""
        if self.kind != "check":
            before = current_snapshot(self.info, self.obj)
            unsure(self.obj, before, self.after, deleted=self.kind == "delete")

    def failed(self, exc: BaseException) -> BaseException:
        """The error to raise for this write's failure `exc`: a failed condition becomes
        `ConstraintViolation`; anything else stays as it is."""
        code = error_code(exc)
        if code == "ValidationException" and self.kind == "update":
            restated = restate(describe_object(self.obj), self.info, self.update, exc)
            if restated is not None:  # refused for what the stored item holds
                return restated
        if code != "ConditionalCheckFailedException":
            return exc
        response: dict[str, Any] = getattr(exc, "response", {})
        return self.violation(response.get("Item"), exc)

    def violation(
        self,
        item: dict[str, AttributeValue] | None,
        cause: BaseException | None,
        note: str | None = None,
    ) -> ConstraintViolation:
        """`ConstraintViolation` for this write's condition, with the stored `item` (when the
        server returned it), the error behind it as `__cause__` and a `note` for the message."""
        shown = self.shown_condition() or "(none)"
        stale = self.stale(item)
        told = f"; {note}" if note else ""
        if stale:
            told += f"; {self.stale_note(item)}"
        error = ConstraintViolation(
            f"{describe_object(self.obj)}: the condition failed: {shown}{told}",
            self.obj,
            item,
            stale=stale,
        )
        error.__cause__ = cause
        return error


def key_id(table: str, names: Sequence[str], attrs: dict[str, AttributeValue]) -> KeyId:
    """Identity of a key regardless of how DynamoDB spells its numbers: one flat tuple of
    atomic values (the collector stops tracking it at its first pass)."""
    ident: list[Hashable] = [table]
    for name in names:
        ((kind, inner),) = attrs[name].items()
        if kind == "S" or kind == "B":
            ident += (kind, inner)
        elif kind == "N":
            ident += (kind, number(inner))
        else:  # numbers (any spelling), and whatever else a key may wrongly hold
            ident += canonical(attrs[name])
    return tuple(ident)


# -- building writes ---------------------------------------------------------------------------


def save_write(
    obj: Base, table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Write | None:
    """The write that saves `obj`: a put of the whole item (`persist="overwrite"`) or an update
    of what changed; None when there is nothing to send."""
    info = model_info(type(obj))
    table = table_of(type(obj))
    plain = info.version is None and condition is None and not options.atomic
    if plain and options.persist == "overwrite":
        return _plain_put(obj, info, table)
    if plain:
        read = read_diff(info, obj)
        if read is not None:
            return _read_update(obj, info, table, *read)
    key = info.key_of(obj)
    full = _full_condition(info, obj, options, condition)
    if info.version is not None:
        return _versioned_save(obj, info, table, key, options.persist, full)
    if options.persist == "overwrite":
        item = info.dump_item(obj, key)
        check_write(info, obj, item)
        after = seen(info, item, None, obj)
        return Write(obj, info, table, key, "put", item=item, condition=full, seen_after=after)
    changes = diff(info, obj, key)
    check_write(info, obj, {**key, **changes.set})
    if not changes.update and full is None and current_snapshot(info, obj, key) is not None:
        # Nothing changed since the item was seen and nothing is to be checked: an update
        # would write nothing (and, had the item been deleted meanwhile, recreate it blank).
        return None
    return Write(
        obj,
        info,
        table,
        key,
        "update",
        update=changes.update,
        condition=full,
        seen_after=changes.after,
    )


def _read_update(
    obj: Base, info: ModelInfo, table: str, key: dict[str, AttributeValue], after: ReadAfter
) -> Write | None:
    """`save_write` of an update with nothing to check of an object read whole (`read_diff`)."""
    _, sets, removes, _ = after
    if not sets and not removes:
        return None  # nothing changed since the item was read
    check_write(info, obj, {**key, **sets})
    update = Update.of_attributes(sets, removes)
    return Write(obj, info, table, key, "update", update=update, seen_after=after)


def _plain_put(obj: Base, info: ModelInfo, table: str) -> Write:
    """`save_write` of a put with nothing to check (a bulk save's): the key is taken from the
    item, dumped in the same walk (a bad key is refused first, as `key_of` does)."""
    item = info.dump_item(obj)
    check_write(info, obj, item)
    key = {name: item[name] for name in info.key_names}
    return Write(obj, info, table, key, "put", item=item, seen_after=seen(info, item, None, obj))


def delete_write(
    obj: Base, table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Write:
    """The write that deletes `obj`."""
    info = model_info(type(obj))
    full = _full_condition(info, obj, options, condition)
    if info.version is None:
        return Write(obj, info, table_of(type(obj)), info.key_of(obj), "delete", condition=full)
    guard = versions.check(info, current_snapshot(info, obj))
    return Write(
        obj,
        info,
        table_of(type(obj)),
        info.key_of(obj),
        "delete",
        condition=and_all([full, guard]),
        guard=guard,
    )


def _versioned_save(
    obj: Base,
    info: ModelInfo,
    table: str,
    key: dict[str, AttributeValue],
    persist: Persist,
    condition: Condition | None,
) -> Write | None:
    """`save_write` of a model with a version: conditioned on the version last seen, storing
    the next one. An update that changes nothing changes no version either."""
    assert info.version is not None
    before = current_snapshot(info, obj, key)
    if persist == "overwrite":
        guard = versions.bump(info, obj, before)
        item = {**info.dump_item(obj, key), info.version.dynamo_name: {"N": str(guard.value)}}
        check_write(info, obj, item)
        after = with_version(info, seen(info, item, None, obj), guard.value)
        full = and_all([condition, guard.condition])
        return Write(
            obj,
            info,
            table,
            key,
            "put",
            item=item,
            condition=full,
            seen_after=after,
            version=guard.value,
            guard=guard.condition,
        )
    changes = diff(info, obj, key)
    check_write(info, obj, {**key, **changes.set})
    stored = (info.version.dynamo_name,)
    pending = Update(a for a in changes.update.actions if a.path != stored)  # ours to write
    if not pending and before is not None:
        if condition is None:
            return None  # nothing changed, nothing to check
        seen_version = versions.check(info, before)
        check = and_all([condition, seen_version])
        return Write(
            obj,
            info,
            table,
            key,
            "update",
            condition=check,
            seen_after=changes.after,
            guard=seen_version,
        )
    guard = versions.bump(info, obj, before)
    # the same constructor as the check-only write above, with other arguments: no logic repeats
    return Write(
        obj,
        info,
        table,
        key,
        "update",
        update=Update((*pending.actions, guard.action)),
        condition=and_all([condition, guard.condition]),
        seen_after=with_version(info, changes.after, guard.value),
        version=guard.value,
        guard=guard.condition,
    )


def with_version(info: ModelInfo, snapshot: Snapshot, value: int | None) -> Snapshot:
    """``snapshot`` as it is once the version ``value`` is stored."""
    assert info.version is not None and value is not None
    name, stored = info.version.name, info.version.dynamo_name
    values = kept_with(info, snapshot.values, {name: value})
    item = {**snapshot.item, stored: {"N": str(value)}}
    return Snapshot(item, snapshot.names | {stored}, values)


def condition_check(obj: Base, table_of: TableOf, condition: Condition) -> Write:
    """A check of `condition` on `obj`'s stored item (a transaction's ConditionCheck)."""
    info = model_info(type(obj))
    check_columns(info, obj, condition)
    return Write(obj, info, table_of(type(obj)), info.key_of(obj), "check", condition=condition)


def _full_condition(
    info: ModelInfo, obj: Base, options: WriteOptions, condition: Condition | None
) -> Condition | None:
    """The caller's condition AND (atomic mode) the stored item is what `obj` last saw."""
    if condition is None and not options.atomic:
        return None  # the common case, without building the list for and_all
    if condition is not None:
        check_columns(info, obj, condition)
    return and_all([condition, atomic_condition(info, obj) if options.atomic else None])


def check_columns(info: ModelInfo, obj: Base, condition: Condition) -> None:
    """`InvalidCondition` unless every column `condition` names is a field of `obj`'s model."""
    for column in condition.columns():
        if not isinstance(obj, column.model):
            raise InvalidCondition(
                f"the condition names {column.label}, which is not a field of {info.label}"
            )


# -- limits and messages -----------------------------------------------------------------------


def describe_objects(objs: Sequence[Base], most: int = 10) -> str:
    """`Post(forum='f', id=1), ...` (at most `most` of them, then how many more)."""
    shown = ", ".join(describe_object(o) for o in objs[:most])
    return shown + (f" and {len(objs) - most} more" if len(objs) > most else "")


def describe_object(obj: Base) -> str:
    """`Post(forum='f', id=1)`: the model and key of `obj`, for error messages. A key made by a
    template shows the fields it is made from (`Order(customer=7, id=1)`, not its `PK`/`SK`):
    those are what the caller's code names."""
    info = model_info(type(obj))
    values = vars(obj)
    names: dict[str, None] = {}
    for key in info.keys:
        template = info.templates.get(key.name)
        names.update(dict.fromkeys(template.fields if template is not None else (key.name,)))
    shown = ", ".join(f"{name}={values.get(name)!r}" for name in names)
    return f"{info.label}({shown})"
