"""A partial object never serialises to a document that breaks its model's schema (issue 18,
failure 18): ``model_dump`` / ``model_dump_json`` (and FastAPI's ``jsonable_encoder``, which
calls them) raise ``UnloadedField`` naming the fields, unless the caller asks for what the
object holds; validating it as a whole object (what FastAPI's ``response_model=`` does before
pydantic-core serialises it) raises too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from examples.forum_api import Post
from pydantic_bloop import Base, BloopConfig, Engine, HashKey, UnloadedField, col, key_only
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


class PostSummary(BaseModel):
    """A response model of the fields a projection loads (not a table model)."""

    forum: str
    views: int
    content: str | None


def test_a_response_model_route_refuses_a_partial_object(engine: Engine) -> None:
    # FastAPI validates the returned object as the response type, then serialises it with
    # pydantic-core, which never calls model_dump: the object must refuse at the validation
    app = FastAPI()

    @app.get("/one", response_model=Post)
    def one() -> Post:
        return partial(engine)

    @app.get("/many", response_model=list[Post])
    def many() -> list[Post]:
        return [engine.get(Post, forum="f", id=POST_ID), partial(engine)]

    @app.get("/trimmed", response_model=Post, response_model_exclude_unset=True)
    def trimmed() -> Post:
        return partial(engine)

    for route in ("/one", "/many", "/trimmed"):
        answer = TestClient(app, raise_server_exceptions=False).get(route)
        assert answer.status_code == 500, route  # never 200 with required fields missing
        with pytest.raises(UnloadedField, match=UNLOADED + r": this partial object"):
            TestClient(app).get(route)


def test_a_route_may_answer_with_a_model_of_the_loaded_fields(engine: Engine) -> None:
    app = FastAPI()

    @app.get("/summary", response_model=PostSummary)
    def summary() -> object:
        return partial(engine)

    @app.get("/whole", response_model=list[Post])
    def whole() -> list[Post]:
        post = partial(engine)
        engine.load(post)
        return [post]

    assert TestClient(app).get("/summary").json() == {"forum": "f", "views": 3, "content": "hi"}
    [post] = TestClient(app).get("/whole").json()
    assert (post["user"], post["views"], post["tags"]) == (str(USER), 3, [])


def test_validating_a_partial_object_as_a_whole_is_refused(engine: Engine) -> None:
    post = partial(engine)

    with pytest.raises(UnloadedField, match=UNLOADED):
        Post.model_validate(post)
    with pytest.raises(UnloadedField, match=UNLOADED):
        TypeAdapter(list[Post]).validate_python([post])

    class Feed(BaseModel):
        posts: list[Post]

    with pytest.raises(UnloadedField, match=UNLOADED):
        Feed(posts=[post])
    assert PostSummary.model_validate(post, from_attributes=True).views == 3


def test_a_partial_object_still_takes_assignments_and_whole_ones_pass_as_themselves(
    engine: Engine,
) -> None:
    post = partial(engine)
    whole = engine.get(Post, forum="f", id=POST_ID)

    post.views = 4
    post.content = "edited"
    engine.save(post)  # saves only what it holds
    assert engine.get(Post, forum="f", id=POST_ID).model_dump() == {
        **whole.model_dump(),
        "views": 4,
        "content": "edited",
    }
    assert Post.model_validate(whole) is whole  # pydantic's usual: no copy, nothing lost
    assert TypeAdapter(list[Post]).validate_python([whole])[0] is whole


class Counter(Base):
    """Assignments validated (``validate_assignment=True``): pydantic 2.11 does not tell their
    validators from a whole object's, so the model marks them itself."""

    model_config = BloopConfig(table_name="partial_counters", validate_assignment=True)
    id: Annotated[str, HashKey()]
    hits: int = Field(ge=0)
    note: str


def test_a_validate_assignment_model_takes_assignments_on_a_partial_object(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine()
    engine.bind(Counter)
    engine.save(Counter(id="c", hits=1, note="kept"))
    counter = engine.query(Counter).key(col(Counter.id) == "c").select(col(Counter.hits)).one()

    counter.hits = 2
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        counter.hits = -1
    with pytest.raises(UnloadedField, match=r"Counter\.note not loaded"):
        Counter.model_validate(counter)
    engine.save(counter)
    assert engine.get(Counter, id="c") == Counter(id="c", hits=2, note="kept")
