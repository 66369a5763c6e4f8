"""Table verbs beyond binding: does a model's table exist, what does DynamoDB say about it, and
deleting it (for tests and tear-down). Plans, like every operation; the engines run them.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import BloopError
from .migrations import describe, wait_for
from .plans import Backoff, Call, Plan, error_code
from .table_options import items


@dataclass(frozen=True, slots=True)
class TableDescription:
    """The main facts of a DescribeTable answer; ``raw`` is the whole answer."""

    name: str
    status: str
    item_count: int
    size_bytes: int
    billing: str  # "PAY_PER_REQUEST" or "PROVISIONED"
    global_indexes: tuple[str, ...]
    local_indexes: tuple[str, ...]
    stream: str | None  # the stream's view type, None without a stream
    stream_arn: str | None  # the latest stream's ARN (what a Lambda trigger names), None without
    deletion_protection: bool
    table_class: str
    raw: Mapping[str, object] = field(repr=False)


def table_description(d: Mapping[str, Any]) -> TableDescription:
    stream: Mapping[str, Any] = d.get("StreamSpecification") or {}
    billing: Mapping[str, Any] = d.get("BillingModeSummary") or {}
    table_class: Mapping[str, Any] = d.get("TableClassSummary") or {}
    return TableDescription(
        name=str(d.get("TableName", "")),
        status=str(d.get("TableStatus", "")),
        item_count=int(d.get("ItemCount", 0)),
        size_bytes=int(d.get("TableSizeBytes", 0)),
        billing=str(billing.get("BillingMode", "PROVISIONED")),
        global_indexes=tuple(i["IndexName"] for i in items(d, "GlobalSecondaryIndexes")),
        local_indexes=tuple(i["IndexName"] for i in items(d, "LocalSecondaryIndexes")),
        stream=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        stream_arn=d.get("LatestStreamArn") if stream.get("StreamEnabled") else None,
        deletion_protection=bool(d.get("DeletionProtectionEnabled", False)),
        table_class=str(table_class.get("TableClass", "STANDARD")),
        raw=dict(d),
    )


def exists(table: str) -> Plan[bool]:
    return (yield from describe(table)) is not None


def describe_table(table: str) -> Plan[TableDescription | None]:
    found = yield from describe(table)
    return None if found is None else table_description(found)


def delete(table: str, backoff: Backoff, timeout: float, wait: bool = True) -> Plan[bool]:
    """Delete ``table`` and (with ``wait``) wait until it is gone; False when there was none."""
    try:
        response = yield Call("delete_table", {"TableName": table})
    except Exception as exc:
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            return False
        if "DeletionProtection" in str(exc):
            raise BloopError(
                f"table {table!r} has deletion protection: switch it off first (declare "
                "deletion_protection=False and migrate) to delete the table"
            ) from exc
        raise
    if wait:
        yield from wait_for(
            table,
            response.get("TableDescription") or {},
            lambda d: False,
            backoff,
            timeout,
            goal="disappear",
        )
    return True
