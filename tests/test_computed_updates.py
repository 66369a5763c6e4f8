"""Values DynamoDB computes in an update (``col.set(100 - col)``, ``col.if_not_exists(d) + 1``,
lists joined with ``+``): the expression sent, the stored result read back through the raw
client, the object refreshed; every refusal before a request. Both engines, on the test server."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    HashKey,
    InvalidUpdate,
    InvalidValue,
    UnloadedField,
    UpdateValue,
    col,
    key_only,
    list_append,
)
from tests.conftest import RequestLog
from tests.engines import MakeEngine
from tests.test_updates import readable


class Tally(Base):
    model_config = BloopConfig(table_name="tallies")
    id: Annotated[str, HashKey()]
    hits: Annotated[int, DynamoName("h")] = 0
    base: int | None = None
    price: Decimal = Decimal(0)
    ratio: float = 0.0
    name: str = ""
    words: list[str] = []
    later: list[str] | None = None
    counts: dict[str, int] = {}
    tags: set[str] = set()
    anything: Any = None


class Stranger(Base):
    model_config = BloopConfig(table_name="strangers")
    id: Annotated[str, HashKey()]
    hits: int = 0


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Tally, Stranger)
    return engine


def stored(client: DynamoDBClient, engine: Engine, id: str = "t") -> dict[str, Any]:
    key: dict[str, Any] = {"id": {"S": id}}
    item = client.get_item(TableName=engine.table_name(Tally), Key=key, ConsistentRead=True)
    return item.get("Item") or {}


def saved(engine: Engine, **fields: Any) -> Tally:
    tally = Tally(id="t", **fields)
    engine.save(tally)
    return tally


def test_arithmetic_with_the_stored_value_on_either_side(
    engine: Engine, client: DynamoDBClient, request_log: RequestLog
) -> None:
    tally = saved(engine, hits=5, base=40, price=Decimal("2.5"), ratio=0.5)
    request_log.clear()
    engine.update(
        tally,
        col(Tally.hits).set(100 - col(Tally.hits)),
        col(Tally.base).set(col(Tally.hits) + 1),
        col(Tally.price).set(col(Tally.price) - Decimal("0.25")),
        col(Tally.ratio).set(1.5 + col(Tally.ratio)),
    )
    (params,) = request_log.of("UpdateItem")
    assert readable(params, "UpdateExpression") == (
        "SET h=100 - h, base=h + 1, price=price - 0.25, ratio=1.5 + ratio"
    )
    item = stored(client, engine)
    numbers = [Decimal(item[name]["N"]) for name in ("h", "base", "price", "ratio")]
    assert numbers == [95, 6, Decimal("2.25"), 2]  # every operand is the item before the update
    assert (tally.hits, tally.base, tally.price, tally.ratio) == (95, 6, Decimal("2.25"), 2.0)


def test_if_not_exists_as_an_operand(engine: Engine, client: DynamoDBClient) -> None:
    tally = saved(engine)
    engine.update(tally, col(Tally.base).set(col(Tally.base).if_not_exists(5) + 1))
    assert tally.base == 6 and stored(client, engine)["base"] == {"N": "6"}
    engine.update(tally, col(Tally.base).set(col(Tally.base).if_not_exists(5) + 1))
    assert tally.base == 7
    # another attribute as the default, and a value taken from another attribute
    engine.update(
        tally,
        col(Tally.later).set(col(Tally.later).if_not_exists(col(Tally.words))),
        col(Tally.base).set(col(Tally.hits)),
    )
    assert (tally.later, tally.base) == ([], 0)


def test_lists_joined_with_list_append(engine: Engine, client: DynamoDBClient) -> None:
    tally = saved(engine, words=["b"])
    engine.update(
        tally,
        col(Tally.words).set(list_append(list_append(["a"], col(Tally.words)), ["c", "d"])),
        col(Tally.later).set(list_append(col(Tally.later).if_not_exists(["y"]), ["z"])),
    )
    assert (tally.words, tally.later) == (["a", "b", "c", "d"], ["y", "z"])
    assert stored(client, engine)["later"] == {"L": [{"S": "y"}, {"S": "z"}]}
    later = list_append(col(Tally.later).if_not_exists(["y"]), ["z"])
    engine.update(tally, col(Tally.later).set(later))
    assert tally.later == ["y", "z", "z"]


def test_paths_inside_documents_and_updates_by_key(engine: Engine, client: DynamoDBClient) -> None:
    saved(engine, counts={"a": 2})
    by_key = engine.update(
        key_only(Tally, id="t"),
        col(Tally.counts)["b"].set(col(Tally.counts)["a"] + 3),
        col(Tally.counts)["c"].set(col(Tally.counts)["c"].if_not_exists(10) - 1),
    )
    assert by_key.counts == {"a": 2, "b": 5, "c": 9}
    assert stored(client, engine)["counts"] == {
        "M": {"a": {"N": "2"}, "b": {"N": "5"}, "c": {"N": "9"}}
    }


def test_a_field_of_any_type_computes_what_it_is_given(engine: Engine) -> None:
    tally = saved(engine, anything=3)
    engine.update(tally, col(Tally.anything).set(col(Tally.anything) + 4))
    assert tally.anything == 7
    engine.update(tally, col(Tally.anything).set(["x"]))
    engine.update(tally, col(Tally.anything).set(list_append(col(Tally.anything), ["y"])))
    assert tally.anything == ["x", "y"]


def test_an_absent_operand_is_an_invalid_update(engine: Engine, client: DynamoDBClient) -> None:
    tally = saved(engine)
    before = stored(client, engine)
    with pytest.raises(InvalidUpdate) as failed:
        engine.update(tally, col(Tally.hits).set(col(Tally.base) + 1))
    message = str(failed.value)
    assert message.startswith("Tally(id='t'): DynamoDB refused the update, nothing was written")
    assert "Tally.base" in message and "if_not_exists" in message
    assert stored(client, engine) == before and tally.hits == 0


# the refused values below are type errors too: built from untyped columns, to reach the checks
def loose(column: object) -> Any:
    return col(column)


any_append: Any = list_append


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: loose(Tally.name) - 1,
            InvalidUpdate,
            "Tally.name - 1: + and - compute numbers; Tally.name is stored as S",
        ),
        (
            lambda: loose(Tally.tags) + 1,
            InvalidUpdate,
            "Tally.tags + 1: + and - compute numbers; Tally.tags is stored as SS",
        ),
        (
            lambda: loose(Tally.words) + ["a"],  # noqa: RUF005
            InvalidUpdate,
            "Tally.words + ['a']: + and - compute numbers (list_append joins lists)",
        ),
        (
            lambda: any_append(["a"], ["b"]),
            InvalidUpdate,
            "list_append(['a'], ['b']): one of the lists is a stored attribute (a column)",
        ),
        (
            lambda: any_append(loose(Tally.hits), [1]),
            InvalidUpdate,
            "list_append(Tally.hits, [1]): Tally.hits is stored as N, not a list",
        ),
        (lambda: loose(Tally.hits) + 1 + 1, InvalidUpdate, "DynamoDB computes one + or - per SET"),
        (lambda: 1 - (loose(Tally.hits) + 1), InvalidUpdate, "one + or - per SET"),
        (
            lambda: loose(Tally.hits) + (loose(Tally.hits) - 1),
            InvalidUpdate,
            "Tally.hits + Tally.hits - 1: DynamoDB computes one + or - per SET",
        ),
        (lambda: loose(Tally.hits) + "x", InvalidValue, "Tally.hits + 'x': "),
        (lambda: loose(Tally.hits) + 1.5, InvalidValue, "Tally.hits + 1.5: "),
        (
            lambda: any_append(loose(Tally.words), "x"),
            InvalidValue,
            "list_append(Tally.words, 'x')",
        ),
        (
            lambda: loose(Tally.hits) + loose(Tally.name),
            InvalidUpdate,
            "Tally.name is stored as S, N",
        ),
        (
            lambda: any_append(loose(Tally.words), loose(Tally.hits)),
            InvalidUpdate,
            "Tally.hits is stored as N, L",
        ),
        (
            lambda: any_append(loose(Tally.words), loose(Tally.hits) + 1),
            InvalidUpdate,
            "Tally.hits + 1 cannot be an operand",
        ),
        (lambda: loose(Tally.hits) + loose(Stranger.hits), InvalidUpdate, "of its own item only"),
        (
            lambda: loose(Tally.base).if_not_exists(None),
            InvalidValue,
            "Tally.base.if_not_exists(None): the default is stored as no attribute",
        ),
        (
            lambda: loose(Tally.base).if_not_exists(loose(Tally.base).if_not_exists(1)),
            InvalidUpdate,
            "the default is a value or an attribute",
        ),
        (
            lambda: loose(Tally.hits).set(any_append(loose(Tally.words), ["x"])),
            InvalidUpdate,
            "Tally.hits.set(list_append(Tally.words, ['x'])): Tally.hits is stored as N",
        ),
        (
            lambda: loose(Tally.hits).set(loose(Stranger.hits) + 1),
            InvalidUpdate,
            "Tally.hits.set(Stranger.hits + 1): an update reads attributes of its own item only",
        ),
        (
            lambda: loose(Tally.name).set(loose(Tally.hits)),
            InvalidUpdate,
            "Tally.name is stored as S",
        ),
    ],
)
def test_refused_when_built(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        build()


def test_refused_before_sending(engine: Engine, request_log: RequestLog) -> None:
    tally = saved(engine)
    request_log.clear()
    with pytest.raises(InvalidUpdate, match=re.escape("Tally.id is the hash key")):
        engine.update(tally, col(Tally.id).set(col(Tally.name)))
    with pytest.raises(InvalidUpdate, match="two actions on one path"):
        engine.update(tally, col(Tally.hits).set(col(Tally.hits) + 1), col(Tally.hits).add(1))
    assert request_log == []


def test_the_value_is_typed() -> None:
    value: UpdateValue[int] = col(Tally.hits) + 1
    assert repr(value) == "Tally.hits + 1"
    assert repr(col(Tally.hits).set(100 - col(Tally.hits))) == "Tally.hits.set(100 - Tally.hits)"


def test_a_stored_operand_of_another_type_is_an_invalid_update(
    engine: Engine, client: DynamoDBClient
) -> None:
    """An item written by other code, where ``base`` holds a string: DynamoDB refuses the
    arithmetic, restated naming what the update reads."""
    client.put_item(TableName=engine.table_name(Tally), Item={"id": {"S": "t"}, "base": {"S": "x"}})
    with pytest.raises(InvalidUpdate, match=re.escape("it reads Tally.base")) as failed:
        engine.update(key_only(Tally, id="t"), col(Tally.hits).set(col(Tally.base) + 1))
    assert "another type" in str(failed.value)
    # a counter's ADD, too
    with pytest.raises(InvalidUpdate, match=re.escape("it reads Tally.base")):
        engine.update(key_only(Tally, id="t"), col(Tally.base).add(1))
    assert stored(client, engine) == {"id": {"S": "t"}, "base": {"S": "x"}}


@pytest.mark.dynalite_unsupported("no transactions in dynalite")
def test_computed_values_in_a_transaction(engine: Engine, client: DynamoDBClient) -> None:
    """tx.update builds the same SET; a transaction returns no item, so the fields computed are
    unloaded on the object until it is loaded."""
    tally = saved(engine, hits=5, words=["b"])
    with engine.transaction() as tx:
        tx.update(
            tally,
            col(Tally.hits).set(100 - col(Tally.hits)),
            col(Tally.words).set(list_append(col(Tally.words), ["c"])),
        )
    item = stored(client, engine)
    assert item["h"] == {"N": "95"} and item["words"] == {"L": [{"S": "b"}, {"S": "c"}]}
    with pytest.raises(UnloadedField, match="hits"):
        _ = tally.hits
    engine.load(tally)
    assert (tally.hits, tally.words) == (95, ["b", "c"])
