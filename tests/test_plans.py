"""Plans against canned responses (`pydantic_bloop.testing.Script`), no server: paging, batch
gets and writes with their retries and backoff, error translation, table waits, get.

These cover what a real server rarely does on demand (unprocessed items, a table that stays
CREATING, a page that comes back empty); the behaviour a user sees end to end is covered by the
server tests. The whole file runs in a fraction of a second.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import pytest
from botocore.exceptions import ClientError

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    ConstraintViolation,
    GlobalIndex,
    HashKey,
    MissingObjects,
    RangeKey,
    TableMismatch,
    TableNotActive,
    Transaction,
    TransientError,
    col,
    operations,
    tables,
)
from pydantic_bloop.capacity import with_capacity
from pydantic_bloop.drivers import run_sync
from pydantic_bloop.models import model_info
from pydantic_bloop.paging import Cursor, QueryState, count
from pydantic_bloop.plans import Before, Call, DeferredCall, Parallel, Plan, Sleep, call
from pydantic_bloop.testing import Script, ScriptExhausted, client_error
from pydantic_bloop.tracking import snapshot_of
from pydantic_bloop.updates import NOTHING_ATTRIBUTE
from pydantic_bloop.writes import WriteOptions


class Doc(Base):
    model_config = BloopConfig(table_name="docs")
    id: Annotated[str, HashKey()]
    title: str = ""
    views: int = 0


class Marker(Base):
    model_config = BloopConfig(table_name="markers")
    id: Annotated[str, HashKey()]


class Reading(Base):
    model_config = BloopConfig(table_name="readings")
    sensor: Annotated[str, HashKey()]
    at: Annotated[int, RangeKey()]
    value: float = 0.0
    by_value: ClassVar[GlobalIndex] = GlobalIndex(hash_key="sensor", range_key="value")


BACKOFF = Backoff(base=0.1, cap=0.4, attempts=2, jitter=lambda low, high: high)
UPDATE = WriteOptions("update", atomic=False, backoff=BACKOFF)
OVERWRITE = WriteOptions("overwrite", atomic=False, backoff=BACKOFF)
ATOMIC = WriteOptions("update", atomic=True, backoff=BACKOFF)
DOCS = model_info(Doc)


def table_of(model: type[Base]) -> str:
    return "docs" if model is Doc else "readings"


def item(id: str, title: str = "", views: int = 0) -> dict[str, Any]:
    return {"id": {"S": id}, "title": {"S": title}, "views": {"N": str(views)}}


def key(id: str) -> dict[str, Any]:
    return {"id": {"S": id}}


def loaded(id: str, title: str = "", views: int = 0) -> Doc:
    """A Doc as read from the table (it has a snapshot)."""
    script = Script({"Item": item(id, title, views)})
    doc = script.run(operations.get(DOCS, "docs", key(id), False))
    assert isinstance(doc, Doc)
    return doc


# -- the drivers ------------------------------------------------------------------------------


def test_a_call_error_is_thrown_into_the_plan_which_may_handle_it() -> None:
    def plan() -> Plan[str]:
        try:
            yield Call("describe_table", {})
        except ClientError as exc:
            return f"handled {exc.response.get('Error', {}).get('Code')}"
        return "no error"

    assert Script(client_error("Boom")).run(plan()) == "handled Boom"


def test_the_driver_closes_the_plan_when_the_step_primitive_fails() -> None:
    closed: list[bool] = []

    def plan() -> Plan[None]:
        try:
            yield Sleep(1.0)
        finally:
            closed.append(True)

    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sync(plan(), lambda c: {}, lambda cs: [], sleep)
    assert closed == [True]


def test_parallel_outcomes_are_handed_over_not_raised() -> None:
    error = client_error("Nope")

    def plan() -> Plan[list[Any]]:
        results: list[Any] = yield Parallel((Call("a", {}), Call("b", {})))
        return results

    assert Script({"ok": 1}, error).run(plan()) == [{"ok": 1}, error]


def test_an_unscripted_call_fails_the_run_and_leftovers_are_reported() -> None:
    with pytest.raises(ScriptExhausted, match="describe_table"):
        Script().run(call(Call("describe_table", {})))
    with pytest.raises(AssertionError, match="1 outcomes unused"):
        Script({}, {}).run(call(Call("describe_table", {})))


def test_an_outcome_may_be_computed_from_the_call() -> None:
    script = Script(lambda c: {"Echo": c.params["TableName"]})
    assert script.run(call(Call("describe_table", {"TableName": "t"}))) == {"Echo": "t"}


# -- get ---------------------------------------------------------------------------------------


def test_get_reads_one_item_into_a_tracked_object() -> None:
    script = Script({"Item": item("d1", "hello", 3)})
    doc = script.run(operations.get(DOCS, "docs", key("d1"), True))
    assert doc == Doc(id="d1", title="hello", views=3)
    assert script.calls == [
        Call("get_item", {"TableName": "docs", "Key": key("d1"), "ConsistentRead": True})
    ]
    assert snapshot_of(doc) is not None


def test_get_of_a_missing_item_raises_missing_objects_naming_the_key() -> None:
    with pytest.raises(MissingObjects, match=r"no Doc with key \{id: 'd1'\}"):
        Script({}).run(operations.get(DOCS, "docs", key("d1"), False))


def test_get_passes_other_errors_through() -> None:
    error = client_error("ProvisionedThroughputExceededException")
    with pytest.raises(ClientError) as raised:
        Script(error).run(operations.get(DOCS, "docs", key("d1"), False))
    assert raised.value is error


# -- batch get (load) --------------------------------------------------------------------------


def test_load_refreshes_every_object_in_place_from_one_batch() -> None:
    a, b = Doc(id="a"), Doc(id="b")
    script = Script({"Responses": {"docs": [item("a", "A", 1), item("b", "B", 2)]}})
    script.run(operations.load([a, b], table_of, False, BACKOFF))
    assert (a.title, a.views, b.title, b.views) == ("A", 1, "B", 2)
    assert script.calls == [
        Call("batch_get_item", {"RequestItems": {"docs": {"Keys": [key("a"), key("b")]}}})
    ]


def test_load_asks_once_for_a_key_that_several_objects_share() -> None:
    first, second = Doc(id="a"), Doc(id="a")
    script = Script({"Responses": {"docs": [item("a", "A")]}})
    script.run(operations.load([first, second], table_of, True, BACKOFF))
    request = script.calls[0].params["RequestItems"]["docs"]
    assert request == {"Keys": [key("a")], "ConsistentRead": True}
    assert first.title == second.title == "A"


def test_load_refreshes_every_object_of_a_shared_key_and_names_every_missing_one() -> None:
    docs = [Doc(id="a"), Doc(id="a"), Doc(id="a"), Doc(id="b"), Doc(id="b")]
    script = Script({"Responses": {"docs": [item("a", "A")]}})
    with pytest.raises(MissingObjects) as caught:
        script.run(operations.load(docs, table_of, False, BACKOFF))
    assert [d.title for d in docs[:3]] == ["A"] * 3
    assert [id(o) for o in caught.value.objects] == [id(docs[3]), id(docs[4])]


def test_load_sends_at_most_100_keys_a_request_concurrently() -> None:
    docs = [Doc(id=f"d{i}") for i in range(101)]
    script = Script(
        {"Responses": {"docs": [item(f"d{i}") for i in range(100)]}},
        {"Responses": {"docs": [item("d100")]}},
    )
    script.run(operations.load(docs, table_of, False, BACKOFF))
    sizes = [len(c.params["RequestItems"]["docs"]["Keys"]) for c in script.calls]
    assert sizes == [100, 1]


def test_load_retries_unprocessed_keys_after_a_backoff() -> None:
    a, b = Doc(id="a"), Doc(id="b")
    script = Script(
        {
            "Responses": {"docs": [item("a", "A")]},
            "UnprocessedKeys": {"docs": {"Keys": [key("b")]}},
        },
        {"Responses": {"docs": [item("b", "B")]}},
    )
    script.run(operations.load([a, b], table_of, False, BACKOFF))
    assert script.sleeps == [0.1]
    assert script.calls[1].params["RequestItems"]["docs"]["Keys"] == [key("b")]
    assert (a.title, b.title) == ("A", "B")


def test_load_gives_up_when_the_backoff_has_no_attempt_left() -> None:
    left = {"UnprocessedKeys": {"docs": {"Keys": [key("a")]}}}
    script = Script(left, left, left)
    with pytest.raises(TransientError, match=r"after 2 retries.*Doc\(id='a'\)"):
        script.run(operations.load([Doc(id="a")], table_of, False, BACKOFF))
    assert script.sleeps == [0.1, 0.2]


def test_load_reports_missing_objects_after_loading_the_found_ones() -> None:
    a, b = Doc(id="a"), Doc(id="b")
    with pytest.raises(MissingObjects) as raised:
        Script({"Responses": {"docs": [item("a", "A")]}}).run(
            operations.load([a, b], table_of, False, BACKOFF)
        )
    assert raised.value.objects == [b] and a.title == "A"


def test_load_matches_numbers_however_the_server_spells_them() -> None:
    reading = Reading(sensor="s", at=10)
    stored = {"sensor": {"S": "s"}, "at": {"N": "1E+1"}, "value": {"N": "2.5"}}
    Script({"Responses": {"readings": [stored]}}).run(
        operations.load([reading], table_of, False, BACKOFF)
    )
    assert reading.value == 2.5


def test_load_raises_the_error_of_a_failed_batch() -> None:
    error = client_error("InternalServerError")
    with pytest.raises(ClientError) as raised:
        Script(error).run(operations.load([Doc(id="a")], table_of, False, BACKOFF))
    assert raised.value is error


# -- saves and deletes -------------------------------------------------------------------------


def test_an_update_save_sends_the_diff_and_then_nothing() -> None:
    doc = loaded("d1", "old")
    doc.title = "new"
    script = Script({})
    script.run(operations.save([doc], table_of, UPDATE, None))
    assert script.calls[0].params["UpdateExpression"] == "SET #n0=:v0"
    assert script.calls[0].params["ExpressionAttributeValues"] == {":v0": {"S": "new"}}
    again = Script()
    again.run(operations.save([doc], table_of, UPDATE, None))
    assert again.calls == []


def test_saving_a_new_key_only_object_still_sends_an_update() -> None:
    script = Script({})
    script.run(operations.save([Marker(id="m1")], table_of, UPDATE, None))
    assert script.calls[0].params["UpdateExpression"] == "REMOVE #n0"
    assert script.calls[0].params["ExpressionAttributeNames"] == {"#n0": NOTHING_ATTRIBUTE}


def test_a_failed_condition_becomes_a_constraint_violation_with_the_item_and_cause() -> None:
    doc = loaded("d1", views=1)
    doc.views = 2
    error = client_error("ConditionalCheckFailedException", Item=item("d1", views=7))
    with pytest.raises(ConstraintViolation) as raised:
        Script(error).run(operations.save([doc], table_of, UPDATE, col(Doc.views) == 1))
    violation = raised.value
    assert str(violation) == "Doc(id='d1'): the condition failed: Doc.views == 1"
    assert violation.obj is doc and violation.item == item("d1", views=7)
    assert violation.__cause__ is error


def test_other_write_errors_pass_through_unchanged() -> None:
    doc = loaded("d1")
    doc.views = 2
    error = client_error("ValidationException")
    with pytest.raises(ClientError) as raised:
        Script(error).run(operations.save([doc], table_of, UPDATE, None))
    assert raised.value is error


def test_every_success_is_remembered_and_the_first_failure_raised() -> None:
    a, b, c = loaded("a"), loaded("b"), loaded("c")
    for doc in (a, b, c):
        doc.views = 5
    first, second = client_error("ValidationException"), client_error("InternalServerError")
    script = Script({}, first, second)
    with pytest.raises(ClientError) as raised:
        script.run(operations.save([a, b, c], table_of, UPDATE, None))
    assert raised.value is first
    snapshot = snapshot_of(a)
    assert snapshot is not None and snapshot.get("views") == {"N": "5"}
    failed = snapshot_of(b)
    assert failed is not None and failed.get("views") == {"N": "0"}


def test_writes_of_one_key_go_one_after_the_other_in_argument_order() -> None:
    a, b, again = Doc(id="a"), Doc(id="b"), Doc(id="a", title="2")
    script = Script({}, {}, {})
    script.run(operations.save([a, b, again], table_of, UPDATE, None))
    rounds = [len(step.calls) for step in script.steps if isinstance(step, Parallel)]
    assert rounds == [2, 1]
    assert script.calls[2].params["ExpressionAttributeValues"][":v0"] == {"S": "2"}


def test_an_atomic_save_of_a_new_object_expects_no_item() -> None:
    script = Script({})
    script.run(operations.save([Doc(id="d1")], table_of, ATOMIC, None))
    params = script.calls[0].params
    assert params["ConditionExpression"] == "attribute_not_exists(#n2)"
    assert params["ExpressionAttributeNames"]["#n2"] == "id"


def test_one_overwrite_is_a_put_item() -> None:
    script = Script({})
    script.run(operations.save([Doc(id="d1")], table_of, OVERWRITE, None))
    assert [c.operation for c in script.calls] == ["put_item"]


def test_overwrites_of_several_are_batched_25_a_request() -> None:
    docs = [Doc(id=f"d{i}") for i in range(26)]
    script = Script({}, {})
    script.run(operations.save(docs, table_of, OVERWRITE, None))
    assert [c.operation for c in script.calls] == ["batch_write_item"] * 2
    sizes = [len(c.params["RequestItems"]["docs"]) for c in script.calls]
    assert sizes == [25, 1]
    assert all(snapshot_of(d) is not None for d in docs)


def test_a_bulk_saves_batch_requests_are_built_when_sent() -> None:
    """The BatchWriteItem parameters of a bulk save exist only while a request is sent (no
    request dicts wait for their turn), and are the same each time they are read."""
    docs = [Doc(id=f"d{i}") for i in range(30)]
    plan = operations.save(docs, table_of, OVERWRITE, None)
    hooks = next(plan)  # the before-save hooks come first; nothing is built yet
    assert isinstance(hooks, Before) and hooks.kind == "save" and hooks.objs == tuple(docs)
    step = plan.send(None)
    assert isinstance(step, Parallel)
    first = step.calls[0]
    assert isinstance(first, DeferredCall)
    assert first.params == first.params and first.params is not first.params
    assert first == DeferredCall("batch_write_item", lambda: first.params)
    assert "batch_write_item" in repr(first)
    asked = with_capacity(first)
    assert type(asked) is Call and asked.params["ReturnConsumedCapacity"] == "TOTAL"
    assert asked.params["RequestItems"] == first.params["RequestItems"]
    plan.close()


def test_a_transaction_yields_its_hooks_before_it_builds_its_writes() -> None:
    """With before-write handlers (``deferred``), the commit asks for the hooks of each
    recorded call, in order (none for a check), and builds those writes only after them: what a
    handler changes is sent."""
    a, b, c = Doc(id="a"), Doc(id="b"), Doc(id="c")
    tx = Transaction(table_of, UPDATE, "token", deferred=lambda kind: True)
    tx.save(a)
    tx.delete(b)
    tx.check(c, col(Doc.views) == 0)
    plan = tx.commit()
    first = next(plan)
    assert first == Before("save", (a,), table_of, transaction=True)
    assert plan.send(None) == Before("delete", (b,), table_of, transaction=True)
    a.title = "changed by a hook"
    sent = plan.send(None)
    assert isinstance(sent, Call) and sent.operation == "transact_write_items"
    update = sent.params["TransactItems"][0]["Update"]
    assert {"S": "changed by a hook"} in update["ExpressionAttributeValues"].values()
    with pytest.raises(StopIteration):
        plan.send({})
    assert snapshot_of(a) is not None


def test_a_transaction_without_hooks_builds_each_write_where_it_is_recorded() -> None:
    a = Doc(id="a")
    tx = Transaction(table_of, UPDATE, "token")
    tx.save(a)
    a.title = "changed after tx.save"
    sent = next(tx.commit())  # no Before step: straight to the request
    assert isinstance(sent, Call) and sent.operation == "transact_write_items"
    update = sent.params["TransactItems"][0]["Update"]
    assert {"S": "changed after tx.save"} not in update["ExpressionAttributeValues"].values()


def test_unprocessed_batch_writes_are_retried_after_a_backoff() -> None:
    a, b = Doc(id="a"), Doc(id="b")
    unprocessed = {"UnprocessedItems": {"docs": [{"PutRequest": {"Item": item("b")}}]}}
    script = Script(unprocessed, {})
    script.run(operations.save([a, b], table_of, OVERWRITE, None))
    assert script.sleeps == [0.1]
    assert script.calls[1].params["RequestItems"]["docs"] == [{"PutRequest": {"Item": item("b")}}]
    assert snapshot_of(a) is not None and snapshot_of(b) is not None


def test_batch_writes_give_up_when_the_backoff_has_no_attempt_left() -> None:
    a, b = Doc(id="a"), Doc(id="b")
    left = {"UnprocessedItems": {"docs": [{"PutRequest": {"Item": item("b")}}]}}
    with pytest.raises(TransientError, match=r"these were not written: Doc\(id='b'\)"):
        Script(left, left, left).run(operations.save([a, b], table_of, OVERWRITE, None))
    assert snapshot_of(a) is not None and snapshot_of(b) is None


def test_only_the_last_batch_write_of_a_key_is_sent() -> None:
    first, last, other = Doc(id="a", title="1"), Doc(id="a", title="2"), Doc(id="b")
    script = Script({})
    script.run(operations.save([first, last, other], table_of, OVERWRITE, None))
    sent = script.calls[0].params["RequestItems"]["docs"]
    assert [e["PutRequest"]["Item"]["id"]["S"] for e in sent] == ["a", "b"]
    assert sent[0]["PutRequest"]["Item"]["title"] == {"S": "2"}
    assert snapshot_of(first) is None and snapshot_of(last) is not None


def test_a_failed_batch_request_is_raised() -> None:
    error = client_error("InternalServerError")
    with pytest.raises(ClientError) as raised:
        Script(error).run(operations.save([Doc(id="a"), Doc(id="b")], table_of, OVERWRITE, None))
    assert raised.value is error


def test_deletes_of_several_are_batched_and_forget_what_was_seen() -> None:
    a, b = loaded("a"), loaded("b")
    script = Script({})
    script.run(operations.delete([a, b], table_of, UPDATE, None))
    assert script.calls[0].params == {
        "RequestItems": {
            "docs": [{"DeleteRequest": {"Key": key("a")}}, {"DeleteRequest": {"Key": key("b")}}]
        }
    }
    assert snapshot_of(a) is None and snapshot_of(b) is None


def test_conditional_deletes_are_single_requests() -> None:
    a, b = loaded("a"), loaded("b")
    error = client_error("ConditionalCheckFailedException")
    script = Script({}, error)
    with pytest.raises(ConstraintViolation) as raised:
        script.run(operations.delete([a, b], table_of, UPDATE, col(Doc.views) == 0))
    assert [c.operation for c in script.calls] == ["delete_item", "delete_item"]
    assert raised.value.obj is b and raised.value.item is None
    assert snapshot_of(a) is None and snapshot_of(b) is not None


# -- paging ------------------------------------------------------------------------------------


def scan(**changes: Any) -> QueryState[Doc]:
    return QueryState(DOCS, None, scan=True, **changes)


def page(*ids: str, last: str | None = None, scanned: int | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Items": [item(i) for i in ids]}
    response["ScannedCount"] = len(ids) if scanned is None else scanned
    if last is not None:
        response["LastEvaluatedKey"] = key(last)
    return response


def drain(cursor: Cursor[Doc], script: Script) -> list[str]:
    """What an engine's iterator does: fetch while needed, hand out every object."""
    out: list[str] = []
    while True:
        out += [obj.id for obj in cursor.drain()]
        next_call = cursor.next_call()
        if next_call is None:
            return out
        cursor.accept(script.run(call(next_call), exhaust=False))


