"""PynamoDB's model tests of documents and counts (pynamodb/PynamoDB, tests/test_model.py: the
``*_retrieve_from_db`` tests, ``test_deserializing_map_four_layers_deep_works``,
``test_deserializing_bool_false_works``, ``test_model_with_maps_with_nulls_retrieve_from_db``,
``test_index_multipage_count``, the ``test_query_limit_*`` and ``test_scan_limit*`` tests,
``test_multiple_indices_share_non_key_attribute``), ported against the server (PynamoDB checks
them against canned responses): maps, lists of maps, nested nulls and false booleans stored and
read back, counts over several pages, limits against page sizes, two indexes on one attribute.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel

from pydantic_bloop import Base, Engine, GlobalIndex, HashKey, RangeKey, col, to_item


class Person(BaseModel):
    fname: str
    lname: str | None = None
    age: int | None = None
    is_male: bool = False


class Location(BaseModel):
    lat: float
    lng: float
    name: str


class Deep(BaseModel):
    level: int
    inner: Deep | None = None


class Office(Base):
    """PynamoDB's ``OfficeEmployee`` / ``GroceryList`` / ``ComplexModel`` in one."""

    id: Annotated[int, HashKey()]
    person: Person
    office: Location | None = None
    groceries: list[str | int | float] = []
    employees: list[Person] = []
    deep: Deep | None = None
    by_team: ClassVar[GlobalIndex] = GlobalIndex(hash_key="team", projection="all")
    by_team_level: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="team", range_key="level", projection="keys"
    )
    team: str = "core"
    level: int = 0


class Line(Base):
    thread: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    team: str = "a"
    by_team: ClassVar[GlobalIndex] = GlobalIndex(hash_key="team", range_key="n", projection="keys")


MODELS = (Office, Line)


def test_documents_read_back(engine: Engine) -> None:
    """test_model_with_maps_retrieve_from_db, test_model_with_list_retrieve_from_db,
    test_model_with_list_of_map_retrieve_from_db, test_complex_model_retrieve_from_db,
    test_deserializing_map_four_layers_deep_works, test_deserializing_bool_false_works,
    test_model_with_maps_with_nulls_retrieve_from_db"""
    office = Office(
        id=1,
        person=Person(fname="Justin", lname="Phillips", age=31, is_male=True),
        office=Location(lat=37.77, lng=-122.42, name="Lyft HQ"),
        groceries=["bread", 1, 2.5],
        employees=[Person(fname="Ann"), Person(fname="Bob", age=40, is_male=True)],
        deep=Deep(level=1, inner=Deep(level=2, inner=Deep(level=3, inner=Deep(level=4)))),
    )
    nulls = Office(id=2, person=Person(fname="Justin"))
    engine.save(office, nulls)
    assert engine.get(Office, id=1) == office
    stored = engine.get(Office, id=2)
    assert stored == nulls and stored.person.is_male is False and stored.office is None
    assert to_item(nulls)["person"] == {"M": {"fname": {"S": "Justin"}, "is_male": {"BOOL": False}}}
    assert "office" not in to_item(nulls)


def test_counts_over_several_pages(engine: Engine) -> None:
    """test_count, test_filter_count, test_index_count, test_index_multipage_count"""
    engine.save(*(Line(thread="t", n=n, team="a" if n % 3 else "b") for n in range(12)))
    query = engine.query(Line).key(col(Line.thread) == "t")
    assert query.count() == query.page_size(5).count() == 12
    assert query.filter(col(Line.team) == "b").page_size(2).count() == 4
    assert engine.query(Line.by_team).key(col(Line.team) == "a").page_size(3).count() == 8


def test_limits_against_page_sizes(engine: Engine) -> None:
    """test_query_limit_greater_than_available_items_single_page, ..._identical_to_available_
    items_single_page, ..._less_than_available_items_multiple_page, ..._less_than_available_and_
    page_size, ..._greater_than_available_items_multiple_page, ..._greater_than_available_items_
    and_page_size, test_scan_limit_with_page_size, test_scan_limit"""
    engine.save(*(Line(thread="t", n=n, team="b" if n % 2 else "a") for n in range(10)))
    query = engine.query(Line).key(col(Line.thread) == "t")
    cases = [(25, None, 10), (10, None, 10), (5, 2, 5), (5, 3, 5), (25, 3, 10), (25, 4, 10)]
    for limit, page_size, expected in cases:
        limited = query.limit(limit)
        if page_size is not None:
            limited = limited.page_size(page_size)
        assert [line.n for line in limited] == list(range(expected)), (limit, page_size)
    assert len(engine.scan(Line).limit(4).page_size(3).all()) == 4
    assert len(engine.scan(Line).limit(4).all()) == 4
    # a limit counts the items a filter lets through, across pages that it empties
    odd = query.filter(col(Line.team) == "b")
    assert [line.n for line in odd.limit(3).page_size(2)] == [1, 3, 5]
    assert odd.page_size(1).descending().first().n == 9


def test_two_indexes_on_one_attribute(engine: Engine) -> None:
    """test_multiple_indices_share_non_key_attribute: ``team`` is the hash key of both"""
    engine.save(
        Office(id=1, person=Person(fname="a"), team="core", level=2),
        Office(id=2, person=Person(fname="b"), team="core", level=1),
        Office(id=3, person=Person(fname="c"), team="edge", level=1),
    )
    core = engine.query(Office.by_team).key(col(Office.team) == "core")
    assert sorted(o.id for o in core) == [1, 2]
    ranked = engine.query(Office.by_team_level).key(
        (col(Office.team) == "core") & (col(Office.level) >= 1)
    )
    assert [o.id for o in ranked] == [2, 1]
