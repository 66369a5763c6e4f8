"""dyntastic's read suites (nayaverdier/dyntastic, tests/test_query.py, tests/test_scan.py,
tests/test_get.py, tests/test_batch_get.py), ported: queries and scans on a table and its
indexes with page sizes, key and filter conditions, order, pages and tokens, keys-only indexes
whose objects are partial until loaded, and gets of one or several keys.

dyntastic's ``safe_get`` is ``engine.get_or_none``. Its ``begins_with`` / ``between`` of strings on
a datetime key and ``load_full_item=`` are listed in tests/peers/README.md.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Annotated, ClassVar

import pytest

from pydantic_bloop import (
    Base,
    Condition,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidQuery,
    InvalidValue,
    KeyCondition,
    MissingObjects,
    RangeKey,
    UnloadedField,
    col,
    key_only,
)
from tests.engines import MakeEngine


class Fields(Base):
    """The fields of dyntastic's ``MyObjectWithRequiredField`` beside its keys, and two of its
    indexes."""

    my_str: str
    my_int: int
    unindexed_field: str = "unindexed"
    my_str_list: list[str] = []
    by_str_int: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="my_str", range_key="my_int", projection="all"
    )
    keys_only: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="my_str", range_key="my_int", projection="keys"
    )


class Row(Fields):
    """dyntastic's ``MyObjectWithRequiredField`` and its third index."""

    id: Annotated[str, HashKey()]
    by_str: ClassVar[GlobalIndex] = GlobalIndex(hash_key="my_str", projection="all")


class RangeRow(Fields):
    """dyntastic's ``MyRangeObjectWithRequiredField``."""

    id: Annotated[str, HashKey()]
    timestamp: Annotated[datetime, RangeKey()]


class IntRow(Base):
    """dyntastic's ``MyIntObject``."""

    id: Annotated[int, HashKey()]


FEB12 = datetime(2022, 2, 12, tzinfo=UTC)
FEB13 = datetime(2022, 2, 13, tzinfo=UTC)
FEB14 = datetime(2022, 2, 14, tzinfo=UTC)

ROWS = [
    Row(id="id1", my_str="str_1", my_int=1),
    Row(id="id2", my_str="str_1", my_int=2),
    Row(id="id3", my_str="str_2", my_int=3),
    Row(id="id4", my_str="str_2", my_int=4),
]
RANGE_ROWS = [
    RangeRow(id="id1", timestamp=FEB12, my_str="str_1", my_int=1),
    RangeRow(id="id1", timestamp=FEB13, my_str="str_1", my_int=2),
    RangeRow(id="id2", timestamp=FEB12, my_str="str_2", my_int=3),
    RangeRow(id="id2", timestamp=FEB13, my_str="str_2", my_int=4),
]


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    """dyntastic's populated_model, populated_range_model and populated_int_model at once."""
    engine = make_engine()
    engine.bind(Row, RangeRow, IntRow)
    with engine.context(persist="overwrite") as batch:  # BatchWriteItem
        batch.save(*(row.model_copy() for row in ROWS + RANGE_ROWS))
        batch.save(*(IntRow(id=n) for n in range(10)))
    return engine


# ---------------------------------------------------------------------------------------------
# test_query.py


def test_a_page_size_of_zero_is_refused(engine: Engine) -> None:
    """test_zero_page_size_errors (query and scan)"""
    with pytest.raises(InvalidQuery):
        engine.query(Row).key(col(Row.id) == "id1").page_size(0).all()
    with pytest.raises(InvalidQuery):
        engine.scan(Row).page_size(0).all()


def test_query_by_hash_key_in_pages(engine: Engine) -> None:
    """test_query_pager, test_query_pager_range"""
    for per_page, hash_key in itertools.product([1, 2, 3], ["id1", "id2", "id3", "id4"]):
        found = engine.query(Row).key(col(Row.id) == hash_key).page_size(per_page).all()
        assert [row.id for row in found] == [hash_key]
    for per_page, hash_key in itertools.product([1, 2, 3], ["id1", "id2"]):
        query = engine.query(RangeRow).key(col(RangeRow.id) == hash_key).page_size(per_page)
        assert [row.id for row in query] == [hash_key, hash_key]


def test_query_with_a_filter(engine: Engine) -> None:
    """test_query_with_condition"""
    query = engine.query(RangeRow).key(col(RangeRow.id) == "id1").filter(col(RangeRow.my_int) == 1)
    assert [row.my_int for row in query] == [1]


