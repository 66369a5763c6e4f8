"""The model of DESIGN.md §2b that the update-action and condition-function fixtures use."""

from decimal import Decimal
from typing import Annotated

from pydantic_bloop import Base, HashKey, Version


class Account(Base):
    id: Annotated[str, HashKey()]
    owner: str = "nobody"
    balance: Decimal = Decimal(0)
    hits: int = 0
    limit: int = 0
    ratio: float = 0.0
    tags: set[str] = set()
    codes: set[int] = set()
    tag: str = ""
    history: list[str] = []
    meta: dict[str, int] = {}
    note: str | None = None
    data: bytes | None = None
    active: bool = False
    version: Annotated[int, Version()] = 0
