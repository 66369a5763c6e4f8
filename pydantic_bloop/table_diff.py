"""What differs between the tables the models need and the live tables, and which requests
reconcile it: pure functions from a ``Target`` (built from the models) and a ``Live`` state
(read from DynamoDB) to a list of ``Change``.

Each change says what differs in words, which option it concerns, and either the steps that fix
it or why none are taken (``held``): a change DynamoDB cannot make in place, or one that would
throw something away and was not allowed (``drop_indexes`` / ``drop_stream``).

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .indexes import IndexSpec
from .plans import Call
from .table_options import (
    TABLE_CLASSES,
    IndexOptions,
    TableOptions,
    items,
    live_max_units,
    live_warm_units,
    max_matches,
    throughput_params,
    warm_enough,
)

Wait = Literal["none", "table", "index created", "index deleted"]

# the order steps run in: billing first (an index created later needs the new mode), indexes
# deleted before they are created again, streams switched off before on
_PHASES = (
    "billing",
    "delete index",
    "create index",
    "update index",
    "stream off",
    "stream on",
    "ttl",
    "point_in_time_recovery",
    "options",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a migration, and what to wait for after it."""

    text: str  # what it does, in words
    call: Call
    option: str  # what it reconciles: "indexes", "billing", "ttl", "stream", ...
    phase: str = "options"
    wait: Wait = "table"
    index: str | None = None  # the index created or deleted

    @property
    def order(self) -> int:
        return _PHASES.index(self.phase)


@dataclass(frozen=True, slots=True)
class Change:
    """One way a table differs from its models, and what reconciles it."""

    difference: str
    option: str
    steps: tuple[Step, ...] = ()
    held: str | None = None  # why no step is taken, and what the user can do
    mismatch: bool = True  # ``bind`` without ``migrate`` reports it (``TableMismatch``)
    automatic: bool = False  # ``bind`` applies it anyway: switching on a declared TTL/stream/PITR


@dataclass(frozen=True, slots=True)
class Target:
    """What the models sharing a table need (built by :mod:`tables`)."""

    table: str
    models: tuple[str, ...]
    create: Mapping[str, Any]  # the CreateTable parameters, every declared option included
    indexes: Mapping[str, IndexSpec]
    billing: Literal["PROVISIONED", "PAY_PER_REQUEST"]
    units: tuple[int, int] | None  # provisioned read / write units of the table
    ttl: str | None  # the TTL attribute
    stream: str | None  # the DynamoDB stream view
    options: TableOptions


@dataclass(frozen=True, slots=True)
class Live:
    """What DynamoDB says about a table. ``ttl`` / ``backups`` are None when not read (the
    models declare no TTL / PITR, or the option is skipped)."""

    description: Mapping[str, Any]
    ttl: Mapping[str, Any] | None = None  # TimeToLiveDescription
    backups: Mapping[str, Any] | None = None  # PointInTimeRecoveryDescription


def changes(
    target: Target, live: Live, *, drop_indexes: bool = False, drop_stream: bool = False
) -> list[Change]:
    """Every difference between ``target`` and ``live``, each with its fix (in no order: a
    migration sorts the steps)."""
    d = live.description
    found = list(_keys(target, d))
    found += _billing(target, d)
    found += _indexes(target, d, drop_indexes)
    found += _stream(target, d, drop_stream)
    found += _ttl(target, live.ttl)
    found += _pitr(target, live.backups)
    found += _options(target, d)
    return found


# -- keys and indexes ------------------------------------------------------------------------------

_NEW_TABLE = (
    "DynamoDB cannot change it in place: create a new table with the models' definition and "
    "copy the items into it"
)
_LOCAL_INDEX = (
    "local indexes exist only from a table's creation: create a new table with it and copy the "
    "items, or remove the LocalIndex from the model"
)


def _pairs(schema: list[Mapping[str, str]] | None) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema or []]


def _show_keys(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({kind})" for name, kind in pairs) or "nothing"


def _types(params: Mapping[str, Any]) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in items(params, "AttributeDefinitions")}