TIMESTAMP = col(RangeRow.timestamp)

# test_query_range_condition's parameters with datetime operands ("note: key expressions do not
# support !=")
RANGE_CONDITIONS: list[tuple[KeyCondition, int]] = [
    (TIMESTAMP > FEB12, 1),
    (TIMESTAMP >= FEB12, 2),
    (TIMESTAMP > FEB13, 0),
    (TIMESTAMP >= FEB13, 1),
    (TIMESTAMP < FEB14, 2),
    (TIMESTAMP <= FEB13, 2),
    (TIMESTAMP < FEB13, 1),
    (TIMESTAMP <= FEB12, 1),
    (TIMESTAMP < FEB12, 0),
    (TIMESTAMP == FEB12, 1),
    (TIMESTAMP == FEB14, 0),
    (TIMESTAMP.between(FEB12, datetime(2023, 1, 1, tzinfo=UTC)), 2),
    (TIMESTAMP.between(datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)), 0),
    (TIMESTAMP.between(FEB12, FEB12 + timedelta(hours=1)), 1),
]


def test_query_range_key_conditions(engine: Engine) -> None:
    """test_query_range_condition"""
    for condition, expected in RANGE_CONDITIONS:
        found = engine.query(RangeRow).key((col(RangeRow.id) == "id1") & condition).all()
        assert len(found) == expected, repr(condition)
        assert all(row.id == "id1" for row in found)


def test_query_an_index_in_pages(engine: Engine) -> None:
    """test_query_index_pager, test_query_ranged_index_pager (twice: a query is reusable)"""
    for per_page, value in itertools.product([1, 2, 3], ["str_1", "str_2"]):
        by_str = engine.query(Row.by_str).key(col(Row.my_str) == value).page_size(per_page)
        assert [row.my_str for row in by_str] == [value, value]
        ranged = engine.query(Row.by_str_int).key(col(Row.my_str) == value).page_size(per_page)
        for _ in range(2):
            assert [row.my_str for row in ranged] == [value, value]


MY_INT = col(RangeRow.my_int)
INDEX_RANGE_CONDITIONS: list[tuple[KeyCondition, int]] = [
    (MY_INT > 1, 1),
    (MY_INT >= 1, 2),
    (MY_INT > 2, 0),
    (MY_INT >= 2, 1),
    (MY_INT < 3, 2),
    (MY_INT <= 2, 2),
    (MY_INT < 2, 1),
    (MY_INT <= 1, 1),
    (MY_INT < 1, 0),
    (MY_INT == 1, 1),
    (MY_INT == 3, 0),
]


def test_query_an_index_with_range_conditions(engine: Engine) -> None:
    """test_query_ranged_index_range_condition"""
    for condition, expected in INDEX_RANGE_CONDITIONS:
        query = engine.query(RangeRow.by_str_int).key((col(RangeRow.my_str) == "str_1") & condition)
        found = query.all()
        assert len(found) == expected, repr(condition)
        assert all(row.my_str == "str_1" for row in found)


def test_an_index_query_needs_its_hash_key(engine: Engine) -> None:
    """test_index_query_must_use_explicit_condition: no key, or the table's key on an index"""
    with pytest.raises(InvalidQuery):
        engine.query(Row.by_str_int).all()
    with pytest.raises(InvalidQuery):
        engine.query(Row.by_str_int).key(col(Row.id) == "str_1")


def test_a_global_index_is_never_read_consistently(engine: Engine) -> None:
    """test_cannot_query_consistently_on_index"""
    with pytest.raises(InvalidQuery):
        engine.query(Row.by_str).key(col(Row.my_str) == "str_1").consistent().all()


def test_query_one_page_then_the_next(engine: Engine) -> None:
    """test_query_by_page: a page of one, its token, the last page"""
    query = engine.query(RangeRow).key(col(RangeRow.id) == "id1")
    first = query.page(1)
    assert [row.timestamp for row in first.items] == [FEB12]
    assert first.token is not None
    second = query.resume(first.token).page(1)
    assert [row.timestamp for row in second.items] == [FEB13]
    rest = query.resume(second.token).page(1) if second.token is not None else None
    assert rest is None or (rest.items == [] and rest.token is None)


