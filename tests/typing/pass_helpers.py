"""The typed helpers a newcomer reaches for: a key-only object, an object to its stored item and
back, and number literals compared with a ``Decimal`` column. Clean under mypy and pyright."""

from decimal import Decimal
from typing import assert_type
from uuid import UUID

from pydantic_bloop import (
    Engine,
    InvalidItem,
    InvalidResult,
    OnInvalid,
    col,
    from_item,
    key_only,
    to_item,
)
from pydantic_bloop.types import AttributeValue
from tests.typing.accounts import Account
from tests.typing.models import Post


def helpers(engine: Engine, pid: UUID) -> None:
    post = key_only(Post, forum="dynamo", id=pid)
    assert_type(post, Post)
    engine.load(post)
    item = to_item(post)
    assert_type(item, dict[str, AttributeValue])
    assert_type(from_item(Post, item), Post)
    engine.update(key_only(Account, id="a1"), col(Account.hits).add(1))


def decimals(engine: Engine) -> None:
    engine.scan(Account).filter(Account.balance > 5)
    engine.scan(Account).filter(Account.balance <= 2.5)
    engine.scan(Account).filter(col(Account.balance) > 5)
    engine.scan(Account).filter(col(Account.balance) >= 2.5)
    engine.scan(Account).filter(col(Account.balance) < Decimal("9.99"))


def invalid_items(engine: Engine) -> None:
    query = engine.query(Post).key(col(Post.forum) == "f").on_invalid("collect")
    results = iter(query)
    posts: list[Post] = list(results)
    records: list[InvalidResult] = results.invalid
    for key, error in records:
        assert_type(key, dict[str, AttributeValue])
        assert_type(error, InvalidItem)
    page = engine.scan(Post).on_invalid("skip").page()
    assert_type(page.invalid, list[InvalidResult])
    mode: OnInvalid = "raise"
    _ = engine.query(Post.by_user).on_invalid(mode), posts
