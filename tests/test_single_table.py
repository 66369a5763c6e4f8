"""Single-table design: Customer, Order, OrderLine and Product in ONE table with two generic
global indexes. Every per-model read returns only its own items; a collection query returns a
customer and their orders as objects of the right classes; 1,000 mixed items page with tokens
without loss or duplicates; a polymorphic base reads its subclasses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, ClassVar

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    Collection,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    InvalidQuery,
    MissingObjects,
    RangeKey,
    col,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class Shop(Base):
    """No keys: the table options every entity of the shop shares."""

    model_config = BloopConfig(table_name="shop")


class Customer(Shop):
    model_config = BloopConfig(entity="C")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = "#PROFILE"
    name: str
    email: Annotated[str, DynamoName("GSI2PK")]
    since: Annotated[datetime, DynamoName("GSI2SK")] = T0
    by_email: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="email", range_key="since", name="gsi2", projection="all"
    )


class Order(Shop):
    model_config = BloopConfig(entity="O")
    pk: Annotated[str, HashKey(), DynamoName("PK")]  # the customer's partition
    sk: Annotated[str, RangeKey(), DynamoName("SK")]  # "ORDER#<id>"
    status: Annotated[str, DynamoName("GSI1PK")]
    placed: Annotated[datetime, DynamoName("GSI1SK")]
    total: int
    by_status: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="status", range_key="placed", name="gsi1", projection="all"
    )


class OrderLine(Shop):
    model_config = BloopConfig(entity="L")
    pk: Annotated[str, HashKey(), DynamoName("PK")]  # "ORDER#<id>"
    sk: Annotated[str, RangeKey(), DynamoName("SK")]  # "LINE#<n>"
    product: Annotated[str, DynamoName("GSI2PK")]
    added: Annotated[datetime, DynamoName("GSI2SK")]
    quantity: int = 1
    by_product: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="product", range_key="added", name="gsi2", projection="all"
    )


class Product(Shop):
    model_config = BloopConfig(entity="P")
    pk: Annotated[str, HashKey(), DynamoName("PK")]
    sk: Annotated[str, RangeKey(), DynamoName("SK")] = "#PRODUCT"
    category: Annotated[str, DynamoName("GSI1PK")]
    listed: Annotated[datetime, DynamoName("GSI1SK")]
    price: int
    by_category: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="category", range_key="listed", name="gsi1", projection="all"
    )


class Book(Product):
    """Polymorphism: stored in the shop table with its own tag ("Book", its class name)."""

    author: str


class Game(Product):
    model_config = BloopConfig(entity="G")
    players: int = 2


def shop(n_customers: int = 5) -> list[Shop]:
    objs: list[Shop] = []
    for c in range(n_customers):
        cid = f"CUSTOMER#{c}"
        # every customer is in the "open" status partition's neighbour: same GSI1PK as orders
        objs.append(Customer(pk=cid, name=f"c{c}", email=f"c{c}@x"))
        for o in range(3):
            oid = f"{c}-{o}"
            status = "open" if o % 2 else "shipped"
            placed = T0 + timedelta(days=c * 3 + o)
            objs.append(Order(pk=cid, sk=f"ORDER#{oid}", status=status, placed=placed, total=o))
            for line in range(2):
                objs.append(
                    OrderLine(
                        pk=f"ORDER#{oid}",
                        sk=f"LINE#{line}",
                        product=f"PRODUCT#{line}",
                        added=placed,
                        quantity=line + 1,
                    )
                )
    for p in range(4):
        objs.append(
            Product(pk=f"PRODUCT#{p}", category="open", listed=T0 + timedelta(days=p), price=p)
        )
    objs.append(Book(pk="PRODUCT#b", category="books", listed=T0, price=9, author="Austen"))
    objs.append(Game(pk="PRODUCT#g", category="games", listed=T0, price=30, players=4))
    return objs


OBJS = shop()


def of(kind: type[Shop]) -> list[Shop]:
    return [o for o in OBJS if type(o) is kind]


@pytest.fixture
def engine(make_engine: MakeEngine, request_log: RequestLog) -> Engine:
    e = make_engine()
    e.bind(Shop)
    e.save(*shop())  # fresh objects: saved ones remember what they wrote
    request_log.clear()
    return e


def test_one_table_two_generic_indexes(
    engine: Engine, client: DynamoDBClient, table_prefix: str
) -> None:
    described = client.describe_table(TableName=f"{table_prefix}shop")["Table"]
    indexes = {
        i.get("IndexName"): [k["AttributeName"] for k in i.get("KeySchema", [])]
        for i in described.get("GlobalSecondaryIndexes", [])
    }
    assert indexes == {"gsi1": ["GSI1PK", "GSI1SK"], "gsi2": ["GSI2PK", "GSI2SK"]}
    # every item carries its entity's tag in "_et"
    items = client.scan(TableName=f"{table_prefix}shop").get("Items", [])
    tags = sorted(item["_et"].get("S", "") for item in items)
    expected = {"C": 5, "O": 15, "L": 30, "P": 4, "Book": 1, "G": 1}
    assert {t: tags.count(t) for t in set(tags)} == expected


@pytest.mark.parametrize("model", [Customer, Order, OrderLine])
def test_every_scan_returns_only_its_own_items(engine: Engine, model: type[Shop]) -> None:
    found = engine.scan(model).all()
    assert sorted(found, key=repr) == sorted(of(model), key=repr)
    assert engine.scan(model).count() == len(of(model))


def test_a_base_entity_reads_its_subclasses(engine: Engine) -> None:
    found = engine.scan(Product).all()
    assert sorted(found, key=repr) == sorted(
        [*of(Product), *of(Book), *of(Game)], key=repr
    )  # Book and Game objects, not Products
    assert {type(p) for p in found} == {Product, Book, Game}
    assert engine.scan(Book).all() == of(Book)
    book = engine.get(Product, pk="PRODUCT#b", sk="#PRODUCT")
    assert isinstance(book, Book)
    assert book.author == "Austen"
    game = engine.query(Product.by_category).key(col(Product.category) == "games").one()
    assert isinstance(game, Game)
    assert game.players == 4


def test_per_model_index_queries_return_only_their_model(engine: Engine) -> None:
    # orders and products share gsi1 and the GSI1PK value "open"
    orders = engine.query(Order.by_status).key(col(Order.status) == "open").all()
    assert orders == sorted(
        (o for o in of(Order) if isinstance(o, Order) and o.status == "open"),
        key=lambda o: o.placed,
    )
    products = engine.query(Product.by_category).key(col(Product.category) == "open").all()
    assert products == of(Product)
    lines = engine.query(OrderLine.by_product).key(col(OrderLine.product) == "PRODUCT#1").all()
    assert len(lines) == 15
    assert all(isinstance(line, OrderLine) for line in lines)


def test_a_collection_query_returns_the_customer_and_their_orders(
    engine: Engine, request_log: RequestLog
) -> None:
    found = engine.query(Collection(Customer, Order)).key(col(Customer.pk) == "CUSTOMER#2").all()

    customers = [o for o in found if isinstance(o, Customer)]
    orders = [o for o in found if isinstance(o, Order)]
    assert customers == [
        o for o in of(Customer) if isinstance(o, Customer) and o.pk == "CUSTOMER#2"
    ]
    assert orders == [o for o in of(Order) if isinstance(o, Order) and o.pk == "CUSTOMER#2"]
    assert len(found) == 4
    (query,) = request_log.of("Query")
    assert query["FilterExpression"] == "#n1 IN (:v1, :v2)"
    assert query["ExpressionAttributeValues"][":v1"] == {"S": "C"}


def test_get_and_load_never_read_another_entitys_item(engine: Engine) -> None:
    # an Order keyed where a Customer is stored: absent, not a validation error
    with pytest.raises(MissingObjects):
        engine.get(Order, pk="CUSTOMER#1", sk="#PROFILE")
    assert engine.get_or_none(Order, pk="CUSTOMER#1", sk="#PROFILE") is None
    stray = Order(pk="CUSTOMER#1", sk="#PROFILE", status="x", placed=T0, total=0)
    with pytest.raises(MissingObjects):
        engine.load(stray)
    customer = Customer(pk="CUSTOMER#1", name="?", email="?")
    engine.load(customer)
    assert customer.name == "c1"


def test_an_update_save_writes_the_tag(engine: Engine, client: DynamoDBClient) -> None:
    engine.save(Order(pk="CUSTOMER#9", sk="ORDER#new", status="open", placed=T0, total=1))
    assert engine.get(Order, pk="CUSTOMER#9", sk="ORDER#new").total == 1
    assert engine.scan(Order).count() == len(of(Order)) + 1


def test_a_thousand_mixed_items_page_without_loss_or_duplicates(
    client: DynamoDBClient, table_prefix: str
) -> None:
    # the sync engine only: paging is the same pure cursor on both, and this test is heavy
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Shop)
    objs = shop(n_customers=100)[:1000]
    assert len(objs) == 1000
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*objs)
    for model in (Customer, Order, OrderLine):
        query = engine.scan(model).page_size(150)
        seen: list[Shop] = []
        token: str | None = ""
        while token is not None:
            page = query.resume(token or None).page(60)
            seen.extend(page.items)
            token = page.token
        expected = [o for o in objs if type(o) is model]
        assert len(seen) == len(expected)
        assert sorted(seen, key=repr) == sorted(expected, key=repr)
    everything = engine.query(Collection(Customer, Order)).key(col(Customer.pk) == "CUSTOMER#7")
    pages: list[Shop] = []
    token = ""
    while token is not None:
        one = everything.resume(token or None).page(1)
        pages.extend(one.items)
        token = one.token
    assert [type(o).__name__ for o in pages] == ["Customer", "Order", "Order", "Order"]


def test_entity_definitions_are_checked() -> None:
    with pytest.raises(InvalidModel, match="entity must be a non-empty str"):

        class Empty(Shop):  # pyright: ignore[reportUnusedClass]
            model_config = BloopConfig(entity="")
            pk: Annotated[str, HashKey()]

    with pytest.raises(InvalidModel, match="which is the discriminator attribute"):

        class Clash(Shop):  # pyright: ignore[reportUnusedClass]
            model_config = BloopConfig(entity="X")
            pk: Annotated[str, HashKey()]
            kind: Annotated[str, DynamoName("_et")]


def test_a_collection_needs_entities_of_one_table() -> None:
    class Plain(Base):
        model_config = BloopConfig(table_name="shop")
        pk: Annotated[str, HashKey(), DynamoName("PK")]

    with pytest.raises(InvalidQuery, match="Plain: every model of a collection needs an entity"):
        Collection(Customer, Plain)
