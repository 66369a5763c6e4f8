"""Read objects saved inside the other envelopes: a transaction (its plain saves take the read
object's diff) canceled by another item's condition and then sent again, or answered late (a
lost answer, resent with the same token); a bulk put of read objects through BatchWriteItem
with entries left unprocessed. After each, a fresh read equals the objects."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Backoff, Base, Engine, HashKey, TransactionCanceled, col
from tests.conftest import RequestLog
from tests.engines import MakeEngine
from tests.faults import LostResponse, Unprocessed


class Acct(Base):
    id: Annotated[str, HashKey()]
    balance: int = 0
    notes: list[str] = []
    owner: str | None = None


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.002, attempts=3))
    engine.bind(Acct)
    return engine


def _read(engine: Engine, id: str) -> Acct:
    return engine.get(Acct, id=id, consistent=True)


def test_a_canceled_transaction_of_read_objects_is_sent_again_whole(
    engine: Engine, request_log: RequestLog, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("needs transactions")
    engine.save(Acct(id="a", balance=10, notes=["n"]), Acct(id="b", balance=5))
    a, b = _read(engine, "a"), _read(engine, "b")
    a.balance -= 3
    a.notes.append("paid")
    a.owner = None
    b.balance += 3
    b.owner = "bob"
    with pytest.raises(TransactionCanceled), engine.transaction() as tx:
        tx.save(a)
        tx.save(b, condition=col(Acct.balance) > 100)  # fails: nothing is written
    assert _read(engine, "a") == Acct(id="a", balance=10, notes=["n"])
    with engine.transaction() as tx:  # the same changes, sent again
        tx.save(a, b)
    assert _read(engine, "a") == a and _read(engine, "b") == b
    request_log.clear()
    engine.save(a, b)  # all stored and remembered: nothing more to send
    assert request_log.operations == []


def test_a_transaction_of_read_objects_whose_answer_is_lost_is_applied_once(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog, skip_on_dynalite: Any
) -> None:
    skip_on_dynalite("needs transactions")
    engine.save(Acct(id="c", balance=1), Acct(id="d", balance=2))
    c, d = _read(engine, "c"), _read(engine, "d")
    c.balance, d.balance = 2, 1
    c.notes.append("swap")
    with LostResponse(client, "TransactWriteItems"), engine.transaction() as tx:
        tx.save(c, d)
    assert _read(engine, "c") == c and _read(engine, "d") == d
    c.balance = 7  # the next save diffs against what the transaction stored
    request_log.clear()
    engine.save(c, d)
    (sent,) = request_log.of("UpdateItem")
    assert sent["ExpressionAttributeValues"] == {":v0": {"N": "7"}}
    assert _read(engine, "c") == c


def test_a_bulk_put_of_read_objects_with_unprocessed_entries_stores_every_one(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    engine.save(*(Acct(id=f"u{i}", balance=i) for i in range(30)))
    objs = [_read(engine, f"u{i}") for i in range(30)]
    for obj in objs:
        obj.balance += 100
        obj.notes.append("bulk")
    withheld: set[str] = set()

    def once(table: str, entry: dict[str, Any]) -> bool:
        id = entry["PutRequest"]["Item"]["id"]["S"]
        if id in withheld or int(id[1:]) % 3:
            return False
        withheld.add(id)
        return True

    with Unprocessed(client, "BatchWriteItem", once), engine.context(persist="overwrite") as bulk:
        bulk.save(*objs)
    assert len(withheld) == 10
    for obj in objs:
        assert _read(engine, obj.id) == obj
    objs[0].owner = "zed"
    request_log.clear()
    engine.save(*objs)
    (sent,) = request_log.of("UpdateItem")
    assert sent["Key"] == {"id": {"S": "u0"}}
    assert _read(engine, "u0") == objs[0]
