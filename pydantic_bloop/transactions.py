"""DynamoDB's transactions: ``Transaction`` (the writes of ``engine.transaction()``, sent as
one ``TransactWriteItems``), ``TransactGetItems`` for ``load(transaction=True)``, and what
their cancellations mean.

Pure logic (see :mod:`pydantic_bloop.plans`): the requests, the retry of a transaction that was
canceled only because another one held its items (``TransactionConflict``), and the
``TransactionCanceled`` error that names each failing object. A transaction is an envelope:
its items are the very write units single saves, updates and deletes send
(:mod:`pydantic_bloop.writes`), so persist mode, atomic mode and versions apply alike.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .actions import UpdateAction
from .conditions import Condition, ConditionArg, as_condition
from .errors import (
    CancellationReason,
    InvalidItem,
    InvalidTransaction,
    InvalidUpdate,
    MissingObjects,
    TransactionCanceled,
    unreadable,
)
from .hooks import report_commit, report_object
from .models import Base, model_info
from .plans import Backoff, Before, BeforeKind, Call, Plan, Response, Sleep, error_code
from .refusals import REFUSED, message_of, why
from .tracking import refresh
from .types import AttributeValue
from .updating import update_write
from .writes import (
    KeyId,
    TableOf,
    Write,
    WriteOptions,
    condition_check,
    delete_write,
    describe_object,
    describe_objects,
    key_id,
    save_write,
)

__all__ = ["MAX_ITEMS", "MAX_REQUEST_BYTES", "Part", "Transaction", "load", "send"]

MAX_ITEMS = 100
MAX_REQUEST_BYTES = 4 * 1024 * 1024
MAX_TOKEN_LENGTH = 36
CONFLICT = "TransactionConflict"


@dataclass(frozen=True, slots=True)
class Part:
    """One item of a transaction, as its error message tells it: ``verb`` is what the
    transaction did with ``obj`` ("save", "update", "delete", "check", "load"), ``condition``
    its condition in readable form (or None), ``write`` the write it came from (None: a read)."""

    obj: Base
    verb: str
    condition: str | None = None
    write: Write | None = None


# -- TransactWriteItems ------------------------------------------------------------------------


class Transaction:
    """The writes of one transaction, sent together as one ``TransactWriteItems`` when the
    ``with engine.transaction() as tx:`` block ends; nothing is sent when the block raises.

    Each write is built exactly as the single-object call builds it (persist mode, atomic
    condition, version condition) and checked against DynamoDB's limits when it is recorded,
    so a broken limit raises at the line that broke it, before anything is sent. A write
    whose kind has before-write handlers (``deferred``) is only noted then: the commit runs
    its handlers (async ones cannot run in ``tx.save``), then builds and checks it. Objects
    remember what was written (snapshots, versions) only once the whole transaction is
    committed. ``client_request_token`` makes
    the commit idempotent for 10 minutes: botocore's retries of a lost response, and the
    retries of a conflict, send the same token.
    """

    def __init__(
        self,
        table_of: TableOf,
        options: WriteOptions,
        token: str,
        deferred: Callable[[BeforeKind], bool] = lambda kind: False,
    ) -> None:
        if not 1 <= len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidTransaction(
                f"client_request_token {token!r}: DynamoDB takes 1 to {MAX_TOKEN_LENGTH} characters"
            )
        self.client_request_token = token
        self._table_of = table_of
        self._options = options
        self._deferred = deferred
        self._recorded: list[_Recorded] = []  # calls waiting for their before-write handlers
        self._calls = 0  # tx.* calls so far: the place of each write in the request
        self._writes: list[Write] = []
        self._parts: list[Part] = []
        self._places: list[int] = []  # of each write: the rank of its tx.* call
        self._items: set[KeyId] = set()
        self._bytes = 0
        self._sent = False

    def __repr__(self) -> str:
        return f"<Transaction {self.client_request_token!r}: {len(self)} items>"

    def __len__(self) -> int:
        """The items recorded so far (an unchanged object adds none; one waiting for its
        before-write handlers counts as one)."""
        return len(self._writes) + sum(len(r.objs) for r in self._recorded)

    def save(self, *objs: Base, condition: ConditionArg | None = None) -> None:
        """Save ``objs`` in this transaction as ``engine.save`` would: an ``Update`` of what
        changed (a ``Put`` of the whole item with ``persist="overwrite"``), on ``condition``,
        atomic mode and the version. An object with nothing to write adds nothing."""
        self._record("save", objs, _checked(condition, "tx.save"))

    def update(
        self, obj: Base, *actions: UpdateAction, condition: ConditionArg | None = None
    ) -> None:
        """Update ``obj`` in this transaction as ``engine.update`` would: its pending changes
        and ``actions`` (``Product.stock.add(-1)``) in one ``Update``, on ``condition``, atomic
        mode and the version. A transaction returns no item: once committed, the fields the
        actions changed are unloaded on ``obj`` (only DynamoDB knows them; load to read them)."""
        self._record("update", (obj,), _checked(condition, "tx.update"), actions)

    def delete(self, *objs: Base, condition: ConditionArg | None = None) -> None:
        """Delete ``objs`` in this transaction, each on ``condition`` (and the version)."""
        self._record("delete", objs, _checked(condition, "tx.delete"))

    def check(self, obj: Base, condition: ConditionArg) -> None:
        """Commit only if ``obj``'s stored item meets ``condition`` (nothing is written to it)."""
        self._record("check", (obj,), as_condition(condition, "tx.check(condition=...)"))

    def _record(
        self,
        verb: BeforeKind | Literal["check"],
        objs: tuple[Base, ...],
        condition: Condition | None,
        actions: tuple[UpdateAction, ...] = (),
    ) -> None:
        if self._sent:
            shown = describe_objects(list(objs))
            raise InvalidTransaction(f"{verb} {shown}: this transaction was already sent")
        if not objs:
            return
        recorded = _Recorded(verb, objs, condition, actions, self._calls)
        self._calls += 1
        if verb != "check" and self._deferred(verb):
            self._recorded.append(recorded)
        else:
            self._build(recorded)

    def _build(self, r: _Recorded) -> None:
        """The writes of one recorded call, built and checked."""
        for obj in r.objs:
            write: Write | None
            if r.verb == "save":
                write = save_write(obj, self._table_of, self._options, r.condition)
            elif r.verb == "update":
                write = update_write(obj, r.actions, self._table_of, self._options, r.condition)
            elif r.verb == "delete":
                write = delete_write(obj, self._table_of, self._options, r.condition)
            else:
                assert r.condition is not None  # (tx.check requires one)
                write = condition_check(obj, self._table_of, r.condition)
            if write is not None:
                self._add(write, r.verb, r.place)

    def _add(self, write: Write, verb: str, place: int) -> None:
        what = f"{verb} {describe_object(write.obj)}"
        if write.ident in self._items:
            raise InvalidTransaction(
                f"{what}: the transaction already holds this item (DynamoDB takes one action "
                "per item in a transaction)"
            )
        if len(self._writes) >= MAX_ITEMS:
            raise InvalidTransaction(f"{what}: a transaction holds at most {MAX_ITEMS} items")
        size = self._bytes + write.size()
        if size > MAX_REQUEST_BYTES:
            raise InvalidTransaction(
                f"{what}: the transaction would be about {size:,} bytes; DynamoDB takes at most "
                f"4 MB ({MAX_REQUEST_BYTES:,} bytes) in one"
            )
        self._writes.append(write)
        self._parts.append(Part(write.obj, verb, write.shown_condition(), write))
        self._places.append(place)
        self._items.add(write.ident)
        self._bytes = size

    def commit(self) -> Plan[None]:
        """Run the before-write hooks of the deferred calls, build their writes, and send every
        write (nothing when there is none); once DynamoDB committed it, every object remembers
        what it wrote. A transaction is sent once."""
        if self._sent:
            raise InvalidTransaction("this transaction was already sent")
        self._sent = True
        for r in self._recorded:
            if r.verb != "check":  # (never deferred: for the type checker)
                yield Before(r.verb, r.objs, self._table_of, transaction=True)
        recorded, self._recorded = self._recorded, []
        for r in recorded:
            self._build(r)
        if recorded:  # the request keeps the order of the tx.* calls
            order = sorted(range(len(self._writes)), key=self._places.__getitem__)
            self._writes = [self._writes[i] for i in order]
            self._parts = [self._parts[i] for i in order]
        if not self._writes:
            return
        params = {
            "TransactItems": [w.transact_entry() for w in self._writes],
            "ClientRequestToken": self.client_request_token,
        }
        yield from send(Call("transact_write_items", params), self._parts, self._options.backoff)
        for write in self._writes:
            write.applied(None, in_transaction=True)
        report_commit(self.client_request_token, [w.obj for w in self._writes])


