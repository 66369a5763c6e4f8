"""A partial object never serialises to a document that breaks its model's schema (issue 18,
failure 18): ``model_dump`` / ``model_dump_json`` (and FastAPI's ``jsonable_encoder``, which
calls them) raise ``UnloadedField`` naming the fields, unless the caller asks for what the
object holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from examples.forum_api import Post
from pydantic_bloop import Engine, UnloadedField, col, key_only
from tests.engines import MakeEngine

USER = UUID("11111111-1111-4111-8111-111111111111")
POST_ID = UUID("22222222-2222-4222-8222-222222222222")
UNLOADED = r"Post\.user, Post\.date, Post\.tags not loaded"


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    e = make_engine()
    e.bind(Post)
    date = datetime(2024, 1, 1, tzinfo=UTC)
    e.save(Post(forum="f", id=POST_ID, user=USER, date=date, views=3, content="hi"))
    return e


def partial(engine: Engine) -> Post:
    query = (
        engine.query(Post).key(col(Post.forum) == "f").select(col(Post.views), col(Post.content))
    )
    return query.one()


def test_dumping_a_partial_object_names_its_unloaded_fields(engine: Engine) -> None:
    post = partial(engine)

    with pytest.raises(UnloadedField, match=UNLOADED):
        post.model_dump()
    with pytest.raises(UnloadedField, match=UNLOADED):
        post.model_dump_json()
    with pytest.raises(UnloadedField, match=r"Post\.user"):
        post.model_dump(include={"views", "user"})
    with pytest.raises(UnloadedField, match=UNLOADED):
        jsonable_encoder(post)  # what a FastAPI route without response_model returns


def test_the_caller_may_dump_what_a_partial_object_holds(engine: Engine) -> None:
    post = partial(engine)
    loaded = {"forum": "f", "id": POST_ID, "views": 3, "content": "hi"}

    assert post.model_dump(exclude_unset=True) == loaded
    assert post.model_dump(include={"views", "content"}) == {"views": 3, "content": "hi"}
    assert post.model_dump(exclude={"user", "date", "tags"}) == loaded
    assert post.model_dump(exclude={"user": True, "date": True, "tags": True}) == loaded
    assert json.loads(post.model_dump_json(exclude_unset=True))["views"] == 3


def test_whole_objects_dump_as_before(engine: Engine) -> None:
    post = engine.get(Post, forum="f", id=POST_ID)

    assert post.model_dump()["user"] == USER
    assert json.loads(post.model_dump_json())["tags"] == []
    engine.load(partial_post := partial(engine))  # loading it whole makes it dumpable
    assert partial_post.model_dump() == post.model_dump()


def test_a_key_only_object_is_partial_too() -> None:
    post = key_only(Post, forum="f", id=POST_ID)

    with pytest.raises(UnloadedField, match=r"Post\.user, Post\.date not loaded"):
        post.model_dump()
    assert post.model_dump(include={"forum", "id"}) == {"forum": "f", "id": POST_ID}


def test_a_fastapi_route_returning_a_partial_object_is_an_error(engine: Engine) -> None:
    app = FastAPI()

    @app.get("/summary", response_model=None)
    def summary() -> Post:  # no response model: FastAPI's jsonable_encoder dumps the object
        return partial(engine)

    response = TestClient(app, raise_server_exceptions=False).get("/summary")

    assert response.status_code == 500  # never 200 with a document missing required fields
    with pytest.raises(UnloadedField, match=UNLOADED):
        TestClient(app).get("/summary")
