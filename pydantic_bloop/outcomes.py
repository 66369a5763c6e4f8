"""What a failed request says about a write's outcome (internal module).

A write request ends in one of three ways:

- **applied**: DynamoDB answered with success; the object remembers what is now stored;
- **not applied**: DynamoDB answered with an error that no earlier attempt can have caused
  (a failed condition on the first attempt, a validation error);
- **unknown**: no valid answer came (connection reset or closed, read timeout: `TransportError`),
  the answer was a 5xx, an earlier attempt got no answer before a retry was refused, or the
  caller was cancelled while the request was in flight. The object then stops trusting its
  snapshot (`Write.unsure`).

A retried conditional write that fails its condition may have failed it because its own lost
earlier attempt was applied. The stored item tells (the one DynamoDB returns with the failure,
or else a consistent read): when it is what this write stores, the write is applied; when that
cannot be told, the `ConstraintViolation` says so.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .errors import TransportError
from .plans import Call, Plan, Response, error_code
from .tracking import same
from .types import AttributeValue
from .writes import Write, describe_objects

__all__ = ["settle", "summary", "transport_errors", "unknown"]

Outcome = Response | BaseException

# errors botocore retries: after a retry, an earlier attempt may have been applied
_RETRIED_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionConflictException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@contextmanager
def transport_errors(operation: str) -> Generator[None]:
    """Turn botocore's connection failures and timeouts (raised once its retries are spent, or
    its retry quota is) into `TransportError`, the botocore error as `__cause__`."""
    try:
        yield
    except (HTTPClientError, BotoConnectionError) as exc:
        raise TransportError(
            f"{operation}: no answer from DynamoDB within the client's retries ({exc})"
        ) from exc


def retried(exc: BaseException) -> bool:
    """DynamoDB's error answer came to a retry: an earlier attempt got no answer."""
    if not isinstance(exc, ClientError):
        return False
    attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0
    return bool(attempts > 0)


def unknown(exc: BaseException) -> bool:
    """Whether a write that failed with `exc` may nevertheless have been applied."""
    if not isinstance(exc, Exception):
        return True  # cancelled or interrupted while the request was in flight
    if isinstance(exc, TransportError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or (retried(exc) and error_code(exc) in _RETRIED_CODES)
    return False


def stores(write: Write, item: dict[str, AttributeValue] | None) -> bool | None:
    """Whether the stored `item` (None: no item) is what `write` stores once applied; None
    when that cannot be told (the write's result is known only from DynamoDB's answer)."""
    if write.kind == "delete":
        return item is None
    if item is None:
        return False
    if write.item is not None:  # a put: the whole item
        names = set(item) | set(write.item)
        return all(same(item.get(n), write.item.get(n)) for n in names)
    after = write.after
    if after is None or write.forget:
        return None
    return all(same(item.get(name), value) for name, value in after.items())


def settle(write: Write, outcome: Outcome) -> Plan[BaseException | None]:
    """Record `outcome` on `write`'s object; the error to raise for it (None: applied)."""
    if not isinstance(outcome, BaseException):
        write.applied(outcome)
        return None
    own = error_code(outcome) == "ConditionalCheckFailedException" and retried(outcome)
    if own and isinstance(outcome, ClientError):
        return (yield from _own_condition(write, outcome))
    if unknown(outcome):
        write.unsure()
    return write.failed(outcome)


def _own_condition(write: Write, exc: ClientError) -> Plan[BaseException | None]:
    """A retry failed the condition, maybe because the lost earlier attempt was applied."""
    answer: Mapping[str, Any] = exc.response  # its stubs know the error part only
    item: dict[str, AttributeValue] | None = answer.get("Item")
    if item is None:  # none stored, or the endpoint does not return it: read it
        try:
            params = {"TableName": write.table, "Key": write.key, "ConsistentRead": True}
            read: Response = yield Call("get_item", params)
        except Exception:
            verdict = None
        else:
            item = read.get("Item")
            verdict = stores(write, item)
    else:
        verdict = stores(write, item)
    if verdict:
        write.applied({"Attributes": item} if item is not None else {})
        return None
    if verdict is None:
        write.unsure()
        return write.violation(
            item,
            exc,
            "an earlier attempt of this write got no answer and may have been applied; "
            "whether it was cannot be told from the stored item: load the object",
        )
    return write.violation(item, exc)


def summary(writes: Sequence[Write], failures: dict[int, BaseException]) -> BaseException | None:
    """The error to raise for `failures` (by `id` of the write) among `writes`: a
    `TransportError` saying which objects were written, which not and which are unknown when
    any failure was one; else the first failure in argument order."""
    first = next((failures[id(w)] for w in writes if id(w) in failures), None)
    transport = next((e for e in failures.values() if isinstance(e, TransportError)), None)
    if transport is None:
        return first
    written = [w.obj for w in writes if id(w) not in failures]
    doubtful = [w.obj for w in writes if id(w) in failures and unknown(failures[id(w)])]
    refused = [w.obj for w in writes if id(w) in failures and not unknown(failures[id(w)])]
    return lost(transport, written, refused, doubtful)


def lost(
    cause: TransportError, written: list[Any], not_written: list[Any], doubtful: list[Any]
) -> TransportError:
    """`cause` restated with the objects written, not written and of unknown outcome."""
    parts = [
        f"{label}: {describe_objects(objs)}"
        for label, objs in (
            ("unknown (load them to see)", doubtful),
            ("written", written),
            ("not written", not_written),
        )
        if objs
    ]
    error = TransportError(
        f"{cause}; {'; '.join(parts)}", written=written, not_written=not_written, unknown=doubtful
    )
    error.__cause__ = cause.__cause__ or cause
    return error
