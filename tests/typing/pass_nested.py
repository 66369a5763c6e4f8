"""Paths into nested models, typed: ``col(Shop.address.city)`` is a ``Column[str]`` to both
checkers (with mypy's plugin ``Shop.address.city`` is one already)."""

from typing import Annotated, assert_type

from pydantic_bloop import Base, Column, Engine, HashKey, col
from tests.typing.models import Address


class Shop(Base):
    id: Annotated[str, HashKey()]
    address: Address = Address(city="", zip="")


def nested(engine: Engine) -> None:
    assert_type(col(Shop.address.city), Column[str])
    in_oslo = col(Shop.address.city) == "Oslo"
    _ = engine.scan(Shop).filter(in_oslo & col(Shop.address.zip).begins_with("0"))
    assert_type(col(Shop.address), Column[Address])