def _schema_problems(
    where: str,
    want: list[Mapping[str, str]],
    got: list[Mapping[str, str]] | None,
    want_types: dict[str, str],
    got_types: dict[str, str],
) -> Iterator[str]:
    w, g = _pairs(want), _pairs(got)
    if w != g:
        yield f"{where} key schema: expected {_show_keys(w)}, found {_show_keys(g)}"
        return
    for name, _ in w:
        if got_types.get(name) != want_types[name]:
            yield (
                f"{where} key {name!r}: expected type {want_types[name]}, "
                f"found {got_types.get(name)}"
            )


def _keys(target: Target, d: Mapping[str, Any]) -> Iterator[Change]:
    for problem in _schema_problems(
        "table", target.create["KeySchema"], d.get("KeySchema"), _types(target.create), _types(d)
    ):
        yield Change(problem, "keys", held=_NEW_TABLE)


def _show_projection(projection: Mapping[str, Any]) -> str:
    kind = projection.get("ProjectionType", "?")
    extra = projection.get("NonKeyAttributes")
    return f"{kind} {sorted(extra)}" if extra else str(kind)


def _projection_problem(where: str, want: Mapping[str, Any], got: Mapping[str, Any]) -> str | None:
    if got.get("ProjectionType") == want["ProjectionType"] and sorted(
        got.get("NonKeyAttributes") or []
    ) == sorted(want.get("NonKeyAttributes") or []):
        return None
    return f"{where} projection: expected {_show_projection(want)}, found {_show_projection(got)}"


def _index_problems(
    kind: str,
    want: Mapping[str, Any],
    got: Mapping[str, Any],
    target: Target,
    d: Mapping[str, Any],
) -> list[str]:
    where = f"{kind} index {want['IndexName']!r}"
    problems = list(
        _schema_problems(
            where, want["KeySchema"], got.get("KeySchema"), _types(target.create), _types(d)
        )
    )
    projection = _projection_problem(where, want["Projection"], got.get("Projection") or {})
    return problems + ([projection] if projection else [])


def _create_index(target: Target, entry: Mapping[str, Any], d: Mapping[str, Any]) -> Step:
    name = entry["IndexName"]
    keys = {k["AttributeName"] for k in entry["KeySchema"]}
    # the table's own definitions too: moto replaces the table's list with the one sent
    definitions = {a["AttributeName"]: a for a in items(d, "AttributeDefinitions")}
    for a in target.create["AttributeDefinitions"]:
        if a["AttributeName"] in keys:
            definitions[a["AttributeName"]] = a
    call = Call(
        "update_table",
        {
            "TableName": target.table,
            "AttributeDefinitions": list(definitions.values()),
            "GlobalSecondaryIndexUpdates": [{"Create": dict(entry)}],
        },
    )
    text = (
        f"add global index {name!r} ({_show_keys(_pairs(entry['KeySchema']))}; "
        f"projection {_show_projection(entry['Projection'])}) and wait for its backfill"
    )
    return Step(text, call, "indexes", "create index", "index created", name)


def _delete_index(target: Target, name: str) -> Step:
    call = Call(
        "update_table",
        {
            "TableName": target.table,
            "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": name}}],
        },
    )
    return Step(
        f"delete global index {name!r}", call, "indexes", "delete index", "index deleted", name
    )


def _update_index(
    target: Target, name: str, text: str, option: str, update: dict[str, Any]
) -> Step:
    call = Call(
        "update_table",
        {
            "TableName": target.table,
            "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": name, **update}}],
        },
    )
    return Step(text, call, option, "update index")


