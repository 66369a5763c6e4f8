"""What an engine does around every request of a plan: ask for and sum its consumed capacity
(`CapacityMeter`), pace it (`RateLimit`), log it (`request_log`).

`watched(plan, watch)` is a plan that runs `plan` with every call seen by `watch`: it is what
`Engine.run` and `AsyncEngine.run` drive, so one copy serves both engines and every operation,
and the pauses of a rate limit are ordinary `Sleep` steps (no I/O here).

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .capacity import CapacityMeter, Units, with_capacity
from .plans import Call, Parallel, Plan, Response, Sleep
from .rate_limit import RateLimit
from .request_log import log_outcome

__all__ = ["Watch", "watched"]

R = TypeVar("R")


def _no_secrets() -> frozenset[str]:
    return frozenset()


class Watch:
    """The observers of one engine's requests: `capacity` (a meter, or None) receives every
    cost, `rate_limit` (or None) paces them, `secret_keys()` names the key attributes whose
    values the log must not show."""

    __slots__ = ("capacity", "rate_limit", "secret_keys")

    def __init__(
        self,
        capacity: CapacityMeter | None = None,
        rate_limit: RateLimit | None = None,
        secret_keys: Callable[[], frozenset[str]] = _no_secrets,
    ) -> None:
        self.capacity = capacity
        self.rate_limit = rate_limit
        self.secret_keys = secret_keys

    def before(self, calls: tuple[Call, ...]) -> tuple[tuple[Call, ...], float]:
        """The calls to send instead of `calls`, and the seconds to wait before sending them."""
        if self.capacity is None and self.rate_limit is None:
            return calls, 0.0
        sent = tuple(with_capacity(c) for c in calls)
        return sent, 0.0 if self.rate_limit is None else self.rate_limit.before(sent)

    def after(self, call: Call, outcome: Response | BaseException) -> None:
        """Record, correct the pace by, and log the outcome of `call` (as sent)."""
        units: Units | None = None
        if not isinstance(outcome, BaseException):
            if self.capacity is not None:
                units = self.capacity.record(call, outcome)
            if self.rate_limit is not None:
                self.rate_limit.after(call, outcome)
        log_outcome(call, outcome, units, self.secret_keys)


def watched(plan: Plan[R], watch: Watch) -> Plan[R]:
    """`plan`, its calls sent through `watch` (see the module's docstring). Closing this plan
    closes `plan`, so a driver stopped early still runs `plan`'s own `finally` blocks."""
    try:
        step = next(plan)
        while True:
            result: Any
            if isinstance(step, Call):
                (sent,), wait = watch.before((step,))
                if wait > 0:
                    yield Sleep(wait)
                try:
                    result = yield sent
                except Exception as exc:  # the driver's exception, handed on to the plan
                    watch.after(sent, exc)
                    step = plan.throw(exc)
                    continue
                watch.after(sent, result)
            elif isinstance(step, Parallel):
                calls, wait = watch.before(step.calls)
                if wait > 0:
                    yield Sleep(wait)
                result = yield Parallel(calls)
                for call, outcome in zip(calls, result, strict=True):
                    watch.after(call, outcome)
            else:
                result = yield step
            step = plan.send(result)
    except StopIteration as stop:  # how a plan is driven, as in drivers.run_sync
        value: R = stop.value
        return value
    finally:
        plan.close()
