"""``engine.update(obj, *actions)``: one UpdateItem of the pending changes and the actions, the
object refreshed from the stored result; refusals before any request. Both engines, against the
test server, with the stored item read back through the raw client."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    ConstraintViolation,
    DynamoName,
    Engine,
    HashKey,
    InvalidUpdate,
    InvalidValue,
    RangeKey,
    UnloadedField,
    UpdateAction,
    col,
    key_only,
)
from pydantic_bloop.conditions import Renderer
from pydantic_bloop.tracking import snapshot_of
from pydantic_bloop.updates import Remove, Set, Update
from tests.conftest import RequestLog
from tests.engines import MakeEngine
from tests.test_engine import returned_item


class Counter(Base):
    model_config = BloopConfig(table_name="counters")
    id: Annotated[str, HashKey()]
    owner: str = "nobody"
    balance: Decimal = Decimal(0)
    hits: Annotated[int, DynamoName("h")] = 0
    ratio: float = 0.0
    tags: set[str] = set()
    codes: set[int] = set()
    history: list[str] = []
    notes: list[str] | None = None
    meta: dict[str, int] = {}
    label: str | None = None
    name: str = ""


class Other(Base):
    model_config = BloopConfig(table_name="others")
    id: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    hits: int = 0
    title: str


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Counter, Other)
    return engine


def stored(client: DynamoDBClient, engine: Engine, id: str = "c") -> dict[str, Any] | None:
    response = client.get_item(
        TableName=engine.table_name(Counter), Key={"id": {"S": id}}, ConsistentRead=True
    )
    return response.get("Item")


def loaded(engine: Engine, client: DynamoDBClient) -> Counter:
    """A counter stored by the raw client, then loaded: the object has seen the item."""
    client.put_item(
        TableName=engine.table_name(Counter),
        Item={
            "id": {"S": "c"},
            "name": {"S": "n"},
            "h": {"N": "5"},
            "tags": {"SS": ["new", "old"]},
            "history": {"L": [{"S": "opened"}]},
            "meta": {"M": {"k": {"N": "1"}}},
            "balance": {"N": "10.5"},
        },
    )
    return engine.get(Counter, id="c")


def readable(params: dict[str, Any], expression: str = "ConditionExpression") -> str:
    """An expression of a request with its placeholders filled in."""
    names: dict[str, str] = params.get("ExpressionAttributeNames", {})
    values: dict[str, Any] = params.get("ExpressionAttributeValues", {})

    def fill(match: re.Match[str]) -> str:
        token = match[0]
        if token in names:
            return names[token]
        ((_, plain),) = values[token].items()
        return str(plain)

    return re.sub(r"[#:][nv]\d+", fill, params[expression])


def assert_in_sync(engine: Engine, client: DynamoDBClient, obj: Counter, log: RequestLog) -> None:
    """The object is the stored item, and its snapshot too: a save sends nothing."""
    item = stored(client, engine)
    assert item is not None
    assert obj == engine.get(Counter, id="c", consistent=True)
    snapshot = snapshot_of(obj)
    assert snapshot is not None and dict(snapshot.item) == item
    log.clear()
    engine.save(obj)
    assert log == []


def test_one_update_item_with_every_action(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    c = loaded(engine, client)
    request_log.clear()
    result = engine.update(
        c,
        col(Counter.hits).add(2),
        col(Counter.balance).add(Decimal("-0.5")),
        col(Counter.ratio).add(1.5),
        col(Counter.tags).add("vip", "gold"),
        col(Counter.codes).add(7),
        col(Counter.history).append("deposit", "withdrawal"),
        col(Counter.notes).prepend("first"),  # absent list: counts as empty
        col(Counter.owner).set_default("first"),
        col(Counter.label).set("x"),
        col(Counter.meta)["k"].add(4),  # a nested counter
        col(Counter.meta)["j"].set(9),
        condition=col(Counter.hits) == 5,
    )
    assert result is c
    assert request_log.operations == ["UpdateItem"]
    (params,) = request_log.of("UpdateItem")
    assert params["ReturnValues"] == "ALL_NEW"
    assert readable(params, "ConditionExpression") == "h = 5"
    item = stored(client, engine)
    assert item is not None and set(item.pop("tags")["SS"]) == {"gold", "new", "old", "vip"}
    assert Decimal(item.pop("balance")["N"]) == 10  # spelt "10" or "10.0" by the server
    assert item == {
        "id": {"S": "c"},
        "name": {"S": "n"},
        "h": {"N": "7"},
        "ratio": {"N": "1.5"},
        "codes": {"NS": ["7"]},
        "history": {"L": [{"S": "opened"}, {"S": "deposit"}, {"S": "withdrawal"}]},
        "notes": {"L": [{"S": "first"}]},
        "owner": {"S": "first"},
        "label": {"S": "x"},
        "meta": {"M": {"k": {"N": "5"}, "j": {"N": "9"}}},
    }
    assert (c.hits, c.balance, c.tags, c.history) == (
        7,
        Decimal(10),
        {"gold", "new", "old", "vip"},
        ["opened", "deposit", "withdrawal"],
    )
    assert (c.notes, c.owner, c.label, c.meta) == (["first"], "first", "x", {"k": 5, "j": 9})
    assert_in_sync(engine, client, c, request_log)


def test_the_pending_diff_goes_in_the_same_request(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    c = loaded(engine, client)
    c.owner = "ann"
    c.label = "l"
    request_log.clear()
    engine.update(c, col(Counter.hits).add(1), col(Counter.tags).discard("new"))
    (params,) = request_log.of("UpdateItem")
    assert (
        readable(params, "UpdateExpression") == "SET owner=ann, label=l ADD h 1 DELETE tags ['new']"
    )
    item = stored(client, engine)
    assert item is not None
    assert (item["owner"], item["label"], item["h"], item["tags"]) == (
        {"S": "ann"},
        {"S": "l"},
        {"N": "6"},
        {"SS": ["old"]},
    )
    assert_in_sync(engine, client, c, request_log)


def test_an_object_holding_only_its_key_sends_only_the_actions(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    loaded(engine, client)
    request_log.clear()
    by_key = Counter.model_construct(id="c")
    engine.update(by_key, col(Counter.hits).add(1), col(Counter.history).append("x"))
    (params,) = request_log.of("UpdateItem")
    assert readable(params, "UpdateExpression") == (
        "SET history=list_append(if_not_exists(history, []), [{'S': 'x'}]) ADD h 1"
    )
    assert "ConditionExpression" not in params
    item = stored(client, engine)
    assert item is not None and item["h"] == {"N": "6"} and item["name"] == {"S": "n"}
    assert by_key.name == "n" and by_key.hits == 6  # refreshed from the stored item
    assert_in_sync(engine, client, by_key, request_log)


def test_update_by_key_creates_the_item_and_list_append_works_on_an_absent_list(
    engine: Engine, client: DynamoDBClient
) -> None:
    obj = engine.update(
        Counter.model_construct(id="new"),
        col(Counter.name).set("made"),
        col(Counter.history).append("a"),
        col(Counter.hits).add(-3),
    )
    assert stored(client, engine, "new") == {
        "id": {"S": "new"},
        "name": {"S": "made"},
        "history": {"L": [{"S": "a"}]},
        "h": {"N": "-3"},
    }
    assert (obj.history, obj.hits, obj.tags) == (["a"], -3, set())


def test_set_none_and_remove(engine: Engine, client: DynamoDBClient) -> None:
    c = loaded(engine, client)
    engine.update(c, col(Counter.label).set("x"), col(Counter.meta)["k"].remove())
    engine.update(c, col(Counter.label).set(None), col(Counter.tags).set(set()))
    item = stored(client, engine)
    assert item is not None and "label" not in item and "tags" not in item
    assert item["meta"] == {"M": {}}
    assert (c.label, c.tags, c.meta) == (None, set(), {})


def test_a_failed_condition_changes_nothing(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog, backend: str
) -> None:
    c = loaded(engine, client)
    before = stored(client, engine)
    c.owner = "changed"
    with pytest.raises(ConstraintViolation) as failed:
        engine.update(c, col(Counter.hits).add(1), condition=col(Counter.hits) > 100)
    assert failed.value.obj is c and failed.value.item == returned_item(backend, before or {})
    assert stored(client, engine) == before
    assert (c.hits, c.owner) == (5, "changed")  # the object is as it was: the change pending
    request_log.clear()
    engine.save(c)
    assert [p["UpdateExpression"] for p in request_log.of("UpdateItem")] == ["SET #n0=:v0"]


def test_atomic_mode_checks_what_was_seen(make_engine: MakeEngine, client: DynamoDBClient) -> None:
    engine = make_engine(atomic=True)
    engine.bind(Counter)
    c = loaded(engine, client)
    engine.update(c, col(Counter.hits).add(1))  # the item is as seen: applied
    client.update_item(
        TableName=engine.table_name(Counter),
        Key={"id": {"S": "c"}},
        UpdateExpression="SET #o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": "someone"}},
    )
    with pytest.raises(ConstraintViolation):
        engine.update(c, col(Counter.hits).add(1))
    item = stored(client, engine)
    assert item is not None and item["h"] == {"N": "6"}


def test_concurrent_counter_updates_add_up(engine: Engine, client: DynamoDBClient) -> None:
    """4 threads x 25 updates by key: ADD is applied by the server, so none is lost."""
    engine.update(Counter.model_construct(id="c"), col(Counter.name).set("n"))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                engine.update(Counter.model_construct(id="c"), col(Counter.hits).add(1))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    item = stored(client, engine)
    assert item is not None and item["h"] == {"N": "100"}


# -- refused before any request ----------------------------------------------------------------


def _pending_owner(c: Counter) -> list[UpdateAction]:
    c.owner = "changed"
    return [col(Counter.owner).set("other")]


REFUSALS: list[tuple[Callable[[Counter], list[UpdateAction]], str]] = [
    (_pending_owner, "Counter.owner was also changed on the object"),
    (
        lambda c: [col(Counter.hits).add(1), col(Counter.hits).add(2)],
        "Counter.hits.add(1) and Counter.hits.add(2): two actions on one path",
    ),
    (
        lambda c: [col(Counter.meta).set({}), col(Counter.meta)["k"].add(1)],
        "one inside the other",
    ),
    (
        lambda c: [col(Counter.id).set("other")],
        "Counter.id.set('other'): Counter.id is the hash key",
    ),
    (lambda c: [col(Other.hits).add(1)], "Other.hits is not a field of Counter"),
    (lambda c: [loose(1)], "update() takes actions such as Counter.<field>.set(value), not 1"),
]


def loose(value: object) -> Any:
    return value


@pytest.mark.parametrize(("actions", "message"), REFUSALS)
def test_refused_before_any_request(
    engine: Engine,
    client: DynamoDBClient,
    request_log: RequestLog,
    actions: Callable[[Counter], list[UpdateAction]],
    message: str,
) -> None:
    c = loaded(engine, client)
    before = stored(client, engine)
    request_log.clear()
    with pytest.raises(InvalidUpdate, match=re.escape(message)):
        engine.update(c, *actions(c))
    assert request_log == []
    assert stored(client, engine) == before


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: col(Counter.hits).add(loose("x")), InvalidValue, "Counter.hits.add('x')"),
        (lambda: col(Counter.hits).add(loose(1.5)), InvalidValue, "Counter.hits.add(1.5)"),
        (lambda: loose(col(Counter.hits)).add(1, 2), InvalidUpdate, "exactly one value"),
        (lambda: loose(col(Counter.owner)).add(1), InvalidUpdate, "add applies to numbers"),
        (lambda: loose(col(Counter.tags)).append("x"), InvalidUpdate, "apply to lists"),
        (lambda: loose(col(Counter.history)).discard("x"), InvalidUpdate, "discard applies"),
        (lambda: col(Counter.tags).add(loose(1)), InvalidValue, "Counter.tags.add(1)"),
        (lambda: col(Counter.codes).add(loose([1])), InvalidValue, "Counter.codes.add([1])"),
        (lambda: col(Counter.history).append(loose(2)), InvalidValue, "append(2)"),
        (lambda: col(Counter.label).set(loose(3)), InvalidValue, "Counter.label.set(3)"),
        (lambda: col(Counter.label).set_default(None), InvalidValue, "stored as no attribute"),
        (lambda: loose(col(Counter.tags)).add(), InvalidUpdate, "at least one element"),
        (lambda: loose(col(Counter.meta))["k"].discard(1), InvalidUpdate, "discard applies"),
    ],
)
def test_wrong_actions_fail_when_built(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        build()


def test_removing_a_field_without_default_is_refused(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    other = Other(id="o", n=1, title="t")
    engine.save(other)
    request_log.clear()
    with pytest.raises(InvalidUpdate, match=re.escape("Other.title has no default")):
        engine.update(other, col(Other.title).remove())
    with pytest.raises(InvalidUpdate, match=re.escape("Other.n is the range key")):
        engine.update(other, col(Other.n).set(2))
    assert request_log == []


def test_an_update_without_refresh_asks_for_nothing_back(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    c = loaded(engine, client)
    c.owner = "ann"
    request_log.clear()
    same = engine.update(
        c, col(Counter.hits).add(1), col(Counter.tags).discard("new"), refresh=False
    )
    (params,) = request_log.of("UpdateItem")
    assert same is c and "ReturnValues" not in params
    item = stored(client, engine)
    assert item is not None and item["h"] == {"N": "6"} and item["tags"] == {"SS": ["old"]}
    # the pending change is written and remembered; what the actions left only DynamoDB knows
    for name in ("hits", "tags"):
        with pytest.raises(UnloadedField, match=name):
            getattr(c, name)
    assert c.owner == "ann"
    request_log.clear()
    engine.save(c)
    assert request_log == []
    engine.load(c)
    assert (c.hits, c.tags) == (6, {"old"})
    # by key, too
    by_key = engine.update(key_only(Counter, id="c"), col(Counter.hits).add(1), refresh=False)
    with pytest.raises(UnloadedField, match="hits"):
        _ = by_key.hits
    assert (stored(client, engine) or {})["h"] == {"N": "7"}
    with pytest.raises(InvalidUpdate, match=re.escape("update(refresh=...) takes True or False")):
        engine.update(c, col(Counter.hits).add(1), refresh="no")  # type: ignore[arg-type]


class Doc(Base):
    model_config = BloopConfig(table_name="update_docs")
    id: Annotated[str, HashKey()]
    limits: Annotated[dict[str, int] | None, DynamoName("lim")] = None
    lists: dict[str, list[str]] = {}


def test_a_path_below_what_the_item_lacks_is_an_invalid_update(
    make_engine: MakeEngine, client: DynamoDBClient
) -> None:
    """DynamoDB creates no missing parent of a nested path; its ValidationException becomes an
    InvalidUpdate naming the object and the nested paths, the ClientError as its cause."""
    engine = make_engine()
    engine.bind(Doc)
    doc = Doc(id="d")
    engine.save(doc)
    key: dict[str, Any] = {"id": {"S": "d"}}
    before = client.get_item(TableName=engine.table_name(Doc), Key=key).get("Item")
    with pytest.raises(InvalidUpdate) as failed:
        engine.update(doc, col(Doc.limits)["daily"].set(5), col(Doc.lists).set({"a": []}))
    message = str(failed.value)
    assert message.startswith("Doc(id='d'): DynamoDB refused the update, nothing was written")
    assert "Doc.limits['daily']" in message and "Doc.lists" not in message
    assert getattr(failed.value.__cause__, "response", {})["Error"]["Code"] == "ValidationException"
    after = client.get_item(TableName=engine.table_name(Doc), Key=key).get("Item")
    assert after == before is not None and doc.limits is None and doc.lists == {}
    # a list element below a map key the item lacks, by key: the same
    with pytest.raises(InvalidUpdate, match=re.escape("Doc.lists['x'][0]")):
        engine.update(key_only(Doc, id="d"), col(Doc.lists)["x"][0].set("y"))
    # once the parent is stored, the nested path is an ordinary update
    engine.update(doc, col(Doc.limits).set({}))
    engine.update(doc, col(Doc.limits)["daily"].add(5))
    assert doc.limits == {"daily": 5}


@pytest.mark.parametrize(
    ("sets", "removes"),
    [
        ({"a": {"S": "x"}}, ()),
        ({}, ("gone",)),
        ({"a": {"N": "1"}, "h": {"L": [{"S": "t"}]}, "_et": {"S": "Counter"}}, ("b", "c")),
        ({}, ()),
    ],
)
def test_a_diffs_update_renders_as_its_set_and_remove_actions(
    sets: dict[str, Any], removes: tuple[str, ...]
) -> None:
    """`Update.of_attributes` (what a save's diff builds, no action objects) is the update of the
    `Set` / `Remove` actions: the same expression and placeholders, bit-exact, and equal."""
    fast = Update.of_attributes(sets, removes)
    general = Update([*(Set((n,), v) for n, v in sets.items()), *(Remove((n,)) for n in removes)])
    r_fast, r_general = Renderer(), Renderer()
    assert fast.render(r_fast) == general.render(r_general)
    assert (r_fast.names, r_fast.values) == (r_general.names, r_general.values)
    assert bool(fast) == bool(general)
    assert fast == general and fast.actions == general.actions
    assert fast + Update().set(("z",), {"N": "2"}) == general.set(("z",), {"N": "2"})