def test_a_cursor_follows_last_evaluated_key_to_the_end() -> None:
    script = Script(page("a", "b", last="b"), page("c"))
    cursor = Cursor(scan(), "docs")
    assert drain(cursor, script) == ["a", "b", "c"]
    assert "ExclusiveStartKey" not in script.calls[0].params
    assert script.calls[1].params["ExclusiveStartKey"] == key("b")
    assert cursor.token is None and cursor.count == 3


def test_an_empty_page_with_a_last_evaluated_key_is_not_the_end() -> None:
    script = Script(page(last="x"), page("a"))
    assert drain(Cursor(scan(), "docs"), script) == ["a"]
    assert len(script.calls) == 2


def test_a_limit_asks_for_no_more_than_needed_and_stops() -> None:
    script = Script(page("a", "b", last="b"))
    cursor = Cursor(scan(limit=2), "docs")
    assert drain(cursor, script) == ["a", "b"]
    assert script.calls[0].params["Limit"] == 2 and len(script.calls) == 1
    assert cursor.token is not None  # more may follow: resumable


def test_a_cursor_stopped_midpage_resumes_after_the_last_object_handed_out() -> None:
    cursor = Cursor(scan(), "docs")
    cursor.accept(page("a", "b", "c", last="c"))
    assert cursor.pop() is not None
    resumed = Cursor(scan(start=key("a")), "docs")
    next_call = resumed.next_call()
    assert next_call is not None and next_call.params["ExclusiveStartKey"] == key("a")
    assert cursor.token is not None


