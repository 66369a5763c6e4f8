"""Migrations: the plan object that says in words what would change a table into what its models
declare, and the I/O-free plan that carries it out step by step.

``engine.migration(Post)`` returns a :class:`Migration` (nothing changes); ``engine.migrate(Post)``
applies one: one request per step (DynamoDB takes one index change per ``UpdateTable``), then it
waits, with the engine's backoff and within a timeout, until the table and the index it touched
are ``ACTIVE`` and backfilled. Every step is reported to a ``progress`` callback and to the
``pydantic_bloop`` logger. See docs/tables.md.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import MigrationFailed, TableNotActive, UnsupportedOption
from .plans import Backoff, Call, Plan, Response, Sleep, error_code
from .table_diff import Change, Live, Step, Target
from .table_options import items, mapping

logger = logging.getLogger("pydantic_bloop")

Description = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TableMigration:
    """What a migration does to one table: its changes, each with its steps or why none."""

    table: str
    models: tuple[str, ...]
    changes: tuple[Change, ...] = ()
    missing: bool = False  # no such table: binding creates it with everything declared

    @property
    def steps(self) -> tuple[Step, ...]:
        """The requests, in the order they run."""
        steps = [s for c in self.changes if c.held is None for s in c.steps]
        return tuple(sorted(steps, key=lambda s: s.order))

    @property
    def held(self) -> tuple[Change, ...]:
        """Changes no step makes: impossible in place, or waiting for a ``drop_*`` flag."""
        return tuple(c for c in self.changes if c.held is not None)

    def mismatches(self) -> list[str]:
        """What ``bind`` without ``migrate`` reports: every difference bind does not fix."""
        return [c.difference for c in self.changes if c.mismatch and not c.automatic]

    def blockers(self) -> list[str]:
        """Differences even a migration leaves: a ``migrate`` refuses to start while any exist."""
        return [f"{c.difference}: {c.held}" for c in self.changes if c.mismatch and c.held]

    def automatic_steps(self) -> tuple[Step, ...]:
        return tuple(
            s for s in self.steps if any(s in c.steps and c.automatic for c in self.changes)
        )

    def lines(self) -> list[str]:
        head = f"table {self.table!r} ({', '.join(self.models)})"
        if self.missing:
            return [f"{head}: missing; binding creates it with every declared index and option"]
        if not self.changes:
            return [f"{head}: matches its models"]
        out = [f"{head}:"]
        out += [f"  {n}. {s.text}" for n, s in enumerate(self.steps, 1)]
        out += [f"  - not done: {c.difference} ({c.held})" for c in self.held]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True, slots=True)
class Migration:
    """The migration of every table of some models; ``print(migration)`` shows it in words."""

    tables: tuple[TableMigration, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(s for t in self.tables for s in t.steps)

    @property
    def held(self) -> tuple[Change, ...]:
        return tuple(c for t in self.tables for c in t.held)

    def __bool__(self) -> bool:
        """True when there is something to do (a step, or a table to create)."""
        return any(t.steps or t.missing for t in self.tables)

    def __str__(self) -> str:
        return "\n".join(line for t in self.tables for line in t.lines())


@dataclass(frozen=True, slots=True)
class MigrationProgress:
    """One progress report: step ``number`` of ``total`` on ``table`` has ``started``, is
    ``waiting`` (``detail`` says for what) or is ``done``."""

    table: str
    step: Step
    number: int
    total: int
    state: Literal["started", "waiting", "done"]
    detail: str = ""

    def __str__(self) -> str:
        tail = f" ({self.detail})" if self.detail else ""
        return f"[{self.number}/{self.total}] {self.table}: {self.step.text}: {self.state}{tail}"


Progress = Callable[[MigrationProgress], None]


# -- reading the live state ------------------------------------------------------------------------


def describe(table: str) -> Plan[dict[str, Any] | None]:
    """The table's description, or None when there is no such table."""
    try:
        response: Response = yield Call("describe_table", {"TableName": table})
    except Exception as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return None
    description: dict[str, Any] = response["Table"]
    return description


def _unsupported(
    target: Target, option: str, exc: BaseException, operation: str
) -> UnsupportedOption:
    return UnsupportedOption(target.table, option, f"{operation}: {error_code(exc)}", target.models)


def read_live(target: Target, description: Description, skip: frozenset[str]) -> Plan[Live]:
    """The table's state: its description, and its TTL and PITR state when the models declare
    them (and do not skip them)."""
    ttl: Mapping[str, Any] | None = None
    backups: Mapping[str, Any] | None = None
    table = {"TableName": target.table}
    operation = "DescribeTimeToLive"
    try:
        if target.ttl is not None and "ttl" not in skip:
            response: Response = yield Call("describe_time_to_live", table)
            ttl = mapping(response, "TimeToLiveDescription")
        if (
            target.options.point_in_time_recovery is not None
            and "point_in_time_recovery" not in skip
        ):
            operation = "DescribeContinuousBackups"
            response = yield Call("describe_continuous_backups", table)
            found = mapping(response, "ContinuousBackupsDescription")
            backups = mapping(found, "PointInTimeRecoveryDescription")
    except Exception as exc:
        if error_code(exc) == "UnknownOperationException":
            option = "ttl" if operation == "DescribeTimeToLive" else "point_in_time_recovery"
            raise _unsupported(target, option, exc, operation) from exc
        raise
    return Live(description, ttl, backups)


