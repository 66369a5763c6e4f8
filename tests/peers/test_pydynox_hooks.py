"""pydynox's hook suite (ferrumio/pydynox, tests/integration/hooks/async_/
test_hooks_integration.py), ported to the engine's hooks: handlers see each saved and deleted
object once it is written (on both engines), a handler of a context only hears that context's
writes, and ``before_save`` / ``before_delete`` handlers change the object before it is written
or block the write.

pydynox's ``skip_hooks=`` is listed in tests/peers/README.md.
"""

from __future__ import annotations

from typing import Annotated

import pytest

from pydantic_bloop import Base, Engine, HashKey, MissingObjects, ObjectEvent, WriteEvent


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


def test_a_before_save_handler_blocks_an_invalid_save(engine: Engine) -> None:
    """test_before_save_validation_blocks_save: the handler's error reaches the caller and
    nothing is stored"""

    @engine.hooks.before_save
    def needs_a_name(event: WriteEvent) -> None:
        assert isinstance(event.obj, User)
        if not event.obj.name:
            raise ValueError("a user needs a name")

    with pytest.raises(ValueError, match="a user needs a name"):
        engine.save(User(pk="USER#1"))
    with pytest.raises(MissingObjects):
        engine.get(User, pk="USER#1")
    engine.save(User(pk="USER#1", name="John"))
    assert engine.get(User, pk="USER#1").name == "John"


def test_a_before_save_handler_changes_what_is_stored(engine: Engine) -> None:
    """test_before_save_can_modify_data: what the handler changes is what is written"""

    @engine.hooks.before_save
    def shout(event: WriteEvent) -> None:
        assert isinstance(event.obj, User)
        event.obj.name = event.obj.name.upper()

    user = User(pk="USER#1", name="john")
    engine.save(user)
    assert user.name == "JOHN"
    assert engine.get(User, pk="USER#1").name == "JOHN"


def test_before_delete_runs_first_and_can_keep_the_item(engine: Engine) -> None:
    """test_hooks_run_on_delete (its before_delete), and a before_delete that refuses: the item
    stays"""
    calls: list[str] = []

    @engine.hooks.before_delete
    def guard(event: WriteEvent) -> None:
        assert isinstance(event.obj, User)
        calls.append(f"before_delete:{event.obj.pk}")
        if event.obj.name == "admin":
            raise PermissionError("admins stay")

    engine.hooks.on_deleted(lambda event: calls.append("deleted"))
    engine.save(User(pk="USER#1", name="John"), User(pk="USER#2", name="admin"))
    engine.delete(User(pk="USER#1", name="John"))
    assert calls == ["before_delete:USER#1", "deleted"]
    with pytest.raises(PermissionError, match="admins stay"):
        engine.delete(User(pk="USER#2", name="admin"))
    assert calls[-1] == "before_delete:USER#2"
    assert engine.get(User, pk="USER#2").name == "admin"
    with pytest.raises(MissingObjects):
        engine.get(User, pk="USER#1")