def test_a_cursor_adds_up_scanned_count_and_capacity() -> None:
    first = {**page("a", last="a", scanned=5), "ConsumedCapacity": {"CapacityUnits": 1.5}}
    second = {**page("b", scanned=3), "ConsumedCapacity": {"CapacityUnits": 0.5}}
    cursor = Cursor(scan(), "docs")
    drain(cursor, Script(first, second))
    assert (cursor.scanned, cursor.consumed) == (8, 2.0)


def test_count_adds_up_the_counts_of_every_page() -> None:
    script = Script({"Count": 2, "LastEvaluatedKey": key("b")}, {"Count": 1})
    assert script.run(count(scan(), "docs")) == 3
    assert script.calls[0].params["Select"] == "COUNT"


# -- table waits -------------------------------------------------------------------------------


READINGS = [model_info(Reading)]


def described(status: str = "ACTIVE", index_status: str = "ACTIVE") -> dict[str, Any]:
    table: dict[str, Any] = {
        **tables.create_request(READINGS, "readings"),
        "TableStatus": status,
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    }
    gsis: list[dict[str, Any]] = table["GlobalSecondaryIndexes"]
    table["GlobalSecondaryIndexes"] = [{**gsi, "IndexStatus": index_status} for gsi in gsis]
    return table


