"""Stream readers of the two engines: ``StreamReader`` (sync) and ``AsyncStreamReader``.

They hold a :class:`~pydantic_bloop.stream_reader.Reading` and run its plans on their engine;
all that reading means (shards, positions, polling) is in :mod:`pydantic_bloop.stream_reader`.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from .errors import InvalidModel
from .models import Base
from .stream_reader import Budget, OnError, Reading, Start, start_cursor
from .streams import Change, Match, Matcher, RecordError

if TYPE_CHECKING:
    from .async_engine import AsyncEngine
    from .engine import Engine, EngineCore

M = TypeVar("M", bound=Base)
E = TypeVar("E", bound="EngineCore")


def reading(
    engine: EngineCore,
    models: Sequence[type[M]],
    start: Start,
    match: Match | None,
    errors: OnError,
) -> Reading[M]:
    """The state of a new reader of the table ``models`` are bound to (one table)."""
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    if not models:
        raise InvalidModel("a stream reader needs the model (or models) of the table")
    tables = {engine.table_name(m) for m in models}
    if len(tables) > 1:
        raise InvalidModel(
            f"a stream reader reads one table; {', '.join(m.__name__ for m in models)} are "
            f"bound to {', '.join(sorted(tables))}"
        )
    matcher = Matcher(models, match, engine.config.table_name_template)
    return Reading(start_cursor(tables.pop(), start), matcher, engine.config.backoff, errors)


class _Reader(Generic[E, M]):
    """What both readers offer besides reading."""

    def __init__(
        self,
        engine: E,
        *models: type[M],
        start: Start = "trim_horizon",
        match: Match | None = None,
        errors: OnError = "raise",
    ) -> None:
        self._engine = engine
        self._reading = reading(engine, models, start, match, errors)

    @property
    def position(self) -> str:
        """A token of what has been handed out so far: pass it as ``start=`` to a new reader
        (in any process) to go on from there, with no change missed or repeated."""
        return self._reading.cursor.position()

    @property
    def errors(self) -> list[RecordError]:
        """Records that failed, when reading with ``errors="collect"``."""
        return self._reading.errors

    @property
    def table(self) -> str:
        return self._reading.cursor.table

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.table!r}>"


class StreamReader(_Reader["Engine", M]):
    """The changes of a bound model's table, read from its DynamoDB stream.

    ``StreamReader(engine, Post, start="trim_horizon")`` (also ``engine.stream(Post)``);
    several models of one table: ``StreamReader[Customer | Order](engine, Customer, Order,
    match=...)``.
    ``start`` is ``"trim_horizon"`` (the oldest record the stream keeps), ``"latest"``, an aware
    datetime, or a :attr:`position` token. Failed records are raised as ``RecordError`` (the
    position is then past them) or, with ``errors="collect"``, kept in :attr:`errors`.
    """

    _engine: Engine

    def changes(
        self, limit: int | None = None, timeout: float | None = None
    ) -> Iterator[Change[M]]:
        """The changes, in stream order, as they are read. Stops after ``limit`` changes, or
        once no new record came for ``timeout`` seconds of waiting (polls back off while the
        stream is idle); with neither it goes on for ever."""
        return self._changes(Budget(limit, timeout))

    def read(self, limit: int = 1000, timeout: float | None = 0.0) -> list[Change[M]]:
        """Up to ``limit`` changes: those readable now, once there is one. Waits at most
        ``timeout`` seconds for the first (by default not at all; None: until one comes)."""
        return list(self._changes(Budget(limit, timeout, drain=True)))

    def _changes(self, budget: Budget) -> Iterator[Change[M]]:
        while True:
            change = self._engine.run(self._reading.next(budget))
            if change is None:
                return
            yield change

    def __iter__(self) -> Iterator[Change[M]]:
        return self.changes()


class AsyncStreamReader(_Reader["AsyncEngine", M]):
    """:class:`StreamReader` on an ``AsyncEngine``: ``await reader.read()``,
    ``async for change in reader.changes(timeout=5)``."""

    _engine: AsyncEngine

    def changes(
        self, limit: int | None = None, timeout: float | None = None
    ) -> AsyncIterator[Change[M]]:
        """See ``StreamReader.changes``."""
        return self._changes(Budget(limit, timeout))

    async def read(self, limit: int = 1000, timeout: float | None = 0.0) -> list[Change[M]]:
        """See ``StreamReader.read``."""
        return [change async for change in self._changes(Budget(limit, timeout, drain=True))]

    async def _changes(self, budget: Budget) -> AsyncIterator[Change[M]]:
        while True:
            change = await self._engine.run(self._reading.next(budget))
            if change is None:
                return
            yield change

    def __aiter__(self) -> AsyncIterator[Change[M]]:
        return self.changes()
