"""The I/O-free protocol between request logic and engines.

Every operation is a *plan*: a generator that yields steps and receives their results, and
returns the operation's result. Plans build every request dict and interpret every response,
including paging, batching, retries of unprocessed work and waits; an engine only carries the
steps out over its transport (boto3 threads, or asyncio). One copy of the logic, small drivers.

- ``Call(operation, params)``: one client call; the plan receives the response dict, or the
  client's exception is thrown into it.
- ``Parallel(calls)``: calls that may run concurrently; the plan receives, in order, each
  response or the exception that call raised (not thrown, so the plan sees them all).
- ``Sleep(seconds)``: wait; the plan receives None.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

R = TypeVar("R")
Response = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    operation: str  # the client method name, e.g. "update_item"
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Parallel:
    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Step = Call | Parallel | Sleep
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


def run_sync(
    plan: Plan[R],
    execute: Callable[[Call], Response],
    parallel: Callable[[tuple[Call, ...]], list[Response | BaseException]],
    sleep: Callable[[float], None],
) -> R:
    """Drive ``plan`` to completion with blocking primitives (what the sync engine uses)."""
    try:
        step = next(plan)
        while True:
            if isinstance(step, Call):
                try:
                    result: Any = execute(step)
                except Exception as exc:  # handed to the plan, which decides
                    step = plan.throw(exc)
                    continue
            elif isinstance(step, Parallel):
                result = parallel(step.calls)
            else:
                sleep(step.seconds)
                result = None
            step = plan.send(result)
    except StopIteration as stop:
        value: R = stop.value
        return value