# -- waiting ---------------------------------------------------------------------------------------


def _index(description: Description, name: str) -> Mapping[str, Any] | None:
    for index in items(description, "GlobalSecondaryIndexes"):
        if index.get("IndexName") == name:
            return index
    return None


def table_active(description: Description) -> bool:
    """The table and every global index are ACTIVE (and none is still backfilling)."""
    if description.get("TableStatus") != "ACTIVE":
        return False
    return all(
        i.get("IndexStatus", "ACTIVE") == "ACTIVE" and not i.get("Backfilling")
        for i in items(description, "GlobalSecondaryIndexes")
    )


def _ready(step: Step) -> Callable[[Description], bool]:
    if step.wait == "index deleted":
        name = step.index or ""
        return lambda d: d.get("TableStatus") == "ACTIVE" and _index(d, name) is None
    return table_active


def _state(description: Description, step: Step | None) -> str:
    """What is being waited for, in words (for progress reports)."""
    words = f"table {description.get('TableStatus', '?')}"
    index = _index(description, step.index) if step is not None and step.index else None
    if index is not None:
        words += f", index {index.get('IndexStatus', '?')}"
        if index.get("Backfilling"):
            words += " (backfilling)"
    return words


def wait_for(
    table: str,
    description: Description | None,
    ready: Callable[[Description], bool],
    backoff: Backoff,
    timeout: float,
    on_wait: Callable[[Description], None] | None = None,
    goal: str = "become ACTIVE",
) -> Plan[dict[str, Any] | None]:
    """Describe ``table`` (starting from ``description``) until ``ready``, sleeping per
    ``backoff`` at most ``timeout`` seconds in all; None when the table is gone meanwhile."""
    waited = 0.0
    polls = 0
    while description is not None and not ready(description):
        if waited >= timeout:
            raise TableNotActive(f"table {table!r} did not {goal} within {timeout:g}s")
        if on_wait is not None:
            on_wait(description)
        delay = backoff.delay(min(polls, 30))
        yield Sleep(delay)
        waited += delay
        polls += 1
        description = yield from describe(table)
    return None if description is None else dict(description)


# -- applying --------------------------------------------------------------------------------------


def apply(
    target: Target,
    steps: Sequence[Step],
    backoff: Backoff,
    timeout: float,
    progress: Progress | None = None,
) -> Plan[None]:
    """Run ``steps`` in order, each after the previous one has settled. A step the endpoint
    does not know raises ``UnsupportedOption``; any other failure ``MigrationFailed`` (the steps
    before it stay done: binding or migrating again continues from there)."""
    total = len(steps)
    table = target.table
    for number, step in enumerate(steps, 1):

        def report(state: Literal["started", "waiting", "done"], detail: str = "") -> None:
            event = MigrationProgress(table, step, number, total, state, detail)  # noqa: B023
            logger.info("%s", event) if state != "waiting" else logger.debug("%s", event)
            if progress is not None:
                progress(event)

        report("started")
        try:
            response: Response = yield step.call
        except Exception as exc:
            if error_code(exc) == "UnknownOperationException":
                raise _unsupported(target, step.option, exc, _operation(step.call)) from exc
            raise MigrationFailed(table, step.text, number, total, exc) from exc
        if step.wait != "none":
            description = response.get("TableDescription")
            if description is not None and _ignored(step, description):
                raise UnsupportedOption(
                    table,
                    "indexes",
                    f"it accepted UpdateTable but did not {step.text}",
                    target.models,
                )
            found = yield from wait_for(
                table,
                description or {},
                _ready(step),
                backoff,
                timeout,
                lambda d: report("waiting", _state(d, step)),  # noqa: B023
            )
            if found is None:
                raise MigrationFailed(table, step.text, number, total, None)
        report("done")


def _ignored(step: Step, description: Description) -> bool:
    """DynamoDB answers an index created with the index (CREATING) and an index deleted with
    it DELETING (or gone): anything else means the endpoint ignored the request (dynalite)."""
    if step.wait == "index created":
        return _index(description, step.index or "") is None
    if step.wait == "index deleted":
        index = _index(description, step.index or "")
        return index is not None and index.get("IndexStatus") != "DELETING"
    return False


def _operation(call: Call) -> str:
    return "".join(part.title() for part in call.operation.split("_"))


def leftovers(applied: Iterable[Change], again: Iterable[Change]) -> list[Change]:
    """Changes whose steps ran but that are still there: the endpoint accepted and ignored
    them (moto ignores TableClass and OnDemandThroughput; dynalite StreamSpecification)."""
    done = {(c.option, c.difference) for c in applied}
    return [c for c in again if (c.option, c.difference) in done]
