"""The JSON bodies of the engine's own requests, written by the library (internal module).

botocore turns a call's parameters into its request body by walking every attribute value of
every item through DynamoDB's shape model (after validating them the same way, unless the client
was made with ``parameter_validation=False``): for a BatchWriteItem of 25 items that walk is
a good part of the call's client time. Yet the parameters of DynamoDB's data operations are
already the JSON of the body, but for binary values, which go as base64 text. So for the
engine's own calls (``answers.engine_call``) the client's serializer is wrapped
(``install``): the data operations listed in `WRITTEN` get the request botocore's serializer
would make, its headers and its very bytes, from one ``json.dumps``; any other call of the same
client, and the engine's table and stream operations, go to botocore's serializer as before.

Everything else of botocore's request path still runs: the events (``before-parameter-build``
sees the parameters, ``before-call`` the body), endpoint resolution, signing, retries.
botocore's parameter validation is not run on these calls: the library builds and checks every
request itself, and DynamoDB refuses what is malformed. The lean transport writes its bodies
with the same `encode`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

__all__ = ["WRITTEN", "Serializer", "encode", "install", "request_dict"]

# The operations whose parameters are JSON but for binary values (no timestamps, no floats).
WRITTEN = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)


def encode(params: Mapping[str, Any], *, compact: bool = False) -> bytes:
    """The JSON body of a request: binary values as base64 text, sets as lists. Not
    ``compact``: botocore's own spelling (``json.dumps`` defaults), byte for byte."""
    separators = (",", ":") if compact else None
    return json.dumps(params, separators=separators, default=_plain).encode()


def _plain(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return list(cast("set[object]", value))
    raise TypeError(f"{type(value).__name__} is not serialisable in a DynamoDB request")


def request_dict(params: Mapping[str, Any], operation_model: Any) -> dict[str, Any]:
    """The request dict botocore's JSON serializer makes of ``params``."""
    meta = operation_model.metadata
    return {
        "url_path": "/",
        "query_string": "",
        "method": operation_model.http.get("method", "POST"),
        "headers": {
            "X-Amz-Target": f"{meta['targetPrefix']}.{operation_model.name}",
            "Content-Type": f"application/x-amz-json-{meta['jsonVersion']}",
        },
        "body": encode(params),
    }


class Serializer:
    """A client's serializer that writes the bodies of the `WRITTEN` operations itself while
    ``active()`` (the engine's own calls), and hands every other call to botocore's."""

    def __init__(self, inner: Any, active: Callable[[], bool]) -> None:
        self.inner = inner
        self.active = active

    def serialize_to_request(self, parameters: Any, operation_model: Any) -> Any:
        if operation_model.name in WRITTEN and self.active():
            return request_dict(parameters, operation_model)
        return self.inner.serialize_to_request(parameters, operation_model)


def install(client: Any, active: Callable[[], bool]) -> None:
    """Wrap ``client``'s serializer (a boto3 or aiobotocore DynamoDB client), once. A client
    without one in the expected place keeps botocore's serializer for every call."""
    current = getattr(client, "_serializer", None)
    if isinstance(current, Serializer) or not callable(
        getattr(current, "serialize_to_request", None)
    ):
        return
    if getattr(client.meta.service_model, "protocol", None) != "json":
        return
    client._serializer = Serializer(current, active)
