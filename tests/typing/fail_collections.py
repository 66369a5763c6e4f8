"""Wrong uses of collections that both checkers reject."""

from typing import Annotated

from pydantic_bloop import Base, BloopConfig, Collection, Engine, HashKey


class Customer(Base):
    model_config = BloopConfig(table_name="shop", entity="C")
    pk: Annotated[str, HashKey()]
    name: str


class Order(Base):
    model_config = BloopConfig(table_name="shop", entity="O")
    pk: Annotated[str, HashKey()]
    total: int


def wrong(engine: Engine) -> None:
    for obj in engine.query(Collection(Customer, Order)):
        obj.total  # E: mypy[union-attr] pyright[reportAttributeAccessIssue]
    Collection(Customer, 3)  # E: mypy[call-overload] pyright[reportArgumentType]
