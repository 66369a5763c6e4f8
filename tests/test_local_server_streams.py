"""The local server's stream records one change per write, as DynamoDB does.

moto (5.2) alone records an UpdateItem that creates an item as two INSERTs (the bare key, then
the item): a stream consumer of a model then fails on the first. ``local_dynamodb()`` keeps the
last one. dynalite has no streams.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, BloopConfig, ConstraintViolation, Engine, HashKey, col, key_only

pytestmark = pytest.mark.dynalite_unsupported("no streams in dynalite")


class Ticket(Base):
    model_config = BloopConfig(table_name="tickets", stream="new_and_old_images")
    id: Annotated[str, HashKey()]
    title: str = ""
    seats: int = 0


def test_a_save_that_creates_an_item_is_one_insert_of_the_whole_item(
    client: DynamoDBClient, table_prefix: str
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Ticket)
    ticket = Ticket(id="t1", title="Opening night")
    engine.save(ticket)  # an UpdateItem of a new item
    ticket.seats = 2
    engine.save(ticket)
    engine.update(key_only(Ticket, id="t2"), col(Ticket.seats).add(3))  # by key: creates it

    changes = engine.stream(Ticket).read()
    assert [(c.kind, c.key["id"]) for c in changes] == [
        ("insert", "t1"),
        ("modify", "t1"),
        ("insert", "t2"),
    ]
    assert changes[0].new == Ticket(id="t1", title="Opening night")
    assert changes[2].new == Ticket(id="t2", seats=3)


def test_an_update_whose_condition_fails_records_nothing(
    client: DynamoDBClient, table_prefix: str
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Ticket)
    with pytest.raises(ConstraintViolation):
        engine.update(
            key_only(Ticket, id="t3"), col(Ticket.seats).add(1), condition=col(Ticket.seats) > 0
        )
    engine.save(Ticket(id="t4", title="Late show"))
    assert [c.key["id"] for c in engine.stream(Ticket).read()] == ["t4"]