def _indexes(target: Target, d: Mapping[str, Any], drop: bool) -> Iterator[Change]:
    live_global = {i["IndexName"]: i for i in items(d, "GlobalSecondaryIndexes")}
    live_local = {i["IndexName"]: i for i in items(d, "LocalSecondaryIndexes")}
    models = " and ".join(target.models)
    for want in target.create.get("GlobalSecondaryIndexes", []):
        name = want["IndexName"]
        got = live_global.get(name)
        if got is None:
            yield Change(
                f"global index {name!r} is missing", "indexes", (_create_index(target, want, d),)
            )
            continue
        problems = _index_problems("global", want, got, target, d)
        if problems:
            steps = (_delete_index(target, name), _create_index(target, want, d))
            held = (
                None
                if drop
                else (
                    "replacing the index needs drop_indexes=True: it is deleted, then rebuilt from "
                    "the table's items (queries on it fail meanwhile)"
                )
            )
            # one change per difference (bind lists each); the first carries the replacement
            yield Change(problems[0], "indexes", steps if drop else (), held)
            for problem in problems[1:]:
                yield Change(problem, "indexes", held=held)
            continue
        yield from _index_throughput(target, target.indexes[name], got, _billing_mode(d))
    for want in target.create.get("LocalSecondaryIndexes", []):
        got = live_local.get(want["IndexName"])
        if got is None:
            yield Change(
                f"local index {want['IndexName']!r} is missing", "indexes", held=_LOCAL_INDEX
            )
            continue
        for problem in _index_problems("local", want, got, target, d):
            yield Change(problem, "indexes", held=_LOCAL_INDEX)
    for name in live_global.keys() - {
        w["IndexName"] for w in target.create.get("GlobalSecondaryIndexes", [])
    }:
        yield Change(
            f"global index {name!r} is not declared by {models}",
            "indexes",
            (_delete_index(target, name),) if drop else (),
            None if drop else "kept: drop_indexes=True deletes it",
            mismatch=False,
        )


def _index_throughput(
    target: Target, index: IndexSpec, got: Mapping[str, Any], live_billing: str
) -> Iterator[Change]:
    name = index.name
    where = f"global index {name!r}"
    if target.units is not None and live_billing == "PROVISIONED":
        want = (index.read_units or target.units[0], index.write_units or target.units[1])
        have = _provisioned(got)
        if have != want:
            update = {
                "ProvisionedThroughput": {
                    "ReadCapacityUnits": want[0],
                    "WriteCapacityUnits": want[1],
                }
            }
            text = f"set {where} to {want[0]} read / {want[1]} write units"
            yield Change(
                f"{where} capacity: expected {want[0]} / {want[1]} units, "
                f"found {have[0]} / {have[1]}",
                "billing",
                (_update_index(target, name, text, "billing", update),),
                mismatch=False,  # autoscaling changes capacity: a different number is no mismatch
            )
    yield from _throughput(
        index.options,
        got,
        f"{where} ",
        where,
        lambda text, option, update: (_update_index(target, name, text, option, update),),
    )


def _throughput(
    wanted: IndexOptions | TableOptions,
    live: Mapping[str, Any],
    label: str,
    subject: str,
    fix: Callable[[str, str, dict[str, Any]], tuple[Step, ...]],
) -> Iterator[Change]:
    """How the on-demand maximum and the warm throughput of the table or of a global index
    (``live``: its description) differ from ``wanted``; ``label`` starts each message, ``fix``
    makes the steps of a change from its text, option and update parameters."""
    # two rules alike in shape: a cap must match exactly, warm throughput must reach at least
    live_max = live_max_units(live)
    if wanted.max_units and not max_matches(live_max, wanted.max_units):
        yield Change(
            f"{label}on-demand maximum: expected {wanted.max_units}, found {live_max}",
            "max_units",
            fix(
                f"cap {subject} at {wanted.max_units} on-demand units",
                "max_units",
                {"OnDemandThroughput": throughput_params(wanted.max_units, "max")},
            ),
        )
    live_warm = live_warm_units(live)
    if wanted.warm_units and not warm_enough(live_warm, wanted.warm_units):
        yield Change(
            f"{label}warm throughput: expected at least {wanted.warm_units}, found {live_warm}",
            "warm_units",
            fix(
                f"warm {subject} to {wanted.warm_units} units per second",
                "warm_units",
                {"WarmThroughput": throughput_params(wanted.warm_units, "warm")},
            ),
        )


