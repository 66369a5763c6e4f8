"""Key arguments of ``get()`` and ``key_only()`` as mypy with the plugin checks them: each must
be a field of the model, of the field's type (pyright checks only the model argument).

Markers: ``# E: mypy[code]`` (see ``fail_bare.py``).
"""

from uuid import UUID

from pydantic_bloop import AsyncEngine, Engine, key_only
from tests.typing.accounts import Account
from tests.typing.models import Post


async def keys(engine: Engine, aengine: AsyncEngine, uid: UUID) -> None:
    engine.get(Post, forum=1, id=uid)  # E: mypy[arg-type]
    engine.get(Post, forum="f", id="not a UUID")  # E: mypy[arg-type]
    engine.get(Post, forum="f", idd=uid)  # E: mypy[call-arg]
    engine.get(Post, {"forum": "f"}, id=3)  # E: mypy[arg-type]
    engine.get(Post, forum="f", id=uid, consistent="yes")  # E: mypy[arg-type]
    await aengine.get(Post, forum=b"f", id=uid)  # E: mypy[arg-type]
    engine.get_or_none(Post, forum="f", idd=uid)  # E: mypy[call-arg]
    await aengine.get_or_none(Post, forum=1, id=uid)  # E: mypy[arg-type]
    key_only(Post, forum="f", id=7)  # E: mypy[arg-type]
    key_only(Account, idd="a")  # E: mypy[call-arg]
