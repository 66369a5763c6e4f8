"""The peers' ports share one fixture: ``engine``, an engine of the test's kind (sync or async,
from ``make_engine``) with the test module's ``MODELS`` bound."""

from __future__ import annotations

import sys

import pytest

from pydantic_bloop import Base, Engine
from tests.engines import MakeEngine


@pytest.fixture
def engine(make_engine: MakeEngine, request: pytest.FixtureRequest) -> Engine:
    # the test's module, named from its node id (pytest types request.module as unknown)
    module = sys.modules[request.node.nodeid.split("::")[0].removesuffix(".py").replace("/", ".")]
    models: tuple[type[Base], ...] = module.MODELS
    engine = make_engine()
    engine.bind(*models)
    return engine