@dataclass(frozen=True, slots=True)
class _Recorded:
    """One ``tx.save`` / ``update`` / ``delete`` / ``check`` call (``place``: its rank)."""

    verb: BeforeKind | Literal["check"]
    objs: tuple[Base, ...]
    condition: Condition | None
    actions: tuple[UpdateAction, ...]
    place: int


def _checked(condition: ConditionArg | None, where: str) -> Condition | None:
    return None if condition is None else as_condition(condition, f"{where}(condition=...)")


# -- TransactGetItems --------------------------------------------------------------------------


def load(objs: Sequence[Base], table_of: TableOf, backoff: Backoff) -> Plan[None]:
    """Read every object's item in one ``TransactGetItems`` (keys de-duplicated) and refresh the
    objects in place, all from the same consistent view; then ``MissingObjects`` for the absent.

    More than 100 distinct items are refused before sending: chunks would be separate
    transactions, each consistent only within itself."""
    wanted: dict[KeyId, _Read] = {}
    for obj in objs:  # every key is dumped (and checked, bound) before the request
        table = table_of(type(obj))
        key = model_info(type(obj)).key_of(obj)
        wanted.setdefault(key_id(table, tuple(key), key), _Read(table, key)).objects.append(obj)
    if len(wanted) > MAX_ITEMS:
        raise InvalidTransaction(
            f"load(transaction=True) of {len(wanted)} items: a transaction reads at most "
            f"{MAX_ITEMS} (chunks would not be consistent with each other); load them in "
            "groups you can accept as separately consistent, or without transaction=True"
        )
    reads = list(wanted.values())
    gets = [{"Get": {"TableName": w.table, "Key": w.key}} for w in reads]
    parts = [Part(w.objects[0], "load") for w in reads]
    response = yield from send(Call("transact_get_items", {"TransactItems": gets}), parts, backoff)
    found: list[dict[str, Any]] = response.get("Responses") or []
    missing: list[Base] = []
    bad: list[InvalidItem] = []  # unreadable items: raised once every readable one is loaded
    for w, entry in zip(reads, found, strict=True):
        item: dict[str, AttributeValue] | None = entry.get("Item")
        for obj in w.objects:
            if item is None:
                missing.append(obj)
                continue
            try:
                refresh(model_info(type(obj)), obj, item)
            except InvalidItem as unread:
                bad.append(unread)
                break  # the other objects of this item cannot read it either
            report_object("loaded", obj, w.table)
    absent = MissingObjects(f"not found: {describe_objects(missing)}", missing) if missing else None
    error = unreadable(bad, absent)
    if error is not None:
        raise error


