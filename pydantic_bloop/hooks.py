"""Lifecycle hooks: functions an engine calls before objects are saved, updated or deleted,
after they are loaded, saved, updated or deleted, after a transaction commits, and after a
table is created, validated or migrated.

The plans report what happened where it happens (`Write.applied`, the reads, `tables.bind`)
into the event list of the operation being run, if one is being collected (`report_*`); an
engine runs each operation inside `Hooks.run_sync` / `Hooks.run_async`, which collect those
events and, once the operation ends, hand each to the handlers registered for it, in order.
One copy of the reporting for both engines; the engines only call the handlers.

Before-write hooks are a plan step (`plans.Before`): a write plan yields it before it builds
its writes (a transaction: when it commits), and the engine's driver calls `Hooks.call_before`
(or awaits `Hooks.await_before`); the writes are built after the handlers ran, from one plan.

Rules of the after-hooks (see docs/hooks.md):

- handlers run after the operation, also when it raised (for the writes that were applied
  before the error), but not when it was cancelled or interrupted;
- a handler runs after the object's snapshot changed: an error in it cannot undo or corrupt
  the write. Every handler runs; then `HookError` is raised (the operation itself succeeded),
  or, when the operation failed, its own error is raised with a note naming the hook errors;
- `AsyncEngine` awaits handlers that return an awaitable (async functions) and calls plain
  functions as they are; a sync `Engine` refuses async functions when they are registered.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .errors import HookError
from .plans import Before, BeforeKind

if TYPE_CHECKING:
    from .migrations import TableMigration
    from .models import Base

__all__ = [
    "CommitEvent",
    "Event",
    "Hooks",
    "ObjectEvent",
    "TableEvent",
    "WriteEvent",
    "report_commit",
    "report_object",
    "report_table",
]

R = TypeVar("R")

ObjectKind = Literal["loaded", "saved", "updated", "deleted"]
TableKind = Literal["created", "validated", "migrated"]


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """``obj`` was loaded from, saved to, updated in (``engine.update``, ``tx.update``) or
    deleted from ``table``; its snapshot already reflects it. ``transaction``: the write was
    part of a committed transaction."""

    kind: ObjectKind
    obj: Base
    table: str
    transaction: bool = False


@dataclass(frozen=True, slots=True)
class CommitEvent:
    """A transaction was committed: ``objects`` in the order they were recorded (checked ones
    included); their own saved / updated / deleted events came before this one."""

    token: str
    objects: tuple[Base, ...]

    @property
    def kind(self) -> Literal["committed"]:
        return "committed"


@dataclass(frozen=True, slots=True)
class TableEvent:
    """``bind`` or ``migrate`` created ``table``, found it as its models declare it
    (``validated``; switching on a missing TTL, stream or backup included) or migrated it.
    ``migration`` says what was found and done. A model bound before sends nothing."""

    kind: TableKind
    table: str
    models: tuple[type[Base], ...]
    migration: TableMigration


@dataclass(frozen=True, slots=True)
class WriteEvent:
    """``obj`` is about to be saved to, updated in or deleted from ``table`` (``kind``:
    ``"save"``, ``"update"``, ``"delete"``); nothing is built or sent yet, so what a handler
    changes on ``obj`` is written, and an exception it raises prevents the write (and the other
    writes of the call or transaction). ``transaction``: part of ``engine.transaction()``."""

    kind: BeforeKind
    obj: Base
    table: str
    transaction: bool = False


Event = ObjectEvent | CommitEvent | TableEvent

ObjectHandler = Callable[[ObjectEvent], object]
CommitHandler = Callable[[CommitEvent], object]
TableHandler = Callable[[TableEvent], object]
WriteHandler = Callable[[WriteEvent], object]
H = TypeVar("H", bound=Callable[..., object])

# the events of the operation being run (None: nobody listens)
_events: ContextVar[list[Event] | None] = ContextVar("pydantic_bloop_events", default=None)


@contextmanager
def _uncollected() -> Generator[None]:
    """Before-write handlers run inside the operation, whose after-events are being collected:
    they run with none collected, so that what they do through an engine with no after-hooks of
    its own (which collects nothing) is not heard by this operation's after-hooks as its own."""
    token = _events.set(None)
    try:
        yield
    finally:
        _events.reset(token)


# -- reporting (the plans) -----------------------------------------------------------------------


def report_object(kind: ObjectKind, obj: Base, table: str, transaction: bool = False) -> None:
    """Tell the running operation's hooks that ``obj`` was ``kind`` (nothing when none listen)."""
    events = _events.get()
    if events is not None:
        events.append(ObjectEvent(kind, obj, table, transaction))


def report_commit(token: str, objects: Sequence[Base]) -> None:
    """Tell the running operation's hooks that a transaction of ``objects`` was committed."""
    events = _events.get()
    if events is not None:
        events.append(CommitEvent(token, tuple(objects)))


