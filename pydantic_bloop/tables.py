"""Tables: the CreateTable request a model implies, validation of an existing table, and the
bind plan (describe, create if missing, wait until ACTIVE, enable TTL and streams).

Several models may share one table (single-table design): the table's definition is their keys
plus the union of their indexes, and each table is described and created once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .errors import InvalidModel, TableMismatch, TableNotActive
from .indexes import IndexSpec
from .models import FieldSpec, ModelInfo, TableSpec
from .plans import Backoff, Call, Plan, Response, Sleep, error_code

_STREAM_VIEWS = {
    "keys_only": "KEYS_ONLY",
    "new_image": "NEW_IMAGE",
    "old_image": "OLD_IMAGE",
    "new_and_old_images": "NEW_AND_OLD_IMAGES",
}


def _key_schema(
    hash_keys: Sequence[FieldSpec], range_keys: Sequence[FieldSpec]
) -> list[dict[str, str]]:
    """HASH then RANGE elements, in order (a multi-attribute index key has several of each)."""
    return [
        *({"AttributeName": f.dynamo_name, "KeyType": "HASH"} for f in hash_keys),
        *({"AttributeName": f.dynamo_name, "KeyType": "RANGE"} for f in range_keys),
    ]


def _projection(index: IndexSpec) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        projection["NonKeyAttributes"] = sorted(f.dynamo_name for f in index.include)
    return projection


def _index_shape(index: IndexSpec) -> tuple[object, ...]:
    keys = (
        tuple(f.dynamo_name for f in index.hash_keys),
        tuple(f.dynamo_name for f in index.range_keys),
    )
    return index.kind, keys, index.projection, sorted(f.dynamo_name for f in index.include)


def _indexes(infos: Sequence[ModelInfo], table: str) -> dict[str, IndexSpec]:
    """The union of the indexes of the models sharing ``table``; one name, one definition."""
    merged: dict[str, IndexSpec] = {}
    owner: dict[str, str] = {}  # index name -> the first Model.attribute declaring it
    for info in infos:
        for attribute, index in info.indexes.items():
            name = index.name  # several models may declare one index (e.g. a generic "gsi1")
            seen = merged.get(name)
            if seen is not None and _index_shape(seen) != _index_shape(index):
                raise InvalidModel(
                    f"{owner[name]} and {info.label}.{attribute} share index {name!r} of "
                    f"table {table!r} but define it differently"
                )
            merged.setdefault(name, index)
            owner.setdefault(name, f"{info.label}.{attribute}")
    return merged


def _options(infos: Sequence[ModelInfo], table: str) -> TableSpec:
    """The table options of the models sharing ``table``, which must agree.

    A model that declares no stream or TTL leaves them to the others (in a single table design
    only some items may expire); billing applies to the table, so every model states it alike.
    """
    first = infos[0].table
    assert first is not None
    stream, ttl = first.stream, first.ttl
    stream_from = ttl_from = infos[0]
    for info in infos[1:]:
        spec = info.table
        assert spec is not None
        billing = (spec.billing, spec.read_units, spec.write_units)
        if billing != (first.billing, first.read_units, first.write_units):
            raise InvalidModel(
                f"{infos[0].label} and {info.label} share table {table!r} but not its billing"
            )
        if spec.stream is not None:
            if stream is not None and spec.stream != stream:
                raise InvalidModel(
                    f"{stream_from.label} and {info.label} share table {table!r} but declare "
                    f"different streams ({stream!r}, {spec.stream!r})"
                )
            stream, stream_from = spec.stream, info
        if spec.ttl is not None:
            if ttl is not None and spec.ttl.dynamo_name != ttl.dynamo_name:
                raise InvalidModel(
                    f"{ttl_from.label} and {info.label} share table {table!r} but declare "
                    f"different TTL attributes ({ttl.dynamo_name!r}, {spec.ttl.dynamo_name!r})"
                )
            ttl, ttl_from = spec.ttl, info
    return replace(first, stream=stream, ttl=ttl)


_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def _check_table_name(infos: Sequence[ModelInfo], table: str) -> None:
    if not _TABLE_NAME.fullmatch(table):
        models = ", ".join(i.label for i in infos)
        raise InvalidModel(
            f"{models}: table name {table!r} is not valid in DynamoDB "
            "(3 to 255 of the characters a-z, A-Z, 0-9, '_', '-' and '.')"
        )


def create_request(infos: Sequence[ModelInfo], table: str) -> dict[str, Any]:
    """The CreateTable parameters for the models stored in ``table``."""
    first = infos[0]
    spec = _options(infos, table)
    assert first.hash_key is not None
    attributes: dict[str, str] = {}

    def define(f: FieldSpec) -> None:
        kind = f.codec.dynamo_type
        assert kind is not None
        if attributes.setdefault(f.dynamo_name, kind) != kind:
            raise InvalidModel(
                f"table {table!r}: attribute {f.dynamo_name!r} is a key stored as "
                f"{attributes[f.dynamo_name]} by one model and as {kind} by another"
            )

    for f in first.keys:
        define(f)
    params: dict[str, Any] = {
        "TableName": table,
        "KeySchema": _key_schema((first.hash_key,), first.keys[1:]),
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
    gsis: list[dict[str, Any]] = []
    lsis: list[dict[str, Any]] = []
    for index in _indexes(infos, table).values():
        for f in index.keys:
            define(f)
        entry: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.hash_keys, index.range_keys),
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
        a["AttributeName"]: a["AttributeType"] for a in _items(description, "AttributeDefinitions")
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

    schema("table", expected["KeySchema"], _items(description, "KeySchema"))
    billing = _map(description, "BillingModeSummary").get("BillingMode", "PROVISIONED")
    if billing != expected["BillingMode"]:
        found.append(f"billing mode: expected {expected['BillingMode']}, found {billing}")

    for kind, key in (("global", "GlobalSecondaryIndexes"), ("local", "LocalSecondaryIndexes")):
        existing = {i["IndexName"]: i for i in _items(description, key)}
        for want in expected.get(key, []):
            name = want["IndexName"]
            got = existing.get(name)
            if got is None:
                found.append(f"{kind} index {name!r} is missing")
                continue
            schema(f"{kind} index {name!r}", want["KeySchema"], _items(got, "KeySchema"))
            got_projection = _map(got, "Projection")
            want_projection = want["Projection"]
            if got_projection.get("ProjectionType") != want_projection["ProjectionType"] or sorted(
                got_projection.get("NonKeyAttributes", [])
            ) != want_projection.get("NonKeyAttributes", []):
                found.append(
                    f"{kind} index {name!r} projection: expected {_show(want_projection)}, "
                    f"found {_show(got_projection)}"
                )

    # a table without any stream is no mismatch: bind switches the declared one on
    want_stream = expected.get("StreamSpecification")
    got_stream = _map(description, "StreamSpecification")
    if (
        want_stream is not None
        and got_stream.get("StreamEnabled")
        and got_stream.get("StreamViewType") != want_stream["StreamViewType"]
    ):
        found.append(
            f"stream: expected {want_stream['StreamViewType']}, "
            f"found {got_stream.get('StreamViewType')}"
        )
    return found


def _map(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` of a response, a dict ({} when absent or null)."""
    found: dict[str, Any] = parent.get(key) or {}
    return found


