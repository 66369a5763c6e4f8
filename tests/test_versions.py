"""Version attributes (optimistic locking): the ``Version()`` marker and what writes do with it."""

from __future__ import annotations

import re
from typing import Annotated

import pytest

from pydantic_bloop import Base, DynamoName, HashKey, InvalidModel, RangeKey, Version
from pydantic_bloop.models import model_info


class Account(Base):
    id: Annotated[str, HashKey()]
    hits: int = 0
    version: Annotated[int, Version()] = 0


def test_the_version_field_is_on_the_model_info() -> None:
    version = model_info(Account).version
    assert version is not None
    assert (version.name, version.dynamo_name, version.role) == ("version", "version", None)


def test_a_model_without_version_has_none() -> None:
    class Plain(Base):
        id: Annotated[str, HashKey()]

    assert model_info(Plain).version is None


def test_the_version_may_be_stored_under_another_name_and_inherited() -> None:
    class Versioned(Base):
        rev: Annotated[int, Version(), DynamoName("r")] = 0

    class Doc(Versioned):
        id: Annotated[str, HashKey()]

    version = model_info(Doc).version
    assert version is not None and (version.name, version.dynamo_name) == ("rev", "r")


def test_two_versions_are_refused() -> None:
    with pytest.raises(InvalidModel, match=re.escape("Twice marks a and b Version()")):

        class Twice(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            a: Annotated[int, Version()] = 0
            b: Annotated[int, Version()] = 0


@pytest.mark.parametrize("annotation", [str, float, bool, int | None])
def test_a_version_that_is_no_int_is_refused(annotation: object) -> None:
    with pytest.raises(InvalidModel, match=re.escape("Bad.version is marked Version() but is")):
        type(
            "Bad",
            (Base,),
            {
                "__annotations__": {
                    "id": Annotated[str, HashKey()],
                    "version": Annotated[annotation, Version()],
                },
                "__module__": __name__,
            },
        )


def test_a_key_cannot_be_the_version() -> None:
    with pytest.raises(
        InvalidModel, match=re.escape("Keyed.n is a range key and cannot be the version")
    ):

        class Keyed(Base):  # pyright: ignore[reportUnusedClass]
            id: Annotated[str, HashKey()]
            n: Annotated[int, RangeKey(), Version()]
