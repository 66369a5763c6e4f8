"""PynamoDB's update-expression tests (pynamodb/PynamoDB, tests/test_expressions.py,
``UpdateExpressionTestCase``), ported against the server (PynamoDB checks the serialized
expression only): each action is sent, and the stored item and the refreshed object are checked;
the expression is checked too where its shape is the point (``foo = bar + :v``, the order of the
clauses). PynamoDB's ``Path('bar')`` is another column here, ``Value(0) + Path('bar')`` is
``0 + col(...)``, ``Path('bar') | 'baz'`` is ``col(...).if_not_exists("baz")`` and
``Path('bar').append([...])`` / ``.prepend`` are ``list_append``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, Engine, HashKey, InvalidUpdate, InvalidValue, col, list_append
from tests.conftest import RequestLog
from tests.test_updates import readable


class Doc(Base):
    """PynamoDB's attributes ``foo`` (a string), ``foo_set`` (a number set), ``foo_list``, and
    a ``bar`` of each kind to compute from."""

    id: Annotated[str, HashKey()]
    foo: str | None = None
    bar: str | None = None
    count: int = 0
    total: int = 0
    foo_set: set[int] = set()
    foo_list: list[str] = []
    bar_list: list[str] = []
    foo_map: dict[str, str] = {}


MODELS = (Doc,)


def stored(engine: Engine, client: DynamoDBClient) -> dict[str, Any]:
    key: dict[str, Any] = {"id": {"S": "d"}}
    response = client.get_item(TableName=engine.table_name(Doc), Key=key, ConsistentRead=True)
    return response.get("Item") or {}


def saved(engine: Engine, **fields: Any) -> Doc:
    doc = Doc(id="d", **fields)
    engine.save(doc)
    return doc


def test_set_and_set_as_remove(engine: Engine, client: DynamoDBClient) -> None:
    """test_set_action, test_set_action_as_remove, test_update_set_to_empty,
    test_set_action_attribute_container"""
    doc = saved(engine, foo_set={1, 2})
    engine.update(doc, col(Doc.foo).set("bar"), col(Doc.foo_map).set({"bar": "baz"}))
    engine.update(doc, col(Doc.foo_set).set(set()))
    item = stored(engine, client)
    assert item["foo"] == {"S": "bar"} and item["foo_map"] == {"M": {"bar": {"S": "baz"}}}
    assert "foo_set" not in item and doc.foo_set == set()


@pytest.mark.parametrize(
    ("build", "shape", "expected"),
    [
        (lambda: col(Doc.count) + 0, "total=count + 0", 7),
        (lambda: 0 + col(Doc.count), "total=0 + count", 7),
        (lambda: col(Doc.count) - 2, "total=count - 2", 5),
        (lambda: 10 - col(Doc.count), "total=10 - count", 3),
    ],
    ids=["increment", "increment_value", "decrement", "decrement_value"],
)
def test_arithmetic_of_another_attribute(
    engine: Engine, request_log: RequestLog, build: Any, shape: str, expected: int
) -> None:
    """test_increment_action, test_increment_action_value, test_decrement_action,
    test_decrement_action_value"""
    doc = saved(engine, count=7)
    request_log.clear()
    engine.update(doc, col(Doc.total).set(build()))
    (params,) = request_log.of("UpdateItem")
    assert readable(params, "UpdateExpression") == f"SET {shape}"
    assert (doc.count, doc.total) == (7, expected)


def test_append_and_prepend_another_list(engine: Engine, client: DynamoDBClient) -> None:
    """test_append_action, test_prepend_action"""
    doc = saved(engine, bar_list=["bar"])
    engine.update(doc, col(Doc.foo_list).set(list_append(col(Doc.bar_list), ["baz"])))
    assert doc.foo_list == ["bar", "baz"]
    engine.update(doc, col(Doc.foo_list).set(list_append(["baz"], col(Doc.bar_list))))
    assert doc.foo_list == ["baz", "bar"] and doc.bar_list == ["bar"]
    assert stored(engine, client)["foo_list"] == {"L": [{"S": "baz"}, {"S": "bar"}]}


def test_conditional_set_from_another_attribute(engine: Engine) -> None:
    """test_conditional_set_action: ``foo = if_not_exists(bar, 'baz')``"""
    doc = saved(engine)
    engine.update(doc, col(Doc.foo).set(col(Doc.bar).if_not_exists("baz")))
    assert doc.foo == "baz"
    engine.update(doc, col(Doc.bar).set("set"))
    engine.update(doc, col(Doc.foo).set(col(Doc.bar).if_not_exists("baz")))
    assert doc.foo == "set"


def test_remove_and_remove_a_list_element(engine: Engine, client: DynamoDBClient) -> None:
    """test_remove_action, test_remove_action_list_element, test_update_skips_empty_clauses"""
    letters = [chr(ord("a") + n) for n in range(11)]
    doc = saved(engine, foo="x", foo_list=letters)
    engine.update(doc, col(Doc.foo).remove(), col(Doc.foo_list)[10].remove())
    assert doc.foo is None and doc.foo_list == letters[:10]
    assert "foo" not in stored(engine, client)


def test_add_and_delete(engine: Engine, client: DynamoDBClient) -> None:
    """test_add_action, test_add_action_set, test_delete_action, test_delete_action_set"""
    doc = saved(engine, foo_set={5})
    engine.update(doc, col(Doc.count).add(0), col(Doc.foo_set).add(0, 1))
    assert (doc.count, doc.foo_set) == (0, {0, 1, 5})
    engine.update(doc, col(Doc.foo_set).discard(0, 1))
    assert doc.foo_set == {5} and stored(engine, client)["foo_set"] == {"NS": ["5"]}


def test_every_clause_in_one_update(engine: Engine, request_log: RequestLog) -> None:
    """test_update: SET, REMOVE, ADD and DELETE in one expression, in that order"""
    doc = saved(engine, bar="b", foo_set={1})
    request_log.clear()
    engine.update(
        doc,
        col(Doc.foo).set("bar"),
        col(Doc.bar).remove(),
        col(Doc.foo_set).add(0),
        col(Doc.foo_list).append("x"),
    )
    engine.update(doc, col(Doc.foo_set).discard(1))
    first, second = request_log.of("UpdateItem")
    assert readable(first, "UpdateExpression") == (
        "SET foo=bar, foo_list=list_append(if_not_exists(foo_list, []), [{'S': 'x'}]) "
        "REMOVE bar ADD foo_set ['0']"
    )
    assert readable(second, "UpdateExpression") == "DELETE foo_set ['1']"
    assert (doc.foo, doc.bar, doc.foo_set, doc.foo_list) == ("bar", None, {0}, ["x"])


def test_what_add_and_delete_refuse() -> None:
    """test_add_action_list, test_delete_action_non_set: ADD of a list, DELETE of a non-set"""
    # each is a type error too: the columns are untyped here to reach the checks
    foo_list: Any = col(Doc.foo_list)
    count: Any = col(Doc.count)
    foo_set: Any = col(Doc.foo_set)
    with pytest.raises(InvalidUpdate, match=re.escape("add applies to numbers and sets")):
        foo_list.add(["x"])
    with pytest.raises(InvalidUpdate, match=re.escape("discard applies to sets")):
        count.discard(0)
    with pytest.raises(InvalidValue, match=re.escape("Doc.foo_set.add('not a number')")):
        foo_set.add("not a number")
