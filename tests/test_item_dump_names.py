"""The generated whole-item dump (item_dump.py) with names that could break generated source:
fields named like its locals, stored names with quotes, backslashes and non-ASCII letters, an
entity tag with quotes, subclasses, and models with no non-key field or with hundreds of
fields; each dumps as the checked walk does and is stored and read back whole."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pydantic
import pytest

from pydantic_bloop import Base, BloopConfig, DynamoName, Engine, HashKey, RangeKey
from pydantic_bloop.mapper_state import model_info
from tests.engines import MakeEngine
from tests.test_item_dump import assert_same_dump


class Mood(StrEnum):
    UP = "up"


class Clash(Base):
    """Fields named as the generated function's locals, parameters and globals."""

    model_config = BloopConfig(table_name="dump_names", entity='it\'s "q" \\')
    v: Annotated[str, HashKey(), DynamoName("k'\"\\\n")]
    item: Annotated[int, RangeKey(), DynamoName("ítem")]
    key: str = "k"
    values: int = 1
    d0: Decimal = Decimal("1.5")
    a0: bool = True
    t: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    x: list[str] = ["a"]
    y: Annotated[str | None, DynamoName("}'{")] = None
    us: int | None = None
    z: Annotated[str, DynamoName("\\")] = "b"
    D: Annotated[str, DynamoName("{D[0]}")] = "c"
    ZERO: Annotated[str, DynamoName("'''")] = "d"
    UTC: Mood = Mood.UP
    KEY_LIMITS: str = "e"
    naïve: str = "ü"


class Child(Clash):
    extra: str = "child"


class KeysOnly(Base):
    model_config = BloopConfig(table_name="dump_keys_only")
    pk: Annotated[str, HashKey()]
    sk: Annotated[int, RangeKey()]


def _wide(count: int) -> type[Any]:
    fields: dict[str, Any] = {"pk": (Annotated[str, HashKey()], ...)}
    for i in range(count):
        fields[f"f{i}"] = (str | None if i % 3 else int, None if i % 3 else i)
    model: type[Any] = pydantic.create_model("Wide", __base__=Base, **fields)
    return model


WIDE = _wide(300)
NARROWER = _wide(120)  # (moto's expression parser recurses past its limit on 300 SETs)


def test_clashing_and_quoted_names_dump_as_the_walk() -> None:
    for obj in (
        Clash(v="a", item=1),
        Clash(v="a", item=1, y="y", us=3, x=["'", '"', "\\"], key="", values=-1),
        Child(v="b", item=2, y="}"),
    ):
        assert_same_dump(obj)
        item = model_info(type(obj)).dump_item(obj)
        assert item["k'\"\\\n"] == {"S": obj.v} and item["ítem"] == {"N": str(obj.item)}
        entity = model_info(type(obj)).entity
        assert entity is not None and item[entity.attribute] == entity.value
    assert model_info(Clash).dump_item(Clash(v="a", item=1))["_et"] == {"S": 'it\'s "q" \\'}


def test_models_of_keys_only_and_of_300_fields_dump_as_the_walk() -> None:
    assert_same_dump(KeysOnly(pk="p", sk=0))
    wide = WIDE(pk="w", **{f"f{i}": "s" for i in range(1, 300) if i % 3})
    assert_same_dump(wide)
    item = model_info(WIDE).dump_item(wide)
    assert len(item) == 1 + 300 and item["f299"] == {"S": "s"} and item["f0"] == {"N": "0"}


@pytest.mark.parametrize("model", [Clash, Child, KeysOnly, NARROWER], ids=lambda m: m.__name__)
def test_they_are_stored_and_read_back_whole(make_engine: MakeEngine, model: type[Any]) -> None:
    engine: Engine = make_engine()
    engine.bind(model)
    if model is KeysOnly:
        obj = KeysOnly(pk="p", sk=1)
        keys: dict[str, Any] = {"pk": "p", "sk": 1}
    elif model is NARROWER:
        obj = NARROWER(pk="w", f1="one", f119="last")
        keys = {"pk": "w"}
    else:
        obj = model(v="q'\"", item=3, y="why", us=4)
        keys = {"v": "q'\"", "item": 3}
    with engine.context(persist="overwrite") as bulk:
        bulk.save(obj)  # a put: its item is the generated dump's
    back = engine.get(model, **keys, consistent=True)
    assert back == obj
    engine.delete(back)
    engine.save(model(**obj.model_dump()))  # a new object's update, for comparison
    assert engine.get(model, **keys, consistent=True) == back
