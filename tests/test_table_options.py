"""Declared table options on the local server: created, read back by DescribeTable, compared by
bind, migrated; endpoints lacking an operation named by ``UnsupportedOption``; table verbs.

What each backend does with an option (see docs/tables.md):
moto reports deletion protection, warm throughput and PITR, and ignores TableClass and
OnDemandThroughput; dynalite ignores all of them in CreateTable, and has no TTL, stream or
continuous-backup operations.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, cast

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    BloopError,
    GlobalIndex,
    HashKey,
    InvalidModel,
    MissingObjects,
    TableMismatch,
    TableOption,
    UnboundModel,
    UnsupportedOption,
)
from tests.faults import UnknownOperation

if TYPE_CHECKING:
    from tests.conftest import RequestLog
    from tests.engines import MakeEngine

FAST = Backoff(base=0.001, cap=0.01)


def describe(client: DynamoDBClient, name: str) -> dict[str, Any]:
    table: dict[str, Any] = dict(client.describe_table(TableName=name)["Table"])
    return table


def warned_options(caplog: pytest.LogCaptureFixture) -> set[str]:
    """The options named by the warnings of an endpoint that ignored them."""
    found = (re.search(r"does not support (\w+)", r.getMessage()) for r in caplog.records)
    return {m[1] for m in found if m is not None}


def pitr(client: DynamoDBClient, name: str) -> dict[str, Any]:
    found = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    description: dict[str, Any] = dict(found.get("PointInTimeRecoveryDescription") or {})
    return description


class Vault(Base):
    model_config = BloopConfig(
        table_name="vault",
        deletion_protection=True,
        table_class="standard_infrequent_access",
        point_in_time_recovery=True,
        recovery_period_days=7,
        max_read_units=100,
        max_write_units=50,
        warm_read_units=13000,
        warm_write_units=5000,
    )
    id: Annotated[str, HashKey()]
    owner: str = "nobody"  # DynamoDB refuses an empty index key value
    by_owner: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="owner",
        max_read_units=40,
        max_write_units=20,
        warm_read_units=14000,
        warm_write_units=6000,
    )


class VaultOpen(Base):
    """Vault with protection off (to delete it) and a longer recovery period."""

    model_config = BloopConfig(
        table_name="vault",
        deletion_protection=False,
        table_class="standard_infrequent_access",
        point_in_time_recovery=True,
        recovery_period_days=14,
        max_read_units=100,
        max_write_units=50,
        warm_read_units=13000,
        warm_write_units=5000,
    )
    id: Annotated[str, HashKey()]
    owner: str = "nobody"
    by_owner: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="owner",
        max_read_units=40,
        max_write_units=20,
        warm_read_units=14000,
        warm_write_units=6000,
    )


MOTO_IGNORES: set[TableOption] = {"table_class", "max_units"}


def test_every_option_is_created_and_read_back(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    skip_on_dynalite("dynalite ignores every option in CreateTable (see the next test)")
    name = table_prefix + "vault"
    engine = make_engine(backoff=FAST)
    # moto ignores TableClass and OnDemandThroughput: bind warns, naming the options
    with caplog.at_level(logging.WARNING, logger="pydantic_bloop"):
        engine.bind(Vault)
    assert warned_options(caplog) == MOTO_IGNORES
    (create,) = request_log.of("CreateTable")
    assert create["DeletionProtectionEnabled"] is True
    assert create["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert create["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    assert create["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 5000}
    (index,) = create["GlobalSecondaryIndexes"]
    assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": 40, "MaxWriteRequestUnits": 20}
    assert index["WarmThroughput"] == {"ReadUnitsPerSecond": 14000, "WriteUnitsPerSecond": 6000}

    # what the endpoint supports is read back (PITR switched on right after creation)
    table = describe(client, name)
    assert table["DeletionProtectionEnabled"] is True
    warm = table["WarmThroughput"]
    assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]) == (13000, 5000)
    gsi_warm = table["GlobalSecondaryIndexes"][0]["WarmThroughput"]
    assert (gsi_warm["ReadUnitsPerSecond"], gsi_warm["WriteUnitsPerSecond"]) == (14000, 6000)
    assert pitr(client, name)["PointInTimeRecoveryStatus"] == "ENABLED"
    assert pitr(client, name)["RecoveryPeriodInDays"] == 7
    engine.save(Vault(id="1"))

    # a changed option is a difference, then migrated
    with pytest.raises(TableMismatch) as mismatch:
        make_engine(backoff=FAST).bind(VaultOpen, skip=MOTO_IGNORES)
    assert mismatch.value.differences == [
        "point-in-time recovery period: expected 14 days, found 7",
        "deletion protection: expected off, found on",
    ]
    done = make_engine(backoff=FAST).migrate(VaultOpen, skip=MOTO_IGNORES)
    assert [s.text for s in done.steps] == [
        "switch on point-in-time recovery (14 days)",
        "switch off deletion protection",
    ]
    assert describe(client, name)["DeletionProtectionEnabled"] is False
    assert pitr(client, name)["RecoveryPeriodInDays"] == 14
    make_engine(backoff=FAST).bind(VaultOpen, skip=MOTO_IGNORES)  # nothing left


def test_an_endpoint_ignoring_options_at_creation_is_named(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(backoff=FAST)
    name = table_prefix + "vault"
    ignored: set[TableOption] = set(MOTO_IGNORES)
    with caplog.at_level(logging.WARNING, logger="pydantic_bloop"):
        if backend == "dynalite":  # no continuous backups at all: an error, naming the option
            ignored |= {"warm_units"}  # (protection off is what it reports anyway)
            with pytest.raises(UnsupportedOption) as caught:
                engine.bind(VaultOpen)
            assert caught.value.option == "point_in_time_recovery"
            assert caught.value.table_name == name
            assert "skip={'point_in_time_recovery'}" in str(caught.value)
            # the table exists: binding it again, leaving out what dynalite lacks, completes it
            engine.bind(VaultOpen, skip={"point_in_time_recovery", *ignored})
        else:
            engine.bind(VaultOpen)
    assert warned_options(caplog) == ignored
    engine.save(VaultOpen(id="1"))
    assert describe(client, name)["TableStatus"] == "ACTIVE"


class Session(Base):
    model_config = BloopConfig(table_name="sessions", ttl="expires")
    id: Annotated[str, HashKey()]
    expires: int = 0


def test_an_endpoint_without_ttl_is_named_and_a_second_bind_completes(
    make_engine: MakeEngine,
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    backend: str,
) -> None:
    """dynalite answers UpdateTimeToLive with UnknownOperationException; on moto the same
    answer is injected, then the real operation completes the table."""
    name = table_prefix + "sessions"
    with UnknownOperation(client, "UpdateTimeToLive"), pytest.raises(UnsupportedOption) as caught:
        make_engine(backoff=FAST).bind(Session)
    assert caught.value.option == "ttl"
    assert str(caught.value) == (
        f"table {name!r}: the endpoint does not support ttl, which Session declare "
        "(UpdateTimeToLive: UnknownOperationException); bind(..., skip={'ttl'}) leaves it out "
        "(e.g. for local tests)"
    )
    assert describe(client, name)["TableStatus"] == "ACTIVE"  # created, TTL missing

    engine = make_engine(backoff=FAST)
    if backend == "dynalite":
        engine.bind(Session, skip={"ttl"})  # for local tests
        assert "UpdateTimeToLive" not in request_log.operations[-2:]
    else:
        request_log.clear()
        engine.bind(Session)  # an endpoint with TTL: the second bind switches it on
        assert request_log.of("UpdateTimeToLive") == [
            {
                "TableName": name,
                "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
            }
        ]
    engine.save(Session(id="s", expires=1))


def test_skip_takes_option_names(make_engine: MakeEngine) -> None:
    engine = make_engine(backoff=FAST)
    with pytest.raises(ValueError, match="skip takes option names"):
        engine.bind(Session, skip={"TTL"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="skip takes option names"):
        engine.bind(Session, skip="ttl")  # type: ignore[arg-type]


# -- table verbs -----------------------------------------------------------------------------------


class Note(Base):
    model_config = BloopConfig(table_name="notes")
    id: Annotated[str, HashKey()]
    text: str = ""


def test_table_verbs(make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str) -> None:
    engine = make_engine(backoff=FAST)
    assert not engine.table_exists(Note)
    assert engine.describe_table(Note) is None
    assert engine.delete_table(Note) is False

    engine.bind(Note)
    engine.save(Note(id="1"))
    assert engine.table_exists(Note)
    info = engine.describe_table(Note)
    assert info is not None
    assert (info.name, info.status, info.billing) == (
        table_prefix + "notes",
        "ACTIVE",
        "PAY_PER_REQUEST",
    )
    assert info.raw["TableName"] == table_prefix + "notes"

    assert engine.delete_table(Note) is True
    assert table_prefix + "notes" not in client.list_tables()["TableNames"]
    assert not engine.table_exists(Note)
    with pytest.raises(UnboundModel):  # the deletion unbound the model
        engine.save(Note(id="2"))
    engine.bind(Note)  # creates it again, empty
    with pytest.raises(MissingObjects):
        engine.get(Note, id="1", consistent=True)


class Guarded(Base):
    model_config = BloopConfig(table_name="guarded", deletion_protection=True)
    id: Annotated[str, HashKey()]


class Unguarded(Base):
    model_config = BloopConfig(table_name="guarded", deletion_protection=False)
    id: Annotated[str, HashKey()]


def test_a_protected_table_is_not_deleted(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("dynalite has no deletion protection")
    engine = make_engine(backoff=FAST)
    engine.bind(Guarded)
    with pytest.raises(BloopError, match="has deletion protection"):
        engine.delete_table(Guarded)
    assert engine.table_exists(Guarded)
    engine.migrate(Unguarded)
    assert engine.delete_table(Guarded)


def test_a_table_name_template_may_be_a_function(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    def template(name: str) -> str:
        return f"{table_prefix}x.{name}"

    engine = make_engine(backoff=FAST, table_name_template=template)
    engine.bind(Note)
    assert engine.table_name(Note) == f"{table_prefix}x.notes"
    assert f"{table_prefix}x.notes" in client.list_tables()["TableNames"]


# -- bad declarations fail at class definition -----------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"table_class": "cold"}, "table_class must be 'standard' or"),
        ({"recovery_period_days": 40}, "recovery_period_days must be 1 to 35, not 40"),
        (
            {"recovery_period_days": 3, "point_in_time_recovery": False},
            "recovery_period_days=3 needs point_in_time_recovery on",
        ),
        ({"deletion_protection": "yes"}, "deletion_protection must be True or False"),
        ({"max_read_units": 0}, "max_read_units must be an int >= 1, not 0"),
        (
            {"billing": "provisioned", "read_units": 1, "write_units": 1, "max_read_units": 5},
            "max_read_units / max_write_units cap on-demand tables",
        ),
    ],
)
def test_bad_options_fail_at_class_definition(config: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidModel, match=message) as caught:

        class Bad(Base):  # pyright: ignore[reportUnusedClass]
            model_config = cast(BloopConfig, config)
            id: Annotated[str, HashKey()]

    assert str(caught.value).startswith("Bad")


def test_models_sharing_a_table_must_agree_on_options(make_engine: MakeEngine) -> None:
    class One(Base):
        model_config = BloopConfig(table_name="shared", table_class="standard")
        pk: Annotated[str, HashKey()]

    class Two(Base):
        model_config = BloopConfig(table_name="shared", table_class="standard_infrequent_access")
        pk: Annotated[str, HashKey()]

    with pytest.raises(InvalidModel, match=r"One and Two share table .* different table_class"):
        make_engine(backoff=FAST).bind(One, Two)
