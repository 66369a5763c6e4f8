"""What DynamoDB would refuse or corrupt, and what the model could not read back, is an
``InvalidValue`` naming model and field before anything is sent (issue 18: 7, 9, 15)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import Field

from pydantic_bloop import Base, HashKey, InvalidValue, RangeKey
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Crate(Base):
    id: Annotated[str, HashKey()]
    slot: Annotated[str, RangeKey()] = "a"
    name: str = ""
    stock: int = Field(default=0, ge=0)
    doc: Any = None


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"name": "a\ud800b"}, "Crate.name", "lone surrogate"),
    ({"stock": -1}, "Crate.stock", "greater than or equal to 0"),
    ({"doc": _nested(40)}, "Crate.doc", "deeper than DynamoDB's 32 levels"),
    ({"doc": _nested(1500)}, "Crate.doc", "deeper than DynamoDB's 32 levels"),
    ({"doc": {"": 1}}, "Crate.doc", "map key cannot be empty"),
    ({"id": "h" * 2049}, "Crate.id", "limit of 2,048 bytes"),
    ({"slot": "r" * 1025}, "Crate.slot", "limit of 1,024 bytes"),
    ({"slot": ""}, "Crate.slot", "cannot be empty"),
]


@pytest.mark.parametrize(("changes", "field", "why"), CASES)
@pytest.mark.parametrize("persist", ["update", "overwrite"])
def test_what_cannot_be_stored_or_read_back_is_refused_before_sending(
    make_engine: MakeEngine,
    request_log: RequestLog,
    changes: dict[str, Any],
    field: str,
    why: str,
    persist: str,
) -> None:
    engine = make_engine(persist=persist)
    engine.bind(Crate)
    crate = Crate(id="k")
    for name, value in changes.items():
        setattr(crate, name, value)  # assigned without validation
    sent = len(request_log.operations)
    with pytest.raises(InvalidValue, match=why) as caught:
        engine.save(crate)
    assert field in str(caught.value)
    assert len(request_log.operations) == sent  # nothing sent
