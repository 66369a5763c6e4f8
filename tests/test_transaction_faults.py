"""Transactions when things go wrong between client and server: a response lost after the
server committed (botocore resends the same request, with the same ClientRequestToken), other
transactions holding the items (TransactionConflict, retried with backoff and the same token),
and 20 buyers racing for the last unit. Both engines, against moto.

moto 5.2.5 ignores ClientRequestToken (a repeated token is applied again); the local server of
``pydantic_bloop.testing`` makes moto honour it as DynamoDB documents, so the tests that need
the server to recognise a retried token run there as they would on DynamoDB."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import AsyncEngine, Backoff, Engine, MissingObjects, TransactionCanceled, col
from tests.engines import EngineKind, EngineOverAsync, MakeEngine
from tests.faults import Conflicted, LostResponse
from tests.shop import SHOP, Cart, Order, Product, Shop, open_shop, place_order

pytestmark = pytest.mark.dynalite_unsupported("no transactions in dynalite")


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.002, attempts=3))
    engine.bind(*SHOP)
    return engine


@pytest.fixture
def shop(engine: Engine) -> Shop:
    return open_shop(engine)


def stock(engine: Engine, sku: str) -> int:
    return engine.get(Product, consistent=True, sku=sku).stock


def test_a_lost_response_is_sent_again_with_the_same_token(
    engine: Engine, shop: Shop, client: DynamoDBClient
) -> None:
    order = Order(customer="ann", id=1, sku="p1")

    with LostResponse(client, "TransactWriteItems") as fault:
        place_order(engine, shop, order)  # succeeds although the first answer was lost

    ((status, _answer),) = fault.lost
    assert status == 200  # the server committed the first attempt; the client never heard
    first, retry = fault.bodies
    assert retry == first  # the same items under the same ClientRequestToken
    assert len(first["ClientRequestToken"]) == 36
    assert engine.get(Order, consistent=True, customer="ann", id=1) == order
    with pytest.raises(MissingObjects):
        engine.get(Cart, customer="ann")


def test_a_lost_response_is_applied_once(
    engine: Engine, shop: Shop, client: DynamoDBClient
) -> None:
    """The order takes one unit with ``ADD stock -1``: applied twice, two units would be gone.
    DynamoDB recognises the retried token and answers with the first attempt's result; moto
    applies the retry again (3 units become 1)."""
    with LostResponse(client, "TransactWriteItems") as fault:
        place_order(engine, shop, Order(customer="ann", id=1, sku="p1"))

    assert len(fault.bodies) == 2
    assert stock(engine, "p1") == 2


def test_a_lost_response_of_an_atomic_transaction_is_not_a_false_failure(
    engine: Engine, shop: Shop, client: DynamoDBClient
) -> None:
    """Atomic conditions hold only once: a server that applied the retry again would cancel it
    (the items no longer are what the objects saw) although the order was placed."""
    with LostResponse(client, "TransactWriteItems"), engine.context(atomic=True) as e:
        place_order(e, shop, Order(customer="ann", id=1, sku="p1"))

    assert stock(engine, "p1") == 2


def test_a_conflict_is_retried_with_the_same_token(
    engine: Engine, shop: Shop, client: DynamoDBClient
) -> None:
    order = Order(customer="ann", id=1, sku="p1")

    with Conflicted(client, "TransactWriteItems", times=2) as fault:
        place_order(engine, shop, order)

    assert len(fault.bodies) == 3  # two canceled for a conflict, the third committed
    assert fault.bodies[0] == fault.bodies[1] == fault.bodies[2]
    assert stock(engine, "p1") == 2


def test_conflicts_past_the_backoff_are_transaction_canceled(
    engine: Engine, shop: Shop, client: DynamoDBClient
) -> None:
    with (
        Conflicted(client, "TransactWriteItems", times=10) as fault,
        pytest.raises(TransactionCanceled, match="still conflicting after 3 retries") as caught,
    ):
        place_order(engine, shop, Order(customer="ann", id=1, sku="p1"))

    assert len(fault.bodies) == 4
    assert caught.value.reasons[0].code == "TransactionConflict"
    assert stock(engine, "p1") == 3


def test_a_conflicting_transactional_load_is_retried(
    engine: Engine, shop: Shop, client: DynamoDBClient
) -> None:
    product = Product(sku="p1")

    with Conflicted(client, "TransactGetItems", times=1) as fault:
        engine.load(product, transaction=True)

    assert len(fault.bodies) == 2
    assert product.stock == 3


# -- 20 buyers, one unit -------------------------------------------------------------------------

BUYERS = 20
TAKE_ONE = col(Product.stock).add(-1)


def buy(engine: Engine, n: int) -> TransactionCanceled | None:
    """Buyer ``n`` takes the last unit if there still is one; None when they got it."""
    try:
        with engine.transaction() as tx:
            tx.save(Order(customer=f"buyer{n}", id=n, sku="last"))
            tx.update(Product(sku="last"), TAKE_ONE, condition=col(Product.stock) >= 1)
    except TransactionCanceled as canceled:
        return canceled
    return None


async def buy_async(engine: AsyncEngine, n: int) -> TransactionCanceled | None:
    try:
        async with engine.transaction() as tx:
            tx.save(Order(customer=f"buyer{n}", id=n, sku="last"))
            tx.update(Product(sku="last"), TAKE_ONE, condition=col(Product.stock) >= 1)
    except TransactionCanceled as canceled:
        return canceled
    return None


def test_twenty_buyers_of_the_last_unit(engine: Engine, engine_kind: EngineKind) -> None:
    engine.save(Product(sku="last", stock=1, price=5))

    if engine_kind == "sync":
        start = threading.Barrier(BUYERS)

        def run(n: int) -> TransactionCanceled | None:
            start.wait()
            return buy(engine, n)

        with ThreadPoolExecutor(BUYERS) as pool:
            outcomes = list(pool.map(run, range(BUYERS)))
    else:
        adapter = cast(EngineOverAsync, engine)

        async def race() -> list[TransactionCanceled | None]:
            return await asyncio.gather(
                *(buy_async(adapter.async_engine, n) for n in range(BUYERS))
            )

        outcomes = adapter.loop.run(race())

    winners = [n for n, outcome in enumerate(outcomes) if outcome is None]
    assert len(winners) == 1
    for outcome in outcomes:
        if outcome is not None:
            assert "Product(sku='last'): ConditionalCheckFailed" in str(outcome)
            assert [r.code for r in outcome.reasons] == [None, "ConditionalCheckFailed"]
    assert stock(engine, "last") == 0
    orders = [engine.get(Order, customer=f"buyer{n}", id=n) for n in winners]
    assert len(engine.scan(Order).all()) == len(orders) == 1
