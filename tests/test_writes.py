"""The write unit (`pydantic_bloop.writes`) and update expressions (`pydantic_bloop.updates`).

Rendering is checked as text; what each update action means is checked against the server, by
running the rendered UpdateItem and reading the item back.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Backoff, Base, BloopConfig, ConstraintViolation, Engine, HashKey, col
from pydantic_bloop.conditions import Renderer
from pydantic_bloop.plans import Call, call
from pydantic_bloop.updates import (
    EMPTY_LIST,
    NOTHING_ATTRIBUTE,
    ZERO,
    Update,
    if_not_exists,
    list_append,
    minus,
    plus,
)
from pydantic_bloop.writes import (
    WriteOptions,
    condition_check,
    delete_write,
    describe_object,
    save_write,
)
from tests.engines import MakeEngine


class Doc(Base):
    model_config = BloopConfig(table_name="docs")
    id: Annotated[str, HashKey()]
    title: str = ""
    views: int = 0


def table_of(model: type[Base]) -> str:
    return "docs"


UPDATE = WriteOptions("update", atomic=False)
OVERWRITE = WriteOptions("overwrite", atomic=False)


def render(update: Update) -> tuple[str, dict[str, str], dict[str, Any]]:
    r = Renderer()
    return update.render(r), r.names, r.values


# -- rendering ---------------------------------------------------------------------------------


def test_clauses_render_in_keyword_order_with_one_placeholder_namespace() -> None:
    update = (
        Update()
        .add(("n",), {"N": "1"})
        .remove(("old",))
        .set(("a", "b", 0), {"S": "x"})
        .delete(("tags",), {"SS": ["t"]})
        .set(("n",), plus(("n",), {"N": "2"}))
    )
    text, names, values = render(update)
    assert text == ("SET #n0.#n1[0]=:v0, #n2=#n2 + :v1 REMOVE #n3 ADD #n2 :v2 DELETE #n4 :v3")
    assert names == {"#n0": "a", "#n1": "b", "#n2": "n", "#n3": "old", "#n4": "tags"}
    assert values == {":v0": {"S": "x"}, ":v1": {"N": "2"}, ":v2": {"N": "1"}, ":v3": {"SS": ["t"]}}


def test_operands_nest() -> None:
    p = ("items",)
    text, _, _ = render(
        Update()
        .set(p, list_append(if_not_exists(p, EMPTY_LIST), {"L": [{"S": "x"}]}))
        .set(("c",), minus(if_not_exists(("c",), ZERO), {"N": "1"}))
    )
    assert text == (
        "SET #n0=list_append(if_not_exists(#n0, :v0), :v1), #n1=if_not_exists(#n1, :v2) - :v3"
    )


def test_an_empty_update_removes_an_attribute_no_item_has() -> None:
    text, names, values = render(Update())
    assert text == "REMOVE #n0"
    assert names == {"#n0": NOTHING_ATTRIBUTE}
    assert values == {}
    assert not Update() and Update().remove(("a",))


def test_updates_are_immutable_values() -> None:
    base = Update().set(("a",), {"S": "x"})
    more = base.remove(("b",))
    assert len(base.actions) == 1 and len(more.actions) == 2
    assert base + Update().remove(("b",)) == more


# -- the forms of a write ----------------------------------------------------------------------


def test_an_update_write_renders_as_a_request_and_a_transaction_entry() -> None:
    doc = Doc(id="d1", title="t")
    write = save_write(doc, table_of, UPDATE, col(Doc.views) < 5)
    assert write is not None and write.kind == "update"
    request = write.request()
    assert request.operation == "update_item" and request.service == "dynamodb"
    assert request.params == {
        "TableName": "docs",
        "Key": {"id": {"S": "d1"}},
        "UpdateExpression": "SET #n0=:v0, #n1=:v1",
        "ConditionExpression": "#n1 < :v2",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ExpressionAttributeNames": {"#n0": "title", "#n1": "views"},
        "ExpressionAttributeValues": {":v0": {"S": "t"}, ":v1": {"N": "0"}, ":v2": {"N": "5"}},
    }
    assert write.transact_entry() == {"Update": request.params}
    with pytest.raises(ValueError, match="BatchWriteItem"):
        write.batch_entry()


def test_puts_and_deletes_render_as_batch_entries() -> None:
    doc = Doc(id="d1", title="t")
    put = save_write(doc, table_of, OVERWRITE, None)
    assert put is not None and put.kind == "put"
    item = {"id": {"S": "d1"}, "title": {"S": "t"}, "views": {"N": "0"}}
    assert put.batch_entry() == {"PutRequest": {"Item": item}}
    assert put.transact_entry() == {"Put": {"TableName": "docs", "Item": item}}
    delete = delete_write(doc, table_of, UPDATE, None)
    assert delete.batch_entry() == {"DeleteRequest": {"Key": {"id": {"S": "d1"}}}}
    assert delete.request() == Call(
        "delete_item", {"TableName": "docs", "Key": {"id": {"S": "d1"}}}
    )


def test_a_condition_check_exists_only_inside_a_transaction() -> None:
    check = condition_check(Doc(id="d1"), table_of, col(Doc.views) == 0)
    assert check.transact_entry() == {
        "ConditionCheck": {
            "TableName": "docs",
            "Key": {"id": {"S": "d1"}},
            "ConditionExpression": "#n0 = :v0",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ExpressionAttributeNames": {"#n0": "views"},
            "ExpressionAttributeValues": {":v0": {"N": "0"}},
        }
    }
    with pytest.raises(ValueError, match="transaction"):
        check.request()


def test_a_failure_other_than_a_condition_stays_what_it_is() -> None:
    write = delete_write(Doc(id="d1"), table_of, UPDATE, None)
    error = ClientError({"Error": {"Code": "ValidationException", "Message": "no"}}, "DeleteItem")
    assert write.failed(error) is error
    assert describe_object(Doc(id="d1")) == "Doc(id='d1')"


# -- against the server ------------------------------------------------------------------------


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01))
    engine.bind(Doc)
    return engine


def apply(engine: Engine, update: Update) -> dict[str, Any]:
    """Run `update` on item d1 and return the stored item."""
    r = Renderer()
    params: dict[str, Any] = {
        "TableName": engine.table_name(Doc),
        "Key": {"id": {"S": "d1"}},
        "UpdateExpression": update.render(r),
        "ReturnValues": "ALL_NEW",
    }
    response = engine.run(call(Call("update_item", r.into(params))))
    attributes: dict[str, Any] = response["Attributes"]
    return attributes


def test_list_append_and_prepend_work_on_an_absent_list(engine: Engine) -> None:
    p = ("items",)
    append = Update().set(p, list_append(if_not_exists(p, EMPTY_LIST), {"L": [{"S": "b"}]}))
    assert apply(engine, append)["items"] == {"L": [{"S": "b"}]}
    prepend = Update().set(p, list_append({"L": [{"S": "a"}]}, if_not_exists(p, EMPTY_LIST)))
    assert apply(engine, prepend)["items"] == {"L": [{"S": "a"}, {"S": "b"}]}


def test_counters_top_level_and_nested(engine: Engine) -> None:
    first = Update().set(("n",), plus(if_not_exists(("n",), ZERO), {"N": "5"}))
    first = first.set(("m",), {"M": {"c": {"N": "1"}}})
    assert apply(engine, first)["n"] == {"N": "5"}
    nested = Update().set(("m", "c"), plus(("m", "c"), {"N": "2"}))
    nested = nested.set(("n",), minus(("n",), {"N": "1"}))
    stored = apply(engine, nested)
    assert stored["m"] == {"M": {"c": {"N": "3"}}} and stored["n"] == {"N": "4"}


def test_add_delete_and_remove(engine: Engine) -> None:
    assert apply(engine, Update().add(("tags",), {"SS": ["a", "b", "c"]}).add(("n",), {"N": "2"}))
    stored = apply(engine, Update().delete(("tags",), {"SS": ["b"]}).remove(("n",)))
    assert sorted(stored["tags"]["SS"]) == ["a", "c"] and "n" not in stored


def test_a_constraint_violation_keeps_the_client_error_as_its_cause(
    engine: Engine, client: DynamoDBClient
) -> None:
    doc = Doc(id="d1", views=1)
    engine.save(doc)
    with pytest.raises(ConstraintViolation) as raised:
        engine.delete(doc, condition=col(Doc.views) > 1)
    cause = raised.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
    assert "Item" in client.get_item(TableName=engine.table_name(Doc), Key={"id": {"S": "d1"}})


@pytest.mark.dynalite_unsupported("dynalite has no DynamoDB Streams")
def test_a_call_goes_to_the_client_of_its_service(engine: Engine) -> None:
    try:
        streams = engine.run(call(Call("list_streams", {}, service="dynamodbstreams")))
    finally:
        engine.close()  # the streams client it made
    assert isinstance(streams.get("Streams"), list)
    with pytest.raises(ValueError, match="no client for service 'lambda'"):
        engine.run(call(Call("list_functions", {}, service="lambda")))


def test_a_put_with_nothing_to_check_takes_its_key_from_the_item() -> None:
    """A bulk save's put (no condition, not atomic, no version) dumps key and item in one walk:
    the same write as a put whose key is dumped first (a conditioned one), bar the condition."""
    doc = Doc(id="é-doc", title="t", views=3)
    plain = save_write(doc, table_of, OVERWRITE, None)
    checked = save_write(doc, table_of, OVERWRITE, col(Doc.views) >= 0)
    assert plain is not None and checked is not None
    assert (plain.kind, plain.key, plain.item) == (checked.kind, checked.key, checked.item)
    assert plain.key == {"id": {"S": "é-doc"}} and plain.condition is None
    assert plain.batch_entry() == {"PutRequest": {"Item": plain.item}}
    assert plain.ident == checked.ident
