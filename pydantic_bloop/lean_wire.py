"""The lean transport's codec: plan requests to DynamoDB's JSON protocol and answers back
(internal module; see `lean_transport`).

A request body is the plan's parameters as JSON, binary values as base64 text (what botocore's
serializer sends), written by pydantic-core's serializer (``to_json``: about a third of the CPU
of ``json.dumps`` for a 25-item BatchWriteItem); a request holding binary values is written by
``json.dumps`` (`bodies.encode`), since pydantic-core's base64 is the URL-safe alphabet.

An answer becomes exactly the dict a boto3 client returns: the item payloads of a sound 200
answer come straight from one ``json.loads`` (their wire form is already what botocore's shape
walk would return, see `lifting`); everything else (errors, table and stream operations,
answers holding binary values) goes through botocore's own parser and the service model, so its
shapes (timestamps, bytes) are botocore's to the byte. Errors raise the client exception
classes botocore raises, so the plans translate them unchanged.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from botocore import xform_name
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from pydantic_core import PydanticSerializationError, to_json

from . import bodies
from .lifting import LIFTED

Parsed = dict[str, Any]

# botocore decodes these from base64: an answer with them is parsed by botocore whole (one
# regular expression scans a 1 MB page in half the time of two ``in`` tests).
_BINARY = re.compile(rb'"BS?"')
# top-level members of an item answer that are plain JSON numbers in botocore's result too
_PLAIN = frozenset({"Count", "ScannedCount"})


@dataclass(frozen=True, slots=True)
class Service:
    """What the transport needs of one service (``dynamodb`` or ``dynamodbstreams``): its
    operations by client method name, JSON target prefix, signing name, parser, exceptions."""

    name: str
    model: ServiceModel
    target_prefix: str
    content_type: str
    signing_name: str
    event_id: str  # botocore's event name of the service ("dynamodb", "dynamodb-streams")
    operations: Mapping[str, OperationModel]  # by method name ("get_item")
    exceptions: Any  # botocore's generated exception classes of the service

    @classmethod
    def load(cls, loader_session: Any, name: str) -> Service:
        """The service description from botocore's data (``session.get_service_model``)."""
        model: ServiceModel = loader_session.get_service_model(name)
        meta = model.metadata
        operations = {xform_name(op): model.operation_model(op) for op in model.operation_names}
        return cls(
            name=name,
            model=model,
            target_prefix=meta["targetPrefix"],
            content_type=f"application/x-amz-json-{meta.get('jsonVersion', '1.0')}",
            signing_name=model.signing_name or model.endpoint_prefix,
            event_id=model.service_id.hyphenize(),
            operations=operations,
            exceptions=ClientExceptionsFactory().create_client_exceptions(model),
        )

    def operation(self, method: str) -> OperationModel:
        try:
            return self.operations[method]
        except KeyError:
            raise ValueError(f"{self.name} has no operation {method!r}") from None


# In DynamoDB's JSON protocol binary values are only ever the values of "B" and "BS" members.
_BINARY_MEMBERS = (b'"B":', b'"BS":')


def encode(params: Mapping[str, Any]) -> bytes:
    """The JSON body of a request: binary values as base64 text, sets as lists, text as UTF-8."""
    try:
        body = to_json(params)
    except PydanticSerializationError:  # (a lone surrogate ...): json.dumps escapes or refuses
        return bodies.encode(params, compact=True)
    if any(member in body for member in _BINARY_MEMBERS):  # also a key "B" of a map: rare
        return bodies.encode(params, compact=True)
    return body


_parser = create_parser("json")


def metadata(status: int, headers: Mapping[str, str], attempts: int) -> Parsed:
    """botocore's ``ResponseMetadata`` of an answer."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {
        "RequestId": lowered.get("x-amzn-requestid", ""),
        "HTTPStatusCode": status,
        "HTTPHeaders": lowered,
        "RetryAttempts": attempts,
    }


def decode(
    operation: OperationModel, status: int, headers: Mapping[str, str], body: bytes
) -> Parsed:
    """The parsed answer, as botocore's client returns it (without ``ResponseMetadata``'s
    ``RetryAttempts``, which the caller knows). The caller has checked a 200 answer (request
    id, CRC32, a JSON object)."""
    if status == 200 and operation.name in LIFTED and not _BINARY.search(body):
        fast = _lifted(operation, headers, body)
        if fast is not None:
            return fast
    response = {"status_code": status, "headers": headers, "body": body}
    parsed: Parsed = _parser.parse(response, _output(operation))
    if status >= 300:  # the error's modeled members (a failed condition's Item ...)
        code = parsed.get("Error", {}).get("Code")
        shape = operation.service_model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(_parser.parse(response, shape))
    return parsed


def _lifted(operation: OperationModel, headers: Mapping[str, str], body: bytes) -> Parsed | None:
    data: object = json.loads(body)
    if not isinstance(data, dict):
        return None
    parsed = cast("Parsed", data)
    keys = LIFTED[operation.name]
    if parsed.keys() - _PLAIN - set(keys):  # capacity, collection metrics: botocore's shapes
        lifted = {key: parsed.pop(key) for key in keys if key in parsed}
        rest = {"status_code": 200, "headers": headers, "body": json.dumps(parsed).encode()}
        parsed = _parser.parse(rest, _output(operation))
        parsed.update(lifted)
    return parsed


def _output(operation: OperationModel) -> Any:
    return (
        operation.output_shape
    )  # None for an operation without output: botocore's parser takes it


def client_error(service: Service, operation: OperationModel, parsed: Parsed) -> ClientError:
    """The exception botocore's client raises for an error answer (its modeled class)."""
    code = parsed.get("Error", {}).get("Code")
    error_class: type[ClientError] = service.exceptions.from_code(code)
    return error_class(cast(Any, parsed), operation.name)
