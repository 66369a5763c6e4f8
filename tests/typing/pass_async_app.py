"""The AsyncEngine client of docs/fastapi.md: `aio_client()` is typed as aiobotocore's
DynamoDB client without casts or Any (aiobotocore's own `create_client` is partially unknown
to pyright strict), clean under both checkers."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import assert_type

from aiobotocore.config import AioConfig
from types_aiobotocore_dynamodb import DynamoDBClient

from pydantic_bloop import AsyncEngine, aio_client
from tests.typing.models import Post


@asynccontextmanager
async def lifespan() -> AsyncGenerator[AsyncEngine]:
    config = AioConfig(connect_timeout=5)
    async with aio_client(endpoint_url="http://localhost:8000", config=config) as client:
        assert_type(client, DynamoDBClient)
        engine = AsyncEngine(client=client)
        await engine.bind(Post)
        yield engine


async def posts(forum: str) -> list[Post]:
    async with lifespan() as engine:
        return await engine.query(Post).key(Post.forum == forum).all()