@pytest.mark.parametrize("forward", [True, False])
def test_query_in_either_order(engine: Engine, forward: bool) -> None:
    """test_query_scan_index_forward"""
    query = engine.query(RangeRow).key(col(RangeRow.id) == "id1")
    found = (query.ascending() if forward else query.descending()).all()
    stamps = [row.timestamp for row in found]
    assert stamps == ([FEB12, FEB13] if forward else [FEB13, FEB12])


def test_a_filter_that_leaves_pages_empty(engine: Engine) -> None:
    """test_query_with_empty_pages_due_to_filter (250 items instead of 1,000)"""
    start = datetime(2023, 8, 25, tzinfo=UTC)
    many = [
        RangeRow(id="many", timestamp=start + timedelta(microseconds=n), my_str="str_1", my_int=n)
        for n in range(250)
    ]
    last = RangeRow(id="many", timestamp=start + timedelta(seconds=1), my_str="str_2", my_int=0)
    with engine.context(persist="overwrite") as batch:
        batch.save(*many, last)
    query = engine.query(RangeRow).key(col(RangeRow.id) == "many")
    query = query.filter(col(RangeRow.my_str) == "str_2")
    for paged in (query.page_size(25), query.page_size(100), query):
        assert [row.timestamp for row in paged] == [last.timestamp]
        assert paged.count() == 1


def check_partial(found: list[Row] | list[RangeRow]) -> None:
    """test_query_manually_refresh_keys_only: keys and index keys are there, the rest is not
    loaded until engine.load"""
    for row in found:
        assert row.id and row.my_str in ("str_1", "str_2") and row.my_int > 0
        with pytest.raises(UnloadedField, match="unindexed_field"):
            row.unindexed_field  # noqa: B018
        with pytest.raises(UnloadedField, match="my_str_list"):
            row.my_str_list  # noqa: B018


def test_query_a_keys_only_index_then_load(engine: Engine) -> None:
    """test_query_manually_refresh_keys_only and test_query_auto_refresh_keys_only (both
    models): partial objects, complete once loaded"""
    rows = engine.query(Row.keys_only).key(col(Row.my_str) == "str_1").all()
    ranged = engine.query(RangeRow.keys_only).key(col(RangeRow.my_str) == "str_1").all()
    assert len(rows) == len(ranged) == 2
    assert all(isinstance(row.timestamp, datetime) for row in ranged)
    check_partial(rows)
    check_partial(ranged)
    engine.load(*rows, *ranged)
    both: list[Row | RangeRow] = [*rows, *ranged]
    for row in both:
        assert (row.unindexed_field, row.my_str_list) == ("unindexed", [])


# ---------------------------------------------------------------------------------------------
# test_scan.py


def test_scan_with_a_filter_in_pages(engine: Engine) -> None:
    """test_scan_pager"""
    for per_page, value in itertools.product([1, 2], [1, 2, 3, 4]):
        found = engine.scan(Row).filter(col(Row.my_int) == value).page_size(per_page).all()
        assert [row.my_int for row in found] == [value]


def test_scan_with_two_conditions(engine: Engine) -> None:
    """test_scan_pager_multiple_conditions"""
    condition = (col(RangeRow.my_int) == 1) & (col(RangeRow.my_str) == "str_1")
    found = engine.scan(RangeRow).filter(condition).all()
    assert [(row.my_int, row.my_str) for row in found] == [(1, "str_1")]


SCAN_CONDITIONS: list[tuple[Condition, int]] = [
    *RANGE_CONDITIONS,
    (TIMESTAMP != FEB14, 2),
    (TIMESTAMP != FEB12, 1),
]


def test_scan_with_conditions_on_the_range_key(engine: Engine) -> None:
    """test_scan_range_condition"""
    for condition, expected in SCAN_CONDITIONS:
        found = engine.scan(RangeRow).filter((col(RangeRow.id) == "id1") & condition).all()
        assert len(found) == expected, repr(condition)
        assert all(row.id == "id1" for row in found)


def test_scan_an_index_in_pages(engine: Engine) -> None:
    """test_scan_index_pager"""
    for per_page, values in itertools.product([1, 2, 3], [(1, 2), (3, 4)]):
        scan = engine.scan(Row.by_str).filter(col(Row.my_int).in_(*values)).page_size(per_page)
        assert sorted(row.my_int for row in scan) == list(values)