@dataclass(slots=True)
class _Read:
    """One item to read, and every object waiting for it."""

    table: str
    key: dict[str, AttributeValue]
    objects: list[Base] = field(default_factory=list[Base])


# -- sending a transaction ---------------------------------------------------------------------


def send(call: Call, parts: Sequence[Part], backoff: Backoff) -> Plan[Response]:
    """Send ``call`` (a TransactWriteItems or TransactGetItems of ``parts``, in order); when
    DynamoDB cancels it only because of conflicts with other transactions, wait by ``backoff``
    and send it again, unchanged (the same ``ClientRequestToken``), within ``backoff.attempts``.
    Any other cancellation is ``TransactionCanceled``."""
    retries = 0
    while True:
        try:
            response: Response = yield call
            return response
        except Exception as exc:
            code = error_code(exc)
            if code == "IdempotentParameterMismatchException":
                raise InvalidTransaction(
                    f"ClientRequestToken {call.params.get('ClientRequestToken')!r} was used "
                    "within the last 10 minutes for a different transaction; nothing was "
                    "written: give each transaction its own token"
                ) from exc
            if code == "ValidationException":  # moto's answer to a refused update
                unsaid = refused(parts, message_of(exc))
                if unsaid is not None:
                    raise unsaid from exc
            if code != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc, parts)
            conflict_only = all(r.code in (None, CONFLICT) for r in reasons) and any(
                r.code == CONFLICT for r in reasons
            )
            if not conflict_only or retries >= backoff.attempts:
                note = f" (still conflicting after {retries} retries)" if conflict_only else ""
                error = canceled(reasons, parts, note)
                told = refused_only(reasons, parts)
                if told is not None:  # the updates' own fault, as a single update says it
                    raise told from error
                raise error from None
        yield Sleep(backoff.delay(retries))
        retries += 1


