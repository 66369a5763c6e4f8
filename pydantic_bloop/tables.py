"""Tables: the CreateTable request a model implies, and the bind plan (describe, create if
missing, wait until ACTIVE, compare with the models, then switch on a declared TTL, stream or
point-in-time recovery, or with ``migrate=True`` apply every step of the migration).

Several models may share one table (single-table design): the table's definition is their keys
plus the union of their indexes, and each table is described and created once. The comparison
lives in :mod:`table_diff`, the steps and waits in :mod:`migrations`.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import re
from collections import abc
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from .errors import InvalidModel, TableMismatch, UnsupportedOption
from .hooks import TableKind, report_table
from .indexes import IndexSpec
from .migrations import (
    Description,
    Progress,
    TableMigration,
    apply,
    describe,
    leftovers,
    logger,
    read_live,
    table_active,
    wait_for,
)
from .models import Base, FieldSpec, ModelInfo, model_info
from .plans import Backoff, Call, Plan, Response, error_code
from .table_diff import Change, Live, Target, changes
from .table_options import (
    STREAM_VIEWS,
    TABLE_OPTIONS,
    TableSpec,
    index_create_params,
    shared_options,
    table_create_params,
)


def by_table(
    models: Sequence[type[Base]], final_name: Callable[[str], str]
) -> dict[str, list[ModelInfo]]:
    """The table models among ``models`` (and below them), grouped by final table name
    (``final_name`` of the name a model declares); the models of one table share its keys."""
    grouped: dict[str, list[ModelInfo]] = {}
    for model in _table_models(models):
        info = model_info(model)
        assert info.table is not None
        grouped.setdefault(final_name(info.table.name), []).append(info)
    for table, infos in grouped.items():
        _check_shared_keys(table, infos)
    return grouped


def _table_models(models: Sequence[type[Base]]) -> list[type[Base]]:
    """The table models among ``models`` and their subclasses, each once."""
    found: dict[type[Base], None] = {}

    def visit(model: type[Base]) -> None:
        info = model_info(model) if model is not Base else None  # builds deferred metadata
        if info is not None and info.table is not None:
            found.setdefault(model)
        for sub in model.__subclasses__():
            visit(sub)

    for model in models:
        if not _is_model_class(model):
            raise InvalidModel(f"bind() takes model classes, not {model!r}")
        visit(model)
    return list(found)


def _is_model_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, Base)


def _check_shared_keys(table: str, infos: Sequence[ModelInfo]) -> None:
    def keys(info: ModelInfo) -> list[tuple[str, str | None]]:
        return [(k.dynamo_name, k.codec.dynamo_type) for k in info.keys]

    first = infos[0]
    for other in infos[1:]:
        if keys(other) != keys(first):
            raise InvalidModel(
                f"{first.label} and {other.label} share table {table!r} but not its keys: "
                f"{keys(first)} vs {keys(other)}"
            )


def skipped_options(skip: abc.Collection[str]) -> frozenset[str]:
    """The table options named in a ``skip=`` argument (``ValueError`` for an unknown one)."""
    unknown = set(skip) - TABLE_OPTIONS
    if unknown or isinstance(skip, str):
        raise ValueError(
            f"skip takes option names ({', '.join(sorted(TABLE_OPTIONS))}), not {skip!r}"
        )
    return frozenset(skip)


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


def create_request(
    infos: Sequence[ModelInfo], table: str, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The CreateTable parameters for the models stored in ``table`` (without the options
    named in ``skip``)."""
    first = infos[0]
    spec = _options(infos, table)
    options = shared_options(infos, table)
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
            index_params = index_create_params(index.options)
            if index_params and provisioned and "OnDemandThroughput" in index_params:
                raise InvalidModel(
                    f"table {table!r}: index {index.name!r} declares max units, which need "
                    "on-demand billing"
                )
            if "max_units" in skip:
                index_params.pop("OnDemandThroughput", None)
            if "warm_units" in skip:
                index_params.pop("WarmThroughput", None)
            entry.update(index_params)
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
    if spec.stream is not None and "stream" not in skip:
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": STREAM_VIEWS[spec.stream],
        }
    params.update(table_create_params(options, skip))
    return params


def target(infos: Sequence[ModelInfo], table: str) -> Target:
    """What the models stored in ``table`` need of it (``InvalidModel`` if they disagree)."""
    _check_table_name(infos, table)
    create = create_request(infos, table)
    spec = _options(infos, table)
    units = None
    if spec.billing == "provisioned":
        assert spec.read_units is not None and spec.write_units is not None
        units = (spec.read_units, spec.write_units)
    return Target(
        table=table,
        models=tuple(i.label for i in infos),
        create=create,
        indexes=_indexes(infos, table),
        billing=create["BillingMode"],
        units=units,
        ttl=spec.ttl.dynamo_name if spec.ttl is not None else None,
        stream=STREAM_VIEWS[spec.stream] if spec.stream is not None else None,
        options=shared_options(infos, table),
    )


def _unskipped(found: list[Change], skip: frozenset[str]) -> list[Change]:
    return [c for c in found if c.option not in skip]