def _items(parent: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """``parent[key]`` of a response, a list of dicts ([] when absent or null)."""
    found: list[dict[str, Any]] = parent.get(key) or []
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
        for i in _items(description, "GlobalSecondaryIndexes")
    )


def _stream_to_enable(options: TableSpec, description: dict[str, Any]) -> str | None:
    """The stream view to switch on, when the models want one and the table has none at all
    (a stream of another view is a mismatch: replacing it would cut off its readers)."""
    want = options.stream
    if want is None or _map(description, "StreamSpecification").get("StreamEnabled"):
        return None
    return _STREAM_VIEWS[want]


def bind(
    infos: Sequence[ModelInfo],
    table: str,
    backoff: Backoff | None = None,
    timeout: float = 600.0,
) -> Plan[dict[str, Any]]:
    """Describe ``table``; create it when missing; wait (sleeping per ``backoff``, at most
    ``timeout`` seconds in all) until it and its GSIs are ACTIVE; validate it (``TableMismatch``
    lists every difference); enable a declared stream and TTL that an existing table lacks."""
    _check_table_name(infos, table)
    create = create_request(infos, table)  # also checks that sharing models agree
    options = _options(infos, table)
    backoff = backoff or Backoff()
    waited = 0.0
    polls = 0
    problems: list[str] = []
    stream_done = False  # created with it, or switched on: never ask twice

    description = yield from _describe(table)
    while True:
        if description is None:
            try:
                response: Response = yield Call("create_table", create)
                description = response["TableDescription"]
                stream_done = True
            except Exception as exc:  # created meanwhile by another process: validate it
                if error_code(exc) != "ResourceInUseException":
                    raise
                description = yield from _describe(table)
                continue
        if _active(description):
            problems = differences(infos, description)
            stream = None if stream_done else _stream_to_enable(options, description)
            if problems or stream is None:
                break
            # it matches but lacks the stream: switch it on, then wait for ACTIVE again
            response = yield Call(
                "update_table",
                {
                    "TableName": table,
                    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream},
                },
            )
            description = response["TableDescription"]
            stream_done = True
            continue
        if waited >= timeout:
            raise TableNotActive(f"table {table!r} did not become ACTIVE within {timeout:g}s")
        # a table being deleted disappears meanwhile: it is then created afresh
        delay = backoff.delay(min(polls, 30))
        yield Sleep(delay)
        waited += delay
        polls += 1
        description = yield from _describe(table)

    ttl = options.ttl
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


def _describe(table: str) -> Plan[dict[str, Any] | None]:
    """The table's description, or None when there is no such table."""
    try:
        response: Response = yield Call("describe_table", {"TableName": table})
    except Exception as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return None
    description: dict[str, Any] = response["Table"]
    return description
