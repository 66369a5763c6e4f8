"""pydynox's item-size suite (ferrumio/pydynox, tests/integration/size/test_size_calculator.py),
ported: an item under DynamoDB's 400 KB is saved, one byte over it is refused before any request
is sent, naming the object and its size in UTF-8 bytes (pydynox's ``max_size=`` lowers the
limit; ours is DynamoDB's own, counted by DynamoDB's rule: attribute names and values).

``calculate_size()`` and its per-field breakdown have no public counterpart here.
"""

from __future__ import annotations

from typing import Annotated

import pytest

from pydantic_bloop import Base, Engine, HashKey, InvalidValue
from tests.conftest import RequestLog


class Profile(Base):
    pk: Annotated[str, HashKey()]
    bio: str = ""


MODELS = (Profile,)
LIMIT = 400 * 1024
NAMES = len("pk") + len("x") + len("bio")  # the bytes of the item besides the bio's text


def test_an_item_over_400_kb_is_refused_before_sending(
    engine: Engine, request_log: RequestLog, backend: str
) -> None:
    """test_save_succeeds_under_limit, test_save_raises_when_over_limit (at DynamoDB's limit),
    test_calculate_size_simple_item, test_calculate_size_with_nested_data"""
    # moto's own limit is lower (about 395 KB for a PutItem, 346 KB for an UpdateItem); DynamoDB
    # and dynalite take an item of exactly 400 KB
    room = 300 * 1024 if backend == "moto" else LIMIT - NAMES
    engine.save(Profile(pk="x", bio="A" * room))
    assert len(engine.get(Profile, pk="x").bio) == room
    request_log.clear()
    with pytest.raises(InvalidValue, match=r"Profile\(pk='y'\) is about 409,601 bytes"):
        engine.save(Profile(pk="y", bio="é" * ((LIMIT - NAMES) // 2) + "A"))
    assert request_log == []
