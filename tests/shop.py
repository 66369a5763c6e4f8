"""The shop of the transaction tests: an order is placed by writing it, taking one unit of
stock from its product, emptying the customer's cart and checking the customer is active."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic_bloop import (
    Base,
    BloopConfig,
    Engine,
    HashKey,
    MissingObjects,
    RangeKey,
    Version,
    col,
)

M = TypeVar("M", bound=Base)


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


class Wallet(Base):
    model_config = BloopConfig(table_name="wallets")
    owner: Annotated[str, HashKey()]
    balance: int = 0
    version: Annotated[int, Version()] = 0


class Customer(Base):
    model_config = BloopConfig(table_name="customers")
    name: Annotated[str, HashKey()]
    active: bool = True


SHOP = (Product, Order, Cart, Customer, Wallet)


Shop = tuple[Product, Cart, Customer]


def open_shop(engine: Engine) -> Shop:
    """Three lamps in stock, ann active, and a lamp in her cart: stored, and returned."""
    product = Product(sku="p1", stock=3, price=10)
    cart = Cart(customer="ann", skus=["p1"])
    customer = Customer(name="ann")
    engine.save(product, cart, customer)
    return product, cart, customer


def place_order(engine: Engine, shop: Shop, order: Order) -> None:
    """Write ``order``, take one unit of stock if there is any, empty the cart, and check the
    customer is active: one transaction."""
    product, cart, customer = shop
    with engine.transaction() as tx:
        tx.save(order)
        tx.update(product, col(Product.stock).add(-1), condition=col(Product.stock) >= 1)
        tx.delete(cart)
        tx.check(customer, col(Customer.active) == True)  # noqa: E712


def stored(engine: Engine, model: type[M], **key: object) -> M | None:
    """The stored object with this key (a consistent read), or None."""
    try:
        return engine.get(model, consistent=True, **key)
    except MissingObjects:
        return None
