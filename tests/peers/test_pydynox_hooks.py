"""pydynox's hook suite (ferrumio/pydynox, tests/integration/hooks/async_/
test_hooks_integration.py), ported to the engine's hooks: handlers see each saved and deleted
object once it is written (on both engines), and a handler of a context only hears that
context's writes.

pydynox's ``before_save`` / ``before_delete`` hooks (which may change the object or block the
write) and ``skip_hooks=`` are listed in tests/peers/README.md.
"""

from __future__ import annotations

from typing import Annotated

import pytest

from pydantic_bloop import Base, Engine, HashKey, MissingObjects, ObjectEvent


class User(Base):
    pk: Annotated[str, HashKey()]
    name: str = ""


MODELS = (User,)


def test_handlers_hear_saves_and_deletes(engine: Engine) -> None:
    """test_hooks_run_on_save, test_hooks_run_on_delete (their after_* hooks)"""
    calls: list[str] = []

    def log(event: ObjectEvent) -> None:
        assert isinstance(event.obj, User)
        calls.append(f"{event.kind}:{event.obj.pk}")

    engine.hooks.on_saved(log)
    engine.hooks.on_deleted(log)
    engine.save(User(pk="USER#1", name="John"))
    assert calls == ["saved:USER#1"]
    assert engine.get(User, pk="USER#1").name == "John"
    engine.delete(User(pk="USER#1"))
    assert calls == ["saved:USER#1", "deleted:USER#1"]
    with pytest.raises(MissingObjects):
        engine.get(User, pk="USER#1")


def test_a_context_handler_hears_only_its_context(engine: Engine) -> None:
    """test_skip_hooks_on_save, test_model_config_skip_hooks_default, ..._override: writes
    outside the context that registered a handler do not call it"""
    calls: list[str] = []
    with engine.context() as audited:
        audited.hooks.on_saved(lambda event: calls.append(event.obj.model_dump()["pk"]))
        engine.save(User(pk="plain", name="Bob"))
        audited.save(User(pk="audited", name="Ann"))
    assert calls == ["audited"]
    assert engine.get(User, pk="plain").name == "Bob"
