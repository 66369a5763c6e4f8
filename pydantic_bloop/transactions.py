"""Plans of DynamoDB's transactions: ``TransactGetItems`` (one consistent read of up to 100
items) and the sending of one ``TransactWriteItems``, with what their cancellations mean.

Pure logic (see :mod:`pydantic_bloop.plans`): the requests, the retry of a transaction that was
canceled only because another one held its items (``TransactionConflict``), and the
``TransactionCanceled`` error that names each failing object. The writes themselves are the
same write units single saves, updates and deletes use (:mod:`pydantic_bloop.writes`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CancellationReason, InvalidTransaction, MissingObjects, TransactionCanceled
from .models import Base, model_info
from .plans import Backoff, Call, Plan, Response, Sleep, error_code
from .tracking import canonical, refresh
from .types import AttributeValue
from .writes import TableOf

MAX_ITEMS = 100
MAX_REQUEST_BYTES = 4 * 1024 * 1024
CONFLICT = "TransactionConflict"


@dataclass(frozen=True, slots=True)
class Part:
    """One item of a transaction, as its error message tells it: ``verb`` is what the
    transaction did with ``obj`` ("save", "update", "delete", "check", "load"), ``condition``
    its condition in readable form (or None)."""

    obj: Base
    verb: str
    condition: str | None = None


# -- TransactGetItems --------------------------------------------------------------------------


def load(objs: Sequence[Base], table_of: TableOf, backoff: Backoff) -> Plan[None]:
    """Read every object's item in one ``TransactGetItems`` (keys de-duplicated) and refresh the
    objects in place, all from the same consistent view; then ``MissingObjects`` for the absent.

    More than 100 distinct items are refused before sending: chunks would be separate
    transactions, each consistent only within itself."""
    wanted: dict[tuple[str, Hashable], _Read] = {}
    for obj in objs:  # every key is dumped (and checked, bound) before the request
        table = table_of(type(obj))
        key = model_info(type(obj)).key_of(obj)
        ident = (table, tuple(canonical(v) for v in key.values()))
        wanted.setdefault(ident, _Read(table, key)).objects.append(obj)
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
    for w, entry in zip(reads, found, strict=True):
        item: dict[str, AttributeValue] | None = entry.get("Item")
        for obj in w.objects:
            if item is None:
                missing.append(obj)
            else:
                refresh(model_info(type(obj)), obj, item)
    if missing:
        raise MissingObjects(f"not found: {_describe_all(missing)}", missing)


@dataclass(slots=True)
class _Read:
    """One item to read, and every object waiting for it."""

    table: str
    key: dict[str, AttributeValue]
    objects: list[Base] = field(default_factory=list[Base])


def _describe_all(objs: Sequence[Base]) -> str:
    return ", ".join(_describe(o) for o in objs)


def _describe(obj: Base) -> str:
    """``Product(sku='p1')``: the model and key of ``obj``."""
    info = model_info(type(obj))
    values = vars(obj)
    return f"{info.label}({', '.join(f'{k.name}={values.get(k.name)!r}' for k in info.keys)})"


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
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc, parts)
            conflict_only = all(r.code in (None, CONFLICT) for r in reasons) and any(
                r.code == CONFLICT for r in reasons
            )
            if not conflict_only or retries >= backoff.attempts:
                note = f" (still conflicting after {retries} retries)" if conflict_only else ""
                raise canceled(reasons, parts, note) from None
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
        reasons.append(
            CancellationReason(
                part.obj,
                None if code in (None, "None") else str(code),
                entry.get("Item"),
                entry.get("Message"),
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
        line = f"  - {part.verb} {_describe(part.obj)}: {reason.code}"
        if part.condition and reason.code == "ConditionalCheckFailed":
            line += f" (condition: {part.condition})"
        elif reason.message:
            line += f" ({reason.message})"
        lines.append(line)
    if not lines:  # DynamoDB gave no reasons: say what the transaction held
        lines = [f"  - {p.verb} {_describe(p.obj)}" for p in parts]
    failing = sum(r.code is not None for r in reasons)
    head = f"transaction canceled{note}: {failing} of {len(parts)} items failed"
    return TransactionCanceled(head + "\n" + "\n".join(lines), reasons)
