"""Wrong uses of key templates that both checkers reject."""

from typing import Annotated

from pydantic_bloop import Base, HashKey, Template, col


class Order(Base):
    customer: str
    id: int
    pk: Annotated[str, HashKey()] = Template("CUSTOMER#{customer}")


def wrong() -> None:
    _ = col(Order.id) >= "3"  # E: mypy[operator] pyright[reportOperatorIssue]
    Order(customer="ada")  # E: mypy[call-arg] pyright[reportCallIssue]
