"""Wrong uses of models, engines and queries. No column typing is involved, so both checkers
reject each marked line, with or without the plugin.

Markers: ``# E: mypy[code] pyright[code]`` (see ``fail_bare.py``).
"""

from datetime import UTC, datetime
from uuid import UUID

from pydantic_bloop import BloopConfig, Engine, GlobalIndex, LocalIndex
from tests.typing.models import Post, User


def api(engine: Engine, uid: UUID) -> None:
    _ = engine.get(Post, forum="x", id=uid).bogus  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    for p in engine.query(Post.by_user):
        _ = p.bogus  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    _ = engine.query(Post.by_user).first().views + "x"  # E: mypy[operator] pyright[reportOperatorIssue]
    Post(forum=1, id=uid, user=uid, date=datetime.now(UTC))  # E: mypy[arg-type] pyright[reportArgumentType]
    Post(forum="f", id=uid, user=uid)  # E: mypy[call-arg] pyright[reportCallIssue]
    BloopConfig(table_nme="x")  # E: mypy[typeddict-unknown-key] pyright[reportCallIssue]
    GlobalIndex(hash_key=1)  # E: mypy[arg-type] pyright[reportArgumentType]
    # beyond the list
    Post(forum="f", id=uid, user=uid, date=datetime.now(UTC), bogus=1)  # E: mypy[call-arg] pyright[reportCallIssue]
    BloopConfig(billing="free")  # E: mypy[typeddict-item] pyright[reportArgumentType]
    LocalIndex(hash_key="user", range_key="date")  # E: mypy[call-arg] pyright[reportCallIssue]
    engine.save(1)  # E: mypy[arg-type] pyright[reportArgumentType]
    engine.query(Post).limit("5")  # E: mypy[arg-type] pyright[reportArgumentType]
    engine.get(int, id=1)  # E: mypy[type-var] pyright[reportArgumentType]
    engine.query(Post.by_user).parallel(segment="0", total=4)  # E: mypy[arg-type] pyright[reportArgumentType]
    Engine(persist="replace")  # E: mypy[arg-type] pyright[reportArgumentType]
    users: list[User] = engine.query(Post).all()  # E: mypy[assignment] pyright[reportAssignmentType]
    n: str = engine.query(Post).count()  # E: mypy[assignment] pyright[reportAssignmentType]
    _ = Post.by_nothing  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    _ = engine.query(User.by_email).one().views  # E: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    with engine.context(atomic="yes"):  # E: mypy[arg-type] pyright[reportArgumentType]
        pass
    engine.query(Post).on_invalid("ignore")  # E: mypy[arg-type] pyright[reportArgumentType]
