"""The I/O-free protocol between request logic and engines.

Every operation is a *plan*: a generator that yields steps and receives their results, and
returns the operation's result. Plans build every request dict and interpret every response,
including paging, batching, retries of unprocessed work and waits; an engine only carries the
steps out over its transport (boto3 threads, or asyncio). One copy of the logic, small drivers.

- ``Call(operation, params, service="dynamodb")``: one client call (``service`` names the
  client: ``"dynamodb"``, or ``"dynamodbstreams"`` for DynamoDB Streams); the plan receives the
  response dict, or the client's exception is thrown into it.
  A ``DeferredCall(operation, build)`` is one whose params ``build()`` makes when they are
  read, so that calls waiting their turn hold no request dicts (a bulk save's batches).
- ``Parallel(calls)``: calls that may run concurrently; the plan receives, in order, each
  response or the exception that call raised (not thrown, so the plan sees them all).
- ``Sleep(seconds)``: wait; the plan receives None.
- ``Before(kind, objs, table_of)``: run the engine's before-write hooks of ``objs`` (which may
  change them) before the plan builds their writes; the plan receives None. A handler's error
  stops the plan there (the driver raises it as it is), so nothing is built or sent.

The drivers that carry plans out live in ``drivers``; ``Engine.run`` / ``AsyncEngine.run`` run
a plan on an engine's transport.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from .models import Base

R = TypeVar("R")
Response = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One client call: `operation` is the client method name (e.g. `"update_item"`), `params`
    its keyword arguments, `service` the client it goes to."""

    operation: str
    params: dict[str, Any]
    service: str = "dynamodb"


class DeferredCall(Call):
    """A `Call` whose parameters ``build()`` makes each time they are read: when the call is
    sent (and logged). A plan that yields many calls at once (a bulk save's BatchWriteItem
    requests) thus keeps no request dicts alive while they wait their turn: the collector would
    move those into its oldest generation, and walk them again at every full pass."""

    __slots__ = ("build",)
    build: Callable[[], dict[str, Any]]

    def __init__(
        self, operation: str, build: Callable[[], dict[str, Any]], service: str = "dynamodb"
    ) -> None:
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "build", build)

    @property  # a Call is frozen: its params are only ever read
    def params(self) -> dict[str, Any]:  # pyright: ignore[reportIncompatibleVariableOverride]
        return self.build()


@dataclass(frozen=True, slots=True)
class Parallel:
    """Calls that may run concurrently; the plan receives each outcome, in order."""

    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait `seconds`; the plan receives None."""

    seconds: float


BeforeKind = Literal["save", "update", "delete"]  # what a before-write hook is told


@dataclass(frozen=True, slots=True)
class Before:
    """Call the before-write hooks (``engine.hooks.before_save`` ...) of ``kind`` for each of
    ``objs``, in order, whose tables ``table_of`` names; ``transaction``: the writes are part of
    one. The plan builds the writes only after this step, so what a handler changes is written,
    and a handler's error (raised by the driver, not thrown into the plan) prevents them all."""

    kind: BeforeKind
    objs: tuple[Base, ...]
    table_of: Callable[[type[Base]], str]
    transaction: bool = False


Step = Call | Parallel | Sleep | Before
Plan = Generator[Step, Any, R]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter for retrying unprocessed batch work.

    Throttling and transient HTTP errors are botocore's to retry (its retry config); this covers
    only what DynamoDB accepted but left unprocessed. ``bind`` also paces its polls of a table
    that is not ACTIVE yet by it (without the ``attempts`` limit: tables wait up to a timeout).
    """

    base: float = 0.05
    cap: float = 5.0
    attempts: int = 12
    jitter: Callable[[float, float], float] = random.uniform

    def delay(self, attempt: int) -> float:
        return self.jitter(0.0, min(self.cap, self.base * 2**attempt))


def call(step: Call) -> Plan[Response]:
    """A plan of exactly one call."""
    response: Response = yield step
    return response


def error_code(exc: BaseException) -> str | None:
    """The DynamoDB error code of a client error, or None."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None
