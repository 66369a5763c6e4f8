"""Wrong paths into nested models, as both checkers reject them (see ``pass_nested.py``).

Markers: ``# E: mypy[code] pyright[code]`` (see ``fail_bare.py``).
"""

from typing import Annotated

from pydantic_bloop import Base, HashKey, col
from tests.typing.models import Address


class Shop(Base):
    id: Annotated[str, HashKey()]
    address: Address = Address(city="", zip="")


def nested() -> None:
    _ = col(Shop.address.town)  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    _ = col(Shop.address.city) > 3  # E: mypy[operator] pyright[reportOperatorIssue]
