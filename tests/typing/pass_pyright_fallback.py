"""What pyright, which runs no plugins, sees: a field read from the class has the field's type,
so conditions are built on ``col(Post.views)``, which is ``Column[int]``. (pyright only: with
the plugin, mypy sees ``Post.views`` as ``Column[int]``; see ``pass_mypy_plugin.py``.)
"""

from typing import assert_type
from uuid import UUID

from pydantic_bloop import Column, Index, KeyCondition, col
from tests.typing.models import Post


def fallback(uid: UUID) -> None:
    assert_type(Post.views, int)
    assert_type(Post.user, UUID)
    assert_type(Post.views == 1, bool)  # a bool, which key() / filter() take (pass_natural.py)
    assert_type(col(Post.views), Column[int])
    assert_type(col(Post.views) == 1, KeyCondition)
    assert_type(col(Post.user) == uid, KeyCondition)
    assert_type(Post.by_user, Index[Post])  # indexes need no col()
