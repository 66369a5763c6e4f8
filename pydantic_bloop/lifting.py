"""Lifting item payloads out of an answer's body before botocore parses it (internal module).

botocore parses a response by walking every attribute value through DynamoDB's shape model,
which is most of a large query's client time. Yet the wire JSON of an attribute value is
already exactly what that walk returns (``{"S": "x"}``, ``{"N": "1"}``, ``{"L": [...]}``,
``{"NULL": true}``, ...) except for binary values, which botocore decodes from base64. So for
the engine's own requests (``answers.engine_call``) the ``before-parse`` hook takes the item
payloads (`Items`, `Item`, `Attributes`, `LastEvaluatedKey`, `Responses`, unprocessed keys and
items) out of the body with one ``json.loads`` and hands them to botocore as its parse of them;
botocore parses only what is left (counts, capacity) and merges the two.

The result is the dict botocore would have returned: a body with a binary value in it
(``"B"`` or ``"BS"`` anywhere, even as a string) is left to botocore whole. Only answers
already judged DynamoDB's (status 200, request id and CRC32 checked by ``answers``) are lifted;
error answers, botocore's checks and retries are untouched, and other callers of a shared client
never reach this code.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import json
from typing import Any, cast

# What each operation's answer carries of attribute values, at its top level.
LIFTED: dict[str, tuple[str, ...]] = {
    "Query": ("Items", "LastEvaluatedKey"),
    "Scan": ("Items", "LastEvaluatedKey"),
    "GetItem": ("Item",),
    "BatchGetItem": ("Responses", "UnprocessedKeys"),
    "BatchWriteItem": ("UnprocessedItems",),
    "TransactGetItems": ("Responses",),
    "PutItem": ("Attributes",),
    "UpdateItem": ("Attributes",),
    "DeleteItem": ("Attributes",),
}

# botocore decodes these from base64: a body with them is botocore's to parse.
_BINARY = (b'"B"', b'"BS"')


def lift(operation: str, response_dict: dict[str, Any], customized: dict[str, Any]) -> str | None:
    """Move ``operation``'s item payloads from ``response_dict["body"]`` (a 200 answer already
    checked) into ``customized``, leaving botocore the rest of the body. Returns why the body
    cannot be DynamoDB's answer (it is not a JSON object), else None."""
    keys = LIFTED.get(operation)
    body = response_dict["body"]
    if keys is None or not isinstance(body, bytes | bytearray):
        return None
    if any(marker in body for marker in _BINARY):
        return None
    try:
        parsed: object = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return "its body is not JSON"
    if not isinstance(parsed, dict):
        return "its body is not a JSON object"
    rest = cast("dict[str, Any]", parsed)
    lifted = {key: rest.pop(key) for key in keys if key in rest}
    if lifted:
        customized.update(lifted)
        response_dict["body"] = json.dumps(rest).encode() if rest else b"{}"
    return None
