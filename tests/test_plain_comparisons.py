"""Conditions written with plain comparisons (``Post.user == uid``, no ``col()``) run on both
engines, and a real ``bool`` where a condition belongs is refused with a clear error.

The signatures accept ``bool`` because pyright types ``Post.user == uid`` by the field's type
(tests/typing/pass_natural.py); at run time the comparison is always a condition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

import pytest

from pydantic_bloop import ConstraintViolation, InvalidCondition, InvalidQuery, col
from tests.contract import Post
from tests.engines import MakeEngine

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_plain_comparisons_end_to_end(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Post)
    uid = uuid4()
    posts = [Post(forum="f", id=uuid4(), user=uid, date=NOW, views=n) for n in range(3)]
    engine.save(*posts)

    mine = engine.query(Post.by_user).key(Post.user == uid).filter(Post.views >= 1).all()
    assert sorted(p.views for p in mine) == [1, 2]
    ranged = engine.query(Post).key((Post.forum == "f") & (Post.id == posts[0].id)).all()
    assert ranged == [posts[0]]
    either = engine.scan(Post).filter((Post.views == 0) | (Post.views == 2)).all()
    assert sorted(p.views for p in either) == [0, 2]
    mixed = engine.scan(Post).filter(col(Post.content).is_(None) & (Post.views > 1)).all()
    assert [p.views for p in mixed] == [2]

    posts[0].content = "x"
    with pytest.raises(ConstraintViolation):
        engine.save(posts[0], condition=Post.views == 5)
    engine.save(posts[0], condition=Post.views == 0)
    engine.delete(posts[1], condition=Post.views != 5)
    assert len(engine.scan(Post).all()) == 2


def test_a_real_bool_is_refused(make_engine: MakeEngine) -> None:
    engine = make_engine()
    post = Post(forum="f", id=uuid4(), user=uuid4(), date=NOW)
    anything = cast(Any, True)  # what `uid == other_uid` gives: a comparison of two values
    with pytest.raises(InvalidQuery, match=r"key\(\) takes a condition.*not True: a plain bool"):
        engine.query(Post).key(anything)
    with pytest.raises(InvalidQuery, match=r"filter\(\) takes a condition.*plain bool"):
        engine.scan(Post).filter(anything)
    with pytest.raises(InvalidCondition, match=r"save\(condition=...\) takes a condition"):
        engine.save(post, condition=anything)
    with pytest.raises(InvalidCondition, match=r"delete\(condition=...\) takes a condition"):
        engine.delete(post, condition=anything)
    with pytest.raises(InvalidCondition, match="cannot combine a condition with True"):
        _ = anything & (Post.views > 1)
    with pytest.raises(InvalidCondition, match="cannot combine a condition with True"):
        _ = (Post.views > 1) | anything
