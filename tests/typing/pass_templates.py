"""Keys made from fields: a Template is a str default, so the key fields are optional in the
constructor; conditions on the fields are ordinary key conditions of their own types."""

from datetime import UTC, datetime
from typing import Annotated, assert_type

from pydantic_bloop import (
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    HashKey,
    KeyCondition,
    Query,
    RangeKey,
    Template,
    col,
)


class Order(Base):
    model_config = BloopConfig(table_name="shop", entity="O")
    customer: str
    id: int
    placed: datetime
    pk: Annotated[str, HashKey(), DynamoName("PK")] = Template("CUSTOMER#{customer}")
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = Template("ORDER#{id}")


def use(engine: Engine) -> None:
    order = Order(customer="ada", id=3, placed=datetime(2025, 1, 1, tzinfo=UTC))
    assert_type(order.pk, str)
    by_fields = (col(Order.customer) == "ada") & (col(Order.id) >= 3)
    assert_type(by_fields, KeyCondition)
    assert_type(engine.query(Order).key(by_fields), Query[Order])
    assert_type(engine.get(Order, customer="ada", id=3), Order)
    assert_type(Template("X#{id}"), Template)
