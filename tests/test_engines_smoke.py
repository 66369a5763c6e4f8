"""Both engines, through ``make_engine``, store and read back the same items."""

from __future__ import annotations

from typing import Annotated

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, HashKey, RangeKey, col
from tests.conftest import RequestLog
from tests.engines import MakeEngine

# The sample of server tests that `./dev test` also runs on the oldest pydantic allowed.
pytestmark = pytest.mark.server_sample


class Note(Base):
    book: Annotated[str, HashKey()]
    page: Annotated[int, RangeKey()]
    text: str = ""


def test_round_trip_and_paging(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Note)
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*(Note(book="b", page=i, text=f"p{i}") for i in range(60)))
    stored = client.scan(TableName=f"{table_prefix}Note", Select="COUNT")["Count"]
    assert stored == 60
    assert "BatchWriteItem" in request_log.operations

    note = engine.get(Note, book="b", page=7)
    assert note.text == "p7"
    note.text = "changed"
    engine.save(note)
    update = request_log.of("UpdateItem")[-1]
    assert update["UpdateExpression"] == "SET #n0=:v0"
    assert update["ExpressionAttributeNames"] == {"#n0": "text"}

    query = engine.query(Note).key(col(Note.book) == "b").page_size(25)
    before = len(request_log.of("Query"))
    pages = [n.page for n in query]
    assert pages == list(range(60))
    assert len(request_log.of("Query")) - before == 3
    assert query.count() == 60
