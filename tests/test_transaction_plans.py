"""The transaction plans against canned responses: which cancellations are retried (only
conflicts, with the same request, within the backoff's attempts) and what the error says,
also when DynamoDB refused an update for what its item holds."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from pydantic_bloop import Backoff, InvalidUpdate, TransactionCanceled, col
from pydantic_bloop.drivers import run_sync
from pydantic_bloop.plans import Call, Response
from pydantic_bloop.transactions import Part, send
from pydantic_bloop.updating import update_write
from pydantic_bloop.writes import WriteOptions, save_write
from tests.shop import Customer, Product


def canceled(*codes: str, item: dict[str, Any] | None = None) -> ClientError:
    reasons: list[dict[str, Any]] = []
    for code in codes:
        reason: dict[str, Any] = {"Code": code}
        if code == "ConditionalCheckFailed":
            reason["Message"] = "The conditional request failed"
            if item is not None:
                reason["Item"] = item
        reasons.append(reason)
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
        "CancellationReasons": reasons,
    }
    return ClientError(response, "TransactWriteItems")


class Server:
    """Answers each call with the next of ``outcomes`` and records the calls."""

    def __init__(self, *outcomes: Response | BaseException) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[Call] = []
        self.sleeps: list[float] = []

    def execute(self, call: Call) -> Response:
        self.calls.append(call)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def run(self, parts: list[Part], backoff: Backoff) -> Response:
        call = Call("transact_write_items", {"TransactItems": [], "ClientRequestToken": "t-1"})
        return run_sync(send(call, parts, backoff), self.execute, lambda c: [], self.sleeps.append)


BACKOFF = Backoff(base=0.01, cap=0.04, attempts=3, jitter=lambda low, high: high)
PARTS = [
    Part(Product(sku="p1", stock=0), "update", "stock >= 1"),
    Part(Customer(name="ann"), "check", "active = True"),
]


def test_a_conflict_is_sent_again_unchanged_after_a_pause() -> None:
    server = Server(canceled("TransactionConflict", "None"), {"ok": True})

    assert server.run(PARTS, BACKOFF) == {"ok": True}

    assert [c.params["ClientRequestToken"] for c in server.calls] == ["t-1", "t-1"]
    assert server.calls[0] == server.calls[1]
    assert server.sleeps == [0.01]


def test_conflicts_past_the_attempts_are_reported() -> None:
    server = Server(*[canceled("None", "TransactionConflict")] * 4)

    with pytest.raises(TransactionCanceled, match="still conflicting after 3 retries") as caught:
        server.run(PARTS, BACKOFF)

    assert len(server.calls) == 4
    assert server.sleeps == [0.01, 0.02, 0.04]
    assert [r.code for r in caught.value.reasons] == [None, "TransactionConflict"]


def test_a_failed_condition_is_not_retried_and_names_the_object() -> None:
    stored = {"sku": {"S": "p1"}, "stock": {"N": "0"}}
    server = Server(canceled("ConditionalCheckFailed", "TransactionConflict", item=stored))

    with pytest.raises(TransactionCanceled) as caught:
        server.run(PARTS, BACKOFF)

    assert len(server.calls) == 1
    error = caught.value
    assert [(r.obj, r.code) for r in error.reasons] == [
        (PARTS[0].obj, "ConditionalCheckFailed"),
        (PARTS[1].obj, "TransactionConflict"),
    ]
    assert error.reasons[0].item == stored
    assert error.failed == error.reasons
    assert "update Product(sku='p1'): ConditionalCheckFailed (condition: stock >= 1)" in str(error)
    assert "check Customer(name='ann'): TransactionConflict" in str(error)


def test_other_errors_pass_through() -> None:
    error = ClientError({"Error": {"Code": "ValidationException"}}, "TransactWriteItems")
    server = Server(error)

    with pytest.raises(ClientError, match="ValidationException"):
        server.run(PARTS, BACKOFF)


# -- updates DynamoDB refused (ValidationError reasons) -------------------------------------------

OPTIONS = WriteOptions("update", atomic=False, backoff=BACKOFF)
WRONG_TYPE = "An operand in the update expression has an incorrect data type"


def refusal_parts() -> list[Part]:
    """A save (SET of values: nothing to refuse) and an update that adds to ``stock``."""
    saved, counted = Product(sku="p0", price=3), Product(sku="p1")
    save = save_write(saved, lambda model: "products", OPTIONS, None)
    update = update_write(
        counted, [col(Product.stock).add(-1)], lambda m: "products", OPTIONS, None
    )
    assert save is not None
    return [Part(saved, "save", None, save), Part(counted, "update", None, update)]


def refused_in(codes: list[str], message: str = WRONG_TYPE) -> ClientError:
    reasons = [
        {"Code": c, "Message": message} if c == "ValidationError" else {"Code": c} for c in codes
    ]
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
        "CancellationReasons": reasons,
    }
    return ClientError(response, "TransactWriteItems")


def test_an_update_refused_by_its_item_is_restated_as_a_single_update_is() -> None:
    """AWS's answer (the API reference's "Validation Error" reasons): the refused write is named
    with the same explanation a single update's refusal gets, and nothing is retried."""
    parts = refusal_parts()
    server = Server(refused_in(["None", "ValidationError"]))

    with pytest.raises(InvalidUpdate) as caught:
        server.run(parts, BACKOFF)

    assert len(server.calls) == 1
    message = str(caught.value)
    assert message.startswith(
        "Product(sku='p1') (tx.update): DynamoDB refused the update, nothing was written "
        "(the transaction was canceled): it computes with a stored attribute of another type"
    )
    assert message.endswith("it reads Product.stock")
    canceled = caught.value.__cause__
    assert isinstance(canceled, TransactionCanceled)  # DynamoDB's reasons stay at hand
    assert [r.code for r in canceled.reasons] == [None, "ValidationError"]


def test_a_refusal_beside_a_failed_condition_stays_transaction_canceled() -> None:
    parts = refusal_parts()
    server = Server(refused_in(["ConditionalCheckFailed", "ValidationError"]))

    with pytest.raises(TransactionCanceled) as caught:
        server.run(parts, BACKOFF)

    assert [r.code for r in caught.value.failed] == ["ConditionalCheckFailed", "ValidationError"]
    assert (
        f"update Product(sku='p1'): ValidationError ({WRONG_TYPE}: it computes with a stored "
        "attribute of another type"
    ) in str(caught.value)


def test_a_transaction_refused_whole_names_the_updates_that_can_be_the_cause() -> None:
    """moto's answer: the single-write ValidationException, no reasons; of the transaction's
    writes only the update that reads ``stock`` can be refused for its type."""
    parts = refusal_parts()
    error = ClientError(
        {"Error": {"Code": "ValidationException", "Message": WRONG_TYPE}}, "TransactWriteItems"
    )

    with pytest.raises(InvalidUpdate, match=r"^Product\(sku='p1'\) \(tx.update\): DynamoDB"):
        Server(error).run(parts, BACKOFF)
    with pytest.raises(InvalidUpdate) as caught:
        Server(error).run([parts[1], parts[1]], BACKOFF)
    assert str(caught.value).startswith(
        "DynamoDB refused the update, nothing was written (the transaction was canceled): one of "
        "2 updates (DynamoDB did not say which):\n  - Product(sku='p1') (tx.update): it computes"
    )
