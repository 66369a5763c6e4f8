"""pydynox's change-tracking and update-serialisation suites (ferrumio/pydynox,
tests/integration/alias/sync/test_alias_change_tracking.py, tests/integration/integrations/
sync/test_update_serialization.py), ported: an object whose fields are stored under other names
sends nothing when nothing changed (same value set again, a change reverted), only the changed
stored name otherwise; and a nested model set by an update (of a loaded object, or by key) is
stored as a map, and removed when set to None.

pydynox's ``is_dirty`` / ``changed_fields`` have no counterpart: what a save sends is checked.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel

from pydantic_bloop import Base, DynamoName, Engine, HashKey, col, from_item, key_only
from tests.conftest import RequestLog


class Person(Base):
    """test_alias_change_tracking.py's model: every field stored under a short name."""

    pk: Annotated[str, HashKey(), DynamoName("PK")]
    first_name: Annotated[str, DynamoName("fn")]
    last_name: Annotated[str, DynamoName("ln")] = ""
    age: Annotated[int, DynamoName("a")] = 0


class Address(BaseModel):
    street: str
    city: str
    zip: str = ""


class Customer(Base):
    """test_update_serialization.py's model with a typed map."""

    pk: Annotated[str, HashKey()]
    name: str = ""
    address: Address | None = None


MODELS = (Person, Customer)


def test_what_a_save_of_renamed_fields_sends(engine: Engine, request_log: RequestLog) -> None:
    """test_from_dict_not_dirty, test_set_same_value_not_dirty, test_revert_change_clears_
    dirty, test_actual_change_is_dirty, test_save_and_reload_not_dirty, test_save_and_reload_
    set_same_not_dirty"""
    engine.save(Person(pk="u1", first_name="John", last_name="Doe", age=30))
    loaded = engine.get(Person, pk="u1")
    request_log.clear()
    engine.save(loaded)
    loaded.first_name = "John"  # the same value again
    engine.save(loaded)
    loaded.first_name = "Jane"
    loaded.first_name = "John"  # reverted
    engine.save(loaded)
    assert request_log == []
    loaded.first_name = "Jane"
    engine.save(loaded)
    [update] = request_log.of("UpdateItem")
    assert update["ExpressionAttributeNames"] == {"#n0": "fn"}
    assert update["Key"] == {"PK": {"S": "u1"}}
    read = from_item(Person, {"PK": {"S": "u1"}, "fn": {"S": "Jane"}, "ln": {"S": "Doe"}})
    assert (read.first_name, read.last_name, read.age) == ("Jane", "Doe", 0)
    assert engine.get(Person, pk="u1") == Person(
        pk="u1", first_name="Jane", last_name="Doe", age=30
    )


def test_a_nested_model_set_by_an_update(engine: Engine) -> None:
    """test_sync_update_serializes_typed_map, test_sync_update_by_key_serializes_typed_map,
    test_sync_update_serializes_none_typed_map"""
    customer = Customer(pk="c1", name="Ann", address=Address(street="123 Main", city="Boston"))
    engine.save(customer)
    new_address = Address(street="456 Elm St", city="Chicago")
    engine.update(customer, col(Customer.address).set(new_address))
    assert engine.get(Customer, pk="c1").address == new_address
    seattle = Address(street="1 Pine", city="Seattle", zip="98101")
    engine.update(key_only(Customer, pk="c1"), col(Customer.address).set(seattle))
    stored = engine.get(Customer, pk="c1")
    assert stored.address == seattle and stored.name == "Ann"
    engine.update(stored, col(Customer.address).set(None))
    assert stored.model_dump(include={"address"}) == {"address": None}
    assert engine.get(Customer, pk="c1").address is None