def preview(
    infos: Sequence[ModelInfo],
    table: str,
    *,
    drop_indexes: bool = False,
    drop_stream: bool = False,
    skip: frozenset[str] = frozenset(),
) -> Plan[TableMigration]:
    """The migration of ``table`` (reads only: nothing changes)."""
    goal = target(infos, table)
    description = yield from describe(table)
    if description is None:
        return TableMigration(table, goal.models, missing=True)
    live = yield from read_live(goal, description, skip)
    found = changes(goal, live, drop_indexes=drop_indexes, drop_stream=drop_stream)
    return TableMigration(table, goal.models, tuple(_unskipped(found, skip)))


def bind(
    infos: Sequence[ModelInfo],
    table: str,
    backoff: Backoff | None = None,
    timeout: float = 600.0,
    *,
    migrate: bool = False,
    drop_indexes: bool = False,
    drop_stream: bool = False,
    skip: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> Plan[TableMigration]:
    """Describe ``table``; create it when missing; wait (sleeping per ``backoff``, at most
    ``timeout`` seconds per wait) until it and its GSIs are ACTIVE; compare it with the models.

    Without ``migrate`` every difference raises ``TableMismatch`` (before any change), and only
    a declared TTL, stream or point-in-time recovery that is off is switched on. With
    ``migrate`` every step of the migration runs, unless some difference cannot be migrated.
    Returns the migration that was found (and carried out)."""
    goal = target(infos, table)  # also checks that sharing models agree
    backoff = backoff or Backoff()
    flags = {"drop_indexes": drop_indexes, "drop_stream": drop_stream}
    description, created = yield from _active_table(infos, table, skip, backoff, timeout)
    if created:  # before TTL and PITR are read: an endpoint may lack those operations
        fresh = _unskipped(changes(goal, Live(description), **flags), skip)
        skip = skip | _check_created(goal, fresh)
    live = yield from read_live(goal, description, skip)
    found = _unskipped(changes(goal, live, **flags), skip)
    migration = TableMigration(table, goal.models, tuple(found))
    problems = migration.blockers() if migrate else migration.mismatches()
    if problems:
        raise TableMismatch(table, problems)
    steps = migration.steps if migrate else migration.automatic_steps()
    if steps:
        yield from apply(goal, steps, backoff, timeout, progress)
        ran = [c for c in found if any(s in c.steps for s in steps)]
        yield from _check_applied(goal, ran, skip, flags)
    kind: TableKind = "created" if created else "migrated" if migrate and steps else "validated"
    report_table(kind, table, [i.model for i in infos], migration)
    return migration


def _active_table(
    infos: Sequence[ModelInfo],
    table: str,
    skip: frozenset[str],
    backoff: Backoff,
    timeout: float,
) -> Plan[tuple[Description, bool]]:
    """The description of ``table`` once it and its GSIs are ACTIVE, creating it when missing;
    and whether this plan created it."""
    created = False
    description = yield from describe(table)
    while True:
        if description is None:
            try:
                response: Response = yield Call("create_table", create_request(infos, table, skip))
                description = response["TableDescription"]
                created = True
            except Exception as exc:  # created meanwhile by another process: validate it
                if error_code(exc) != "ResourceInUseException":
                    raise
                description = yield from describe(table)
                continue
        # a table being deleted disappears meanwhile: it is then created afresh
        description = yield from wait_for(table, description, table_active, backoff, timeout)
        if description is not None:
            return description, created


def _check_applied(
    goal: Target, ran: list[Change], skip: frozenset[str], flags: dict[str, bool]
) -> Plan[None]:
    """Read the table again: each change that ran must be gone (an endpoint may accept an
    update and ignore it, which raises ``UnsupportedOption``)."""
    after = yield from describe(goal.table)
    assert after is not None
    live = yield from read_live(goal, after, skip)
    ignored = leftovers(ran, changes(goal, live, **flags))
    if ignored:
        raise _ignored(goal, ignored[0], "accepted the change but did not make it")


def _check_created(goal: Target, found: list[Change]) -> frozenset[str]:
    """A table just created with every declared option cannot differ from its models, except
    in what CreateTable cannot set (TTL, PITR): anything else the endpoint ignored. An ignored
    option is logged as a warning and left out of this bind (local endpoints ignore some: the
    table is as good as the endpoint allows); the options are returned. An ignored index or
    key raises ``UnsupportedOption``."""
    ignored: set[str] = set()
    for change in found:
        if change.option in ("ttl", "point_in_time_recovery") or not (
            change.mismatch or change.automatic
        ):
            continue
        if change.option not in TABLE_OPTIONS:
            raise _ignored(goal, change, "created the table without it")
        logger.warning("%s", _ignored(goal, change, "created the table without it"))
        ignored.add(change.option)
    return frozenset(ignored)


def _ignored(goal: Target, change: Change, what: str) -> UnsupportedOption:
    return UnsupportedOption(
        goal.table, change.option, f"the endpoint {what}: {change.difference}", goal.models
    )
