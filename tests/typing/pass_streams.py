"""Stream changes as both checkers see them: typed by the models they are read into."""

from collections.abc import Mapping
from typing import Any, assert_type

from pydantic_bloop import (
    AsyncEngine,
    AsyncStreamReader,
    Base,
    Change,
    Changes,
    Engine,
    StreamReader,
    parse_changes,
)
from pydantic_bloop.types import AttributeValue
from tests.typing.models import Post, User


def which(image: Mapping[str, AttributeValue]) -> type[Base] | None:
    return Post if "forum" in image else User


async def streams(engine: Engine, aengine: AsyncEngine, event: dict[str, Any]) -> None:
    changes = parse_changes(event, Post)
    assert_type(changes, Changes[Post])
    for change in changes:
        assert_type(change, Change[Post])
        assert_type(change.new, Post | None)
        assert_type(change.changed(), tuple[str, ...])
    assert_type(parse_changes(event, Post, User, match=which), Changes[Post | User])

    reader = engine.stream(Post, start="latest")
    assert_type(reader, StreamReader[Post])
    assert_type(reader.read(limit=10, timeout=1.0), list[Change[Post]])
    assert_type(reader.position, str)
    several = StreamReader[Post | User](engine, Post, User, match=which)
    assert_type(several.read(), list[Change[Post | User]])

    areader = aengine.stream(Post, start=reader.position)
    assert_type(areader, AsyncStreamReader[Post])
    assert_type(await areader.read(), list[Change[Post]])
    async for achange in areader.changes(timeout=5):
        assert_type(achange.old, Post | None)
