"""``engine.load(*objs, transaction=True)``: one TransactGetItems, a consistent view of every
item, refreshed in place; the same ``MissingObjects`` as ``load``; refused before sending when
it cannot be one transaction. Both engines, against moto (dynalite has no transactions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pydantic_bloop import Engine, InvalidTransaction, MissingObjects, UnboundModel
from tests.engines import MakeEngine
from tests.shop import SHOP, Cart, Customer, Order, Product

if TYPE_CHECKING:
    from tests.conftest import RequestLog

pytestmark = pytest.mark.dynalite_unsupported("no transactions in dynalite")


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(*SHOP)
    return engine


def test_refreshes_objects_of_several_tables_in_one_request(
    engine: Engine, request_log: RequestLog
) -> None:
    engine.save(Product(sku="p1", stock=3, price=10), Customer(name="ann"))
    engine.save(Order(customer="ann", id=1, sku="p1", note="gift"))
    product = Product(sku="p1")
    order = Order(customer="ann", id=1, sku="?")
    customer = Customer(name="ann", active=False)
    request_log.clear()

    engine.load(product, order, customer, transaction=True)

    assert request_log.operations == ["TransactGetItems"]
    gets = [entry["Get"] for entry in request_log.of("TransactGetItems")[0]["TransactItems"]]
    assert [g["TableName"].split("-", 1)[1] for g in gets] == ["products", "orders", "customers"]
    assert (product.stock, product.price) == (3, 10)
    assert (order.sku, order.note) == ("p1", "gift")
    assert customer.active is True
    # loaded objects are tracked: an unchanged save sends nothing
    request_log.clear()
    engine.save(product, order, customer)
    assert request_log.operations == []


def test_missing_objects_are_named_and_found_ones_refreshed(
    engine: Engine, request_log: RequestLog
) -> None:
    engine.save(Product(sku="p1", stock=2))
    found, absent = Product(sku="p1"), Cart(customer="nobody")
    request_log.clear()

    with pytest.raises(MissingObjects) as caught:
        engine.load(found, absent, transaction=True)

    assert caught.value.objects == [absent]
    assert "Cart(customer='nobody')" in str(caught.value)
    assert found.stock == 2
    assert request_log.operations == ["TransactGetItems"]


def test_the_same_item_is_read_once(engine: Engine, request_log: RequestLog) -> None:
    engine.save(Product(sku="p1", stock=5))
    a, b = Product(sku="p1"), Product(sku="p1")
    request_log.clear()

    engine.load(a, b, a, transaction=True)

    (sent,) = request_log.of("TransactGetItems")
    assert len(sent["TransactItems"]) == 1
    assert a.stock == b.stock == 5


def test_more_than_100_items_are_refused_before_sending(
    engine: Engine, request_log: RequestLog, backend: str
) -> None:
    products = [Product(sku=f"p{i}", stock=i) for i in range(101)]
    engine.save(*products)
    request_log.clear()

    with pytest.raises(InvalidTransaction, match=r"101 items.*at most 100"):
        engine.load(*products, transaction=True)
    assert request_log.operations == []

    # up to the limit it is one request (moto 5.2 still has DynamoDB's limit before 2022: 25)
    most = 25 if backend == "moto" else 100
    engine.load(*products[:most], transaction=True)
    assert request_log.operations == ["TransactGetItems"]


def test_an_unbound_model_is_refused_before_sending(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Product)
    request_log.clear()

    with pytest.raises(UnboundModel, match="Customer"):
        engine.load(Product(sku="p1"), Customer(name="ann"), transaction=True)

    assert request_log.operations == []