def test_scan_one_page_then_the_next(engine: Engine) -> None:
    """test_scan_by_page"""
    first = engine.scan(RangeRow).page(2)
    assert len(first.items) == 2 and first.token is not None
    second = engine.scan(RangeRow).resume(first.token).page(2)
    assert len(second.items) == 2
    both = {(row.id, row.timestamp) for row in first.items + second.items}
    assert both == {(row.id, row.timestamp) for row in RANGE_ROWS}
    if second.token is not None:
        assert engine.scan(RangeRow).resume(second.token).page(2).items == []


def test_scan_a_keys_only_index_then_load(engine: Engine) -> None:
    """test_scan_manually_refresh_keys_only, test_scan_auto_refresh_keys_only"""
    rows = engine.scan(Row.keys_only).all()
    ranged = engine.scan(RangeRow.keys_only).all()
    assert len(rows) == len(ranged) == 4
    check_partial(rows)
    check_partial(ranged)
    engine.load(*rows, *ranged)
    both: list[Row | RangeRow] = [*rows, *ranged]
    assert all(row.unindexed_field == "unindexed" for row in both)


# ---------------------------------------------------------------------------------------------
# test_get.py, test_batch_get.py


def test_get_by_hash_key_and_by_both_keys(engine: Engine) -> None:
    """test_get_by_hash_key, test_get_by_int_hash_key, test_get_with_range_key"""
    assert engine.get(Row, id="id1") == ROWS[0]
    assert engine.get(IntRow, id=1) == IntRow(id=1)
    assert engine.get(RangeRow, id="id1", timestamp=FEB13) == RANGE_ROWS[1]


def test_a_get_needs_exactly_the_key(engine: Engine) -> None:
    """test_range_key_required, test_range_key_not_expected"""
    with pytest.raises(InvalidValue, match="timestamp"):
        engine.get(RangeRow, id="id1")
    with pytest.raises(InvalidValue, match="timestamp"):
        engine.get(Row, id="id1", timestamp=FEB12)  # type: ignore[call-arg]


def test_a_missing_item(engine: Engine) -> None:
    """test_get_nonexistent, test_get_nonexistent_int_hash_key"""
    with pytest.raises(MissingObjects):
        engine.get(Row, id="nonexistent")
    with pytest.raises(MissingObjects):
        engine.get(RangeRow, id="nonexistent", timestamp=FEB12)
    with pytest.raises(MissingObjects):
        engine.get(IntRow, id=100)


def test_safe_get_is_get_or_none(engine: Engine) -> None:
    """test_get.py: test_safe_get, test_safe_get_nonexistent (and the range-key variants): the
    object, or None for a key with no item; a malformed key is still an error"""
    found: Row | None = engine.get_or_none(Row, id="id1")
    assert found == ROWS[0]
    assert engine.get_or_none(RangeRow, id="id1", timestamp=FEB13) == RANGE_ROWS[1]
    assert engine.get_or_none(Row, id="nonexistent") is None
    assert engine.get_or_none(RangeRow, id="nonexistent", timestamp=FEB12) is None
    assert engine.get_or_none(IntRow, id=100) is None
    with pytest.raises(InvalidValue, match="timestamp"):
        engine.get_or_none(RangeRow, id="id1")


def test_load_several_keys_at_once(engine: Engine) -> None:
    """test_batch_get: test_get_by_hash_key, test_get_by_int_hash_key,
    test_get_by_hash_key_and_range_key; a missing key is listed, the others are loaded"""
    rows = [key_only(Row, id=row.id) for row in ROWS]
    engine.load(*rows)
    assert rows == ROWS
    ints = [key_only(IntRow, id=n) for n in (1, 2, 3)]
    engine.load(*ints)
    assert ints == [IntRow(id=1), IntRow(id=2), IntRow(id=3)]
    ranged = [key_only(RangeRow, id=row.id, timestamp=row.timestamp) for row in RANGE_ROWS]
    missing = key_only(RangeRow, id="nonexistent", timestamp=FEB12)
    with pytest.raises(MissingObjects) as caught:
        engine.load(*ranged, missing)
    assert caught.value.objects == [missing]
    assert ranged == RANGE_ROWS


def test_keys_of_the_wrong_type_are_refused() -> None:
    """test_invalid_keys, test_invalid_int_keys, test_invalid_keys_on_range_model"""
    with pytest.raises(InvalidValue, match=r"IntRow\.id"):
        key_only(IntRow, id="bad")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="RangeRow"):
        key_only(RangeRow, id="hash")
    with pytest.raises(InvalidValue, match="Row"):
        key_only(Row, id="hash", timestamp=FEB12)  # type: ignore[call-arg]
