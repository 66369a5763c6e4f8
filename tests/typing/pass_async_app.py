"""The AsyncEngine of docs/fastapi.md: an aiobotocore client created in the app's lifespan
(`aio_client`, typed as the DynamoDB client without casts or Any), clean under both checkers."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated, assert_type

from fastapi import Depends, FastAPI, Request
from types_aiobotocore_dynamodb import DynamoDBClient

from pydantic_bloop import AsyncEngine, aio_client
from tests.typing.models import Post


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
    async with aio_client(endpoint_url="http://localhost:8000") as client:
        assert_type(client, DynamoDBClient)
        engine = AsyncEngine(client=client)
        await engine.bind(Post)
        app.state.engine = engine
        yield


def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


app = FastAPI(lifespan=lifespan)
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]


@app.get("/posts/{forum}")
async def posts(forum: str, engine: EngineDep) -> list[Post]:
    return await engine.query(Post).key(Post.forum == forum).all()
