"""What the library logs, through `logging.getLogger("pydantic_bloop")` (it never configures
handlers: that is the application's choice).

* DEBUG: one line per request: the operation, the table(s), the key (of single-item calls), the
  expressions with attribute names filled in (`#n0` becomes `views`) and values left as their
  placeholders (`:v0`), so that no stored value but a key reaches the log (and a key field typed
  `SecretStr` / `SecretBytes` shows as `**********`); then the consumed capacity (when asked
  for, see `CapacityMeter`) and botocore's retries of it. A failed request is one DEBUG line
  too, naming the error code.
* WARNING: a request that botocore retried (throttling, transient errors) before it got an
  answer, a request that failed from throttling after botocore's retries, and unprocessed batch
  work that the plan will send again.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sized
from typing import Any, cast

from botocore.exceptions import ClientError

from .capacity import Units, operation_name
from .plans import Call, Response

__all__ = ["LOGGER_NAME", "describe_call", "log_outcome", "logger"]

LOGGER_NAME = "pydantic_bloop"
logger = logging.getLogger(LOGGER_NAME)

THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
    }
)
EXPRESSIONS = (
    "KeyConditionExpression",
    "FilterExpression",
    "ConditionExpression",
    "UpdateExpression",
    "ProjectionExpression",
)
_NAME = re.compile(r"#[A-Za-z0-9_]+")


def describe_call(call: Call, secret_keys: frozenset[str] = frozenset()) -> str:
    """`call` for a log line: operation, table, key, expressions; no attribute values but the
    key's, and of those none named in `secret_keys`."""
    params = call.params
    parts = [operation_name(call.operation)]
    if "TableName" in params:
        parts.append(str(params["TableName"]))
    if "IndexName" in params:
        parts.append(f"index={params['IndexName']}")
    for many in ("RequestItems", "TransactItems"):
        if many in params:
            parts.append(_batch(params[many]))
    if "Key" in params:
        parts.append(f"key={_key(params['Key'], secret_keys)}")
    names: Mapping[str, str] = params.get("ExpressionAttributeNames", {})
    for name in EXPRESSIONS:
        if name in params:
            shown = _NAME.sub(lambda m: names.get(m.group(0), m.group(0)), str(params[name]))
            parts.append(f"{name.removesuffix('Expression').lower()}={shown!r}")
    return " ".join(parts)


def _key(key: Mapping[str, Any], secret: frozenset[str]) -> str:
    values = (
        f"{k}: {'**********' if k in secret else repr(next(iter(v.values()), ''))}"
        for k, v in key.items()
    )
    return "{" + ", ".join(values) + "}"


def _batch(items: Any) -> str:
    if isinstance(items, Mapping):  # BatchGetItem / BatchWriteItem: per table
        tables = cast(Mapping[str, Any], items)
        counts = (f"{t}: {_count(v)}" for t, v in tables.items())
        return "{" + ", ".join(counts) + "}"
    return f"{len(cast(Sized, items)) if isinstance(items, list) else '?'} items"


def _count(entry: Any) -> int:
    if isinstance(entry, Mapping):
        keys: list[Any] = cast(Mapping[str, Any], entry).get("Keys", [])
        return len(keys)
    return len(cast(Sized, entry)) if isinstance(entry, list) else 0


def log_outcome(
    call: Call,
    outcome: Response | BaseException,
    units: Units | None,
    secret_keys: Callable[[], frozenset[str]],
) -> None:
    """Log one request's outcome (see the module's docstring); `secret_keys()` is asked only
    for a DEBUG line."""
    if isinstance(outcome, BaseException):
        _log_failure(call, outcome, secret_keys)
        return
    retries = int(outcome.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)
    if logger.isEnabledFor(logging.DEBUG):
        cost = "" if units is None else f" capacity=({units})"
        logger.debug("%s%s retries=%d", describe_call(call, secret_keys()), cost, retries)
    if retries:
        logger.warning(
            "%s succeeded after %d retries by botocore (throttling or transient errors)",
            operation_name(call.operation),
            retries,
        )
    unprocessed = outcome.get("UnprocessedItems") or outcome.get("UnprocessedKeys")
    if unprocessed:
        logger.warning(
            "%s left %s unprocessed: sending it again after a backoff",
            operation_name(call.operation),
            _batch(unprocessed),
        )


def _log_failure(
    call: Call, error: BaseException, secret_keys: Callable[[], frozenset[str]]
) -> None:
    code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s failed: %s", describe_call(call, secret_keys()), code or type(error).__name__
        )
    if code in THROTTLING:
        logger.warning(
            "%s throttled (%s) after botocore's retries", operation_name(call.operation), code
        )
