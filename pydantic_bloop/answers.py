"""Refusing answers that are not DynamoDB's (internal module).

botocore parses a 200 answer whose body is not JSON, is empty, or whose headers were cut short
into an empty result: a query would end early, a get would find nothing, a write would look
done. DynamoDB always answers with a request id, a CRC32 of the body and a JSON object, so an
answer without them is refused here, as a transient error: botocore retries it like a 5xx
(within the client's ``max_attempts``), and when no attempt is left the call raises
``TransportError`` instead of returning an empty success.

The checks are botocore event hooks on the engine's client (``guard``), and they act only on
requests the engine makes (``engine_call``): other users of a shared client see the client as
they configured it. The same hook lifts the item payloads of a sound answer out of its body
before botocore parses it (``lifting``), and the library writes the bodies of those requests
itself (``bodies``), for the engine's requests only as well.
"""

from __future__ import annotations

import random
import weakref
import zlib
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from . import bodies
from .errors import TransportError
from .lifting import lift

_MARK = "__bloop_refused__"  # put in the parsed answer of a refused response
_in_engine_call: ContextVar[bool] = ContextVar("pydantic_bloop_engine_call", default=False)
_guarded: weakref.WeakSet[Any] = weakref.WeakSet()


@contextmanager
def engine_call() -> Generator[None]:
    """Mark the client calls made inside as the engine's (the hooks check only those)."""
    token = _in_engine_call.set(True)
    try:
        yield
    finally:
        _in_engine_call.reset(token)


def guard(client: Any) -> None:
    """Register the checks on ``client`` (a boto3 or aiobotocore DynamoDB client), once; the
    engine's own requests of it get the bodies the library writes (see `bodies`)."""
    bodies.install(client, _in_engine_call.get)
    events = client.meta.events
    if events in _guarded:
        return
    attempts = _total_attempts(client)
    events.register("before-parse.dynamodb", _check)
    events.register("needs-retry.dynamodb", _Retry(attempts))
    events.register("after-call.dynamodb", _refuse)
    _guarded.add(events)


def broken(status: int, headers: Mapping[str, str], body: object) -> str | None:
    """Why an answer is not DynamoDB's, or None when it is (errors are botocore's to judge)."""
    if status != 200 or not isinstance(body, bytes | bytearray):
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    if not lowered.get("x-amzn-requestid"):
        return "it has no x-amzn-RequestId header"
    crc = lowered.get("x-amz-crc32")
    if crc is None:
        return "it has no x-amz-crc32 header"
    if not crc.isdigit() or zlib.crc32(body) != int(crc):
        return "its body does not match its x-amz-crc32 header"
    if body.lstrip()[:1] != b"{":
        return "its body is not a JSON object"
    return None


def _check(
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    operation_model: Any,
    **_: Any,
) -> None:
    """before-parse: mark a broken answer (and give botocore's parser an empty object, so that
    a body that is not even text cannot crash it); lift the item payloads out of a sound one
    (see `lifting`)."""
    if not _in_engine_call.get():
        return
    why = broken(response_dict["status_code"], response_dict["headers"], response_dict["body"])
    if why is None and response_dict["status_code"] == 200:
        why = lift(operation_model.name, response_dict, customized_response_dict)
    if why is not None:
        response_dict["body"] = b"{}"
        customized_response_dict[_MARK] = why


class _Retry:
    """needs-retry: a refused answer is retried with jittered backoff while attempts are left."""

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts

    def __call__(self, response: Any = None, attempts: int = 1, **_: Any) -> float | None:
        if response is None or not isinstance(response[1], dict):
            return None
        parsed: dict[str, Any] = response[1]
        if _MARK not in parsed or attempts >= self.attempts:
            return None
        return random.uniform(0, min(1.0, 0.05 * 2**attempts))


def _refuse(parsed: dict[str, Any], model: Any, **_: Any) -> None:
    """after-call: no attempt got a real answer."""
    why = parsed.pop(_MARK, None)
    if why is not None:
        raise TransportError(
            f"{model.name}: the answer is not DynamoDB's ({why}), and no retry got a better one"
        )


def _total_attempts(client: Any) -> int:
    """How many attempts the client's retry configuration allows a call (first one included)."""
    retries: dict[str, Any] = getattr(client.meta.config, "retries", None) or {}
    total = retries.get("total_max_attempts")
    if isinstance(total, int):
        return total
    extra = retries.get("max_attempts")
    return extra + 1 if isinstance(extra, int) else 3