def test_bind_creates_a_missing_table_and_waits_until_it_is_active() -> None:
    script = Script(
        client_error("ResourceNotFoundException"),
        {"TableDescription": described("CREATING")},
        {"Table": described("CREATING")},
        {"Table": described("ACTIVE")},
    )
    script.run(tables.bind(READINGS, "readings", BACKOFF))
    operations_sent = [c.operation for c in script.calls]
    assert operations_sent == ["describe_table", "create_table", "describe_table", "describe_table"]
    assert script.sleeps == [0.1, 0.2]


def test_bind_of_a_matching_active_table_only_describes_it() -> None:
    script = Script({"Table": described()})
    assert script.run(tables.bind(READINGS, "readings", BACKOFF)).changes == ()  # it matches
    assert len(script.calls) == 1


def test_bind_waits_for_indexes_still_being_built() -> None:
    script = Script({"Table": described("ACTIVE", "CREATING")}, {"Table": described()})
    script.run(tables.bind(READINGS, "readings", BACKOFF))
    assert script.sleeps == [0.1]


def test_bind_gives_up_after_its_timeout() -> None:
    creating = {"Table": described("CREATING")}
    script = Script(creating, creating, creating)
    with pytest.raises(TableNotActive, match=r"within 0\.3s"):
        script.run(tables.bind(READINGS, "readings", BACKOFF, timeout=0.3))
    assert script.sleeps == [0.1, 0.2]


def test_bind_validates_a_table_another_process_created_meanwhile() -> None:
    script = Script(
        client_error("ResourceNotFoundException"),
        client_error("ResourceInUseException"),
        {"Table": described()},
    )
    script.run(tables.bind(READINGS, "readings", BACKOFF))
    assert [c.operation for c in script.calls][-1] == "describe_table"


def test_bind_lists_every_difference_of_a_mismatched_table() -> None:
    wrong = described()
    wrong["KeySchema"] = [{"AttributeName": "sensor", "KeyType": "HASH"}]
    wrong["GlobalSecondaryIndexes"] = []
    with pytest.raises(TableMismatch) as raised:
        Script({"Table": wrong}).run(tables.bind(READINGS, "readings", BACKOFF))
    assert len(raised.value.differences) == 2
