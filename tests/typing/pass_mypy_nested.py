"""Paths into nested models with bare columns, as mypy with the plugin types them."""

from typing import assert_type

from pydantic_bloop import Column, Engine
from tests.typing.models import Page


def nested(engine: Engine) -> None:
    assert_type(Page.address.city, Column[str])
    _ = engine.scan(Page).filter((Page.address.city == "Oslo") & Page.address.zip.begins_with("0"))