def report_table(
    kind: TableKind, table: str, models: Sequence[type[Base]], migration: TableMigration
) -> None:
    """Tell the running operation's hooks that ``table`` was created, validated or migrated."""
    events = _events.get()
    if events is not None:
        events.append(TableEvent(kind, table, tuple(models), migration))


# -- registering and calling (the engines) -------------------------------------------------------


class Hooks:
    """The handlers of one engine: ``engine.hooks.on_saved(handler)``, also as a decorator.

    A context (``engine.context(...)``) has hooks of its own that start with the engine's:
    it calls every handler of the engine (also ones registered later) and then its own, and a
    handler registered on the context is not called for the engine.
    """

    def __init__(self, *, sync: bool, parent: Hooks | None = None) -> None:
        self._sync = sync
        self._parent = parent
        self._handlers: dict[str, list[Callable[[Any], object]]] = {}

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{'before_' if k in _BEFORE else ''}{k}={len(self.handlers(k))}"
            for k in _SLOTS
            if self.handlers(k)
        )
        return f"<Hooks {counts or 'none'}>"

    def child(self) -> Hooks:
        """Hooks for a context: this engine's handlers, then the context's own."""
        return Hooks(sync=self._sync, parent=self)

    def before_save(self, handler: WriteHandler) -> WriteHandler:
        """Call ``handler(event)`` before each object a save (or ``tx.save``) writes is built:
        it may change the object, or raise to prevent the write."""
        return self._add("save", handler, "before_save")

    def before_update(self, handler: WriteHandler) -> WriteHandler:
        """Call ``handler(event)`` before each ``update`` (or ``tx.update``) is built."""
        return self._add("update", handler, "before_update")

    def before_delete(self, handler: WriteHandler) -> WriteHandler:
        """Call ``handler(event)`` before each object a delete (or ``tx.delete``) removes."""
        return self._add("delete", handler, "before_delete")

    def on_loaded(self, handler: ObjectHandler) -> ObjectHandler:
        """Call ``handler(event)`` for every object read by get, load and queries and scans."""
        return self._add("loaded", handler)

    def on_saved(self, handler: ObjectHandler) -> ObjectHandler:
        """Call ``handler(event)`` for every object a save (or ``tx.save``) wrote."""
        return self._add("saved", handler)

    def on_updated(self, handler: ObjectHandler) -> ObjectHandler:
        """Call ``handler(event)`` for every object ``update`` (or ``tx.update``) wrote."""
        return self._add("updated", handler)

    def on_deleted(self, handler: ObjectHandler) -> ObjectHandler:
        """Call ``handler(event)`` for every object a delete (or ``tx.delete``) removed."""
        return self._add("deleted", handler)

    def on_committed(self, handler: CommitHandler) -> CommitHandler:
        """Call ``handler(event)`` once per committed transaction."""
        return self._add("committed", handler)

    def on_table(self, handler: TableHandler) -> TableHandler:
        """Call ``handler(event)`` for every table ``bind`` / ``migrate`` created, validated or
        migrated."""
        return self._add("table", handler)

    def remove(self, handler: Callable[..., object]) -> None:
        """Stop calling ``handler`` (registered here, for any event); no error when it is not."""
        for handlers in self._handlers.values():
            while handler in handlers:
                handlers.remove(handler)

    def handlers(self, slot: str) -> list[Callable[[Any], object]]:
        """The handlers of ``slot`` ("save", "update", "delete" before writes; "loaded", ...,
        "committed", "table" after), the engine's first."""
        inherited = self._parent.handlers(slot) if self._parent is not None else []
        return inherited + self._handlers.get(slot, [])

    @property
    def active(self) -> bool:
        """Whether any after-hook is registered (else no event is even collected; before-write
        handlers need none: the `Before` step calls them)."""
        return any(self._handlers.get(slot) for slot in _AFTER) or (
            self._parent is not None and self._parent.active
        )

    def _add(self, slot: str, handler: H, method: str = "") -> H:
        method = method or f"on_{slot}"
        if not callable(handler):
            raise HookError(f"{method}() takes a function of the event, not {handler!r}")
        if self._sync and inspect.iscoroutinefunction(handler):
            raise HookError(
                f"{method}({_name(handler)}): a sync Engine cannot await an async function; "
                "register a plain function, or use AsyncEngine"
            )
        self._handlers.setdefault(slot, []).append(handler)
        return handler

    # -- before writes (a plan's `Before` step) ---------------------------------------------------

    def call_before(self, step: Before) -> None:
        """Call the before-write handlers of ``step``'s objects; the first error is raised as
        it is (the plan stops, nothing is built or sent)."""
        calls = self._before_calls(step)
        if not calls:
            return
        with _uncollected():
            for event, handler in calls:
                result = handler(event)
                if inspect.isawaitable(result):
                    _discard(result)
                    raise HookError(
                        f"{_name(handler)} returned an awaitable, which a sync Engine cannot "
                        f"await; use AsyncEngine for async hooks (the {step.kind} was not sent)"
                    )

    async def await_before(self, step: Before) -> None:
        """The async twin of `call_before`: awaits handlers that return an awaitable."""
        calls = self._before_calls(step)
        if not calls:
            return
        with _uncollected():
            for event, handler in calls:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result

    def _before_calls(self, step: Before) -> list[tuple[WriteEvent, Callable[[Any], object]]]:
        """Each (event, handler) call of ``step`` (run `_uncollected`)."""
        handlers = self.handlers(step.kind)
        if not handlers:  # the common case: not even an event is made
            return []
        calls: list[tuple[WriteEvent, Callable[[Any], object]]] = []
        for obj in step.objs:
            event = WriteEvent(step.kind, obj, step.table_of(type(obj)), step.transaction)
            calls += [(event, handler) for handler in handlers]
        return calls

    # -- running an operation ------------------------------------------------------------------

    def run_sync(self, operation: Callable[[], R]) -> R:
        """Run ``operation`` collecting its events, then call their handlers (once the
        collecting ended: what the handlers do is not among these events)."""
        if not self.active:
            return operation()
        events: list[Event] = []
        token = _events.set(events)
        try:
            result = operation()
        except Exception as exc:
            _events.reset(token)
            self._call_all(events, exc)
            raise
        except BaseException:  # cancelled or interrupted: no handler runs
            _events.reset(token)
            raise
        _events.reset(token)
        self._call_all(events, None)
        return result

    async def run_async(self, operation: Callable[[], Awaitable[R]]) -> R:
        """The async twin of `run_sync`: awaits handlers that return an awaitable."""
        if not self.active:
            return await operation()
        events: list[Event] = []
        token = _events.set(events)
        try:
            result = await operation()
        except Exception as exc:
            _events.reset(token)
            await self._await_all(events, exc)
            raise
        except BaseException:
            _events.reset(token)
            raise
        _events.reset(token)
        await self._await_all(events, None)
        return result

    async def run_then_await(self, work: Callable[[], R]) -> R:
        """`run_async` of sync ``work`` (an async query handing out objects)."""
        if not self.active:
            return work()

        async def operation() -> R:
            return work()

        return await self.run_async(operation)

    def _call_all(self, events: list[Event], failed: Exception | None) -> None:
        errors: list[tuple[Event, Exception]] = []
        for event, handler in self._calls(events):
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    _discard(result)
                    raise HookError(
                        f"{_name(handler)} returned an awaitable, which a sync Engine cannot "
                        "await; use AsyncEngine for async hooks"
                    )
            except Exception as exc:
                errors.append((event, exc))
        _raise(errors, failed)

    async def _await_all(self, events: list[Event], failed: Exception | None) -> None:
        errors: list[tuple[Event, Exception]] = []
        for event, handler in self._calls(events):
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                errors.append((event, exc))
        _raise(errors, failed)

    def _calls(self, events: list[Event]) -> Iterator[tuple[Event, Callable[[Any], object]]]:
        found: dict[str, list[Callable[[Any], object]]] = {}
        for event in events:
            slot = "table" if isinstance(event, TableEvent) else event.kind
            handlers = found[slot] if slot in found else found.setdefault(slot, self.handlers(slot))
            for handler in handlers:
                yield event, handler


