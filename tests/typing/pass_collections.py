"""Single-table typing: a Collection query is a Query of the union of its models, iterating
objects narrowed by isinstance; multi-attribute index keys are ordinary key conditions."""

from datetime import date
from typing import Annotated, ClassVar, assert_type

from pydantic_bloop import (
    AsyncEngine,
    AsyncQuery,
    Base,
    BloopConfig,
    Collection,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    KeyCondition,
    Query,
    RangeKey,
    col,
)


class Customer(Base):
    model_config = BloopConfig(table_name="shop", entity="C")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = "#PROFILE"
    name: str


class Order(Base):
    model_config = BloopConfig(table_name="shop", entity="O")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    sk: Annotated[str, RangeKey(), DynamoName("SK")]
    total: int


class Line(Base):
    model_config = BloopConfig(table_name="shop", entity="L")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    sk: Annotated[str, RangeKey(), DynamoName("SK")]
    quantity: int


class Sale(Base):
    id: Annotated[str, HashKey()]
    tenant: str
    region: str
    day: date
    amount: int
    by_place: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key=("tenant", "region"), range_key=("day", "amount")
    )


def collections(engine: Engine, aengine: AsyncEngine) -> None:
    orders = Collection(Customer, Order)
    assert_type(orders, Collection[Customer | Order])
    q = engine.query(orders).key(col(Customer.pk) == "CUSTOMER#1")
    assert_type(q, Query[Customer | Order])
    for obj in q:
        assert_type(obj, Customer | Order)
        if isinstance(obj, Order):
            assert_type(obj.total, int)
        else:
            assert_type(obj.name, str)
    three = engine.scan(Collection(Customer, Order, Line))
    assert_type(three, Query[Customer | Order | Line])
    assert_type(three.first(), Customer | Order | Line)
    assert_type(aengine.query(orders), AsyncQuery[Customer | Order])


def multi_attribute_keys(engine: Engine) -> None:
    key = (
        (col(Sale.tenant) == "t")
        & (col(Sale.region) == "eu")
        & (col(Sale.day) == date(2025, 11, 3))
        & (col(Sale.amount) >= 5)
    )
    assert_type(key, KeyCondition)
    assert_type(engine.query(Sale.by_place).key(key), Query[Sale])
