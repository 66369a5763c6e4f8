"""Key arguments both checkers accept: the fields' own types (an int or float for a Decimal
field), a mapping, ``consistent=``; mypy's plugin checks each against the model."""

from decimal import Decimal
from typing import Annotated, assert_type
from uuid import UUID

from pydantic_bloop import AsyncEngine, Base, Engine, HashKey, key_only
from tests.typing.models import Post


class Price(Base):
    amount: Annotated[Decimal, HashKey()]


async def keys(engine: Engine, aengine: AsyncEngine, uid: UUID) -> None:
    assert_type(engine.get(Post, forum="f", id=uid), Post)
    assert_type(engine.get(Post, {"forum": "f", "id": uid}, consistent=True), Post)
    assert_type(await aengine.get(Post, forum="f", id=uid), Post)
    assert_type(engine.get_or_none(Post, forum="f", id=uid), Post | None)
    assert_type(await aengine.get_or_none(Post, {"forum": "f", "id": uid}), Post | None)
    assert_type(engine.get(Price, amount=5), Price)
    assert_type(engine.get(Price, amount=Decimal("1.5")), Price)
    assert_type(key_only(Post, forum="f", id=uid), Post)
    assert_type(key_only(Price, amount=2.5), Price)