_BEFORE = ("save", "update", "delete")
_AFTER = ("loaded", "saved", "updated", "deleted", "committed", "table")
_SLOTS = (*_BEFORE, *_AFTER)


def _raise(errors: list[tuple[Event, Exception]], failed: Exception | None) -> None:
    """`HookError` for the handlers' ``errors``; a note on the operation's own error instead
    when it ``failed`` (that error is what the caller must see first)."""
    if not errors:
        return
    told = "; ".join(f"{_show(event)}: {type(exc).__name__}: {exc}" for event, exc in errors)
    if failed is not None:
        failed.add_note(f"lifecycle hooks also failed: {told}")
        return
    error = HookError(
        f"{len(errors)} lifecycle hook call(s) failed after the operation succeeded "
        f"(what it wrote stays written): {told}",
        [exc for _, exc in errors],
        [event for event, _ in errors],
    )
    raise error from errors[0][1]


def _show(event: Event) -> str:
    if isinstance(event, ObjectEvent):
        return f"{event.kind} {type(event.obj).__name__} in {event.table!r}"
    if isinstance(event, CommitEvent):
        return f"committed transaction {event.token!r}"
    return f"table {event.table!r} {event.kind}"


def _name(handler: object) -> str:
    return str(getattr(handler, "__qualname__", None) or repr(handler))


def _discard(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)  # a coroutine never awaited: no warning
    if callable(close):
        close()
