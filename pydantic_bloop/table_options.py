"""The table options a model declares in ``BloopConfig`` (and a ``GlobalIndex`` beside its keys):
their validation at class definition, how models sharing a table combine them, the request
fragments that create them, and how a table description reports them.

An option left out (``None``) is not managed: it is neither sent nor compared, so whatever the
table has stays. Only a declared value is created, compared and migrated.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

from .errors import InvalidModel

if TYPE_CHECKING:
    from .models import FieldSpec, ModelInfo

StreamView = Literal["keys_only", "new_image", "old_image", "new_and_old_images"]
TableClass = Literal["standard", "standard_infrequent_access"]
Billing = Literal["on_demand", "provisioned"]
# what ``skip=`` names: the options an endpoint may lack (see docs/tables.md)
TableOption = Literal[
    "ttl",
    "stream",
    "point_in_time_recovery",
    "deletion_protection",
    "table_class",
    "max_units",
    "warm_units",
]
TABLE_OPTIONS: frozenset[str] = frozenset(get_args(TableOption))

STREAM_VIEWS: dict[str, str] = {
    "keys_only": "KEYS_ONLY",
    "new_image": "NEW_IMAGE",
    "old_image": "OLD_IMAGE",
    "new_and_old_images": "NEW_AND_OLD_IMAGES",
}
TABLE_CLASSES: dict[str, str] = {
    "standard": "STANDARD",
    "standard_infrequent_access": "STANDARD_INFREQUENT_ACCESS",
}


@dataclass(frozen=True, slots=True)
class Throughput:
    """A pair of read / write numbers of which either may be left out (None)."""

    read: int | None = None
    write: int | None = None

    def __bool__(self) -> bool:
        return self.read is not None or self.write is not None

    def __str__(self) -> str:
        return f"{_units(self.read)} read / {_units(self.write)} write"


def _units(n: int | None) -> str:
    return "-" if n is None else str(n)


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """The options of one global index: on-demand maximum and warm throughput."""

    max_units: Throughput = Throughput()
    warm_units: Throughput = Throughput()


@dataclass(frozen=True, slots=True)
class TableOptions:
    """The options of a table beyond keys, indexes, billing, TTL and stream (None: unmanaged)."""

    deletion_protection: bool | None = None
    table_class: TableClass | None = None
    point_in_time_recovery: bool | None = None
    recovery_period_days: int | None = None
    max_units: Throughput = Throughput()
    warm_units: Throughput = Throughput()


@dataclass(frozen=True, slots=True, eq=False)
class TableSpec:
    """The table options of a table model (its name is before the engine's name template)."""

    name: str
    billing: Billing
    read_units: int | None
    write_units: int | None
    ttl: FieldSpec | None
    stream: StreamView | None
    options: TableOptions = TableOptions()


def final_table_name(template: str | Callable[[str], str], name: str) -> str:
    """The table a model calls ``name`` is named by an engine's ``table_name_template``: a
    str with ``{table_name}``, or a function of the name."""
    if isinstance(template, str):
        return template.format(table_name=name)
    final = template(name)
    if not isinstance(final, str):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
        raise ValueError(f"table_name_template({name!r}) returned {final!r}, not a str")
    return final


# -- validation at class definition ----------------------------------------------------------------


def _positive(label: str, key: str, value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidModel(f"{label}: {key} must be an int >= 1, not {value!r}")
    return value


def _flag(label: str, key: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidModel(f"{label}: {key} must be True or False, not {value!r}")
    return value


def throughputs(
    label: str, billing: Billing, values: Mapping[str, object]
) -> dict[str, Throughput]:
    """``max_units`` and ``warm_units`` from ``max_read_units`` ... ``warm_write_units``."""
    found = {
        kind: Throughput(
            _positive(label, f"{kind}_read_units", values.get(f"{kind}_read_units")),
            _positive(label, f"{kind}_write_units", values.get(f"{kind}_write_units")),
        )
        for kind in ("max", "warm")
    }
    if found["max"] and billing == "provisioned":
        raise InvalidModel(
            f"{label}: max_read_units / max_write_units cap on-demand tables; provisioned "
            "billing is capped by read_units / write_units"
        )
    return {"max_units": found["max"], "warm_units": found["warm"]}


def table_spec(
    label: str, default_name: str, config: Mapping[str, Any], fields_: Mapping[str, FieldSpec]
) -> TableSpec:
    """The validated table options of a model (``InvalidModel`` names model, option, value)."""
    billing = config.get("billing", "on_demand")
    if billing not in ("on_demand", "provisioned"):
        raise InvalidModel(
            f"{label}: billing must be 'on_demand' or 'provisioned', not {billing!r}"
        )
    read_units, write_units = config.get("read_units"), config.get("write_units")
    if billing == "provisioned":
        for key, units in (("read_units", read_units), ("write_units", write_units)):
            if not isinstance(units, int) or units < 1:
                raise InvalidModel(
                    f"{label}: provisioned billing needs {key} >= 1 in BloopConfig, got {units!r}"
                )
    ttl_name = config.get("ttl")
    ttl: FieldSpec | None = None
    if ttl_name is not None:
        ttl = fields_.get(ttl_name)
        if ttl is None:
            raise InvalidModel(f"{label}: ttl names {ttl_name!r}, which is not a field")
        if ttl.codec.dynamo_type != "N":
            raise InvalidModel(
                f"{label}.{ttl_name} is the TTL field, so it must be stored as a number of epoch "
                "seconds: use int or Annotated[datetime, AsEpoch()]"
            )
    stream = config.get("stream")
    if stream is not None and stream not in STREAM_VIEWS:
        raise InvalidModel(f"{label}: unknown stream view {stream!r}")
    table_name = config.get("table_name", default_name)
    # only the final name (after the engine's table_name_template) must satisfy DynamoDB's
    # rules, so those are checked when binding
    if not isinstance(table_name, str) or not table_name:
        raise InvalidModel(f"{label}: table_name must be a non-empty str, not {table_name!r}")
    return TableSpec(
        table_name,
        billing,
        read_units,
        write_units,
        ttl,
        stream,
        _table_options(label, billing, config),
    )


def _table_options(label: str, billing: Billing, config: Mapping[str, Any]) -> TableOptions:
    table_class = config.get("table_class")
    if table_class is not None and table_class not in TABLE_CLASSES:
        raise InvalidModel(
            f"{label}: table_class must be 'standard' or 'standard_infrequent_access', "
            f"not {table_class!r}"
        )
    pitr = _flag(label, "point_in_time_recovery", config.get("point_in_time_recovery"))
    days = _positive(label, "recovery_period_days", config.get("recovery_period_days"))
    if days is not None:
        if days > 35:
            raise InvalidModel(f"{label}: recovery_period_days must be 1 to 35, not {days}")
        if pitr is False:
            raise InvalidModel(
                f"{label}: recovery_period_days={days} needs point_in_time_recovery on"
            )
        pitr = True
    return TableOptions(
        deletion_protection=_flag(label, "deletion_protection", config.get("deletion_protection")),
        table_class=table_class,
        point_in_time_recovery=pitr,
        recovery_period_days=days,
        **throughputs(label, billing, config),
    )


def index_options(label: str, values: Mapping[str, object]) -> IndexOptions:
    """The validated options of a global index (its billing is checked with its table's)."""
    return IndexOptions(**throughputs(label, "on_demand", values))


# -- models sharing a table ------------------------------------------------------------------------


def shared_options(infos: Sequence[ModelInfo], table: str) -> TableOptions:
    """The options of the models stored in ``table``: each declared value must agree; a model
    that leaves an option out leaves it to the others."""
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for info in infos:
        assert info.table is not None
        options = info.table.options
        for f in fields(TableOptions):
            value = getattr(options, f.name)
            if value is None or value == Throughput():
                continue
            seen = merged.setdefault(f.name, value)
            owner.setdefault(f.name, info.label)
            if seen != value:
                raise InvalidModel(
                    f"{owner[f.name]} and {info.label} share table {table!r} but declare "
                    f"different {f.name} ({seen}, {value})"
                )
    options = replace(TableOptions(), **merged)
    first = infos[0].table
    assert first is not None
    if options.max_units and first.billing == "provisioned":
        raise InvalidModel(
            f"table {table!r}: max_read_units / max_write_units need on-demand billing"
        )
    return options


# -- requests and descriptions ---------------------------------------------------------------------


def throughput_params(units: Throughput, kind: Literal["max", "warm"]) -> dict[str, int]:
    """``OnDemandThroughput`` (kind "max") or ``WarmThroughput`` (kind "warm") parameters."""
    names = (
        ("MaxReadRequestUnits", "MaxWriteRequestUnits")
        if kind == "max"
        else ("ReadUnitsPerSecond", "WriteUnitsPerSecond")
    )
    params: dict[str, int] = {}
    if units.read is not None:
        params[names[0]] = units.read
    if units.write is not None:
        params[names[1]] = units.write
    return params


def index_create_params(options: IndexOptions) -> dict[str, Any]:
    """What a GSI's ``Create`` (or CreateTable entry) adds for its options."""
    params: dict[str, Any] = {}
    if options.max_units:
        params["OnDemandThroughput"] = throughput_params(options.max_units, "max")
    if options.warm_units:
        params["WarmThroughput"] = throughput_params(options.warm_units, "warm")
    return params


def table_create_params(options: TableOptions, skip: frozenset[str]) -> dict[str, Any]:
    """What CreateTable adds for the declared options (PITR is switched on after creation:
    CreateTable has no parameter for it)."""
    params: dict[str, Any] = {}
    if options.deletion_protection is not None and "deletion_protection" not in skip:
        params["DeletionProtectionEnabled"] = options.deletion_protection
    if options.table_class is not None and "table_class" not in skip:
        params["TableClass"] = TABLE_CLASSES[options.table_class]
    if options.max_units and "max_units" not in skip:
        params["OnDemandThroughput"] = throughput_params(options.max_units, "max")
    if options.warm_units and "warm_units" not in skip:
        params["WarmThroughput"] = throughput_params(options.warm_units, "warm")
    return params


def mapping(parent: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` of a response, a dict ({} when absent or null)."""
    found: dict[str, Any] = parent.get(key) or {}
    return found


def items(parent: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """``parent[key]`` of a response, a list of dicts ([] when absent or null)."""
    found: list[dict[str, Any]] = parent.get(key) or []
    return found


def live_max_units(description: Mapping[str, Any]) -> Throughput:
    """The on-demand maximum a table or index description reports (-1 or absent: none)."""
    found: Mapping[str, Any] = description.get("OnDemandThroughput") or {}

    def one(key: str) -> int | None:
        value = found.get(key)
        return None if value is None or value < 1 else int(value)

    return Throughput(one("MaxReadRequestUnits"), one("MaxWriteRequestUnits"))


def live_warm_units(description: Mapping[str, Any]) -> Throughput:
    found: Mapping[str, Any] = description.get("WarmThroughput") or {}
    read, write = found.get("ReadUnitsPerSecond"), found.get("WriteUnitsPerSecond")
    return Throughput(None if read is None else int(read), None if write is None else int(write))


def warm_enough(live: Throughput, want: Throughput) -> bool:
    """Warm throughput is a floor that DynamoDB raises by itself and never lowers: a table
    warmer than declared matches."""
    return all(
        w is None or (got is not None and got >= w)
        for got, w in ((live.read, want.read), (live.write, want.write))
    )


def max_matches(live: Throughput, want: Throughput) -> bool:
    return all(
        w is None or got == w for got, w in ((live.read, want.read), (live.write, want.write))
    )
