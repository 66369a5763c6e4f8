"""A loaded item that lacks the attribute of a templated field or of an index key: the next save
writes it.

This is how items written before a key template (say, of an index added by a migration)
existed get into that index: load them with the new model and save them. Before, the value
filled on load counted as seen, and the save sent nothing, so the index never received the old
items. Other fields filled on load (defaults) stay unwritten: a loaded object equals what is
stored, and its save sends nothing until it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar

from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    RangeKey,
    Template,
    col,
)

if TYPE_CHECKING:
    from tests.conftest import RequestLog


class LineV1(Base):
    """What release 1 stored: no product key, no quantity."""

    model_config = BloopConfig(table_name="lines")
    order: Annotated[str, HashKey()]
    line: Annotated[int, RangeKey()]
    sku: str


class Line(Base):
    model_config = BloopConfig(table_name="lines")
    order: Annotated[str, HashKey()]
    line: Annotated[int, RangeKey()]
    sku: str
    quantity: int = 1
    note: str = ""
    product: Annotated[str, DynamoName("GSI1PK")] = Template("PRODUCT#{sku}")
    by_product: ClassVar[GlobalIndex] = GlobalIndex(hash_key="product", projection="keys")


def test_a_save_writes_the_filled_attributes_an_old_item_lacks(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Line)
    engine.bind(LineV1)
    engine.save(LineV1(order="o1", line=1, sku="pen"))

    (old,) = engine.scan(Line).all()
    assert (old.product, old.quantity) == ("PRODUCT#pen", 1)
    assert engine.query(Line.by_product).key(col(Line.sku) == "pen").count() == 0
    engine.save(old)

    stored = client.get_item(
        TableName=engine.table_name(Line), Key={"order": {"S": "o1"}, "line": {"N": "1"}}
    ).get("Item", {})
    assert stored["GSI1PK"] == {"S": "PRODUCT#pen"}
    assert "quantity" not in stored and "note" not in stored  # defaults are not written
    (found,) = engine.query(Line.by_product).key(col(Line.sku) == "pen")
    assert (found.order, found.line) == ("o1", 1)

    engine.load(found)
    request_log.clear()
    engine.save(found)  # now stored as it is: nothing to send
    assert request_log.operations == []
    assert engine.get(Line, order="o1", line=1) == old


class TicketV1(Base):
    """What release 1 stored: no status."""

    model_config = BloopConfig(table_name="tickets")
    id: Annotated[str, HashKey()]
    title: str


class Ticket(Base):
    """Release 2: a status with a plain default, and an index keyed on it."""

    model_config = BloopConfig(table_name="tickets")
    id: Annotated[str, HashKey()]
    title: str
    status: str = "open"
    priority: int = 3
    by_status: ClassVar[GlobalIndex] = GlobalIndex(hash_key="status", projection="keys")


def test_an_index_key_filled_by_its_default_is_written_by_the_next_save(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Ticket)
    engine.bind(TicketV1)
    engine.save(TicketV1(id="t1", title="old"))

    (old,) = engine.scan(Ticket).all()
    assert (old.status, old.priority) == ("open", 3)
    assert engine.query(Ticket.by_status).key(col(Ticket.status) == "open").count() == 0
    engine.save(old)

    stored = client.get_item(TableName=engine.table_name(Ticket), Key={"id": {"S": "t1"}})
    item = stored.get("Item", {})
    assert item["status"] == {"S": "open"}
    assert "priority" not in item  # a default that no index needs is not written
    (found,) = engine.query(Ticket.by_status).key(col(Ticket.status) == "open")
    assert found.id == "t1"
    engine.load(found)
    request_log.clear()
    engine.save(found)  # stored as it is now: nothing to send
    assert request_log.operations == []
