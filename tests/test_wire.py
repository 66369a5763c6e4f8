"""The one-call item reader (wire.py) reads exactly what loading field by field reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from pydantic_bloop import AsEpoch, Base, DynamoName, HashKey, InvalidItem, RangeKey
from pydantic_bloop.models import ModelInfo, model_info
from pydantic_bloop.types import AttributeValue
from pydantic_bloop.wire import item_reader


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip: int | None = None


class Everything(Base):
    pk: Annotated[str, HashKey()]
    sk: Annotated[int, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]
    when: datetime
    day: date
    price: Decimal
    ratio: float
    ok: bool
    raw: bytes
    color: Color
    tags: set[str] = set()
    scores: set[int] = set()
    items: list[str] = []
    meta: dict[str, int] = {}
    home: Address | None = None
    note: str | None = "default note"  # absent in DynamoDB means None, not this default
    expires: Annotated[datetime, AsEpoch()] | None = None


def slow(info: ModelInfo, item: dict[str, AttributeValue]) -> Base:
    values = info.values_from(item, info.fields.values())
    return info.model.model_validate(values, by_name=True)


def sample() -> Everything:
    return Everything(
        pk="p",
        sk=7,
        user=uuid4(),
        when=datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        day=date(2024, 2, 29),
        price=Decimal("12.50"),
        ratio=0.1,
        ok=True,
        raw=b"\x00\xff",
        color=Color.BLUE,
        tags={"a", "b"},
        scores={1, 2, 3},
        items=["x", "y"],
        meta={"k": 1},
        home=Address(street="Main", zip=None),
        note=None,
        expires=datetime(2030, 1, 1, tzinfo=UTC),
    )


def test_reader_matches_field_by_field_loading() -> None:
    info = model_info(Everything)
    reader = item_reader(Everything, info.fields.values())
    assert reader is not None
    for obj in (sample(), Everything.model_validate({**sample().model_dump(), "tags": set()})):
        item = info.dump_item(obj)
        fast = reader.read(item)
        assert type(fast) is Everything
        assert fast == slow(info, item) == obj
        assert fast.note is None  # absent -> None, not the field default
        assert fast.model_dump() == obj.model_dump()


def test_reader_ignores_attributes_the_model_does_not_have() -> None:
    info = model_info(Everything)
    item = {**info.dump_item(sample()), "other": {"S": "x"}, "u2": {"N": "1"}}
    reader = item_reader(Everything, info.fields.values())
    assert reader is not None
    read = reader.read(item)
    assert isinstance(read, Everything)
    assert read == sample().model_copy(update={"user": read.user})


class Validated(Base):
    id: Annotated[str, HashKey()]
    name: str

    @field_validator("name")
    @classmethod
    def shout(cls, value: str) -> str:
        return value.upper()


def test_field_validators_run() -> None:
    info = model_info(Validated)
    reader = item_reader(Validated, info.fields.values())
    assert reader is not None
    read = reader.read({"id": {"S": "1"}, "name": {"S": "ann"}})
    assert isinstance(read, Validated) and read.name == "ANN"


class Checked(Base):
    id: Annotated[str, HashKey()]
    low: int
    high: int

    @model_validator(mode="after")
    def ordered(self) -> Checked:
        if self.low > self.high:
            raise ValueError("low > high")
        return self


def test_models_with_model_validators_take_the_general_path() -> None:
    info = model_info(Checked)
    assert item_reader(Checked, info.fields.values()) is None
    bad = {"id": {"S": "1"}, "low": {"N": "5"}, "high": {"N": "1"}}
    with pytest.raises(InvalidItem, match="low > high") as caught:
        info.instance_from(bad, None)
    assert isinstance(caught.value.__cause__, ValidationError)


class Big(Base):
    id: Annotated[str, HashKey()]
    n: int


def test_items_the_reader_refuses_fall_back_to_the_general_path() -> None:
    info = model_info(Big)
    # DynamoDB may spell a large integer with an exponent; pydantic's int parser does not
    # read "1E+40", the codec does
    read = info.instance_from({"id": {"S": "x"}, "n": {"N": "1E+40"}}, None)
    assert type(read) is Big and read.n == 10**40
    with pytest.raises(InvalidItem, match="n: Field required"):
        info.instance_from({"id": {"S": "x"}}, None)  # n is required


class Counted(Base):
    id: Annotated[str, HashKey()]
    n: int = 3


@pytest.mark.parametrize("model", [Big, Counted], ids=["every field required", "a default"])
def test_an_attribute_stored_with_another_type_is_read_as_the_general_path_reads_it(
    model: type[Big] | type[Counted],
) -> None:
    # the reader's path for n is ["n", "N"]: a required field misses it (a ValidationError), a
    # field with a default would take the default; either way the general path converts "5"
    read = model_info(model).instance_from({"id": {"S": "x"}, "n": {"S": "5"}}, None)
    assert type(read) is model and read.n == 5
    assert read.model_fields_set == {"id", "n"}


def test_extra_allow_models_take_the_general_path() -> None:
    class Open(Base, extra="allow"):
        id: Annotated[str, HashKey()]

    info = model_info(Open)
    assert item_reader(Open, info.fields.values()) is None
    opened: Any = info.instance_from({"id": {"S": "1"}}, None)
    assert opened.id == "1"