def _billing_mode(d: Mapping[str, Any]) -> str:
    summary: Mapping[str, Any] = d.get("BillingModeSummary") or {}
    return str(summary.get("BillingMode", "PROVISIONED"))


def _provisioned(d: Mapping[str, Any]) -> tuple[int, int]:
    found: Mapping[str, Any] = d.get("ProvisionedThroughput") or {}
    return int(found.get("ReadCapacityUnits", 0)), int(found.get("WriteCapacityUnits", 0))


def _billing(target: Target, d: Mapping[str, Any]) -> Iterator[Change]:
    have = _billing_mode(d)
    table = target.table
    if have != target.billing:
        params: dict[str, Any] = {"TableName": table, "BillingMode": target.billing}
        text = f"switch billing to {target.billing}"
        if target.units is not None:
            read, write = target.units
            params["ProvisionedThroughput"] = {
                "ReadCapacityUnits": read,
                "WriteCapacityUnits": write,
            }
            # every existing global index needs capacity in the same request
            updates: list[dict[str, Any]] = []
            for index in items(d, "GlobalSecondaryIndexes"):
                spec = target.indexes.get(index["IndexName"])
                units = (
                    (spec.read_units or read, spec.write_units or write) if spec else (read, write)
                )
                updates.append(
                    {
                        "Update": {
                            "IndexName": index["IndexName"],
                            "ProvisionedThroughput": {
                                "ReadCapacityUnits": units[0],
                                "WriteCapacityUnits": units[1],
                            },
                        }
                    }
                )
            if updates:
                params["GlobalSecondaryIndexUpdates"] = updates
            text += f" ({read} read / {write} write units)"
        yield Change(
            f"billing mode: expected {target.billing}, found {have}",
            "billing",
            (Step(text, Call("update_table", params), "billing", "billing"),),
        )
    elif target.units is not None and _provisioned(d) != target.units:
        read, write = target.units
        have_units = _provisioned(d)
        params = {
            "TableName": table,
            "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write},
        }
        yield Change(
            f"table capacity: expected {read} / {write} units, "
            f"found {have_units[0]} / {have_units[1]}",
            "billing",
            (
                Step(
                    f"set table capacity to {read} read / {write} write units",
                    Call("update_table", params),
                    "billing",
                    "billing",
                ),
            ),
            mismatch=False,  # autoscaling changes capacity: a different number is no mismatch
        )


# -- stream, TTL, PITR -----------------------------------------------------------------------------


def _stream_step(table: str, view: str | None) -> Step:
    spec: dict[str, Any] = {"StreamEnabled": view is not None}
    if view is not None:
        spec["StreamViewType"] = view
    call = Call("update_table", {"TableName": table, "StreamSpecification": spec})
    if view is None:
        return Step("switch off the stream", call, "stream", "stream off")
    return Step(f"switch on a {view} stream", call, "stream", "stream on")


def _stream(target: Target, d: Mapping[str, Any], drop: bool) -> Iterator[Change]:
    got: Mapping[str, Any] = d.get("StreamSpecification") or {}
    have = got.get("StreamViewType") if got.get("StreamEnabled") else None
    want = target.stream
    if have == want:
        return
    if want is not None and have is None:
        yield Change(
            f"stream: expected {want}, found none",
            "stream",
            (_stream_step(target.table, want),),
            mismatch=False,
            automatic=True,
        )
        return
    cut = "its readers lose the records they have not read yet"
    if want is None:
        yield Change(
            f"stream {have} is not declared by {' and '.join(target.models)}",
            "stream",
            (_stream_step(target.table, None),) if drop else (),
            None if drop else "kept: drop_stream=True switches it off",
            mismatch=False,
        )
        return
    yield Change(
        f"stream: expected {want}, found {have}",
        "stream",
        (_stream_step(target.table, None), _stream_step(target.table, want)) if drop else (),
        None if drop else f"changing the view replaces the stream ({cut}): needs drop_stream=True",
    )


