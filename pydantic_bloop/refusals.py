"""DynamoDB's refusals of an update for what the stored item holds, restated as `InvalidUpdate`.

An update expression can be well formed and still be refused by the item it meets: a path below
an attribute (or map key, or list element) the item lacks, an attribute read by a computed value
that the item lacks, or one of another type than the computation needs. DynamoDB answers with a
`ValidationException` that names neither the model nor the path; the write unit restates it
naming the object and the paths that can be the cause (nothing was written either way).

In a transaction DynamoDB cancels the whole transaction instead: a `TransactionCanceledException`
whose `CancellationReasons` entry for the refused write has the code ``ValidationError`` and the
same message (the DynamoDB API reference, TransactWriteItems, lists these messages under
"Validation Error"); moto (5.x) answers with the single-write `ValidationException` itself, not
saying which write. `transactions.send` restates both with `why`.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .conditions import Path
from .errors import InvalidUpdate
from .updates import (
    Add,
    Arithmetic,
    Delete,
    IfNotExists,
    ListAppend,
    Operand,
    PathOperand,
    Set,
    Update,
)

if TYPE_CHECKING:
    from .models import ModelInfo

__all__ = ["REFUSED", "message_of", "restate", "why"]

REFUSED = "DynamoDB refused the update, nothing was written"


def restate(
    described: str, info: ModelInfo, update: Update | None, cause: BaseException
) -> InvalidUpdate | None:
    """The `InvalidUpdate` for the update of ``described`` (an object of ``info``) that DynamoDB
    refused with ``cause``, a `ValidationException`; None for another refusal."""
    because = why(info, update, message_of(cause))
    if because is None:
        return None
    error = InvalidUpdate(f"{described}: {REFUSED}: {because}")
    error.__cause__ = cause
    return error


def why(
    info: ModelInfo, update: Update | None, message: str | None, *, suspect: bool = False
) -> str | None:
    """What DynamoDB's refusal ``message`` of ``update`` (of an object of ``info``) means, naming
    the paths that can be the cause; None when it is no refusal of what the stored item holds.
    ``suspect``: None also when ``update`` has no path that can cause it (when DynamoDB did not
    say which of several updates it refused)."""
    for fragment, explain, paths in _REFUSALS:
        if message and fragment in message:
            found = paths(update or Update())
            return None if suspect and not found else explain(_labels(info, found))
    return None


def message_of(cause: BaseException) -> str:
    """A client error's message ("" for another exception)."""
    response: dict[str, Any] = getattr(cause, "response", {})
    return str(response.get("Error", {}).get("Message", ""))


def _nested(update: Update) -> list[Path]:
    return [a.path for a in update.actions if len(a.path) > 1]


def _no_parent(nested: str) -> str:
    return (
        "a path below an attribute, map key or list element that the stored item lacks cannot "
        f"be written (DynamoDB creates no missing parent); the nested paths this update writes: "
        f"{nested}. Set the parent whole (col(...).set({{...}})), or store it first"
    )


def _unguarded(update: Update) -> list[Path]:
    return [path for path, guarded in _reads(update) if not guarded]


def _absent(read: str) -> str:
    return (
        f"a value it computes reads an attribute the stored item lacks; it reads {read}. Read "
        "one that may be absent as .if_not_exists(default) (a counter's add() starts from 0 by "
        "itself)"
    )


def _typed(update: Update) -> list[Path]:
    read = [path for path, _ in _reads(update)]
    return read + [a.path for a in update.actions if isinstance(a, Add | Delete)]  # they read too


def _wrong_type(read: str) -> str:
    return (
        "it computes with a stored attribute of another type than it needs (a number for + and "
        "- and a number's add(), a list for list_append, a set for a set's add() and "
        f"discard()); it reads {read}"
    )


# DynamoDB's (and the emulators') messages, what each means, and the paths that can cause it
_REFUSALS: tuple[tuple[str, Callable[[str], str], Callable[[Update], list[Path]]], ...] = (
    ("document path provided in the update expression is invalid for update", _no_parent, _nested),
    ("refers to an attribute that does not exist in the item", _absent, _unguarded),
    ("operand in the update expression has an incorrect data type", _wrong_type, _typed),
    ("Incorrect operand type for operator or function", _wrong_type, _typed),
    ("Type mismatch for attribute to update", _wrong_type, _typed),  # (AWS's reference lists it)
)


def _reads(update: Update) -> Iterator[tuple[Path, bool]]:
    """Every path the update's SET values read, and whether ``if_not_exists`` guards it."""
    for action in update.actions:
        if isinstance(action, Set):
            yield from _operand_reads(action.value)


def _operand_reads(operand: Operand) -> Iterator[tuple[Path, bool]]:
    if isinstance(operand, PathOperand):
        yield operand.path, False
    elif isinstance(operand, IfNotExists):
        yield operand.path, True
        yield from _operand_reads(operand.default)
    elif isinstance(operand, ListAppend):
        yield from _operand_reads(operand.first)
        yield from _operand_reads(operand.second)
    elif isinstance(operand, Arithmetic):
        yield from _operand_reads(operand.left)
        yield from _operand_reads(operand.right)


def _labels(info: ModelInfo, paths: list[Path]) -> str:
    shown = list(dict.fromkeys(_label(info, p) for p in paths))
    return ", ".join(shown) or "(none)"


def _label(info: ModelInfo, path: Path) -> str:
    """``Account.limits['daily']``: the path as a user writes the column."""
    head, *rest = path
    spec = info.by_dynamo.get(str(head))
    name = spec.name if spec is not None else str(head)
    return f"{info.label}.{name}" + "".join(f"[{part!r}]" for part in rest)
