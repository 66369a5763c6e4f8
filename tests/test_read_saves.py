"""The save of an object read whole (`tracking.read_diff`): the same request, the same state after.

A read keeps no `Snapshot` (the stored item and the kept values sit in slots of the object), and
a plain update-save of such an object (no condition, no version, not atomic) diffs against them
directly, takes its key from the stored item, renders without a `Renderer` and builds what the
object will have seen only once the write is applied. Each case here changes two objects read
from the same item the same way: one as a read leaves it, one made to hold a `Snapshot` (the
general path, `tracking.diff`). Their requests, bodies and the state after must be equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, cast

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import BaseModel

from pydantic_bloop import (
    Backoff,
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    HashKey,
    RangeKey,
    Template,
    Version,
)
from pydantic_bloop.bodies import encode
from pydantic_bloop.mapper_state import kept_by, seen_by
from pydantic_bloop.models import model_info
from pydantic_bloop.plans import Call
from pydantic_bloop.tracking import Snapshot, loaded, read_diff, snapshot_of
from pydantic_bloop.types import AttributeValue
from pydantic_bloop.writes import Write, WriteOptions, save_write
from tests.engines import MakeEngine
from tests.faults import Throttled

if TYPE_CHECKING:
    from tests.conftest import RequestLog

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class Inner(BaseModel):
    x: int = 0
    words: list[str] = []


class Shape(Base):
    model_config = BloopConfig(table_name="read_saves")
    id: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    title: str = ""
    views: int = 0
    price: Decimal = Decimal("0")
    active: bool = False
    when: datetime | None = None
    note: Annotated[str | None, DynamoName("nt")] = None
    tags: list[str] = []
    labels: set[str] = set()
    scores: set[int] = set()
    inner: Inner | None = None
    extra: dict[str, int] = {}


class Tagged(Base):
    """An entity of a shared table, with a templated key and a templated index key."""

    model_config = BloopConfig(table_name="read_saves_shared", entity="T")
    pk: Annotated[str, HashKey(), DynamoName("PK")] = Template("T#{ref}")
    ref: str
    status: str = "new"
    gsi: Annotated[str, DynamoName("GSI1PK")] = Template("STATUS#{status}")
    count: int = 0


class Counted(Base):
    model_config = BloopConfig(table_name="read_saves_versioned")
    id: Annotated[str, HashKey()]
    views: int = 0
    version: Annotated[int, Version()] = 0


def table_of(model: type[Base]) -> str:
    return model_info(model).label


UPDATE = WriteOptions("update", atomic=False)
ATOMIC = WriteOptions("update", atomic=True)

ITEM: dict[str, AttributeValue] = {
    "id": {"S": "s1"},
    "n": {"N": "7"},
    "title": {"S": "first"},
    "views": {"N": "41"},
    "price": {"N": "1.5"},
    "active": {"BOOL": True},
    "when": {"S": "2025-01-02T03:04:05Z"},
    "nt": {"S": "a note"},
    "tags": {"L": [{"S": "a"}, {"S": "b"}]},
    "labels": {"SS": ["x", "y"]},
    "scores": {"NS": ["1", "2"]},
    "inner": {"M": {"x": {"N": "1"}, "words": {"L": [{"S": "w"}]}}},
    "extra": {"M": {"k": {"N": "1"}}},
}


def read(model: type[Base], item: dict[str, AttributeValue]) -> Any:
    """An object as a whole read leaves it (what get, query and scan do per item)."""
    info = model_info(model)
    obj = info.instance_from(item, None)
    loaded(info, obj, item, None)
    return obj


def pair(model: type[Base], item: dict[str, AttributeValue]) -> tuple[Any, Any]:
    """Two objects read from ``item``: as a read leaves it, and made to hold a `Snapshot`."""
    fast, general = read(model, item), read(model, item)
    snapshot_of(general)  # made once asked: the object now holds a Snapshot
    assert isinstance(seen_by(general), Snapshot) and isinstance(seen_by(fast), dict)
    return fast, general


def params(write: Write | None) -> dict[str, Any] | None:
    if write is None:
        return None
    request = write.request()
    assert isinstance(request, Call)
    return {"operation": request.operation, **request.params}


def seen_state(obj: Base) -> tuple[Any, ...] | None:
    """What ``obj`` has seen, in either form (without making a Snapshot of a read)."""
    seen = seen_by(obj)
    if isinstance(seen, dict):
        return dict(seen), model_info(type(obj)).dynamo_names(None), kept_by(obj), ()
    if seen is None:
        return None
    doubt = tuple(None if d is None else (dict(d.item), d.names, d.values) for d in seen.doubt)
    return dict(seen.item), seen.names, seen.values, doubt


def same_save(
    fast: Base, general: Base, options: WriteOptions = UPDATE
) -> tuple[Write | None, Write | None]:
    """Build both saves and check they send the same request (the same body, byte for byte)."""
    info = model_info(type(fast))
    fast_path = options == UPDATE and info.version is None and read_diff(info, fast) is not None
    w1, w2 = save_write(fast, table_of, options, None), save_write(general, table_of, options, None)
    assert params(w1) == params(w2)
    if w1 is not None and w2 is not None:
        assert encode(w1.request().params) == encode(w2.request().params)
        assert w1.key == w2.key and list(w1.key) == list(w2.key)
        assert w1.after is not None and w2.after is not None
        assert (dict(w1.after.item), w1.after.names, w1.after.values) == (
            dict(w2.after.item),
            w2.after.names,
            w2.after.values,
        )
    assert read_diff(info, general) is None  # the general path was the one taken
    if fast_path:
        assert read_diff(info, fast) is not None
    return w1, w2


Change = Callable[[Any], None]


def _set(name: str, value: Any) -> Change:
    return lambda obj: setattr(obj, name, value)


CHANGES: dict[str, Change] = {
    "nothing": lambda obj: None,
    "a number": _set("views", 42),
    "a number, incremented": lambda obj: setattr(obj, "views", obj.views + 1),
    "a string": _set("title", "second"),
    "the same string, another object": _set("title", "".join(["fir", "st"])),
    "a decimal, same value": _set("price", Decimal("1.50")),
    "a decimal": _set("price", Decimal("2.25")),
    "a bool": _set("active", False),
    "a datetime": _set("when", datetime(2026, 1, 1, tzinfo=UTC)),
    "a datetime to None (REMOVE)": _set("when", None),
    "a renamed attribute to None (REMOVE)": _set("note", None),
    "a renamed attribute": _set("note", "another"),
    "a list, in place": lambda obj: obj.tags.append("c"),
    "a list, replaced by an equal one": _set("tags", ["a", "b"]),
    "a list emptied": _set("tags", []),
    "a string set, in place": lambda obj: obj.labels.add("z"),
    "a string set emptied (REMOVE)": _set("labels", set()),
    "a number set": _set("scores", {3}),
    "a nested model, in place": lambda obj: setattr(obj.inner, "x", 2),
    "a nested model's list, in place": lambda obj: obj.inner.words.append("v"),
    "a nested model to None (REMOVE)": _set("inner", None),
    "a map, in place": lambda obj: obj.extra.update(k=2),
    "the hash key (a new item)": _set("id", "s2"),
    "the range key (a new item)": _set("n", 8),
}


def _several(obj: Any) -> None:
    obj.views += 5
    obj.note = None
    obj.tags.append("c")
    obj.when = None
    obj.title = "third"


CHANGES["several: SETs and REMOVEs, in field order"] = _several


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_a_save_of_a_read_object_sends_what_the_general_path_sends(change: Change) -> None:
    fast, general = pair(Shape, ITEM)
    change(fast)
    change(general)
    w1, w2 = same_save(fast, general)
    if w1 is None or w2 is None:
        assert w1 is w2 is None  # nothing to send, either way
        return
    # applied: both have seen the same, and the read form is kept (the next save is fast too)
    w1.applied({})
    w2.applied({})
    assert seen_state(fast) == seen_state(general)
    assert isinstance(seen_by(fast), dict) and isinstance(seen_by(general), dict)
    fast.views += 100
    general.views += 100
    snapshot_of(general)
    same_save(fast, general)


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_a_failed_or_unknown_save_leaves_the_same_state(change: Change) -> None:
    fast, general = pair(Shape, ITEM)
    change(fast)
    change(general)
    before = seen_state(fast)
    w1, w2 = same_save(fast, general)
    if w1 is None or w2 is None:
        return
    first = params(w1)
    error = ClientError({"Error": {"Code": "ValidationException", "Message": "no"}}, "UpdateItem")
    assert w1.failed(error) is error
    assert seen_state(fast) == before  # nothing remembered: the next save resends the change
    assert params(save_write(fast, table_of, UPDATE, None)) == first
    w1.unsure()
    w2.unsure()
    assert seen_state(fast) == seen_state(general)
    assert snapshot_of(fast) is not None and snapshot_of(fast).doubt  # type: ignore[union-attr]


@pytest.mark.parametrize("options", [UPDATE, ATOMIC], ids=["plain", "atomic"])
def test_conditioned_and_versioned_saves_are_unchanged(options: WriteOptions) -> None:
    fast, general = pair(Shape, ITEM)
    fast.views = general.views = 1
    w1, w2 = same_save(fast, general, options)
    assert w1 is not None and w2 is not None
    if options.atomic:
        assert "ConditionExpression" in w1.request().params
    item: dict[str, AttributeValue] = {"id": {"S": "c"}, "views": {"N": "1"}, "version": {"N": "3"}}
    fast, general = pair(Counted, item)
    fast.views = general.views = 2
    w1, w2 = same_save(fast, general, options)
    assert w1 is not None and w2 is not None
    assert w1.version == w2.version == 4
    expression = cast(str, w1.request().params["ConditionExpression"])
    assert expression.startswith("#n") and ":v" in expression


TAGGED: dict[str, AttributeValue] = {
    "PK": {"S": "T#r1"},
    "ref": {"S": "r1"},
    "status": {"S": "new"},
    "GSI1PK": {"S": "STATUS#new"},
    "count": {"N": "0"},
    "entity": {"S": "T"},
}


@pytest.mark.parametrize(
    ("item", "change"),
    [
        (TAGGED, _set("count", 1)),
        (TAGGED, _set("status", "done")),
        # written before the entity tag or the index existed: both are written by the next save
        ({k: v for k, v in TAGGED.items() if k != "entity"}, CHANGES["nothing"]),
        ({k: v for k, v in TAGGED.items() if k != "GSI1PK"}, CHANGES["nothing"]),
    ],
    ids=["a field", "a templated index key's field", "no entity tag", "no index key"],
)
def test_entity_tags_and_templated_fields(item: dict[str, AttributeValue], change: Change) -> None:
    info = model_info(Tagged)
    item = {**item}
    if info.entity is not None and "entity" in item:
        item[info.entity.attribute] = item.pop("entity")
    fast, general = pair(Tagged, item)
    change(fast)
    change(general)
    w1, w2 = same_save(fast, general)
    assert w1 is not None and w2 is not None


def test_a_key_stored_in_another_spelling_takes_the_general_path() -> None:
    item = {**ITEM, "n": {"N": "7.0"}}  # DynamoDB answers "7"; another program's item
    fast, general = pair(Shape, item)
    fast.views = general.views = 1
    assert read_diff(model_info(Shape), fast) is None  # the stored key is not what n dumps to
    same_save(fast, general)


# -- against the server --------------------------------------------------------------------------


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01))
    engine.bind(Shape)
    return engine


def stored(client: DynamoDBClient, engine: Engine) -> dict[str, Any]:
    answer = client.get_item(
        TableName=engine.table_name(Shape), Key={"id": {"S": "s1"}, "n": {"N": "7"}}
    )
    return dict(answer.get("Item", {}))


@pytest.fixture
def saved(engine: Engine) -> Iterator[Shape]:
    engine.save(
        Shape(
            id="s1",
            n=7,
            title="first",
            views=41,
            when=T0,
            note="a note",
            tags=["a", "b"],
            labels={"x"},
        )
    )
    yield engine.get(Shape, id="s1", n=7)


def test_a_read_object_saves_only_what_changed_again_and_again(
    engine: Engine, client: DynamoDBClient, saved: Shape, request_log: RequestLog
) -> None:
    request_log.clear()
    saved.views += 1
    saved.note = None
    engine.save(saved)
    saved.tags.append("c")
    engine.save(saved)
    engine.save(saved)  # nothing changed: nothing sent
    sent = request_log.of("UpdateItem")
    assert [p["UpdateExpression"] for p in sent] == ["SET #n0=:v0 REMOVE #n1", "SET #n0=:v0"]
    assert sent[0]["ExpressionAttributeNames"] == {"#n0": "views", "#n1": "nt"}
    assert sent[0]["ExpressionAttributeValues"] == {":v0": {"N": "42"}}
    assert sent[0]["Key"] == {"id": {"S": "s1"}, "n": {"N": "7"}}
    item = stored(client, engine)
    assert item["views"] == {"N": "42"} and "nt" not in item
    assert item["tags"] == {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}
    assert engine.get(Shape, id="s1", n=7) == saved


class Refused(Throttled):
    """The request is refused, as DynamoDB refuses what it finds invalid (not retried)."""

    CODE = "ValidationException"


def test_a_save_that_fails_is_sent_again(
    engine: Engine,
    client: DynamoDBClient,
    saved: Shape,
    request_log: RequestLog,
) -> None:
    saved.views += 1
    saved.when = None
    request_log.clear()
    with Refused(client, "UpdateItem", times=1), pytest.raises(ClientError) as refused:
        engine.save(saved)
    assert refused.value.response.get("Error", {}).get("Code") == "ValidationException"
    assert stored(client, engine)["views"] == {"N": "41"}
    engine.save(saved)  # the same change again: nothing was taken as stored
    failed, sent = request_log.of("UpdateItem")
    assert failed == sent and sent["UpdateExpression"] == "SET #n0=:v0 REMOVE #n1"
    item = stored(client, engine)
    assert item["views"] == {"N": "42"} and "when" not in item
    request_log.clear()
    engine.save(saved)
    assert request_log.of("UpdateItem") == []  # now stored: nothing more to send