def _ttl(target: Target, ttl: Mapping[str, Any] | None) -> Iterator[Change]:
    if target.ttl is None or ttl is None:
        return
    state = ttl.get("TimeToLiveStatus", "DISABLED")
    if state in ("DISABLED", "DISABLING"):
        call = Call(
            "update_time_to_live",
            {
                "TableName": target.table,
                "TimeToLiveSpecification": {"Enabled": True, "AttributeName": target.ttl},
            },
        )
        yield Change(
            f"ttl: expected attribute {target.ttl!r}, found none",
            "ttl",
            (Step(f"enable TTL on attribute {target.ttl!r}", call, "ttl", "ttl", "none"),),
            mismatch=False,
            automatic=True,
        )
    elif ttl.get("AttributeName") != target.ttl:
        yield Change(
            f"ttl: expected attribute {target.ttl!r}, found {ttl.get('AttributeName')!r}",
            "ttl",
            held=(
                "TTL moves to another attribute only by switching it off (UpdateTimeToLive), "
                "waiting until it is DISABLED (up to an hour) and binding again"
            ),
        )


def _pitr_step(table: str, enabled: bool, days: int | None) -> Step:
    spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": enabled}
    if enabled and days is not None:
        spec["RecoveryPeriodInDays"] = days
    call = Call(
        "update_continuous_backups",
        {"TableName": table, "PointInTimeRecoverySpecification": spec},
    )
    text = "switch off point-in-time recovery"
    if enabled:
        text = "switch on point-in-time recovery" + (f" ({days} days)" if days else "")
    return Step(text, call, "point_in_time_recovery", "point_in_time_recovery", "none")


def _pitr(target: Target, backups: Mapping[str, Any] | None) -> Iterator[Change]:
    want, days = target.options.point_in_time_recovery, target.options.recovery_period_days
    if want is None or backups is None:
        return
    on = backups.get("PointInTimeRecoveryStatus") == "ENABLED"
    step = (_pitr_step(target.table, want, days),)
    if want and not on:
        yield Change(
            "point-in-time recovery: expected on, found off",
            "point_in_time_recovery",
            step,
            mismatch=False,
            automatic=True,
        )
    elif not want and on:
        yield Change(
            "point-in-time recovery: expected off, found on", "point_in_time_recovery", step
        )
    elif want and days is not None and backups.get("RecoveryPeriodInDays", 35) != days:
        have = backups.get("RecoveryPeriodInDays", 35)
        yield Change(
            f"point-in-time recovery period: expected {days} days, found {have}",
            "point_in_time_recovery",
            step,
        )


# -- the newer table options -----------------------------------------------------------------------


def _table_update(target: Target, text: str, option: str, params: dict[str, Any]) -> tuple[Step]:
    return (Step(text, Call("update_table", {"TableName": target.table, **params}), option),)


def _options(target: Target, d: Mapping[str, Any]) -> Iterator[Change]:
    options = target.options
    if options.deletion_protection is not None:
        have = bool(d.get("DeletionProtectionEnabled", False))
        if have != options.deletion_protection:
            word = "on" if options.deletion_protection else "off"
            yield Change(
                f"deletion protection: expected {word}, found {'on' if have else 'off'}",
                "deletion_protection",
                _table_update(
                    target,
                    f"switch {word} deletion protection",
                    "deletion_protection",
                    {"DeletionProtectionEnabled": options.deletion_protection},
                ),
            )
    if options.table_class is not None:
        summary: Mapping[str, Any] = d.get("TableClassSummary") or {}
        have_class = summary.get("TableClass", "STANDARD")
        want_class = TABLE_CLASSES[options.table_class]
        if have_class != want_class:
            yield Change(
                f"table class: expected {want_class}, found {have_class}",
                "table_class",
                _table_update(
                    target,
                    f"change the table class to {want_class}",
                    "table_class",
                    {"TableClass": want_class},
                ),
            )
    yield from _throughput(
        options,
        d,
        "",
        "the table",
        lambda text, option, update: _table_update(target, text, option, update),
    )
