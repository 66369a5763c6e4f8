"""The benchmark item as a pydantic_bloop model, and the same shape as a plain pydantic model
(the floor of scenario 1)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel

from pydantic_bloop import Base, BloopConfig, HashKey, RangeKey
from pydantic_bloop.models import ModelInfo, model_info
from pydantic_bloop.types import AttributeValue

TABLE = "bench_items"


class Item(Base):
    model_config = BloopConfig(table_name=TABLE)
    pk: Annotated[str, HashKey()]
    sk: Annotated[int, RangeKey()]
    title: str
    views: int
    price: Decimal
    active: bool
    created: datetime
    tags: list[str]


class PlainItem(BaseModel):
    pk: str
    sk: int
    title: str
    views: int
    price: Decimal
    active: bool
    created: datetime
    tags: list[str]


INFO: ModelInfo = model_info(Item)


def wire_items(values: list[dict[str, Any]]) -> list[dict[str, AttributeValue]]:
    """The stored items of these values, as pydantic_bloop dumps them."""
    return [INFO.dump_item(Item(**v)) for v in values]
