"""Time to live, as PynamoDB's ``TTLAttribute`` tests (pynamodb/PynamoDB, tests/test_attributes.py
``TestTTLAttribute``) and pydynox's (ferrumio/pydynox, tests/unit/test_ttl.py) check it: the
attribute is a number of whole seconds since the epoch, an aware datetime is required, None is
no attribute, and the table has TTL on that attribute once bound (moto: dynalite has no TTL).

PynamoDB's ``timedelta`` values (now + delta) and pydynox's ``is_expired`` / ``expires_in`` are
listed in tests/peers/README.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import ValidationError

from pydantic_bloop import AsEpoch, Base, BloopConfig, Engine, HashKey, InvalidValue, to_item
from tests.engines import MakeEngine


class Session(Base):
    model_config = BloopConfig(ttl="expires")
    id: Annotated[str, HashKey()]
    expires: Annotated[datetime, AsEpoch()] | None = None


JUNE5 = datetime(2019, 6, 5, 0, 1, tzinfo=UTC)


def test_an_expiry_is_stored_as_epoch_seconds() -> None:
    """test_serialize_deserialize, test_ttl_serialize, test_ttl_attribute_type,
    test_datetime_with_tz_ttl, test_serialize_none"""
    assert to_item(Session(id="s", expires=JUNE5)) == {
        "id": {"S": "s"},
        "expires": {"N": "1559692860"},
    }
    assert to_item(Session(id="s")) == {"id": {"S": "s"}}
    east = timezone(timedelta(hours=2))
    assert to_item(Session(id="s", expires=JUNE5.astimezone(east)))["expires"] == {
        "N": "1559692860"
    }


def test_a_naive_or_wrong_expiry_is_refused() -> None:
    """test_datetime_naive_ttl, test_ttl_attribute_wrong_type"""
    with pytest.raises(InvalidValue, match=r"Session\.expires"):
        to_item(Session(id="s", expires=datetime(2019, 6, 5, 0, 1)))  # noqa: DTZ001
    with pytest.raises(ValidationError, match="expires"):
        Session(id="s", expires="wrong type")  # type: ignore[arg-type]


@pytest.mark.dynalite_unsupported("no TTL in dynalite")
def test_ttl_is_on_once_bound(make_engine: MakeEngine, client: DynamoDBClient) -> None:
    """test_ttl_deserialize, test_ttl_roundtrip: read back as an aware UTC datetime; the table's
    TTL is on the attribute"""
    engine: Engine = make_engine()
    engine.bind(Session)
    ttl = client.describe_time_to_live(TableName=engine.table_name(Session))
    description = ttl.get("TimeToLiveDescription", {})
    assert description.get("AttributeName") == "expires"
    assert description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    engine.save(Session(id="a", expires=soon), Session(id="b"))
    expires = engine.get(Session, id="a").expires
    assert expires is not None and expires == soon
    assert expires.utcoffset() == timedelta(0)
    assert engine.get(Session, id="b").expires is None
