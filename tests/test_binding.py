"""Binding models to tables on the local server: creation, validation, waits, TTL and streams.

Every check reads the server's own description of the table (``describe_table`` through the raw
client) or the requests the engine sent (``request_log``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from uuid import uuid4

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsEpoch,
    Backoff,
    Base,
    BloopConfig,
    BloopError,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    LocalIndex,
    MissingObjects,
    RangeKey,
    TableMismatch,
    TableNotActive,
    UnboundModel,
    col,
)
from pydantic_bloop import tables as tables_module
from pydantic_bloop.models import model_info
from pydantic_bloop.plans import Call, Sleep
from tests.contract import Post, User

if TYPE_CHECKING:
    from tests.conftest import RequestLog

FAST = Backoff(base=0.001, cap=0.01)


def make_engine(client: DynamoDBClient, table_prefix: str, **options: Any) -> Engine:
    return Engine(
        client=client, table_name_template=table_prefix + "{table_name}", backoff=FAST, **options
    )


def describe(client: DynamoDBClient, name: str) -> dict[str, Any]:
    table: dict[str, Any] = dict(client.describe_table(TableName=name)["Table"])
    return table


def key_schema(description: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in description["KeySchema"]]


def indexes(description: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found: list[dict[str, Any]] = description.get(kind) or []
    return {i["IndexName"]: i for i in found}


def projection(index: dict[str, Any]) -> tuple[str, list[str]]:
    found = index["Projection"]
    return found["ProjectionType"], sorted(found.get("NonKeyAttributes", []))


def billing_mode(description: dict[str, Any]) -> str:
    summary: dict[str, Any] = description.get("BillingModeSummary") or {}
    mode: str = summary.get("BillingMode", "PROVISIONED")
    return mode


# -- the contract's models -----------------------------------------------------------------------


def test_contract_models_bind_on_a_fresh_server(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine(client, table_prefix)
    engine.bind(User, Post)

    creates = request_log.of("CreateTable")
    assert sorted(c["TableName"] for c in creates) == [
        table_prefix + "User",
        table_prefix + "posts",
    ]

    post = describe(client, table_prefix + "posts")
    assert post["TableStatus"] == "ACTIVE"
    assert key_schema(post) == [("forum", "HASH"), ("id", "RANGE")]
    attributes = {a["AttributeName"]: a["AttributeType"] for a in post["AttributeDefinitions"]}
    # "u" is the stored name of Post.user; only key attributes are defined
    assert attributes == {"forum": "S", "id": "S", "u": "S", "date": "S", "views": "N"}
    assert billing_mode(post) == "PAY_PER_REQUEST"

    gsis = indexes(post, "GlobalSecondaryIndexes")
    assert set(gsis) == {"by_user"}
    assert key_schema(gsis["by_user"]) == [("u", "HASH"), ("date", "RANGE")]
    assert projection(gsis["by_user"]) == ("ALL", [])
    lsis = indexes(post, "LocalSecondaryIndexes")
    assert set(lsis) == {"by_views"}
    assert key_schema(lsis["by_views"]) == [("forum", "HASH"), ("views", "RANGE")]
    assert projection(lsis["by_views"]) == ("INCLUDE", ["content"])

    user = describe(client, table_prefix + "User")
    assert key_schema(user) == [("id", "HASH")]
    assert {a["AttributeName"]: a["AttributeType"] for a in user["AttributeDefinitions"]} == {
        "id": "S",
        "email": "S",
    }
    by_email = indexes(user, "GlobalSecondaryIndexes")["by_email"]
    assert key_schema(by_email) == [("email", "HASH")]
    assert projection(by_email) == ("KEYS_ONLY", [])
    assert billing_mode(user) == "PAY_PER_REQUEST"
    assert indexes(user, "LocalSecondaryIndexes") == {}

    # bound: usable at once
    uid = uuid4()
    engine.save(User(id=uid, email="a@example.com"))
    assert engine.get(User, id=uid, consistent=True).email == "a@example.com"


def test_binding_twice_is_cheap(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine(client, table_prefix)
    engine.bind(User, Post)
    request_log.clear()

    engine.bind(User, Post)
    engine.bind(Post)
    assert request_log.operations == []

    # another engine knows nothing yet: it describes the tables, and creates nothing
    make_engine(client, table_prefix).bind(User, Post)
    assert sorted(request_log.operations) == ["DescribeTable", "DescribeTable"]
    assert sorted(r["TableName"] for r in request_log.of("DescribeTable")) == [
        table_prefix + "User",
        table_prefix + "posts",
    ]


def test_bind_a_base_binds_every_table_model_below_it(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    class Tenant(Base):  # an abstract base: no key, no table
        tenant: str = "t"

    class Invoice(Tenant):
        number: Annotated[int, HashKey()]

    class Audited(Tenant):  # abstract again, one level down
        audited_by: str = ""

    class Order(Audited):
        id: Annotated[str, HashKey()]
        by_tenant: ClassVar[GlobalIndex] = GlobalIndex(hash_key="tenant")

    class RushOrder(Order):  # a table model below a table model: its own table
        priority: int = 1

    engine = make_engine(client, table_prefix)
    engine.bind(Tenant)

    created = sorted(
        c["TableName"].removeprefix(table_prefix) for c in request_log.of("CreateTable")
    )
    assert created == ["Invoice", "Order", "RushOrder"]
    rush = describe(client, table_prefix + "RushOrder")
    assert set(indexes(rush, "GlobalSecondaryIndexes")) == {"by_tenant"}

    request_log.clear()
    engine.bind(Invoice, Order, RushOrder)
    assert request_log.operations == []
    engine.save(RushOrder(id="r1"), Invoice(number=7))
    assert engine.get(RushOrder, id="r1", consistent=True).priority == 1


def test_bind_takes_model_classes_only(client: DynamoDBClient, request_log: RequestLog) -> None:
    engine = Engine(client=client)
    with pytest.raises(InvalidModel, match="model classes"):
        engine.bind(User(id=uuid4(), email="x"))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert request_log.operations == []


# -- existing tables that do not match -----------------------------------------------------------


class Ledger(Base):
    model_config = BloopConfig(table_name="ledger")
    account: Annotated[str, HashKey()]
    seq: Annotated[int, RangeKey()]
    kind: str = ""
    amount: int = 0
    note: str = ""
    by_kind: ClassVar[GlobalIndex] = GlobalIndex(hash_key="kind", range_key="seq", projection="all")
    by_amount: ClassVar[GlobalIndex] = GlobalIndex(hash_key="amount", projection=["note"])
    by_note: ClassVar[LocalIndex] = LocalIndex(range_key="note")


def create_by_hand(client: DynamoDBClient, name: str, **params: Any) -> None:
    client.create_table(TableName=name, **params)
    for _ in range(500):
        if describe(client, name)["TableStatus"] == "ACTIVE":
            return
        # dynalite answers CREATING briefly even with --createTableMs 0
        time.sleep(0.01)
    raise AssertionError(f"{name} never became ACTIVE")


def test_table_mismatch_lists_every_difference(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    name = table_prefix + "ledger"
    create_by_hand(
        client,
        name,
        KeySchema=[
            {"AttributeName": "account", "KeyType": "HASH"},
            {"AttributeName": "when", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "account", "AttributeType": "S"},
            {"AttributeName": "when", "AttributeType": "S"},
            {"AttributeName": "amount", "AttributeType": "S"},
            {"AttributeName": "other", "AttributeType": "S"},
        ],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[
            {  # the right key name, the wrong key type and projection
                "IndexName": "by_amount",
                "KeySchema": [{"AttributeName": "amount", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            },
            {  # an index the model does not know: fine, someone else may use it
                "IndexName": "by_other",
                "KeySchema": [{"AttributeName": "other", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            },
        ],
    )
    request_log.clear()
    engine = make_engine(client, table_prefix)

    with pytest.raises(TableMismatch) as caught:
        engine.bind(Ledger)

    assert isinstance(caught.value, BloopError)
    assert caught.value.table_name == name
    assert caught.value.differences == [
        "table key schema: expected account (HASH), seq (RANGE), "
        "found account (HASH), when (RANGE)",
        "billing mode: expected PAY_PER_REQUEST, found PROVISIONED",
        "global index 'by_kind' is missing",
        "global index 'by_amount' key 'amount': expected type N, found S",
        "global index 'by_amount' projection: expected INCLUDE ['note'], found KEYS_ONLY",
        "local index 'by_note' is missing",
    ]
    for difference in caught.value.differences:
        assert difference in str(caught.value)
    # nothing was changed, and the model stays unbound
    assert request_log.operations == ["DescribeTable"]
    with pytest.raises(UnboundModel):
        engine.get(Ledger, account="a", seq=1)


def test_table_mismatch_in_key_types(client: DynamoDBClient, table_prefix: str) -> None:
    create_by_hand(
        client,
        table_prefix + "ledger",
        KeySchema=[
            {"AttributeName": "account", "KeyType": "HASH"},
            {"AttributeName": "seq", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "account", "AttributeType": "B"},
            {"AttributeName": "seq", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
            {"AttributeName": "amount", "AttributeType": "N"},
            {"AttributeName": "note", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_kind",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "seq", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_amount",
                "KeySchema": [{"AttributeName": "amount", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]},
            },
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_note",
                "KeySchema": [
                    {"AttributeName": "account", "KeyType": "HASH"},
                    {"AttributeName": "note", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with pytest.raises(TableMismatch) as caught:
        make_engine(client, table_prefix).bind(Ledger)
    assert caught.value.differences == [
        "table key 'account': expected type S, found B",
        "table key 'seq': expected type N, found S",
        "global index 'by_kind' key 'seq': expected type N, found S",
        "local index 'by_note' key 'account': expected type S, found B",
        "local index 'by_note' projection: expected KEYS_ONLY, found ALL",
    ]


def test_a_matching_table_made_elsewhere_is_accepted(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    create_by_hand(client, table_prefix + "ledger", **model_create_params(Ledger, table_prefix))
    request_log.clear()
    engine = make_engine(client, table_prefix)
    engine.bind(Ledger)
    assert request_log.operations == ["DescribeTable"]


def model_create_params(model: type[Base], table_prefix: str) -> dict[str, Any]:
    """What the library would create, minus the name (to create it "by hand" elsewhere)."""
    info = model_info(model)
    assert info.table is not None
    params = tables_module.create_request([info], table_prefix + info.table.name)
    del params["TableName"]
    return params


# -- table options -------------------------------------------------------------------------------


class Metered(Base):
    model_config = BloopConfig(
        table_name="metered", billing="provisioned", read_units=3, write_units=2
    )
    id: Annotated[str, HashKey()]
    group: str = ""
    flag: str = ""
    by_group: ClassVar[GlobalIndex] = GlobalIndex(hash_key="group")
    by_flag: ClassVar[GlobalIndex] = GlobalIndex(hash_key="flag", read_units=5, write_units=4)


def test_provisioned_billing(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    make_engine(client, table_prefix).bind(Metered)

    (create,) = request_log.of("CreateTable")
    assert create["BillingMode"] == "PROVISIONED"
    table = describe(client, table_prefix + "metered")
    assert billing_mode(table) == "PROVISIONED"
    throughput = table["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (3, 2)
    gsis = indexes(table, "GlobalSecondaryIndexes")
    units = {
        name: (
            index["ProvisionedThroughput"]["ReadCapacityUnits"],
            index["ProvisionedThroughput"]["WriteCapacityUnits"],
        )
        for name, index in gsis.items()
    }
    assert units == {"by_group": (3, 2), "by_flag": (5, 4)}  # the table's, unless the index's

    # an existing provisioned table matches; an on-demand model does not match it
    request_log.clear()
    make_engine(client, table_prefix).bind(Metered)
    assert request_log.operations == ["DescribeTable"]

    class OnDemand(Base):
        model_config = BloopConfig(table_name="metered")
        id: Annotated[str, HashKey()]

    with pytest.raises(TableMismatch) as caught:
        make_engine(client, table_prefix).bind(OnDemand)
    assert caught.value.differences == ["billing mode: expected PAY_PER_REQUEST, found PROVISIONED"]


class Session(Base):
    model_config = BloopConfig(table_name="sessions", ttl="expires")
    id: Annotated[str, HashKey()]
    expires: Annotated[datetime, AsEpoch()]


def test_ttl_is_enabled(
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Callable[[str], None],
) -> None:
    skip_on_dynalite("dynalite has no TTL")
    make_engine(client, table_prefix).bind(Session)
    ttl = client.describe_time_to_live(TableName=table_prefix + "sessions")
    description = ttl["TimeToLiveDescription"]
    assert description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    assert description.get("AttributeName") == "expires"

    # already enabled: another engine only checks it
    request_log.clear()
    make_engine(client, table_prefix).bind(Session)
    assert request_log.operations == ["DescribeTable", "DescribeTimeToLive"]


def test_ttl_on_another_attribute_is_a_mismatch(
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Callable[[str], None],
) -> None:
    skip_on_dynalite("dynalite has no TTL")
    name = table_prefix + "sessions"
    create_by_hand(client, name, **model_create_params(Session, table_prefix))
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "gone_at"}
    )
    request_log.clear()
    with pytest.raises(TableMismatch) as caught:
        make_engine(client, table_prefix).bind(Session)
    assert caught.value.differences == ["ttl: expected attribute 'expires', found 'gone_at'"]
    assert "UpdateTimeToLive" not in request_log.operations


class Feed(Base):
    model_config = BloopConfig(table_name="feed", stream="new_image")
    id: Annotated[str, HashKey()]
    body: str = ""


def stream_of(client: DynamoDBClient, name: str) -> dict[str, Any]:
    found: dict[str, Any] = describe(client, name).get("StreamSpecification") or {}
    return found


def test_stream_is_declared_at_creation(
    client: DynamoDBClient, table_prefix: str, skip_on_dynalite: Callable[[str], None]
) -> None:
    skip_on_dynalite("dynalite has no streams")
    make_engine(client, table_prefix).bind(Feed)
    assert stream_of(client, table_prefix + "feed") == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_IMAGE",
    }


def test_stream_is_switched_on_for_an_existing_table(
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Callable[[str], None],
) -> None:
    skip_on_dynalite("dynalite has no streams")
    name = table_prefix + "feed"
    params = model_create_params(Feed, table_prefix)
    del params["StreamSpecification"]
    create_by_hand(client, name, **params)
    request_log.clear()

    make_engine(client, table_prefix).bind(Feed)
    (update,) = request_log.of("UpdateTable")
    assert update["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert stream_of(client, name) == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def test_stream_of_another_view_is_a_mismatch(
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    skip_on_dynalite: Callable[[str], None],
) -> None:
    skip_on_dynalite("dynalite has no streams")
    params = model_create_params(Feed, table_prefix)
    params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    create_by_hand(client, table_prefix + "feed", **params)
    request_log.clear()
    with pytest.raises(TableMismatch) as caught:
        make_engine(client, table_prefix).bind(Feed)
    assert caught.value.differences == ["stream: expected NEW_IMAGE, found KEYS_ONLY"]
    assert request_log.operations == ["DescribeTable"]


# -- several models in one table; table names ----------------------------------------------------


class Customer(Base):
    model_config = BloopConfig(table_name="single")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    email: str = ""
    by_email: ClassVar[GlobalIndex] = GlobalIndex(hash_key="email")


class Purchase(Base):
    model_config = BloopConfig(table_name="single")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    total: int = 0
    by_total: ClassVar[LocalIndex] = LocalIndex(range_key="total", projection="all")


def test_models_sharing_a_table_create_it_once(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine(client, table_prefix)
    engine.bind(Customer, Purchase)

    (create,) = request_log.of("CreateTable")
    assert create["TableName"] == table_prefix + "single"
    # described and created once for both (a server may say CREATING first: described again)
    assert {r["TableName"] for r in request_log.of("DescribeTable")} == {create["TableName"]}
    table = describe(client, table_prefix + "single")
    assert set(indexes(table, "GlobalSecondaryIndexes")) == {"by_email"}
    assert set(indexes(table, "LocalSecondaryIndexes")) == {"by_total"}

    engine.save(Customer(pk="c1", sk="profile", email="c@example.com"))
    engine.save(Purchase(pk="c1", sk="p1", total=5))
    assert engine.get(Purchase, pk="c1", sk="p1", consistent=True).total == 5
    assert engine.get(Customer, pk="c1", sk="profile", consistent=True).email == "c@example.com"

    # binding one of them later, by another engine: the table exists and matches its part
    request_log.clear()
    make_engine(client, table_prefix).bind(Purchase)
    assert request_log.operations == ["DescribeTable"]


def test_models_sharing_a_table_must_agree(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    class OtherKeys(Base):
        model_config = BloopConfig(table_name="single")
        pk: Annotated[str, HashKey()]
        sk: Annotated[int, RangeKey()]

    class OtherIndex(Base):
        model_config = BloopConfig(table_name="single")
        pk: Annotated[str, HashKey()]
        sk: Annotated[str, RangeKey()]
        email: str = ""
        by_email: ClassVar[GlobalIndex] = GlobalIndex(hash_key="email", projection="all")

    class OtherBilling(Base):
        model_config = BloopConfig(
            table_name="single", billing="provisioned", read_units=1, write_units=1
        )
        pk: Annotated[str, HashKey()]
        sk: Annotated[str, RangeKey()]

    engine = make_engine(client, table_prefix)
    with pytest.raises(InvalidModel, match="Customer and OtherKeys share table"):
        engine.bind(Customer, OtherKeys)
    with pytest.raises(InvalidModel, match=r"Customer.by_email and OtherIndex.by_email"):
        engine.bind(Customer, OtherIndex)
    with pytest.raises(InvalidModel, match=r"Customer and OtherBilling .* billing"):
        engine.bind(Customer, OtherBilling)
    assert request_log.operations == []


def test_table_name_template(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    class Ab(Base):  # "Ab" alone is too short for DynamoDB; with the prefix it is fine
        id: Annotated[str, HashKey()]

    engine = Engine(client=client, table_name_template=table_prefix + "app-{table_name}")
    engine.bind(Ab, User)
    names = sorted(c["TableName"] for c in request_log.of("CreateTable"))
    assert names == [table_prefix + "app-Ab", table_prefix + "app-User"]
    assert describe(client, table_prefix + "app-Ab")["TableStatus"] == "ACTIVE"

    request_log.clear()
    with pytest.raises(InvalidModel, match=r"Ab: table name 'Ab' is not valid"):
        Engine(client=client).bind(Ab)
    with pytest.raises(InvalidModel, match="not valid"):
        Engine(client=client, table_name_template="bad name {table_name}").bind(User)
    assert request_log.operations == []


# -- waiting for ACTIVE --------------------------------------------------------------------------


@pytest.fixture
def still_creating(client: DynamoDBClient) -> Iterator[Callable[[int, str], None]]:
    """``still_creating(n, what)``: the next ``n`` DescribeTable responses say the table
    (``what="table"``) or its GSIs (``what="index"``) are CREATING."""
    left = [0]
    what = ["table"]

    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        table: dict[str, Any] | None = parsed.get("Table")
        if table is None or left[0] == 0:
            return  # an error response, or enough said
        left[0] -= 1
        if what[0] == "table":
            table["TableStatus"] = "CREATING"
        gsis: list[dict[str, Any]] = table.get("GlobalSecondaryIndexes") or []
        for index in gsis:
            index["IndexStatus"] = "CREATING"

    def arm(count: int, kind: str) -> None:
        left[0], what[0] = count, kind

    client.meta.events.register("after-call.dynamodb.DescribeTable", rewrite)
    try:
        yield arm
    finally:
        client.meta.events.unregister("after-call.dynamodb.DescribeTable", rewrite)


@pytest.mark.parametrize("what", ["table", "index"])
def test_bind_waits_until_active(
    client: DynamoDBClient,
    table_prefix: str,
    request_log: RequestLog,
    still_creating: Callable[[int, str], None],
    what: str,
) -> None:
    make_engine(client, table_prefix).bind(User)
    delays: list[float] = []

    def jitter(low: float, high: float) -> float:
        delays.append(high)  # what the engine was asked to sleep at most
        return high

    engine = Engine(
        client=client,
        table_name_template=table_prefix + "{table_name}",
        backoff=Backoff(base=0.001, cap=0.004, jitter=jitter),
    )
    request_log.clear()
    still_creating(3, what)
    engine.bind(User)

    assert request_log.operations == ["DescribeTable"] * 4
    assert delays == [0.001, 0.002, 0.004]  # one sleep between describes, growing to the cap
    engine.save(User(id=uuid4(), email="x@example.com"))  # bound once ACTIVE


def test_bind_plan_waits_and_times_out() -> None:
    """The plan alone (no I/O): Sleep steps while CREATING, and a clear error at the timeout."""
    info = model_info(User)
    creating = {"Table": {"TableName": "User", "TableStatus": "CREATING"}}
    plan = tables_module.bind([info], "User", Backoff(base=1.0, cap=2.0, jitter=max), timeout=5)
    steps: list[object] = [next(plan)]
    with pytest.raises(TableNotActive, match="'User' did not become ACTIVE within 5s"):
        while True:
            step = steps[-1]
            steps.append(plan.send(creating if isinstance(step, Call) else None))
    kinds = [type(s).__name__ for s in steps]
    assert kinds == ["Call", "Sleep", "Call", "Sleep", "Call", "Sleep", "Call"]
    assert all(s == Call("describe_table", {"TableName": "User"}) for s in steps[::2])
    assert [s.seconds for s in steps if isinstance(s, Sleep)] == [1.0, 2.0, 2.0]


def test_a_table_created_meanwhile_is_validated(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    """Two processes binding at once: the loser of CreateTable validates the winner's table."""
    name = table_prefix + "User"
    event = "provide-client-params.dynamodb.CreateTable"

    def create_first(params: dict[str, Any], **_: Any) -> None:
        client.meta.events.unregister(event, create_first)  # once, and not for the call below
        client.create_table(**dict(model_create_params(User, table_prefix), TableName=name))

    client.meta.events.register(event, create_first)
    try:
        make_engine(client, table_prefix).bind(User)
    finally:
        client.meta.events.unregister(event, create_first)
    assert request_log.operations[:3] == ["DescribeTable", "CreateTable", "CreateTable"]
    assert request_log.operations[3:] and set(request_log.operations[3:]) == {"DescribeTable"}
    assert describe(client, name)["TableStatus"] == "ACTIVE"


# -- unbound models ------------------------------------------------------------------------------


class Unbound(Base):
    model_config = BloopConfig(table_name="unbound")
    id: Annotated[str, HashKey()]
    n: int = 0


def test_unbound_model_fails_before_any_request(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine(client, table_prefix)
    engine.bind(User)  # another model bound: no help for Unbound
    request_log.clear()
    obj = Unbound(id="a")

    with pytest.raises(UnboundModel, match=r"Unbound is not bound.*engine.bind\(Unbound\)"):
        engine.get(Unbound, id="a")
    with pytest.raises(UnboundModel):
        engine.save(obj)
    with pytest.raises(UnboundModel):
        engine.save(User(id=uuid4(), email="e"), obj)  # nothing at all is written
    with pytest.raises(UnboundModel):
        engine.delete(obj)
    with pytest.raises(UnboundModel):
        engine.load(obj)
    with pytest.raises(UnboundModel):
        engine.query(Unbound).key(col(Unbound.id) == "a").all()
    with pytest.raises(UnboundModel):
        engine.scan(Unbound).first()
    assert request_log.operations == []
    with pytest.raises(MissingObjects):
        engine.get(User, id=uuid4())  # the bound model works
