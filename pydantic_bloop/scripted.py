"""A scripted driver: run a plan against canned responses and errors, with no server.

Every operation is a plan (see `pydantic_bloop.plans`), so its whole logic (paging, batching,
retries, waits, error translation) can be exercised by answering its calls from a script:

```python
script = Script({"Table": {"TableStatus": "ACTIVE"}})
script.run(my_plan)
assert [c.operation for c in script.calls] == ["describe_table"]
```

Outcomes are consumed in order, one per call (a `Parallel` step takes one per call, in the
order of its calls). An outcome is a response dict, an exception (raised by that call), or a
function of the `Call` returning either. Sleeps are recorded, never slept; `calls`, `sleeps`
and `steps` record what the plan did. Also available as `pydantic_bloop.testing.Script`.

Internal: import `Script` and friends from ``pydantic_bloop.testing``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .drivers import Outcomes, run_sync
from .plans import Call, Parallel, Plan, Response, Sleep, Step

__all__ = ["Outcome", "Script", "ScriptExhausted", "client_error"]

R = TypeVar("R")
Outcome = Response | BaseException | Callable[[Call], Response | BaseException]


class ScriptExhausted(AssertionError):
    """The plan made a call the script has no outcome for."""


class Script:
    """Canned outcomes for a plan's calls; `calls` and `sleeps` record what the plan did."""

    def __init__(self, *outcomes: Outcome) -> None:
        self._outcomes: deque[Outcome] = deque(outcomes)
        self.calls: list[Call] = []
        self.sleeps: list[float] = []
        self.steps: list[Step] = []  # every step the plan yielded, in order

    def then(self, *outcomes: Outcome) -> Script:
        """Add outcomes at the end of the script (returns the script)."""
        self._outcomes.extend(outcomes)
        return self

    @property
    def left(self) -> int:
        """Outcomes not consumed yet."""
        return len(self._outcomes)

    def run(self, plan: Plan[R], *, exhaust: bool = True) -> R:
        """Drive `plan` to its end against the script. With `exhaust`, every outcome must have
        been consumed (a plan that stops early fails the run)."""
        # a Before step is only recorded: a script runs no hooks
        result = run_sync(plan, self._execute, self._parallel, self._sleep, self.steps.append)
        if exhaust and self._outcomes:
            raise AssertionError(f"the plan ended with {len(self._outcomes)} outcomes unused")
        return result

    def _next(self, call: Call) -> Response | BaseException:
        self.calls.append(call)
        if not self._outcomes:
            raise ScriptExhausted(f"no outcome scripted for call #{len(self.calls)}: {call}")
        outcome = self._outcomes.popleft()
        return outcome(call) if callable(outcome) else outcome

    def _execute(self, call: Call) -> Response:
        self.steps.append(call)
        outcome = self._next(call)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _parallel(self, calls: tuple[Call, ...]) -> Outcomes:
        self.steps.append(Parallel(calls))
        return [self._next(call) for call in calls]

    def _sleep(self, seconds: float) -> None:
        self.steps.append(Sleep(seconds))
        self.sleeps.append(seconds)


def client_error(code: str, message: str = "", operation: str = "", **extra: Any) -> ClientError:
    """A botocore `ClientError` as DynamoDB would raise it: error `code` and `message`, and any
    further top-level response fields (e.g. `Item=...` for a failed condition)."""
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message}, **extra}
    typed: Any = response  # botocore-stubs type it as a private TypedDict
    return ClientError(typed, operation or "Operation")
