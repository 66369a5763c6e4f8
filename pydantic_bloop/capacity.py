"""Consumed capacity: what each request cost, summed per table and per operation.

Opt in with a `CapacityMeter` on an engine or a context:

```python
meter = CapacityMeter()
with engine.context(capacity=meter) as metered:
    metered.save(post)
    metered.query(Post.by_user).key(Post.user == uid).all()
print(meter.total, meter.tables, meter.operations)
```

Every request that can report its cost then asks for it (`ReturnConsumedCapacity="TOTAL"`) and
the meter adds what DynamoDB answers: a batch's or transaction's entry per table, each page of a
query or scan. Read units and write units are kept apart; where DynamoDB gives only
`CapacityUnits`, the operation says which they are. A meter is safe to share between threads,
engines and contexts.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from .plans import Call, Response

__all__ = ["CapacityMeter", "Units", "consumed", "operation_name", "with_capacity"]

READS = frozenset({"get_item", "batch_get_item", "query", "scan", "transact_get_items"})
WRITES = frozenset(
    {"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"}
)


@dataclass(frozen=True, slots=True)
class Units:
    """Read and write capacity units (DynamoDB's RCU and WCU; fractions for eventually
    consistent reads)."""

    read: float = 0.0
    write: float = 0.0

    def __add__(self, other: Units) -> Units:
        return Units(self.read + other.read, self.write + other.write)

    def __str__(self) -> str:
        return f"{self.read:g} RCU, {self.write:g} WCU"


def operation_name(operation: str) -> str:
    """DynamoDB's name of a client method: `"batch_get_item"` -> `"BatchGetItem"`."""
    return "".join(part.capitalize() for part in operation.split("_"))


def with_capacity(call: Call) -> Call:
    """`call` asking for its consumed capacity, when its operation reports one."""
    if call.service != "dynamodb" or call.operation not in READS | WRITES:
        return call
    if "ReturnConsumedCapacity" in call.params:
        return call  # the plan asked itself (queries ask for TOTAL already)
    return Call(call.operation, {**call.params, "ReturnConsumedCapacity": "TOTAL"}, call.service)


def consumed(call: Call, response: Response) -> Iterator[tuple[str, Units]]:
    """The units `response` reports, per table (one entry per table of a batch or
    transaction)."""
    if call.service != "dynamodb":
        return
    found: Any = response.get("ConsumedCapacity")
    entries: list[Mapping[str, Any]] = (
        cast(list[Mapping[str, Any]], found)
        if isinstance(found, list)
        else []
        if found is None
        else [found]
    )
    for entry in entries:
        yield str(entry.get("TableName", "")), _units(call.operation, entry)


def _units(operation: str, entry: Mapping[str, Any]) -> Units:
    read, write = entry.get("ReadCapacityUnits"), entry.get("WriteCapacityUnits")
    if read is not None or write is not None:
        return Units(float(read or 0.0), float(write or 0.0))
    total = float(entry.get("CapacityUnits") or 0.0)
    return Units(write=total) if operation in WRITES else Units(read=total)


class CapacityMeter:
    """Sums of consumed capacity, readable at any time: `total`, `tables` (by final table
    name) and `operations` (by DynamoDB operation name, e.g. `"Query"`), each in `Units`;
    `requests` counts the requests that reported a cost. `reset()` starts over."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, Units] = {}
        self._operations: dict[str, Units] = {}
        self._requests = 0

    def record(self, call: Call, response: Response) -> Units:
        """Add what `response` (to `call`) reports; returns that request's units."""
        spent = Units()
        with self._lock:
            for table, units in consumed(call, response):
                self._tables[table] = self._tables.get(table, Units()) + units
                spent = spent + units
            if call.service == "dynamodb" and "ConsumedCapacity" in response:
                name = operation_name(call.operation)
                self._operations[name] = self._operations.get(name, Units()) + spent
                self._requests += 1
        return spent

    @property
    def total(self) -> Units:
        """Everything consumed since the meter was made (or reset)."""
        with self._lock:
            found = Units()
            for units in self._tables.values():
                found = found + units
            return found

    @property
    def tables(self) -> dict[str, Units]:
        """Units per table (a copy)."""
        with self._lock:
            return dict(self._tables)

    @property
    def operations(self) -> dict[str, Units]:
        """Units per operation (a copy)."""
        with self._lock:
            return dict(self._operations)

    @property
    def requests(self) -> int:
        """How many requests reported their cost."""
        with self._lock:
            return self._requests

    def reset(self) -> None:
        """Forget every sum."""
        with self._lock:
            self._tables.clear()
            self._operations.clear()
            self._requests = 0

    def __repr__(self) -> str:
        return f"<CapacityMeter {self.total} over {self.requests} requests>"
