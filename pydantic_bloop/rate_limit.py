"""A ceiling on the capacity units an engine or context spends per second, for bulk work.

```python
slow = RateLimit(write=50)  # at most about 50 write units per second
with engine.context(rate_limit=slow) as backfill:
    backfill.save(*objects)
```

Every request of that engine or context is paced: before it is sent, the plan sleeps (a `Sleep`
step, so both engines and the scripted driver pace alike) until the budget spent so far is paid
back at `read` / `write` units per second. What a request costs is what DynamoDB reports
(`ReturnConsumedCapacity` is asked for while a limit is set); where a server reports nothing,
it is estimated from item sizes (1 write unit per started KB written, 1 read unit per started
4 KB read, half for eventually consistent reads, twice for transactions). A request is charged
its estimate when sent and corrected by its real cost when answered, so concurrent requests of a
batch wait their turn too. Up to `burst` seconds of unspent budget may be spent at once.

A `RateLimit` holds the budget: share one object between engines, contexts and threads to
share one ceiling.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from .capacity import READS, WRITES, Units, consumed
from .limits import attrs_size
from .plans import Call, Response

__all__ = ["RateLimit", "estimate_request", "estimate_response"]


class _Bucket:
    """Units per second with a balance that may go below zero (debt that later requests wait
    out)."""

    __slots__ = ("balance", "burst", "rate", "stamp")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst * rate
        self.balance = self.burst
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until the balance is no longer negative."""
        self.balance = min(self.burst, self.balance + (now - self.stamp) * self.rate)
        self.stamp = now
        return max(0.0, -self.balance) / self.rate


