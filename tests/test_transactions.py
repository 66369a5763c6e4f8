"""Transactions against the server: one TransactWriteItems when the block ends, all or nothing,
failures that name the object and its stored item, limits refused before sending, snapshots
changed only after the commit. Both engines, against moto (dynalite has no transactions)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

import pytest

from pydantic_bloop import (
    Backoff,
    Engine,
    InvalidTransaction,
    InvalidUpdate,
    InvalidValue,
    TransactionCanceled,
    UnboundModel,
    UnloadedField,
    col,
)
from pydantic_bloop.transactions import Transaction
from tests.engines import MakeEngine
from tests.shop import (
    SHOP,
    Cart,
    Customer,
    Order,
    Product,
    Shop,
    Wallet,
    open_shop,
    place_order,
    stored,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

    from tests.conftest import RequestLog

pytestmark = pytest.mark.dynalite_unsupported("no transactions in dynalite")


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.002, attempts=3))
    engine.bind(*SHOP)
    return engine


@pytest.fixture
def shop(engine: Engine) -> Shop:
    return open_shop(engine)


def test_the_order_commits_as_one_request(
    engine: Engine, shop: Shop, request_log: RequestLog
) -> None:
    order = Order(customer="ann", id=1, sku="p1")
    request_log.clear()

    place_order(engine, shop, order)

    assert request_log.operations == ["TransactWriteItems"]
    (sent,) = request_log.of("TransactWriteItems")
    kinds = [next(iter(entry)) for entry in sent["TransactItems"]]
    assert kinds == ["Update", "Update", "Delete", "ConditionCheck"]
    assert len(sent["ClientRequestToken"]) == 36  # a new uuid for every transaction
    assert stored(engine, Order, customer="ann", id=1) == order
    assert engine.get(Product, consistent=True, sku="p1").stock == 2
    assert stored(engine, Cart, customer="ann") is None
    # every object remembers what it wrote: saving them again sends nothing
    request_log.clear()
    engine.save(order, shop[0])
    assert request_log.operations == []
    # a transaction returns no item: only DynamoDB knows the stock the action left
    with pytest.raises(UnloadedField, match="stock"):
        _ = shop[0].stock


def test_a_failed_stock_condition_writes_nothing_and_names_the_product(
    engine: Engine, shop: Shop, request_log: RequestLog
) -> None:
    product, cart, customer = shop
    engine.save(Product(sku="p1", stock=0, price=10))  # sold out meanwhile
    order = Order(customer="ann", id=1, sku="p1")
    request_log.clear()

    with pytest.raises(TransactionCanceled) as caught:
        place_order(engine, shop, order)

    assert request_log.operations == ["TransactWriteItems"]
    reasons = caught.value.reasons
    assert [(r.obj, r.code) for r in reasons] == [
        (order, None),
        (product, "ConditionalCheckFailed"),
        (cart, None),
        (customer, None),
    ]
    assert reasons[1].item == {"sku": {"S": "p1"}, "stock": {"N": "0"}, "price": {"N": "10"}}
    message = str(caught.value)
    assert "1 of 4 items failed" in message
    assert (
        "update Product(sku='p1'): ConditionalCheckFailed (condition: Product.stock >= 1)"
        in message
    )
    # nothing was written, and no object claims it was
    assert stored(engine, Order, customer="ann", id=1) is None
    assert engine.get(Product, consistent=True, sku="p1").stock == 0
    assert stored(engine, Cart, customer="ann") == Cart(customer="ann", skus=["p1"])
    request_log.clear()
    engine.save(order)  # still new: every field is sent
    assert request_log.operations == ["UpdateItem"]


def test_a_failed_check_cancels_the_transaction(engine: Engine, shop: Shop) -> None:
    engine.save(Customer(name="ann", active=False))

    with pytest.raises(TransactionCanceled) as caught:
        place_order(engine, shop, Order(customer="ann", id=1, sku="p1"))

    assert [r.code for r in caught.value.reasons] == [None, None, None, "ConditionalCheckFailed"]
    assert (
        "check Customer(name='ann'): ConditionalCheckFailed (condition: Customer.active == True)"
        in str(caught.value)
    )
    assert engine.get(Product, consistent=True, sku="p1").stock == 3


def test_one_failed_item_is_transaction_canceled_too(engine: Engine, shop: Shop) -> None:
    product = shop[0]
    product.stock = 100

    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(product, condition=col(Product.price) > 10)

    (reason,) = caught.value.reasons
    assert (reason.obj, reason.code) == (product, "ConditionalCheckFailed")
    assert engine.get(Product, consistent=True, sku="p1").stock == 3


def test_nothing_is_sent_when_the_block_raises(
    engine: Engine, shop: Shop, request_log: RequestLog
) -> None:
    product, cart, _ = shop
    request_log.clear()

    with pytest.raises(RuntimeError, match="changed my mind"), engine.transaction() as tx:
        tx.delete(cart)
        product.stock = 0
        tx.save(product)
        raise RuntimeError("changed my mind")

    assert request_log.operations == []
    engine.save(product)  # the snapshot is still the one of before the block
    assert request_log.of("UpdateItem")[0]["ExpressionAttributeValues"] == {":v0": {"N": "0"}}


def test_persist_and_atomic_modes_apply_as_in_single_saves(
    engine: Engine, shop: Shop, request_log: RequestLog
) -> None:
    product, cart, _ = shop
    product.price = 12
    request_log.clear()

    with engine.context(persist="overwrite", atomic=True) as e, e.transaction() as tx:
        tx.save(product)
        tx.delete(cart)

    put, delete = request_log.of("TransactWriteItems")[0]["TransactItems"]
    assert put["Put"]["Item"] == {"sku": {"S": "p1"}, "stock": {"N": "3"}, "price": {"N": "12"}}
    assert "ConditionExpression" in put["Put"]  # the stored item is what was last seen
    assert "ConditionExpression" in delete["Delete"]
    assert engine.get(Product, consistent=True, sku="p1").price == 12


def test_an_atomic_transaction_on_a_stale_object_is_canceled(engine: Engine, shop: Shop) -> None:
    product = shop[0]
    engine.save(Product(sku="p1", stock=1, price=10))  # someone else sold two meanwhile
    product.price = 9

    with (
        pytest.raises(TransactionCanceled) as caught,
        engine.context(atomic=True) as e,
        e.transaction() as tx,
    ):
        tx.save(product)

    assert caught.value.reasons[0].item == {
        "sku": {"S": "p1"},
        "stock": {"N": "1"},
        "price": {"N": "10"},
    }
    assert engine.get(Product, consistent=True, sku="p1").price == 10


def refused(
    engine: Engine,
    request_log: RequestLog,
    record: Callable[[Transaction], object],
    error: type[Exception],
    match: str,
) -> None:
    request_log.clear()
    with pytest.raises(error, match=match), engine.transaction() as tx:
        record(tx)
    assert request_log.operations == []


def test_limits_are_refused_before_sending(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Product, Cart)
    products = [Product(sku=f"p{i}") for i in range(101)]
    big = ["x" * 1000] * 390  # about 390 KB

    refused(
        engine,
        request_log,
        lambda tx: tx.save(*products),
        InvalidTransaction,
        r"save Product\(sku='p100'\): a transaction holds at most 100 items",
    )

    def twice(tx: Transaction) -> None:
        tx.save(Product(sku="p1"))
        tx.delete(Product(sku="p1"))

    refused(
        engine,
        request_log,
        twice,
        InvalidTransaction,
        r"delete Product\(sku='p1'\): the transaction already holds this item",
    )
    refused(
        engine,
        request_log,
        lambda tx: tx.save(Cart(customer="big", skus=[*big, *big])),
        InvalidValue,
        r"Cart\(customer='big'\) is about .* bytes",
    )
    refused(
        engine,
        request_log,
        lambda tx: tx.save(*(Cart(customer=f"c{i}", skus=big) for i in range(11))),
        InvalidTransaction,
        r"save Cart\(customer='c10'\): the transaction would be about .* at most 4 MB",
    )
    refused(
        engine,
        request_log,
        lambda tx: tx.check(Customer(name="ann"), col(Customer.active) == True),  # noqa: E712
        UnboundModel,
        "Customer is not bound",
    )
    with (
        pytest.raises(InvalidTransaction, match="1 to 36 characters"),
        engine.transaction(client_request_token="x" * 37),
    ):
        pass
    assert request_log.operations == []


def test_the_callers_token_is_sent(engine: Engine, shop: Shop, request_log: RequestLog) -> None:
    product = shop[0]
    product.price = 11

    token = f"order-{uuid4().hex[:12]}"  # DynamoDB keeps a token 10 minutes: one per run
    with engine.transaction(client_request_token=token) as tx:
        tx.save(product)

    assert request_log.of("TransactWriteItems")[-1]["ClientRequestToken"] == token


def test_a_token_reused_for_another_transaction_is_refused(engine: Engine, shop: Shop) -> None:
    """DynamoDB keeps a token for 10 minutes: the same token on a different transaction is
    refused, and nothing of the second transaction is written."""
    product, cart, _ = shop
    token = f"order-{uuid4().hex[:12]}"
    product.price = 11
    with engine.transaction(client_request_token=token) as tx:
        tx.save(product)
    cart.skus = []
    with (
        pytest.raises(InvalidTransaction, match=f"'{token}' was used .* for a different"),
        engine.transaction(client_request_token=token) as tx,
    ):
        tx.save(cart)
    assert engine.get(Cart, consistent=True, customer="ann").skus == ["p1"]


def test_an_empty_transaction_sends_nothing(
    engine: Engine, shop: Shop, request_log: RequestLog
) -> None:
    request_log.clear()
    with engine.transaction() as tx:
        tx.save(shop[0])  # unchanged since saved: nothing to write
    assert len(tx) == 0
    assert request_log.operations == []


def test_versions_are_checked_and_bumped_only_after_the_commit(
    engine: Engine, request_log: RequestLog
) -> None:
    mine = Wallet(owner="ann", balance=10)
    engine.save(mine)
    theirs = engine.get(Wallet, owner="ann")
    assert (mine.version, theirs.version) == (1, 1)
    theirs.balance = 0
    engine.save(theirs)  # version 2 is stored; mine is stale now

    mine.balance = 20
    with pytest.raises(TransactionCanceled) as caught, engine.transaction() as tx:
        tx.save(mine)
        tx.save(Wallet(owner="bob", balance=5))
    (failed,) = caught.value.failed
    assert (failed.obj, failed.code) == (mine, "ConditionalCheckFailed")
    assert failed.item is not None and failed.item["version"] == {"N": "2"}
    assert mine.version == 1  # no bump without a commit
    assert stored(engine, Wallet, owner="bob") is None
    assert engine.get(Wallet, consistent=True, owner="ann").balance == 0

    engine.load(mine)
    mine.balance = 20
    with engine.transaction() as tx:
        tx.save(mine)
    assert mine.version == 3
    assert engine.get(Wallet, consistent=True, owner="ann").version == 3


def test_an_update_refused_by_its_item_names_the_write_and_why(
    engine: Engine, client: DynamoDBClient, table_prefix: str
) -> None:
    """Adding to a stock another writer stored as a string: DynamoDB refuses the update, and the
    transaction says so as a single update would (moto answers with the single-write error; AWS
    with a ValidationError reason: see tests/test_transaction_plans.py)."""
    client.put_item(
        TableName=f"{table_prefix}products", Item={"sku": {"S": "odd"}, "stock": {"S": "n/a"}}
    )
    odd = Product.model_construct(sku="odd")  # an update by key: only the action is sent

    with pytest.raises(InvalidUpdate) as alone:
        engine.update(odd, col(Product.stock).add(-1))
    with pytest.raises(InvalidUpdate) as together, engine.transaction() as tx:
        tx.save(Product(sku="fine", price=1))
        tx.update(odd, col(Product.stock).add(-1))

    single = str(alone.value)
    assert single.startswith(
        "Product(sku='odd'): DynamoDB refused the update, nothing was written: "
    )
    why = single.split("nothing was written: ", 1)[1]
    assert why.endswith("it reads Product.stock")
    assert str(together.value) == (
        "Product(sku='odd') (tx.update): DynamoDB refused the update, nothing was written (the "
        f"transaction was canceled): {why}"
    )
    assert stored(engine, Product, sku="fine") is None


def test_a_write_is_built_where_it_is_recorded(engine: Engine, shop: Shop) -> None:
    """Without before-write handlers, each write is built at its tx.* line: a broken limit
    raises there, len(tx) counts what is recorded, and later changes to the object do not leak
    into a write already recorded (an item moved to a new key in one transaction)."""
    order = Order(customer="ann", id=1, sku="p1")
    engine.save(order)
    with engine.transaction() as tx:
        tx.delete(order)
        assert len(tx) == 1
        order.id = 2  # the same object, now the item at the new key
        tx.save(order)
        assert len(tx) == 2
        with pytest.raises(InvalidTransaction, match="already holds this item"):
            tx.save(Order(customer="ann", id=2, sku="p9"))
        assert len(tx) == 2
    assert stored(engine, Order, customer="ann", id=1) is None
    assert stored(engine, Order, customer="ann", id=2) == order


def test_a_write_with_before_handlers_is_built_as_the_block_ends(
    engine: Engine, shop: Shop
) -> None:
    """A kind with before-write handlers is built after them, at the commit (async handlers
    cannot run inside tx.save): it counts in len(tx) while it waits."""
    seen: list[int] = []
    engine.hooks.before_save(lambda event: seen.append(len(seen)))
    order = Order(customer="bob", id=1, sku="p1")
    with engine.transaction() as tx:
        tx.save(order)
        tx.delete(shop[1])  # no before_delete handler: built here
        assert len(tx) == 2
        assert seen == []
        order.note = "set after tx.save, before the commit"
    assert seen == [0]
    assert stored(engine, Order, customer="bob", id=1) == order
