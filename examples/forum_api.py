"""A small forum API on FastAPI whose request bodies and responses are the table models themselves.

Run it (with ``uvicorn`` installed) against a local DynamoDB::

    BLOOP_ENDPOINT=http://localhost:8000 uvicorn examples.forum_api:app --reload

Routes:

- ``POST /posts``: create a post from a :class:`NewPost` (the fields a client may choose); the
  server sets ``date`` and ``views`` and, unless the client sent one, the ``id``. A client that
  retries a create with the same ``id`` gets 409 instead of a duplicate.
- ``GET /posts/{forum}/{post_id}``: one post, 404 when there is none.
- ``PUT /posts/{forum}/{post_id}``: replace a post with the body (a ``Post``); only the changed
  attributes are written, and only if nobody changed the post since it was read (409 otherwise).
- ``GET /users/{user_id}/posts?limit=&token=``: a user's posts, newest first, a page at a time;
  pass the ``next_token`` of a page as ``token`` for the next one.

The engine comes from the ``get_engine`` dependency, so tests (and other deployments) override it:
``app.dependency_overrides[get_engine] = lambda: my_engine``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, ClassVar
from uuid import UUID, uuid4

import boto3
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import BaseModel, Field

from pydantic_bloop import (
    Base,
    BloopConfig,
    ConstraintViolation,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidQuery,
    LocalIndex,
    MissingObjects,
    RangeKey,
    col,
)


class Post(Base):
    """A forum post: the table model, and the API's request and response body."""

    model_config = BloopConfig(table_name="posts")
    forum: Annotated[str, HashKey()] = Field(min_length=1, max_length=100)
    id: Annotated[UUID, RangeKey()]
    user: Annotated[UUID, DynamoName("u")]
    date: datetime
    views: int = Field(default=0, ge=0)
    content: str | None = None
    tags: set[str] = set()
    by_user: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="user", range_key="date", projection="all"
    )
    by_views: ClassVar[LocalIndex] = LocalIndex(range_key="views", projection=["content"])


class NewPost(BaseModel):
    """What a client sends to create a post: no server-set fields (``date``, ``views``)."""

    forum: str = Field(min_length=1, max_length=100)
    id: UUID | None = Field(default=None, description="Set it to make retries safe")
    user: UUID
    content: str | None = None
    tags: set[str] = set()


class PostPage(BaseModel):
    """One page of posts; ``next_token`` resumes after it (None: this was the last page)."""

    items: list[Post]
    next_token: str | None


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The application's engine: DynamoDB from the environment (``BLOOP_ENDPOINT`` if set)."""
    client: DynamoDBClient = boto3.client(
        "dynamodb", endpoint_url=os.environ.get("BLOOP_ENDPOINT") or None
    )
    engine = Engine(client=client)
    engine.bind(Post)
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]

app = FastAPI(title="Forum", version="1.0")


@app.exception_handler(MissingObjects)
def not_found(request: Request, error: MissingObjects) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)


@app.exception_handler(ConstraintViolation)
def conflict(request: Request, error: ConstraintViolation) -> JSONResponse:
    return JSONResponse(
        {"detail": "the post was changed or created meanwhile; read it again and retry"},
        status_code=status.HTTP_409_CONFLICT,
    )


@app.exception_handler(InvalidQuery)
def bad_query(request: Request, error: InvalidQuery) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_400_BAD_REQUEST)


@app.post("/posts", status_code=status.HTTP_201_CREATED, response_model=Post)
def create_post(new: NewPost, engine: EngineDep) -> Post:
    post = Post(
        forum=new.forum,
        id=new.id or uuid4(),
        user=new.user,
        date=datetime.now(UTC),
        content=new.content,
        tags=new.tags,
    )
    # atomic: the save of a new object requires that no item with its key exists yet
    with engine.context(atomic=True) as atomic:
        atomic.save(post)
    return post


@app.get("/posts/{forum}/{post_id}", response_model=Post)
def read_post(forum: str, post_id: UUID, engine: EngineDep) -> Post:
    return engine.get(Post, forum=forum, id=post_id)


@app.put("/posts/{forum}/{post_id}", response_model=Post)
def replace_post(forum: str, post_id: UUID, body: Post, engine: EngineDep) -> Post:
    if (body.forum, body.id) != (forum, post_id):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the body's forum and id must match the URL"
        )
    stored = engine.get(Post, forum=forum, id=post_id)
    changes = body.model_dump(exclude={"forum", "id"})
    for name, value in changes.items():
        setattr(stored, name, value)
    # UpdateItem of the changed attributes only, conditioned on the item we just read
    with engine.context(atomic=True) as atomic:
        atomic.save(stored)
    return stored


@app.get("/users/{user_id}/posts", response_model=PostPage)
def posts_by_user(
    user_id: UUID,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    token: str | None = None,
) -> PostPage:
    query = engine.query(Post.by_user).key(col(Post.user) == user_id).descending()
    page = query.resume(token).page(limit)
    return PostPage(items=page.items, next_token=page.token)
