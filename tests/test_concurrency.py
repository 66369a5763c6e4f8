"""A shared sync `Engine` used from several threads, with contexts of other `max_concurrency`
(issue 18, failure 5): no `RuntimeError` from a thread pool shut down under a running caller,
and each engine's bound on requests in flight holds.

The async engine has no thread pool (it gathers under a semaphore per call): nothing to test
here for it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Annotated, Any

from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, Engine, HashKey


class Small(Base):
    id: Annotated[int, HashKey()]
    n: int = 0


class Large(Base):
    id: Annotated[int, HashKey()]
    n: int = 0


class InFlight:
    """Counts the UpdateItem requests in flight per table (hooks of the shared client) and keeps
    the most seen at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    def start(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        table = context["bloop_table"] = params["TableName"]
        with self._lock:
            self.now[table] += 1
            self.most[table] = max(self.most[table], self.now[table])

    def end(self, context: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.now[context["bloop_table"]] -= 1


def test_contexts_with_larger_bounds_beside_other_threads(
    client: DynamoDBClient, table_prefix: str
) -> None:
    template = table_prefix + "{table_name}"
    engine = Engine(client=client, max_concurrency=2, table_name_template=template)
    engine.bind(Small, Large)
    counting = InFlight()
    events = client.meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", counting.start)
    events.register("after-call.dynamodb.UpdateItem", counting.end)
    errors: list[BaseException] = []

    def small(worker: int) -> None:
        try:
            for rnd in range(6):
                engine.save(*(Small(id=worker * 1000 + i, n=rnd) for i in range(12)))
        except BaseException as exc:  # collected: the test asserts there are none
            errors.append(exc)

    def large(worker: int) -> None:
        try:
            for rnd in range(6):
                with engine.context(max_concurrency=4 + 4 * worker + rnd) as wide:
                    wide.save(*(Large(id=worker * 1000 + i, n=rnd) for i in range(12)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=small, args=(w,)) for w in range(3)]
    threads += [threading.Thread(target=large, args=(w,)) for w in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        events.unregister("before-parameter-build.dynamodb.UpdateItem", counting.start)
        events.unregister("after-call.dynamodb.UpdateItem", counting.end)
    assert errors == []
    assert counting.most[table_prefix + "Small"] <= 2  # the base engine's bound holds
    assert counting.most[table_prefix + "Large"] >= 1
    assert engine.get(Small, id=2011, consistent=True).n == 5
    assert engine.get(Large, id=2011, consistent=True).n == 5
