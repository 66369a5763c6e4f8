"""Paths into nested models by attribute: ``Shop.address.city`` is ``Shop.address["city"]``, in
conditions, filters and update actions; anything that is not a nested model's field is no
attribute."""

from __future__ import annotations

import copy
from typing import Annotated

import pytest
from pydantic import BaseModel

from pydantic_bloop import Base, HashKey, col
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Address(BaseModel):
    city: str
    zip: str = ""


class Shop(Base):
    id: Annotated[str, HashKey()]
    address: Address
    previous: Address | None = None
    tags: dict[str, int] = {}


def test_a_nested_field_by_attribute_is_its_path() -> None:
    city = col(Shop.address.city)
    assert city.path == col(Shop.address)["city"].path == ("address", "city")
    assert col(Shop.previous.city).path == ("previous", "city")  # pyright: ignore[reportOptionalMemberAccess]
    assert city.label == "Shop.address.city"
    assert (city == "Oslo").describe() == "Shop.address.city == 'Oslo'"


def test_what_is_no_nested_field_is_no_attribute() -> None:
    with pytest.raises(AttributeError, match=r"Shop\.address has no attribute 'town'"):
        _ = col(Shop.address).town  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(AttributeError):
        _ = col(Shop.tags).k  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    assert not hasattr(col(Shop.id), "city")
    column = col(Shop.address)
    assert copy.copy(column).path == column.path  # probes of dunders stay AttributeErrors


def test_nested_paths_filter_and_update_on_the_server(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Shop)
    oslo = Shop(id="a", address=Address(city="Oslo", zip="0150"))
    bergen = Shop(id="b", address=Address(city="Bergen", zip="5003"))
    engine.save(oslo, bergen)
    found = engine.scan(Shop).filter(col(Shop.address.city) == "Oslo").all()
    assert [s.id for s in found] == ["a"]
    scan = request_log.of("Scan")[-1]
    assert scan["FilterExpression"] == "#n0.#n1 = :v0"
    assert scan["ExpressionAttributeNames"] == {"#n0": "address", "#n1": "city"}

    engine.update(
        oslo, col(Shop.address.zip).set("0151"), condition=col(Shop.address.city) == "Oslo"
    )
    assert engine.get(Shop, id="a").address == Address(city="Oslo", zip="0151")
