"""One test per touchpoint of pydantic's private API (pydantic_bloop/_pydantic_compat.py).

`./dev test` runs these on the oldest pydantic pyproject.toml allows and on the newest: a
pydantic release that moves one of them fails the test named for it.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pydantic
import pytest
from pydantic import BaseModel, Field, PrivateAttr, ValidationInfo, model_validator

from pydantic_bloop import Base, HashKey
from pydantic_bloop._pydantic_compat import (
    WHOLE_CHECK,
    ModelMetaclass,
    NoInitField,
    WireField,
    assemble,
    class_fields_complete,
    fields_set,
    is_assignment,
    mark_assignments,
    model_complete,
    own_field_names,
    plain_fields_model,
    refuse_validation,
    replace_fields_set,
    unloaded,
    validate_field,
    wire_instance_validator,
    wire_validator,
)
from pydantic_bloop.models import model_info
from pydantic_bloop.wire import item_reader


class Point(BaseModel):
    x: int
    y: int = 0
    tags: set[str] = Field(default_factory=set[str])


def test_model_metaclass_is_pydantics() -> None:
    assert type(BaseModel) is ModelMetaclass
    assert isinstance(Base, ModelMetaclass)


def test_no_init_field_is_a_field_specifier_pydantic_accepts() -> None:
    # pydantic declares its own dunder fields with it; it only has to be callable this way
    NoInitField(init=False)


def test_model_complete_follows_forward_references() -> None:
    class Later(BaseModel):
        other: Missing  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable]

    assert model_complete(Point)
    assert not model_complete(Later)
    assert not class_fields_complete(Later)
    assert class_fields_complete(Point)


def test_own_field_names_reads_the_class_dict() -> None:
    assert set(own_field_names(Point)) == {"x", "y", "tags"}
    assert own_field_names(int) == {}


def test_fields_set_is_live_and_replaceable() -> None:
    p = Point(x=1)
    assert fields_set(p) == {"x"} == p.model_fields_set
    replace_fields_set(p, {"x", "y"})
    assert p.model_fields_set == {"x", "y"}


def test_unloaded_holds_no_field_but_private_defaults() -> None:
    class Secret(BaseModel):
        x: int = 1
        _note: str = PrivateAttr("kept")

    empty = unloaded(Secret)
    assert type(empty) is Secret
    assert vars(empty) == {} and empty.model_fields_set == set()
    assert empty.__pydantic_private__ == {"_note": "kept"}


def test_validate_field_validates_without_validate_assignment() -> None:
    p = Point(x=1)
    validate_field(Point, p, "y", "5")
    assert p.y == 5
    with pytest.raises(pydantic.ValidationError):
        validate_field(Point, p, "y", "five")


def test_assemble_builds_a_working_instance() -> None:
    p = assemble(Point, {"x": 1, "y": 2, "tags": {"a"}}, {"x", "y"})
    assert isinstance(p, Point)
    assert p == Point(x=1, y=2, tags={"a"})
    assert p.model_fields_set == {"x", "y"}
    assert p.model_dump() == {"x": 1, "y": 2, "tags": {"a"}}
    assert p.model_extra is None


def test_plain_fields_model_sees_what_the_fast_reader_would_skip() -> None:
    class Checked(BaseModel):
        x: int

        @model_validator(mode="after")
        def check(self) -> Checked:
            return self

    class Private(BaseModel):
        x: int
        _cache: int = PrivateAttr(default=0)

    class Extra(BaseModel, extra="allow"):
        x: int

    assert plain_fields_model(Point)
    assert not plain_fields_model(Checked)
    assert not plain_fields_model(Private)
    assert not plain_fields_model(Extra)


def test_every_model_gets_the_whole_object_check_and_stays_plain() -> None:
    class Shelf(Base):
        name: Annotated[str, HashKey()]
        size: int

    assert WHOLE_CHECK in Shelf.__pydantic_decorators__.model_validators
    assert plain_fields_model(Shelf)  # the fast reader may skip that check


def test_is_assignment_tells_an_assignment_from_a_whole_validation() -> None:
    seen: list[bool] = []

    class Inner(BaseModel, validate_assignment=True):
        x: int

        @model_validator(mode="after")
        def note(self, info: ValidationInfo) -> Inner:
            seen.append(is_assignment(info))
            return self

    class Outer(BaseModel):
        inner: Inner

    mark_assignments(Inner)  # what a Base model's metaclass does (needed on pydantic 2.11)
    inner = Inner(x=1)
    inner.x = 2
    Outer(inner=inner)
    Outer.model_validate({"inner": {"x": 3}})
    Inner.model_validate(inner)
    assert seen == [False, True, False, False, False]


def test_wire_validator_reads_the_wire_form() -> None:
    def load_set(wire: Any) -> Any:
        return set(wire["SS"])

    validator = wire_validator(
        Point,
        [
            WireField("x", ["a", "N"]),
            WireField("y", ["b", "N"], absent=0),
            WireField("tags", ["t"], before=load_set, default_factory=set),
        ],
    )
    assert validator is not None
    values, _extra, given = validator.validate_python(
        {"a": {"N": "3"}, "t": {"SS": ["q"]}, "ignored": {"S": "x"}}
    )
    assert values == {"x": 3, "y": 0, "tags": {"q"}}
    assert given == {"x", "tags"}
    empty, _, _ = validator.validate_python({"a": {"N": "3"}})
    assert empty["tags"] == set()
    with pytest.raises(pydantic.ValidationError):
        validator.validate_python({"b": {"N": "1"}})  # x is required


def test_wire_validator_reads_list_elements_from_their_tagged_form() -> None:
    class Listed(BaseModel):
        names: list[str]
        held: set[str] = set()

    get_s = operator.methodcaller("get", "S")
    validator = wire_validator(
        Listed,
        [  # a list schema takes ``elements``; a set's schema is no list: ``before`` serves
            WireField(
                "names", ["n"], before=lambda w: [x["S"] for x in w["L"]], elements=("L", (get_s,))
            ),
            WireField(
                "held", ["h"], before=lambda w: {x["S"] for x in w["L"]}, elements=("L", (get_s,))
            ),
        ],
    )
    assert validator is not None
    values, _, _ = validator.validate_python(
        {"n": {"L": [{"S": "a"}, {"S": "b"}]}, "h": {"L": [{"S": "c"}]}}
    )
    assert values == {"names": ["a", "b"], "held": {"c"}}
    with pytest.raises(pydantic.ValidationError):
        validator.validate_python({"n": {"L": [{"N": "1"}]}})  # no S: None, which str refuses


def test_wire_instance_validator_makes_instances_from_the_wire_form() -> None:
    # built although Point is complete (its own validator is not taken for the node), and
    # Point's own validator still reads plain values afterwards
    validator = wire_instance_validator(
        Point, [WireField("x", ["a", "N"]), WireField("y", ["b", "N"], absent=0)]
    )
    assert validator is not None
    point = validator.validate_python({"a": {"N": "3"}, "ignored": {"S": "x"}})
    assert type(point) is Point and point == Point(x=3)
    assert fields_set(point) == {"x"}
    assert point.__pydantic_extra__ is None and point.__pydantic_private__ is None
    assert Point.__pydantic_complete__ and Point.model_validate({"x": 1}) == Point(x=1)
    with pytest.raises(pydantic.ValidationError):
        validator.validate_python({"b": {"N": "1"}})  # x is required


def test_wire_validator_refuses_models_it_cannot_serve() -> None:
    class Checked(BaseModel):
        x: int

        @model_validator(mode="before")
        @classmethod
        def check(cls, data: Any) -> Any:
            return data

    assert wire_validator(Checked, [WireField("x", ["x", "N"])]) is None
    assert wire_instance_validator(Checked, [WireField("x", ["x", "N"])]) is None
    assert wire_validator(Point, [WireField("nope", ["x", "N"])]) is None


def test_the_fast_reader_serves_a_plain_table_model() -> None:
    class Row(Base):
        id: Annotated[str, HashKey()]
        n: int = 0

    reader = item_reader(Row, model_info(Row).fields.values())
    assert reader is not None
    row = reader.read({"id": {"S": "k"}, "n": {"N": "4"}})
    assert row is not None
    assert row == Row(id="k", n=4)
    assert row.model_fields_set == {"id", "n"}


def test_refuse_validation_stops_instantiation_and_validation() -> None:
    class Closed(BaseModel):
        x: int

    refuse_validation(Closed, ValueError("closed for good"))

    with pytest.raises(ValueError, match="closed for good"):
        Closed(x=1)
    with pytest.raises(ValueError, match="closed for good"):
        Closed.model_validate({"x": 1})
    with pytest.raises(ValueError, match="closed for good"):
        Closed.model_validate_json('{"x": 1}')
