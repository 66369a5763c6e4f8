"""pydynox's template-key and collection suites (ferrumio/pydynox, tests/integration/
single_table/sync/test_template_keys.py, tests/integration/collection/test_collection.py),
ported: keys made from fields, queries of the table and of an inverted index by those fields,
static sort keys, several fields in one key, keys given directly, and one query of a partition
holding two entities.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic_bloop import (
    Base,
    BloopConfig,
    Collection,
    Engine,
    GlobalIndex,
    HashKey,
    RangeKey,
    Template,
    col,
)


class UserOrder(Base):
    """test_user_order_single_table's model and its inverted index."""

    user_id: str
    order_id: str
    status: str = "pending"
    pk: Annotated[str, HashKey()] = Template("USER#{user_id}")
    sk: Annotated[str, RangeKey()] = Template("ORDER#{order_id}")
    by_order: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="sk", range_key="pk", name="inverted", projection="all"
    )


class Follow(Base):
    """test_follower_following_pattern's model."""

    follower: str
    following: str
    pk: Annotated[str, HashKey()] = Template("FOLLOWER#{follower}")
    sk: Annotated[str, RangeKey()] = Template("FOLLOWING#{following}")
    followers: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="sk", range_key="pk", name="inverted", projection="all"
    )


class Profile(Base):
    """test_user_profile_static_sk's ``User``."""

    email: str
    name: str
    pk: Annotated[str, HashKey()] = Template("USER#{email}")
    sk: Annotated[str, RangeKey()] = Template("PROFILE")


class Event(Base):
    """test_multiple_placeholders' model."""

    tenant_id: str
    date: str
    event_id: str
    data: str
    pk: Annotated[str, HashKey()] = Template("TENANT#{tenant_id}")
    sk: Annotated[str, RangeKey()] = Template("EVENT#{date}#{event_id}")


class Shared(Base):
    """test_collection.py's shared table: its entities are told apart by their tag."""

    model_config = BloopConfig(table_name="collection")
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


class Member(Shared):
    model_config = BloopConfig(entity="USER")
    name: str


class Purchase(Shared):
    model_config = BloopConfig(entity="ORDER")
    total: str


MODELS = (UserOrder, Follow, Profile, Event, Shared)


def test_orders_by_user_and_by_order(engine: Engine) -> None:
    """test_user_order_single_table, test_inverted_index_query_with_direct_sk,
    test_direct_key_still_works"""
    engine.save(
        UserOrder(user_id="alice", order_id="001", status="shipped"),
        UserOrder(user_id="alice", order_id="002"),
        UserOrder(user_id="bob", order_id="003", status="shipped"),
    )
    alice = engine.query(UserOrder).key(col(UserOrder.user_id) == "alice").all()
    assert [(o.user_id, o.order_id, o.sk) for o in alice] == [
        ("alice", "001", "ORDER#001"),
        ("alice", "002", "ORDER#002"),
    ]
    order = engine.query(UserOrder.by_order).key(col(UserOrder.order_id) == "003").one()
    assert (order.user_id, order.order_id, order.status) == ("bob", "003", "shipped")
    direct = engine.query(UserOrder.by_order).key(col(UserOrder.sk) == "ORDER#003").one()
    assert direct == order
    by_key = engine.query(UserOrder).key(col(UserOrder.pk) == "USER#alice").all()
    assert by_key == alice


def test_followers_and_following(engine: Engine) -> None:
    """test_follower_following_pattern"""
    engine.save(
        Follow(follower="alice", following="bob"),
        Follow(follower="alice", following="charlie"),
        Follow(follower="dave", following="bob"),
    )
    following = engine.query(Follow).key(col(Follow.follower) == "alice")
    assert {f.following for f in following} == {"bob", "charlie"}
    followers = engine.query(Follow.followers).key(col(Follow.following) == "bob")
    assert {f.follower for f in followers} == {"alice", "dave"}


def test_a_static_sort_key(engine: Engine) -> None:
    """test_user_profile_static_sk: got by its fields or by the key itself"""
    engine.save(Profile(email="john@example.com", name="John Doe"))
    by_fields = engine.get(Profile, email="john@example.com")
    by_key = engine.get(Profile, pk="USER#john@example.com", sk="PROFILE")
    assert by_fields == by_key
    assert (by_key.email, by_key.name, by_key.pk) == (
        "john@example.com",
        "John Doe",
        "USER#john@example.com",
    )


def test_several_fields_in_one_key(engine: Engine) -> None:
    """test_multiple_placeholders (and a begins_with of the first field)"""
    engine.save(
        Event(tenant_id="acme", date="2024-01-15", event_id="e1", data="login"),
        Event(tenant_id="acme", date="2024-01-15", event_id="e2", data="purchase"),
        Event(tenant_id="acme", date="2024-01-16", event_id="e3", data="logout"),
    )
    events = engine.query(Event).key(col(Event.tenant_id) == "acme").all()
    assert [e.sk for e in events] == [
        "EVENT#2024-01-15#e1",
        "EVENT#2024-01-15#e2",
        "EVENT#2024-01-16#e3",
    ]
    on_the_15th = engine.query(Event).key(
        (col(Event.tenant_id) == "acme") & (col(Event.date) == "2024-01-15")
    )
    assert [e.data for e in on_the_15th] == ["login", "purchase"]


def test_one_query_of_two_entities(engine: Engine) -> None:
    """test_collection_query_with_shared_client, test_collection_sync_query_with_shared_client
    (one engine, so pydynox's test_collection_raises_when_models_use_different_client_instances
    has nothing to port)"""
    engine.save(
        Member(pk="COLLECTION#1", sk="PROFILE", name="Alice"),
        Purchase(pk="COLLECTION#1", sk="ORDER#001", total="100"),
        Purchase(pk="COLLECTION#1", sk="ORDER#002", total="200"),
        Member(pk="COLLECTION#2", sk="PROFILE", name="Bob"),
    )
    found = engine.query(Collection(Member, Purchase)).key(col(Member.pk) == "COLLECTION#1").all()
    members = [x for x in found if isinstance(x, Member)]
    purchases = [x for x in found if isinstance(x, Purchase)]
    assert [m.name for m in members] == ["Alice"]
    assert {p.total for p in purchases} == {"100", "200"}
    assert len(found) == 3
    only = engine.query(Purchase).key(col(Purchase.pk) == "COLLECTION#1").all()
    assert [p.sk for p in only] == ["ORDER#001", "ORDER#002"]
