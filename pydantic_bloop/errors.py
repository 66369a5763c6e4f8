"""Every error pydantic_bloop raises derives from :class:`BloopError`.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class BloopError(Exception):
    """Base class of every pydantic_bloop error."""


class InvalidModel(BloopError, TypeError):
    """A model class is defined wrongly (raised when the class statement runs)."""


class InvalidValue(BloopError, ValueError):
    """A field value cannot be stored in DynamoDB (raised before any request is sent)."""


class InvalidItem(BloopError, ValueError):
    """A stored item cannot be read into its model (an attribute of another type, written by
    another tool, that pydantic cannot convert; a value breaking the model's constraints).

    ``model`` is the model's name, ``key`` the item's stored key, ``item`` the stored item; the
    pydantic ``ValidationError`` is the ``__cause__``. Nothing is written back: the object was
    never built. ``errors`` lists one such error per unreadable item: just this one, or, from a
    ``load()`` of several objects (which loads every readable one first), each of them. From a
    query or scan, ``token`` resumes after the item."""

    def __init__(
        self, message: str, model: str, key: Mapping[str, Any], item: Mapping[str, Any]
    ) -> None:
        self.model = model
        self.key = dict(key)
        self.item = item
        self.errors: list[InvalidItem] = [self]
        self.token: str | None = None
        super().__init__(message)

    @property
    def keys(self) -> list[dict[str, Any]]:
        """The stored key of every unreadable item (in ``errors``' order)."""
        return [e.key for e in self.errors]


def unreadable(errors: Sequence[InvalidItem], missing: MissingObjects | None) -> BloopError | None:
    """What a load of several objects raises once every readable one is loaded: the
    ``InvalidItem`` of its unreadable items (one naming them all; ``missing`` as its cause, when
    some items were also absent), else ``missing``, else None."""
    if not errors:
        return missing
    if len(errors) == 1 and missing is None:
        return errors[0]
    first = errors[0]
    listed = "; ".join(str(e) for e in errors)
    absent = f"; and {missing}" if missing is not None else ""
    error = InvalidItem(
        f"{len(errors)} stored items cannot be read (the other objects were loaded): "
        f"{listed}{absent}",
        first.model,
        first.key,
        first.item,
    )
    error.errors = list(errors)
    error.__cause__ = missing if missing is not None else first.__cause__
    return error


class InvalidCondition(BloopError, ValueError):
    """A condition is built from operands that DynamoDB cannot evaluate."""


class InvalidUpdate(BloopError, ValueError):
    """Update actions that cannot be sent as asked: an action the attribute's type does not
    support, one on a key or the version, two on one path, or one on an attribute the object's
    pending changes also write (raised before any request is sent); or a path below an
    attribute, map key or list element that the stored item lacks (DynamoDB refused it, nothing
    was written)."""


class InvalidQuery(BloopError, ValueError):
    """A query or scan is malformed (raised before any request is sent)."""


class UnboundModel(BloopError, RuntimeError):
    """The engine was asked to act on a model it has not bound."""


class UnloadedField(BloopError):
    """A field of a partial object was read, but it was never loaded from DynamoDB.

    Deliberately not an ``AttributeError``: ``getattr(obj, name, default)`` would otherwise
    hand back a default that lies about the stored value."""


class TableMismatch(BloopError):
    """An existing table does not match its model; ``differences`` lists every mismatch."""

    def __init__(self, table_name: str, differences: Sequence[str]) -> None:
        self.table_name = table_name
        self.differences = list(differences)
        lines = "\n".join(f"  - {d}" for d in self.differences)
        super().__init__(f"table {table_name!r} does not match its model:\n{lines}")


class MissingObjects(BloopError, LookupError):
    """Some requested objects do not exist; ``objects`` lists them."""

    def __init__(self, message: str, objects: Sequence[object] = ()) -> None:
        self.objects = list(objects)
        super().__init__(message)


class ConstraintViolation(BloopError):
    """A conditional write failed. ``obj`` is the object; ``item`` the stored item, if returned;
    ``stale`` is True when the object's version check is what failed (another writer changed
    the item since the object saw it: load it again), False when it held or there is none."""

    def __init__(
        self,
        message: str,
        obj: object = None,
        item: Mapping[str, Any] | None = None,
        *,
        stale: bool = False,
    ) -> None:
        self.obj = obj
        self.item = item
        self.stale = stale
        super().__init__(message)


class InvalidTransaction(BloopError, ValueError):
    """A transaction breaks one of DynamoDB's limits (refused before anything is sent)."""


class TransientError(BloopError):
    """Unprocessed batch work could not be finished within the retry budget."""


class TransportError(BloopError, ConnectionError):
    """No valid answer came from DynamoDB within the client's retries: the connection failed or
    timed out, or every answer was broken or not DynamoDB's. The underlying error, if any, is the
    ``__cause__``.

    A write's outcome is then unknown: ``written`` lists the objects known to be stored,
    ``not_written`` those known not to be, ``unknown`` those that may or may not be."""

    def __init__(
        self,
        message: str,
        *,
        written: Sequence[object] = (),
        not_written: Sequence[object] = (),
        unknown: Sequence[object] = (),
    ) -> None:
        self.written = list(written)
        self.not_written = list(not_written)
        self.unknown = list(unknown)
        super().__init__(message)


class TableNotActive(BloopError, TimeoutError):
    """``bind`` waited its time limit for a table (or its indexes) to become ACTIVE."""


@dataclass(frozen=True, slots=True)
class CancellationReason:
    """Why DynamoDB canceled one item of a transaction.

    ``obj`` is the object the item was for; ``code`` DynamoDB's reason code
    (``"ConditionalCheckFailed"``, ``"TransactionConflict"``, ...; None for an item that did not
    fail); ``item`` the stored item when DynamoDB returned it (the write asked for it);
    ``message`` DynamoDB's message, if any; ``stale`` True when the item failed its version check
    (another writer changed it since the object saw it), not (only) the caller's condition."""

    obj: object
    code: str | None
    item: Mapping[str, Any] | None = None
    message: str | None = None
    stale: bool = False


class TransactionCanceled(BloopError):
    """DynamoDB canceled a transaction: nothing of it was written (or read).

    ``reasons`` has one :class:`CancellationReason` per item, in the order the items were added,
    also for the items that did not fail (their ``code`` is None)."""

    def __init__(self, message: str, reasons: Sequence[CancellationReason] = ()) -> None:
        self.reasons = list(reasons)
        super().__init__(message)

    @property
    def failed(self) -> list[CancellationReason]:
        """The reasons of the items that failed (``code`` is not None)."""
        return [r for r in self.reasons if r.code is not None]


class UnsupportedOption(BloopError):
    """The endpoint lacks what a declared table option needs (dynalite has no TTL or streams,
    moto ignores some options). ``option`` is its name: pass it in ``skip=`` to leave the option
    out where that is acceptable (local tests)."""

    def __init__(
        self, table_name: str, option: str, detail: str, models: Sequence[str] = ()
    ) -> None:
        self.table_name = table_name
        self.option = option
        self.detail = detail
        who = f", which {' and '.join(models)} declare" if models else ""
        hint = (
            f"; bind(..., skip={{{option!r}}}) leaves it out (e.g. for local tests)"
            if option != "indexes"
            else "; delete the table and bind again to create it with every index"
        )
        super().__init__(
            f"table {table_name!r}: the endpoint does not support {option}{who} ({detail}){hint}"
        )


class MigrationFailed(BloopError):
    """A step of a migration failed; the steps before it stay done, so binding or migrating
    again continues from there. ``__cause__`` is the endpoint's error."""

    def __init__(
        self, table_name: str, step: str, number: int, total: int, cause: BaseException | None
    ) -> None:
        self.table_name = table_name
        self.step = step
        why = f": {cause}" if cause is not None else ": the table disappeared"
        super().__init__(
            f"table {table_name!r}: step {number} of {total} ({step}) failed{why}; "
            f"the steps before it are done, migrate again to continue"
        )


class HookError(BloopError):
    """A lifecycle hook is registered wrongly, or raised after its operation succeeded: what
    the operation wrote stays written and the objects' snapshots reflect it. ``errors`` are
    the handlers' exceptions (the first is the ``__cause__``), ``events`` what each was
    handling (see docs/hooks.md)."""

    def __init__(
        self, message: str, errors: Sequence[BaseException] = (), events: Sequence[object] = ()
    ) -> None:
        self.errors = list(errors)
        self.events = list(events)
        super().__init__(message)
