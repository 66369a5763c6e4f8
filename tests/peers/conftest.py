"""The peers' ports share one fixture: ``engine``, an engine of the test's kind (sync or async,
from ``make_engine``) with the test module's ``MODELS`` bound."""

from __future__ import annotations

import sys

import pytest

from pydantic_bloop import Base, Engine
from tests.engines import MakeEngine


@pytest.fixture
def engine(make_engine: MakeEngine, request: pytest.FixtureRequest) -> Engine:
    # the test's module (pytest types request.module as unknown): the one loaded from its file
    path = str(request.node.path)
    module = next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == path)
    models: tuple[type[Base], ...] = module.MODELS
    engine = make_engine()
    engine.bind(*models)
    return engine
