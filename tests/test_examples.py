"""The examples run: the FastAPI forum (examples/forum_api.py) against the test server through
FastAPI's TestClient, and the demo (examples/demo.py) as a program."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import BaseModel, Field

from examples import forum_api
from pydantic_bloop import Engine
from tests.fault_fixtures import MakeProxiedEngine
from tests.proxy import Fault, FaultProxy, Script
from tests.test_resume_tokens import FORGED

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def engine(client: DynamoDBClient, table_prefix: str) -> Engine:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(forum_api.Post)
    return engine


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    forum_api.app.dependency_overrides[forum_api.get_engine] = lambda: engine
    try:
        with TestClient(forum_api.app) as test_client:
            yield test_client
    finally:
        forum_api.app.dependency_overrides.clear()


def create(api: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("forum", "dynamo")
    body.setdefault("user", str(uuid4()))
    response = api.post("/posts", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_then_read(api: TestClient, engine: Engine) -> None:
    user = uuid4()
    created = create(api, user=str(user), content="Hello, world!", tags=["intro"])
    assert created["forum"] == "dynamo"
    assert created["user"] == str(user)
    assert created["views"] == 0
    assert created["tags"] == ["intro"]
    assert datetime.fromisoformat(created["date"]).tzinfo is not None

    response = api.get(f"/posts/dynamo/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created

    stored = engine.get(forum_api.Post, forum="dynamo", id=UUID(created["id"]))
    assert stored.content == "Hello, world!"
    assert stored.user == user


def test_bad_uuid_is_422(api: TestClient) -> None:
    response = api.get("/posts/dynamo/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "post_id"]
    response = api.post("/posts", json={"forum": "dynamo", "user": "nope"})
    assert response.status_code == 422


def test_unknown_post_is_404(api: TestClient) -> None:
    response = api.get(f"/posts/dynamo/{uuid4()}")
    assert response.status_code == 404
    assert "no Post" in response.json()["detail"]


def test_creating_the_same_id_twice_is_409(api: TestClient, engine: Engine) -> None:
    post_id = str(uuid4())
    first = create(api, id=post_id, content="first")
    response = api.post(
        "/posts", json={"forum": "dynamo", "id": post_id, "user": str(uuid4()), "content": "2nd"}
    )
    assert response.status_code == 409
    stored = engine.get(forum_api.Post, forum="dynamo", id=UUID(post_id))
    assert stored.content == "first"
    assert str(stored.user) == first["user"]


def test_replace_writes_the_body(api: TestClient, engine: Engine) -> None:
    created = create(api, content="draft", tags=["a"])
    body = {**created, "content": None, "tags": ["b", "c"], "views": 5}
    response = api.put(f"/posts/dynamo/{created['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["content"] is None
    stored = engine.get(forum_api.Post, forum="dynamo", id=UUID(created["id"]))
    assert (stored.content, stored.tags, stored.views) == (None, {"b", "c"}, 5)

    moved = api.put(f"/posts/other/{created['id']}", json=body)
    assert moved.status_code == 422
    missing = {**body, "id": str(uuid4())}
    assert api.put(f"/posts/dynamo/{missing['id']}", json=missing).status_code == 404


def test_replace_conflicts_with_a_concurrent_change(
    api: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create(api, content="v1")
    post_id = UUID(created["id"])
    real_get = Engine.get

    def get_then_someone_writes(self: Engine, model: Any, /, **kwargs: Any) -> Any:
        obj = real_get(self, model, **kwargs)
        other = real_get(
            engine, forum_api.Post, forum="dynamo", id=post_id
        )  # another writer, in between
        other.views += 1
        engine.save(other)
        return obj

    monkeypatch.setattr(Engine, "get", get_then_someone_writes)
    response = api.put(f"/posts/dynamo/{created['id']}", json={**created, "content": "v2"})
    assert response.status_code == 409
    monkeypatch.undo()
    stored = engine.get(forum_api.Post, forum="dynamo", id=post_id)
    assert (stored.content, stored.views) == ("v1", 1)


def test_posts_by_user_page_with_a_token(api: TestClient) -> None:
    user = str(uuid4())
    mine = [create(api, user=user, content=f"post {i}")["id"] for i in range(5)]
    create(api, content="someone else's")

    first = api.get(f"/users/{user}/posts", params={"limit": 3})
    assert first.status_code == 200
    page1 = first.json()
    assert len(page1["items"]) == 3
    assert page1["next_token"] is not None

    second = api.get(f"/users/{user}/posts", params={"limit": 3, "token": page1["next_token"]})
    assert second.status_code == 200
    page2 = second.json()
    assert len(page2["items"]) == 2
    assert page2["next_token"] is None

    ids1 = [p["id"] for p in page1["items"]]
    ids2 = [p["id"] for p in page2["items"]]
    assert not set(ids1) & set(ids2)
    assert sorted(ids1 + ids2) == sorted(mine)
    dates = [p["date"] for p in page1["items"] + page2["items"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert all(p["user"] == user for p in page1["items"] + page2["items"])


def test_bad_token_is_400(api: TestClient) -> None:
    response = api.get(f"/users/{uuid4()}/posts", params={"token": "%%%"})
    assert response.status_code == 400


def test_every_forged_token_is_400(api: TestClient) -> None:
    """The forged kinds of test_resume_tokens, and another user's token, through the route:
    400 with the reason, never 500 (issue 18, failure 6)."""
    user, other = str(uuid4()), str(uuid4())
    for who in (user, user, other, other):
        create(api, user=who)
    real = api.get(f"/users/{user}/posts", params={"limit": 1}).json()["next_token"]
    foreign = api.get(f"/users/{other}/posts", params={"limit": 1}).json()["next_token"]
    forged = {case: forge(real) for case, forge in FORGED.items()}
    forged = {case: t for case, t in forged.items() if len(t) < 60_000}  # URLs have a limit
    forged["another user's token"] = foreign
    answers = {
        case: api.get(f"/users/{user}/posts", params={"token": token})
        for case, token in forged.items()
    }
    assert {case: r.status_code for case, r in answers.items() if r.status_code != 400} == {}
    assert all(r.json()["detail"].startswith("resume(): ") for r in answers.values())


# -- failure 4 through the app: a create whose answer was lost is still a create ----------------


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER, Fault.DROP_AFTER])
def test_a_create_whose_answer_was_lost_is_201_not_409(
    make_proxied_engine: MakeProxiedEngine,
    fault_proxy: FaultProxy,
    engine: Engine,
    fault: Fault,
) -> None:
    """The server applies the create, its answer is lost, botocore sends it again and the retry
    fails its own condition (no item with this key): the post was created, so 201 (issue 18,
    failure 4). A second create of the same id is still a conflict."""
    proxied = make_proxied_engine()  # sync or async, over the fault proxy
    proxied.bind(forum_api.Post)
    forum_api.app.dependency_overrides[forum_api.get_engine] = lambda: proxied
    post_id, user = str(uuid4()), str(uuid4())
    body = {"forum": "dynamo", "id": post_id, "user": user, "content": "once"}
    try:
        with TestClient(forum_api.app) as api:
            fault_proxy.policy = Script([fault], operations=["PutItem", "UpdateItem"])
            response = api.post("/posts", json=body)
            assert fault_proxy.injected[fault] == 1  # the answer was lost, the write applied
            assert response.status_code == 201, response.text
            assert response.json()["content"] == "once"
            again = api.post("/posts", json={**body, "content": "twice"})
            assert again.status_code == 409
    finally:
        forum_api.app.dependency_overrides.clear()
    stored = engine.get(forum_api.Post, forum="dynamo", id=UUID(post_id), consistent=True)
    assert (stored.content, str(stored.user)) == ("once", user)


# -- the schema: table models look like plain pydantic models to OpenAPI ----------------------


class Post(BaseModel):
    """A forum post: the table model, and the API's request and response body."""

    forum: str = Field(min_length=1, max_length=100)
    id: UUID
    user: UUID
    date: datetime
    views: int = Field(default=0, ge=0)
    content: str | None = None
    tags: set[str] = set()


