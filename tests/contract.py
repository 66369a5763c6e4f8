"""The models of DESIGN.md §2, written exactly as the contract writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic_bloop import (
    Base,
    BloopConfig,
    DynamoName,
    GlobalIndex,
    HashKey,
    LocalIndex,
    RangeKey,
)


class User(Base):
    id: Annotated[UUID, HashKey()]
    email: str
    admin: bool = False
    by_email: ClassVar[GlobalIndex] = GlobalIndex(hash_key="email", projection="keys")


class Post(Base):
    model_config = BloopConfig(table_name="posts")
    forum: Annotated[str, HashKey()]
    id: Annotated[UUID, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]
    date: datetime
    views: int = 0
    content: str | None = None
    tags: set[str] = set()
    by_user: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="user", range_key="date", projection="all"
    )
    by_views: ClassVar[LocalIndex] = LocalIndex(range_key="views", projection=["content"])
