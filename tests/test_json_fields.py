"""``pydantic.Json[...]`` fields: stored as the JSON text they validate from (an S attribute), so
that every read path (get, batch load, query, scan, the fast reader and the general one) gives
back what was saved (issue 18, failure 12)."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import Base, HashKey, RangeKey, col, from_item, to_item
from pydantic_bloop.models import model_info
from tests.engines import MakeEngine


class Doc(Base):
    owner: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    doc: pydantic.Json[Any] = None
    counts: pydantic.Json[list[int]] = []
    extra: pydantic.Json[dict[str, int]] | None = None
    parts: list[pydantic.Json[int]] = []
    bare: pydantic.Json = None  # type: ignore[type-arg]  # pydantic's bare Json is Json[Any]


class CheckedDoc(Doc):
    """The same fields read through the general path: a model validator rules out the fast
    reader."""

    @pydantic.model_validator(mode="after")
    def _checked(self) -> CheckedDoc:
        return self


VALUES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "text in, values out",
        {"doc": '{"a": [1, 2], "b": null}', "counts": "[3, 4]", "extra": '{"x": 1}'},
        {"doc": {"a": [1, 2], "b": None}, "counts": [3, 4], "extra": {"x": 1}},
    ),
    ("a JSON string", {"doc": '"plain text"'}, {"doc": "plain text"}),
    ("a JSON number", {"doc": "1.5", "bare": "[true]"}, {"doc": 1.5, "bare": [True]}),
    ("JSON null", {"doc": "null"}, {"doc": None}),
    ("elements", {"parts": ["1", "22"]}, {"parts": [1, 22]}),
    ("defaults", {}, {"doc": None, "counts": [], "extra": None, "parts": []}),
]


def _made(model: type[Doc], n: int, given: dict[str, Any]) -> Doc:
    return model.model_validate({"owner": "o", "n": n, **given})


@pytest.mark.parametrize("model", [Doc, CheckedDoc], ids=["fast reader", "general path"])
def test_json_fields_round_trip_through_every_read(
    make_engine: MakeEngine, model: type[Doc]
) -> None:
    engine = make_engine()
    engine.bind(model)
    saved = [_made(model, n, given) for n, (_, given, _) in enumerate(VALUES)]
    for obj, (_, _, expected) in zip(saved, VALUES, strict=True):
        assert {k: getattr(obj, k) for k in expected} == expected
    engine.save(*saved)

    got = [engine.get(model, owner="o", n=n) for n in range(len(VALUES))]
    loaded = [model(owner="o", n=n) for n in range(len(VALUES))]
    engine.load(*loaded)
    queried = engine.query(model).key(col(model.owner) == "o").all()
    scanned = sorted(engine.scan(model).all(), key=lambda d: d.n)

    assert got == loaded == queried == scanned == saved


def test_stored_as_the_json_text(make_engine: MakeEngine, client: DynamoDBClient) -> None:
    engine = make_engine()
    engine.bind(Doc)
    engine.save(_made(Doc, 0, VALUES[0][1] | {"parts": ["7"]}))
    table = engine.table_name(Doc)

    answer = client.get_item(TableName=table, Key={"owner": {"S": "o"}, "n": {"N": "0"}})
    item = dict(answer.get("Item", {}))

    assert item["doc"] == {"S": '{"a":[1,2],"b":null}'}
    assert item["counts"] == {"S": "[3,4]"}
    assert item["extra"] == {"S": '{"x":1}'}
    assert item["parts"] == {"L": [{"S": "7"}]}
    assert "bare" in item  # None of Json[Any] is the JSON text null, not an absent attribute


def test_changed_json_values_save_and_filter(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Doc)
    obj = _made(Doc, 0, {"doc": '{"v": 1}', "counts": "[1]"})
    engine.save(obj)
    obj.doc = {"v": 2, "more": ["x"]}
    obj.counts = [5, 6]
    engine.save(obj)

    again = engine.get(Doc, owner="o", n=0)
    matched = engine.query(Doc).key(col(Doc.owner) == "o").filter(col(Doc.counts) == [5, 6])

    assert again.doc == {"v": 2, "more": ["x"]} and again.counts == [5, 6]
    assert matched.all() == [again]


def test_to_item_and_from_item_without_a_server() -> None:
    obj = _made(Doc, 3, {"doc": '{"k": [1]}', "counts": "[2]"})
    item = to_item(obj)
    assert item["doc"] == {"S": '{"k":[1]}'}
    assert from_item(Doc, item) == obj


def test_a_value_json_cannot_write_names_it() -> None:
    codec = model_info(Doc).fields["doc"].codec
    with pytest.raises(TypeError, match=r"cannot be written as JSON of Any"):
        codec.dump(object())
