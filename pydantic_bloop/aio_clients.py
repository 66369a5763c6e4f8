"""`aio_client()`: an aiobotocore DynamoDB client that both checkers type as such.

aiobotocore's session stubs (types-aiobotocore) overload `create_client` for every AWS service;
with only the DynamoDB stubs installed, pyright (strict) reports the call as partially unknown,
whatever the code around it. This function makes the call once, typed:
`async with aio_client() as client:` is a `types_aiobotocore_dynamodb.DynamoDBClient`.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession, ClientCreatorContext
    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["aio_client", "engine_config"]


def engine_config() -> AioConfig:
    """The client config `AsyncEngine` uses for the clients it makes: botocore's standard retry
    mode, and no parameter validation (the engine builds and checks every request itself)."""
    from aiobotocore.config import AioConfig

    return AioConfig(retries={"mode": "standard", "max_attempts": 10}, parameter_validation=False)


def aio_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    config: AioConfig | None = None,
    session: AioSession | None = None,
) -> ClientCreatorContext[DynamoDBClient]:
    """``async with aio_client(endpoint_url=...) as client:`` a DynamoDB client of
    ``session`` (default: a new aiobotocore session, reading the environment's credentials
    and region) with ``config`` (default: `engine_config()`), closed when the block ends."""
    from aiobotocore.session import get_session

    chosen: Any = session if session is not None else get_session()  # see the module's doc
    context: ClientCreatorContext[DynamoDBClient] = chosen.create_client(
        "dynamodb",
        region_name=region_name,
        endpoint_url=endpoint_url,
        config=config if config is not None else engine_config(),
    )
    return context
