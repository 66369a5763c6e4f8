"""Plan drivers: the loop that carries a plan's steps out, blocking and on asyncio, side by side.

A driver is given the transport as three primitives (run one `Call`, run several concurrently
and report each outcome, sleep), and the engine's before-write hooks as a fourth, and does the
rest the same way in both worlds: a `Call`'s response is sent into the plan and its exception
thrown into it; a `Parallel` step receives every outcome (response or exception, not thrown); a
`Sleep` receives None, and so does a `Before` once the hooks ran (their error is raised, not
thrown in). The plan is closed in `finally`, so that a driver stopped by an error or a
cancellation runs the plan's own `finally` blocks at once rather than at garbage collection.

Keep the two drivers line for line alike: they are one loop, written once per color.

Internal: the engines call these; `Engine.run(plan)` / `AsyncEngine.run(plan)` are the public way
to run a plan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .plans import Before, Call, Parallel, Plan, Response

__all__ = ["Outcomes", "run_async", "run_sync"]

R = TypeVar("R")
Outcomes = list[Response | BaseException]


def run_sync(
    plan: Plan[R],
    execute: Callable[[Call], Response],
    parallel: Callable[[tuple[Call, ...]], Outcomes],
    sleep: Callable[[float], None],
    before: Callable[[Before], None] | None = None,
) -> R:
    """Drive `plan` to completion with blocking primitives (what the sync engine uses)."""
    # run_async is this loop line for line with `await` added: Python cannot share a loop
    # between a blocking and an awaiting caller, so the twins are kept side by side. The tail
    # (StopIteration's value, close in finally) is how any generator is driven (watch.py too).
    try:
        step = next(plan)
        while True:
            result: Any
            if isinstance(step, Call):
                try:
                    result = execute(step)
                except Exception as exc:  # handed to the plan, which decides
                    step = plan.throw(exc)
                    continue
            elif isinstance(step, Parallel):
                result = parallel(step.calls)
            elif isinstance(step, Before):
                if before is not None:  # (a driver without hooks has none to call)
                    before(step)
                result = None
            else:
                sleep(step.seconds)
                result = None
            step = plan.send(result)
    except StopIteration as stop:
        value: R = stop.value
        return value
    finally:
        plan.close()


async def run_async(
    plan: Plan[R],
    execute: Callable[[Call], Awaitable[Response]],
    parallel: Callable[[tuple[Call, ...]], Awaitable[Outcomes]],
    sleep: Callable[[float], Awaitable[None]],
    before: Callable[[Before], Awaitable[None]] | None = None,
) -> R:
    """Drive `plan` to completion with awaitable primitives (what the async engine uses): the
    twin of `run_sync`."""
    # line for line run_sync with `await` (see the comment there): keep the two in step
    try:
        step = next(plan)
        while True:
            result: Any
            if isinstance(step, Call):
                try:
                    result = await execute(step)
                except Exception as exc:  # handed to the plan, which decides
                    step = plan.throw(exc)
                    continue
            elif isinstance(step, Parallel):
                result = await parallel(step.calls)
            elif isinstance(step, Before):
                if before is not None:
                    await before(step)
                result = None
            else:
                await sleep(step.seconds)
                result = None
            step = plan.send(result)
    except StopIteration as stop:
        value: R = stop.value
        return value
    finally:
        plan.close()
