"""Where a DynamoDB stream record sits in each envelope, and how its values are spelt there.

A Lambda event of a DynamoDB stream (``{"Records": [...]}``), an EventBridge pipe's list of
records, an EventBridge event whose ``detail`` is one, and Kinesis Data Streams for DynamoDB
(the record as base64 JSON, under ``kinesis`` in Lambda or at the top in a pipe) differ only
here. In JSON, binary values (``B``, ``BS``, also inside lists and maps) are base64 text and
times are epoch seconds (Kinesis: milliseconds, or microseconds when the record says so);
GetRecords through botocore gives bytes and datetimes.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from .types import AttributeValue

Image = dict[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the record's envelope says: the DynamoDB part and how to read it."""

    body: Mapping[str, Any]  # eventName, dynamodb, ...
    sequence_number: str | None
    table: str | None
    time_unit: float  # seconds per unit of a numeric ApproximateCreationDateTime
    base64: bool  # binary values are base64 text (JSON events)


def records_of(event: object) -> list[Mapping[str, Any]]:
    if isinstance(event, Mapping):
        mapping = cast(Mapping[str, Any], event)
        records = mapping.get("Records")
        if isinstance(records, list):
            return cast(list[Mapping[str, Any]], records)
        return [mapping]
    if isinstance(event, list | tuple):
        return list(cast(Sequence[Mapping[str, Any]], event))
    raise TypeError(
        "expected a stream event: a dict (with Records, or one record) or a list of records, "
        f"not {type(event).__name__}"
    )


def envelope_of(record: Mapping[str, Any], base64_binary: bool) -> Envelope:
    if "detail" in record and "dynamodb" not in record:  # an EventBridge event of one record
        record = record["detail"]
    kinesis = record.get("kinesis")
    if isinstance(kinesis, Mapping) or record.get("eventSource") == "aws:kinesis":
        # Kinesis Data Streams for DynamoDB: the record is base64 JSON in the Kinesis record
        # (Lambda: under "kinesis"; an EventBridge pipe: at the top); times in milliseconds
        outer = cast(Mapping[str, Any], kinesis) if isinstance(kinesis, Mapping) else record
        body: Mapping[str, Any] = json.loads(base64.b64decode(outer["data"], validate=True))
        data: Mapping[str, Any] = body.get("dynamodb") or {}
        precision = data.get("ApproximateCreationDateTimePrecision")
        return Envelope(
            body,
            str_or_none(outer.get("sequenceNumber")),
            str_or_none(body.get("tableName")),
            1e-6 if precision == "MICROSECOND" else 1e-3,
            True,
        )
    if not isinstance(record.get("dynamodb"), Mapping):
        raise KeyError("dynamodb")
    data = record["dynamodb"]
    return Envelope(
        record,
        str_or_none(data.get("SequenceNumber")),
        table_of_arn(record.get("eventSourceARN")),
        1.0,
        base64_binary,
    )


def table_of_arn(arn: object) -> str | None:
    """``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`` -> ``<name>``."""
    if not isinstance(arn, str):
        return None
    _, _, resource = arn.partition(":table/")
    name = resource.split("/", 1)[0]
    return name or None


def loose_sequence_number(record: object) -> str | None:
    """A sequence number from something that is not a readable record, if it has one."""
    if not isinstance(record, Mapping):
        return None
    found = cast(Mapping[str, Any], record)
    for part in (found.get("dynamodb"), found.get("kinesis"), found):
        if isinstance(part, Mapping):
            inner = cast(Mapping[str, Any], part)
            number = inner.get("SequenceNumber") or inner.get("sequenceNumber")
            if number is not None:
                return str(number)
    return None


def str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def record_time(value: object, unit: float) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float | Decimal | str):
        return datetime.fromtimestamp(float(value) * unit, UTC)
    return None


def plain_image(image: Mapping[str, AttributeValue]) -> Image:
    return dict(image)


def decode_image(image: Mapping[str, AttributeValue]) -> Image:
    """An image of a JSON event with its binary values (base64 text) as bytes."""
    return {name: _decode(value) for name, value in image.items()}


def _decode(value: AttributeValue) -> AttributeValue:
    if "S" in value or "N" in value or len(value) != 1:  # the common case first
        return value
    if "B" in value:
        return {"B": _bytes(value["B"])}
    if "BS" in value:
        return {"BS": [_bytes(v) for v in value["BS"]]}
    if "L" in value:
        return {"L": [_decode(v) for v in value["L"]]}
    if "M" in value:
        return {"M": {k: _decode(v) for k, v in value["M"].items()}}
    return value


def _bytes(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            return value  # not base64: left for validation to report
    return value
