"""One textual form of a condition: ``describe()`` writes it as a user would (Python syntax,
model labels, plain values), and reprs and error messages show exactly that."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from pydantic_bloop import Base, BloopConfig, Condition, DynamoName, HashKey, RangeKey, col
from pydantic_bloop.conditions import PathEquals
from pydantic_bloop.settings import setting_names


class Shelf(Base):
    model_config = BloopConfig(table_name="shelves")
    room: Annotated[str, HashKey()]
    slot: Annotated[int, RangeKey()]
    books: int = 0
    limit: int = 0
    title: Annotated[str, DynamoName("t")] = ""
    tags: set[str] = set()
    notes: list[str] = []


def loose(column: object) -> Any:
    return col(column)


@pytest.mark.parametrize(
    ("build", "shown"),
    [
        (lambda: loose(Shelf.books) > 3, "Shelf.books > 3"),
        (lambda: loose(Shelf.books) == 3, "Shelf.books == 3"),
        (lambda: loose(Shelf.books) != 3, "Shelf.books != 3"),
        (lambda: loose(Shelf.title) == "x", "Shelf.title == 'x'"),
        (lambda: loose(Shelf.books) > loose(Shelf.limit), "Shelf.books > Shelf.limit"),
        (lambda: loose(Shelf.slot).between(1, 5), "Shelf.slot.between(1, 5)"),
        (lambda: loose(Shelf.title).begins_with("ab"), "Shelf.title.begins_with('ab')"),
        (lambda: loose(Shelf.tags).contains("a"), "Shelf.tags.contains('a')"),
        (lambda: loose(Shelf.title).in_("a", "b"), "Shelf.title.in_('a', 'b')"),
        (lambda: loose(Shelf.title).is_(None), "Shelf.title.is_(None)"),
        (lambda: loose(Shelf.title).is_not(None), "Shelf.title.is_not(None)"),
        (lambda: loose(Shelf.tags).size() > 3, "Shelf.tags.size() > 3"),
        (
            lambda: loose(Shelf.tags).size() == loose(Shelf.notes).size(),
            "Shelf.tags.size() == Shelf.notes.size()",
        ),
        (lambda: loose(Shelf.tags).size().between(1, 2), "Shelf.tags.size().between(1, 2)"),
        (lambda: loose(Shelf.title).attribute_type("S"), "Shelf.title.attribute_type('S')"),
        (
            lambda: (loose(Shelf.books) > 1) & loose(Shelf.title).begins_with("a"),
            "(Shelf.books > 1) & Shelf.title.begins_with('a')",
        ),
        (
            lambda: (loose(Shelf.books) > 1) | ~(loose(Shelf.limit) == 2),
            "(Shelf.books > 1) | ~(Shelf.limit == 2)",
        ),
        (
            lambda: ~((loose(Shelf.books) > 1) & (loose(Shelf.limit) < 2)),
            "~((Shelf.books > 1) & (Shelf.limit < 2))",
        ),
    ],
)
def test_describe_writes_the_condition_as_the_user_did(build: Any, shown: str) -> None:
    condition: Condition = build()
    assert condition.describe() == shown
    assert repr(condition) == shown


def test_an_atomic_condition_names_stored_paths() -> None:
    assert PathEquals(("t",), {"S": "x"}).describe() == "t == 'x'"
    assert PathEquals(("n", 0, "k"), {"N": "1"}).describe() == "n[0].k == 1"
    assert PathEquals(("t",), None).describe() == "t.is_(None)"
    listed = PathEquals(("l",), {"L": [{"N": "1"}, {"S": "a"}]})
    assert listed.describe() == "l == [1, 'a']"
    both = (loose(Shelf.books) > 1) & PathEquals(("t",), None)
    assert both.describe() == "(Shelf.books > 1) & t.is_(None)"


def test_update_actions_describe_themselves_like_conditions() -> None:
    action = loose(Shelf.books).add(2)
    assert action.describe() == repr(action) == "Shelf.books.add(2)"


def test_engine_settings_are_declared_once() -> None:
    in_config, as_keywords = setting_names()
    assert in_config == as_keywords
