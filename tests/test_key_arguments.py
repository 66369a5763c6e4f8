"""get() takes the key as keywords or as a mapping, so that every legal field name can be a key
field, including one named like get()'s own keyword (issue 18, failure 10)."""

from __future__ import annotations

from typing import Annotated

import pytest

from pydantic_bloop import Base, HashKey, InvalidValue, RangeKey
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Reading(Base):
    consistent: Annotated[str, HashKey()]
    key: Annotated[int, RangeKey()]
    value: float = 0.0


def test_a_key_field_named_consistent_is_fetched_with_a_mapping(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Reading)
    engine.save(Reading(consistent="yes", key=1, value=2.5))

    assert engine.get(Reading, {"consistent": "yes", "key": 1}).value == 2.5
    assert engine.get(Reading, {"consistent": "yes"}, key=1, consistent=True).value == 2.5


def test_ambiguous_or_doubled_key_arguments_are_refused_before_sending(
    make_engine: MakeEngine, request_log: RequestLog
) -> None:
    engine = make_engine()
    engine.bind(Reading)
    request_log.clear()
    with pytest.raises(InvalidValue, match=r"get\(Reading, \{'consistent': ...\}\)"):
        engine.get(Reading, key=1, consistent="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    with pytest.raises(InvalidValue, match="key given twice"):
        engine.get(Reading, {"consistent": "yes", "key": 1}, key=1)
    assert request_log.operations == []
