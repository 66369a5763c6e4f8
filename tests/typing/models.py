"""The models the typing fixtures are checked against: DESIGN.md §2's, plus a mixin, a subclass
and document-shaped fields."""

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BaseModel

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


class Audited(Base):
    """A mixin without a table: its fields are inherited."""

    created: datetime
    editor: Annotated[str, DynamoName("ed")] = "system"


class Address(BaseModel):
    city: str
    zip: str


class Page(Audited):
    """A table model with inherited fields and document-shaped ones."""

    model_config = BloopConfig(
        table_name="pages", billing="provisioned", read_units=1, write_units=1
    )
    slug: Annotated[str, HashKey()]
    meta: dict[str, int] = {}
    lines: list[str] = []
    address: Address | None = None
    data: bytes = b""


class PinnedPost(Post):
    """A subclass of a table model: same table, one more field."""

    pinned_by: str | None = None