class RateLimit:
    """At most about `read` read units and `write` write units per second (None: no ceiling
    for that kind); `burst` seconds of budget may be spent at once. `clock` (seconds, monotonic)
    is for tests. `spent` is what was charged so far, `waited` the seconds of pause asked for."""

    def __init__(
        self,
        read: float | None = None,
        write: float | None = None,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, rate in (("read", read), ("write", write)):
            if rate is not None and not rate > 0:
                raise ValueError(f"RateLimit({name}={rate!r}): a ceiling must be above 0")
        if not burst >= 0:
            raise ValueError(f"RateLimit(burst={burst!r}): must be 0 or more seconds")
        self.read, self.write, self.burst = read, write, burst
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self._reads = None if read is None else _Bucket(read, burst, now)
        self._writes = None if write is None else _Bucket(write, burst, now)
        self._spent = Units()
        self._waited = 0.0

    def before(self, calls: Iterable[Call]) -> float:
        """Charge the estimated cost of `calls` (about to be sent together); returns the seconds
        to wait before sending them."""
        metered = [c for c in calls if c.service == "dynamodb" and c.operation in READS | WRITES]
        if not metered:
            return 0.0  # table administration, streams: not paced
        estimate = sum((estimate_request(c) for c in metered), Units())
        with self._lock:
            now = self._clock()
            wait = max(self._wait(self._reads, now), self._wait(self._writes, now))
            self._charge(estimate)
            self._waited += wait
            return wait

    def after(self, call: Call, response: Response) -> None:
        """Correct the charge of `call` (its estimate) by its real cost: reported, or estimated
        from the response."""
        charged, real = estimate_request(call), actual_cost(call, response)
        with self._lock:
            self._charge(Units(real.read - charged.read, real.write - charged.write))

    @property
    def spent(self) -> Units:
        """Units charged so far (reported costs, or estimates where none was reported)."""
        with self._lock:
            return self._spent

    @property
    def waited(self) -> float:
        """Seconds of pause asked for so far."""
        with self._lock:
            return self._waited

    def _wait(self, bucket: _Bucket | None, now: float) -> float:
        return 0.0 if bucket is None else bucket.wait(now)

    def _charge(self, units: Units) -> None:
        self._spent = self._spent + units
        if self._reads is not None:
            self._reads.balance -= units.read
        if self._writes is not None:
            self._writes.balance -= units.write

    def __repr__(self) -> str:
        return f"<RateLimit read={self.read} write={self.write} per second, spent {self.spent}>"


def actual_cost(call: Call, response: Response) -> Units:
    """What `call` cost: the consumed capacity `response` reports, or its estimate."""
    if "ConsumedCapacity" in response:
        return sum((units for _, units in consumed(call, response)), Units())
    return estimate_response(call, response)


# -- estimates from item sizes (where the server reports no consumed capacity) ------------------

_KB = 1024
_READ_UNIT = 4 * _KB


def _write_units(item: Mapping[str, Any] | None) -> float:
    return 1.0 if not item else float(max(1, math.ceil(attrs_size(item) / _KB)))


def _read_units(items: Iterable[Mapping[str, Any]], consistent: bool, *, each: bool) -> float:
    """Read units for `items`: rounded per item (`each`, gets) or over their total (queries)."""
    sizes = [attrs_size(i) for i in items]
    if each:
        units = sum(max(1, math.ceil(s / _READ_UNIT)) for s in sizes)
    else:
        units = max(1, math.ceil(sum(sizes) / _READ_UNIT))
    return float(units) if consistent else units / 2


def _writes_of(requests: Iterable[Mapping[str, Any]]) -> float:
    total = 0.0
    for request in requests:
        put = request.get("PutRequest")
        total += _write_units(cast(Mapping[str, Any], put)["Item"] if put else None)
    return total


def estimate_request(call: Call) -> Units:
    """The units `call` will probably cost, before it is sent (queries and scans: their
    least, one page of up to 4 KB)."""
    if call.service != "dynamodb" or call.operation not in READS | WRITES:
        return Units()
    p = call.params
    consistent = bool(p.get("ConsistentRead"))
    match call.operation:
        case "put_item":
            return Units(write=_write_units(p.get("Item")))
        case "update_item" | "delete_item":
            return Units(write=1.0)
        case "batch_write_item":
            writes = cast(Mapping[str, list[Mapping[str, Any]]], p.get("RequestItems", {}))
            return Units(write=sum(_writes_of(reqs) for reqs in writes.values()))
        case "transact_write_items":
            return Units(write=2.0 * len(p.get("TransactItems", ())))
        case "transact_get_items":
            return Units(read=2.0 * len(p.get("TransactItems", ())))
        case "batch_get_item":
            reads = cast(Mapping[str, Mapping[str, Any]], p.get("RequestItems", {}))
            return Units(read=sum(_batch_read(t) for t in reads.values()))
        case _:  # get_item, query, scan
            return Units(read=1.0 if consistent else 0.5)


def _batch_read(table: Mapping[str, Any]) -> float:
    keys = len(cast(list[Any], table.get("Keys", [])))
    return keys * (1.0 if table.get("ConsistentRead") else 0.5)


def estimate_response(call: Call, response: Response) -> Units:
    """The units `call` probably cost, from the items `response` carries (what was read) or
    the request (what was written, less what came back unprocessed)."""
    p = call.params
    consistent = bool(p.get("ConsistentRead"))
    match call.operation:
        case "get_item":
            item = response.get("Item")
            return Units(read=_read_units([item] if item else [{}], consistent, each=True))
        case "query" | "scan":
            items = cast(list[Mapping[str, Any]], response.get("Items", []))
            return Units(read=_read_units(items, consistent, each=False))
        case "batch_get_item":
            found = cast(Mapping[str, list[Mapping[str, Any]]], response.get("Responses", {}))
            tables = cast(Mapping[str, Mapping[str, Any]], p.get("RequestItems", {}))
            return Units(
                read=sum(
                    _read_units(items, bool(tables.get(t, {}).get("ConsistentRead")), each=True)
                    for t, items in found.items()
                    if items
                )
            )
        case "batch_write_item":
            left = cast(Mapping[str, list[Mapping[str, Any]]], response.get("UnprocessedItems", {}))
            unsent = sum(_writes_of(reqs) for reqs in left.values())
            return Units(write=estimate_request(call).write - unsent)
        case _:
            return estimate_request(call)