def cancellation_reasons(exc: BaseException, parts: Sequence[Part]) -> list[CancellationReason]:
    """One reason per part, from a TransactionCanceledException's ``CancellationReasons``."""
    response: dict[str, Any] = getattr(exc, "response", {})
    raw: list[dict[str, Any]] = response.get("CancellationReasons") or []
    reasons: list[CancellationReason] = []
    for i, part in enumerate(parts):
        entry = raw[i] if i < len(raw) else {}
        code = entry.get("Code")
        item = entry.get("Item")
        reasons.append(
            CancellationReason(
                part.obj,
                None if code in (None, "None") else str(code),
                item,
                entry.get("Message"),
                stale=code == "ConditionalCheckFailed"
                and part.write is not None
                and part.write.stale(item),
            )
        )
    return reasons


def canceled(
    reasons: Sequence[CancellationReason], parts: Sequence[Part], note: str = ""
) -> TransactionCanceled:
    """The error of a canceled transaction, naming every failing object and why."""
    lines: list[str] = []
    for reason, part in zip(reasons, parts, strict=True):
        if reason.code is None:
            continue
        line = f"  - {part.verb} {describe_object(part.obj)}: {reason.code}"
        because = _refusal(part, reason.code, reason.message)
        if part.condition and reason.code == "ConditionalCheckFailed":
            line += f" (condition: {part.condition})"
            if reason.stale and part.write is not None:
                line += f": {part.write.stale_note(reason.item)}"
        elif because is not None:
            line += f" ({reason.message}: {because})"
        elif reason.message:
            line += f" ({reason.message})"
        lines.append(line)
    if not lines:  # DynamoDB gave no reasons: say what the transaction held
        lines = [f"  - {p.verb} {describe_object(p.obj)}" for p in parts]
    failing = sum(r.code is not None for r in reasons)
    head = f"transaction canceled{note}: {failing} of {len(parts)} items failed"
    return TransactionCanceled(head + "\n" + "\n".join(lines), reasons)


# -- updates DynamoDB refused --------------------------------------------------------------------


def refused_only(
    reasons: Sequence[CancellationReason], parts: Sequence[Part]
) -> InvalidUpdate | None:
    """`InvalidUpdate` when DynamoDB canceled the transaction only because it refused updates
    for what their stored items hold (``ValidationError`` reasons): it names each such write and
    why, as a single update's refusal does. None when anything else failed too (a condition, a
    conflict): that stays `TransactionCanceled`."""
    told: list[tuple[Part, str]] = []
    for reason, part in zip(reasons, parts, strict=True):
        if reason.code is None:
            continue
        because = _refusal(part, reason.code, reason.message)
        if because is None:
            return None
        told.append((part, because))
    return _restated(told, f"{len(told)} updates")


def refused(parts: Sequence[Part], message: str) -> InvalidUpdate | None:
    """`InvalidUpdate` for a transaction refused as a whole with ``message`` (moto's way: the
    single-write `ValidationException`, no reasons): its only update, or each update it can be."""
    told = [(p, b) for p in parts if (b := _refusal(p, "ValidationError", message, True))]
    return _restated(told, f"one of {len(told)} updates (DynamoDB did not say which)")


def _restated(told: list[tuple[Part, str]], which: str) -> InvalidUpdate | None:
    """The `InvalidUpdate` naming each refused write and why (``which`` heads several)."""
    if not told:
        return None
    if len(told) == 1:
        part, because = told[0]
        return InvalidUpdate(f"{_label(part)}: {REFUSED} (the transaction was canceled): {because}")
    lines = "\n".join(f"  - {_label(part)}: {because}" for part, because in told)
    return InvalidUpdate(f"{REFUSED} (the transaction was canceled): {which}:\n{lines}")


def _refusal(
    part: Part, code: str | None, message: str | None, suspect: bool = False
) -> str | None:
    """Why DynamoDB refused ``part``'s update (restated), or None for another failure (with
    ``suspect``: also when nothing in the update can have caused it)."""
    write = part.write
    if code != "ValidationError" or write is None or write.kind != "update":
        return None
    return why(write.info, write.update, message, suspect=suspect)


def _label(part: Part) -> str:
    """``Account(id='a1') (tx.update)``: the object, and the call that recorded its write."""
    return f"{describe_object(part.obj)} (tx.{part.verb})"
