"""The client an `Engine` makes for itself: from the environment, standard retries, and no
botocore parameter validation (the engine builds every request itself)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from pydantic_bloop import Base, Engine, HashKey


class Note(Base):
    id: Annotated[str, HashKey()]
    text: str = ""


def test_an_engine_without_a_client_makes_a_lean_one(
    endpoint_url: str,
    client_kwargs: dict[str, Any],
    table_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", client_kwargs["region_name"])
    for name in ("aws_access_key_id", "aws_secret_access_key"):
        if name in client_kwargs:
            monkeypatch.setenv(name.upper(), client_kwargs[name])
    engine = Engine(table_name_template=table_prefix + "{table_name}")
    # botocore would refuse this request itself (ParamValidationError); unchecked, it goes out
    unchecked: Any = engine.client  # the stubs require Key
    with pytest.raises(ClientError) as raised:
        unchecked.get_item(TableName=f"{table_prefix}Note")  # no Key
    assert not isinstance(raised.value, ParamValidationError)
    engine.bind(Note)
    engine.save(Note(id="a", text="hello"))
    assert engine.get(Note, id="a").text == "hello"
