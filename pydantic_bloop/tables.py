"""Tables: the CreateTable request a model implies, validation of an existing table, and the
bind plan (describe, create if missing, wait until ACTIVE, enable TTL).

Several models may share one table (single-table design): the table's definition is their keys
plus the union of their indexes, and each table is described and created once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import TableMismatch
from .indexes import IndexSpec
from .models import FieldSpec, ModelInfo
from .plans import Call, Plan, Response, Sleep, error_code

_STREAM_VIEWS = {
    "keys_only": "KEYS_ONLY",
    "new_image": "NEW_IMAGE",
    "old_image": "OLD_IMAGE",
    "new_and_old_images": "NEW_AND_OLD_IMAGES",
}


def _key_schema(hash_key: FieldSpec, range_key: FieldSpec | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key.dynamo_name, "KeyType": "HASH"}]
    if range_key is not None:
        schema.append({"AttributeName": range_key.dynamo_name, "KeyType": "RANGE"})
    return schema


def _projection(index: IndexSpec) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        projection["NonKeyAttributes"] = sorted(f.dynamo_name for f in index.include)
    return projection


def _indexes(infos: Sequence[ModelInfo]) -> dict[str, IndexSpec]:
    merged: dict[str, IndexSpec] = {}
    for info in infos:
        merged.update(info.indexes)
    return merged


def create_request(infos: Sequence[ModelInfo], table: str) -> dict[str, Any]:
    """The CreateTable parameters for the models stored in ``table``."""
    first = infos[0]
    spec = first.table
    assert spec is not None and first.hash_key is not None
    attributes: dict[str, str] = {}

    def define(f: FieldSpec) -> None:
        assert f.codec.dynamo_type is not None
        attributes[f.dynamo_name] = f.codec.dynamo_type

    for f in first.keys:
        define(f)
    params: dict[str, Any] = {
        "TableName": table,
        "KeySchema": _key_schema(first.hash_key, first.range_key),
    }
    provisioned = spec.billing == "provisioned"
    if provisioned:
        params["BillingMode"] = "PROVISIONED"
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": spec.read_units,
            "WriteCapacityUnits": spec.write_units,
        }
    else:
        params["BillingMode"] = "PAY_PER_REQUEST"
    gsis, lsis = [], []
    for index in _indexes(infos).values():
        define(index.hash_key)
        if index.range_key is not None:
            define(index.range_key)
        entry: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.hash_key, index.range_key),
            "Projection": _projection(index),
        }
        if index.kind == "global":
            if provisioned:
                entry["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": index.read_units or spec.read_units,
                    "WriteCapacityUnits": index.write_units or spec.write_units,
                }
            gsis.append(entry)
        else:
            lsis.append(entry)
    params["AttributeDefinitions"] = [
        {"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()
    ]
    if gsis:
        params["GlobalSecondaryIndexes"] = gsis
    if lsis:
        params["LocalSecondaryIndexes"] = lsis
    if spec.stream is not None:
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": _STREAM_VIEWS[spec.stream],
        }
    return params


def differences(infos: Sequence[ModelInfo], description: dict[str, Any]) -> list[str]:
    """Every way the described table differs from what the models need (empty: it matches).

    Extra indexes and attributes on the table are fine (another model or tool may use them);
    provisioned capacity numbers are not compared, since autoscaling changes them.
    """
    expected = create_request(infos, description.get("TableName", ""))
    found: list[str] = []
    types = {
        a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])
    }
    want_types = {a["AttributeName"]: a["AttributeType"] for a in expected["AttributeDefinitions"]}

    def schema(where: str, want: list[dict[str, str]], got: list[dict[str, str]]) -> None:
        w = [(k["AttributeName"], k["KeyType"]) for k in want]
        g = [(k["AttributeName"], k["KeyType"]) for k in got]
        if w != g:
            found.append(f"{where} key schema: expected {_keys(w)}, found {_keys(g)}")
            return
        for name, _ in w:
            if types.get(name) != want_types[name]:
                found.append(
                    f"{where} key {name!r}: expected type {want_types[name]}, "
                    f"found {types.get(name)}"
                )

    schema("table", expected["KeySchema"], description.get("KeySchema", []))
    billing = (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    if billing != expected["BillingMode"]:
        found.append(f"billing mode: expected {expected['BillingMode']}, found {billing}")

    for kind, key in (("global", "GlobalSecondaryIndexes"), ("local", "LocalSecondaryIndexes")):
        existing = {i["IndexName"]: i for i in description.get(key) or []}
        for want in expected.get(key, []):
            name = want["IndexName"]
            got = existing.get(name)
            if got is None:
                found.append(f"{kind} index {name!r} is missing")
                continue
            schema(f"{kind} index {name!r}", want["KeySchema"], got.get("KeySchema", []))
            got_projection = got.get("Projection", {})
            want_projection = want["Projection"]
            if got_projection.get("ProjectionType") != want_projection["ProjectionType"] or sorted(
                got_projection.get("NonKeyAttributes", [])
            ) != want_projection.get("NonKeyAttributes", []):
                found.append(
                    f"{kind} index {name!r} projection: expected {_show(want_projection)}, "
                    f"found {_show(got_projection)}"
                )

    want_stream = expected.get("StreamSpecification")
    got_stream = description.get("StreamSpecification") or {}
    if want_stream is not None and (
        not got_stream.get("StreamEnabled")
        or got_stream.get("StreamViewType") != want_stream["StreamViewType"]
    ):
        shown = got_stream.get("StreamViewType") if got_stream.get("StreamEnabled") else "none"
        found.append(f"stream: expected {want_stream['StreamViewType']}, found {shown}")
    return found


def _keys(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({kind})" for name, kind in pairs) or "nothing"


def _show(projection: dict[str, Any]) -> str:
    kind = projection.get("ProjectionType", "?")
    extra = projection.get("NonKeyAttributes")
    return f"{kind} {sorted(extra)}" if extra else str(kind)


def _active(description: dict[str, Any]) -> bool:
    if description.get("TableStatus") != "ACTIVE":
        return False
    return all(
        i.get("IndexStatus", "ACTIVE") == "ACTIVE"
        for i in description.get("GlobalSecondaryIndexes") or []
    )


def bind(
    infos: Sequence[ModelInfo],
    table: str,
    poll: float = 0.5,
    timeout: float = 600.0,
) -> Plan[dict[str, Any]]:
    """Describe ``table``; create it when missing; wait until it and its GSIs are ACTIVE;
    validate it (``TableMismatch`` lists every difference); enable TTL when declared."""
    try:
        response: Response = yield Call("describe_table", {"TableName": table})
        description: dict[str, Any] = response["Table"]
    except Exception as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        try:
            response = yield Call("create_table", create_request(infos, table))
            description = response["TableDescription"]
        except Exception as exc:  # created meanwhile by another process: validate it instead
            if error_code(exc) != "ResourceInUseException":
                raise
            response = yield Call("describe_table", {"TableName": table})
            description = response["Table"]

    waited = 0.0
    while not _active(description):
        if waited >= timeout:
            raise TimeoutError(f"table {table!r} did not become ACTIVE within {timeout:.0f}s")
        yield Sleep(poll)
        waited += poll
        response = yield Call("describe_table", {"TableName": table})
        description = response["Table"]

    problems = differences(infos, description)
    ttl = next((i.table.ttl for i in infos if i.table is not None and i.table.ttl), None)
    if ttl is not None:
        response = yield Call("describe_time_to_live", {"TableName": table})
        status = response.get("TimeToLiveDescription", {})
        state = status.get("TimeToLiveStatus", "DISABLED")
        if state in ("DISABLED", "DISABLING"):
            if not problems:
                yield Call(
                    "update_time_to_live",
                    {
                        "TableName": table,
                        "TimeToLiveSpecification": {
                            "Enabled": True,
                            "AttributeName": ttl.dynamo_name,
                        },
                    },
                )
        elif status.get("AttributeName") != ttl.dynamo_name:
            problems.append(
                f"ttl: expected attribute {ttl.dynamo_name!r}, "
                f"found {status.get('AttributeName')!r}"
            )
    if problems:
        raise TableMismatch(table, problems)
    return description
