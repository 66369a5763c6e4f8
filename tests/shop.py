"""The shop of the transaction tests: an order is placed by writing it, taking one unit of
stock from its product, emptying the customer's cart and checking the customer is active."""

from __future__ import annotations

from typing import Annotated

from pydantic_bloop import Base, BloopConfig, HashKey, RangeKey


class Product(Base):
    model_config = BloopConfig(table_name="products")
    sku: Annotated[str, HashKey()]
    stock: int = 0
    price: int = 0


class Order(Base):
    model_config = BloopConfig(table_name="orders")
    customer: Annotated[str, HashKey()]
    id: Annotated[int, RangeKey()]
    sku: str
    note: str | None = None


class Cart(Base):
    model_config = BloopConfig(table_name="carts")
    customer: Annotated[str, HashKey()]
    skus: list[str] = []


class Customer(Base):
    model_config = BloopConfig(table_name="customers")
    name: Annotated[str, HashKey()]
    active: bool = True


SHOP = (Product, Order, Cart, Customer)