class PostPage(BaseModel):
    """One page of posts; ``next_token`` resumes after it (None: this was the last page)."""

    items: list[Post]
    next_token: str | None


def test_openapi_schema_is_that_of_plain_pydantic_models() -> None:
    twin = FastAPI()

    @twin.put("/post", response_model=Post)
    def put(body: Post) -> Post:  # pyright: ignore[reportUnusedFunction]
        return body

    @twin.get("/page", response_model=PostPage)
    def page() -> PostPage:  # pyright: ignore[reportUnusedFunction]
        return PostPage(items=[], next_token=None)

    expected = twin.openapi()["components"]["schemas"]
    schemas = forum_api.app.openapi()["components"]["schemas"]
    twins = {name: schema for name, schema in expected.items() if name.startswith("Post")}
    assert twins, expected.keys()
    for name, schema in twins.items():
        assert schemas[name] == schema, name
    post_schema = schemas.get("Post") or schemas["Post-Output"]
    assert set(post_schema["properties"]) == {
        "forum", "id", "user", "date", "views", "content", "tags"
    }  # fmt: skip
    assert "NewPost" in schemas
    assert {"date", "views"}.isdisjoint(schemas["NewPost"]["properties"])


# -- the demo -------------------------------------------------------------------------------

HEADINGS = [
    "1. Models",
    "2. Bind: create the tables",
    "3. Save new objects",
    "4. Get",
    "5. Update: only what changed",
    "6. A failing condition",
    "7. Atomic saves catch concurrent changes",
    "8. Query a global index, with a filter",
    "9. Partial objects from a keys-only index",
    "10. Counts",
    "11. REST-style paging with a token",
    "12. Delete with a condition",
    "13. Migrate: the model gains an index",
]


def test_demo_runs_on_its_embedded_server() -> None:
    """What ``./dev demo`` runs: the demo starts its own moto server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOOP_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    check_demo_output(result)


def test_demo_runs_against_an_endpoint(endpoint_url: str, client: DynamoDBClient) -> None:
    """With ``BLOOP_ENDPOINT`` the demo uses that server, and leaves no table behind."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOOP_")}
    env["BLOOP_ENDPOINT"] = endpoint_url
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    check_demo_output(result)
    # a demo pointed at someone's server deletes its tables (dynalite lists a table for a
    # moment after DeleteTable returns, so wait for them to go)
    deadline = time.monotonic() + 30
    while left := [t for t in client.list_tables()["TableNames"] if t.startswith("demo-")]:
        assert time.monotonic() < deadline, f"the demo left tables behind: {left}"
        time.sleep(0.05)


def check_demo_output(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for heading in HEADINGS:
        assert f"\n{heading}\n" in out, heading
    assert "ConstraintViolation" in out
    assert "UnloadedField" in out
    assert "REMOVE" in out
    assert "Select: COUNT" in out
    assert result.stderr == ""
