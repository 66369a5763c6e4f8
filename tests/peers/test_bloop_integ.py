"""bloop's integration suite (numberoverzero/bloop, tests/integ/test_basic.py,
test_queries.py, test_inheritance.py), ported: load-save-delete, defaults of keys and fields,
keys-only indexes whose objects are partial and save only what they loaded, projections, counts
of a scan that is reused, streams created and read, two models over one table of both their
indexes, and models built from abstract bases and mixins with inherited indexes.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import Field

from pydantic_bloop import (
    Base,
    BloopConfig,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    LocalIndex,
    MissingObjects,
    RangeKey,
    UnloadedField,
    col,
    key_only,
)
from pydantic_bloop.models import model_info
from tests.engines import MakeEngine


class User(Base):
    """bloop's integ ``User``."""

    email: Annotated[str, HashKey()]
    username: Annotated[str, RangeKey()]
    profile: str | None = None
    data: dict[str, Any] | None = None
    extra: str | None = None
    by_username: ClassVar[GlobalIndex] = GlobalIndex(hash_key="username", projection="keys")


_numbers = itertools.count()


def valid_user() -> User:
    n = next(_numbers)
    return User(email=f"e-{n}@example.com", username=f"u-{n}")


MODELS = (User,)


def test_crud(engine: Engine) -> None:
    """test_basic.py::test_crud"""
    user = User(email="user@domain.com", username="user", profile="first")
    engine.save(user)
    same_user = key_only(User, email=user.email, username=user.username)
    engine.load(same_user)
    assert same_user.profile == user.profile == "first"
    same_user.profile = "second"
    engine.save(same_user)
    engine.load(user, consistent=True)
    assert user.profile == same_user.profile == "second"
    engine.delete(user)
    with pytest.raises(MissingObjects) as caught:
        engine.load(same_user, consistent=True)
    assert caught.value.objects == [same_user]


class Defaults(Base):
    """test_model_defaults' ``ColumnDefaultsModel``: keys with defaults too."""

    hash: Annotated[int, HashKey()] = 12
    range: Annotated[int, RangeKey()] = 24
    other: int = 48


def test_defaults_of_keys_and_fields(engine: Engine) -> None:
    """test_model_defaults, test_model_defaults_load"""
    engine.bind(Defaults)
    obj = Defaults()
    assert (obj.hash, obj.range, obj.other) == (12, 24, 48)
    engine.save(obj, Defaults(hash=333, range=333))
    for hash_key, range_key in [(12, 24), (333, 333)]:
        same = key_only(Defaults, hash=hash_key, range=range_key)
        engine.load(same)
        assert (same.hash, same.range, same.other) == (hash_key, range_key, 48)


def test_default_factories(engine: Engine) -> None:
    """test_model_default_func: a factory runs once per new object; a loaded object holds
    the stored values"""
    calls = {"range": 0, "other": 0}

    def get_int() -> int:
        calls["range"] += 1
        return 404

    def counted() -> int:
        calls["other"] += 1
        return 40 + calls["other"]

    class FactoryDefaults(Base):
        hash: Annotated[UUID, HashKey()] = Field(default_factory=uuid4)
        range: Annotated[int, RangeKey()] = Field(default_factory=get_int)
        other: int = Field(default_factory=counted)

    engine.bind(FactoryDefaults)
    obj = FactoryDefaults()
    assert calls == {"range": 1, "other": 1}
    assert obj.hash.version == 4 and obj.range == 404
    engine.save(obj)
    same = key_only(FactoryDefaults, hash=obj.hash, range=obj.range)
    engine.load(same)
    assert calls["range"] == 1  # the range key was given
    assert (same.hash, same.range, same.other) == (obj.hash, obj.range, obj.other)


def test_a_keys_only_index_leaves_the_rest_unloaded(engine: Engine) -> None:
    """test_model_default_projection: a field with a default factory is not filled in by
    it on an object from a keys-only index; the table query has it"""

    class Account(Base):
        id: Annotated[int, HashKey()]
        email: str
        password: str = Field(default_factory=lambda: uuid4().hex)
        by_email: ClassVar[GlobalIndex] = GlobalIndex(hash_key="email", projection="keys")

    engine.bind(Account)
    expected = "RC_" + uuid4().hex
    engine.save(Account(id=3, email="u@d.com", password=expected))
    partial = engine.query(Account.by_email).key(col(Account.email) == "u@d.com").first()
    with pytest.raises(UnloadedField, match="password"):
        partial.password  # noqa: B018
    assert engine.query(Account).key(col(Account.id) == 3).first().password == expected


def test_an_index_may_project_its_own_keys(engine: Engine) -> None:
    """test_projection_overlap"""

    class ProjectionOverlap(Base):
        hash: Annotated[int, HashKey()]
        range: Annotated[int, RangeKey()]
        other: int
        by_other: ClassVar[GlobalIndex] = GlobalIndex(
            hash_key="other", projection=["other", "range"]
        )

    engine.bind(ProjectionOverlap)
    engine.save(ProjectionOverlap(hash=1, range=2, other=3))
    found = engine.query(ProjectionOverlap.by_other).key(col(ProjectionOverlap.other) == 3).one()
    assert (found.hash, found.range, found.other) == (1, 2, 3)


@pytest.mark.dynalite_unsupported("no streams in dynalite")
def test_a_stream_is_created_and_read(engine: Engine) -> None:
    """test_stream_creation, test_stream_read: the records of two saves, in order, with the
    new image and no old one"""

    class Streamed(Base):
        model_config = BloopConfig(stream="new_and_old_images")
        id: Annotated[int, HashKey()]
        data: dict[str, Any] = {}

    engine.bind(Streamed)
    description = engine.describe_table(Streamed)
    assert description is not None and "LatestStreamArn" in description.raw
    reader = engine.stream(Streamed)
    assert reader.read() == []
    first, second = Streamed(id=3, data={"foo": "hello, world"}), Streamed(id=5, data={"bar": 3})
    engine.save(first)
    engine.save(second)
    changes = reader.read()
    assert [(c.kind, c.old, c.new) for c in changes] == [
        ("insert", None, first),
        ("insert", None, second),
    ]


def test_two_models_over_one_table_of_both_their_indexes(
    engine: Engine, client: DynamoDBClient, table_prefix: str
) -> None:
    """test_model_overlap: a table made by hand with two indexes; each model binds to it,
    seeing the index it declares"""

    class FirstOverlap(Base):
        model_config = BloopConfig(table_name="overlap-table")
        id: Annotated[int, HashKey()]
        first_value: int = 0
        first_index: ClassVar[GlobalIndex] = GlobalIndex(hash_key="first_value", projection="keys")

    class SecondOverlap(Base):
        model_config = BloopConfig(table_name="overlap-table")
        id: Annotated[int, HashKey()]
        second_value: int = 0
        second_index: ClassVar[GlobalIndex] = GlobalIndex(
            hash_key="second_value", projection="keys"
        )

    def index(name: str) -> Any:
        return {
            "IndexName": name,
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "KeySchema": [{"KeyType": "HASH", "AttributeName": name.replace("index", "value")}],
        }

    client.create_table(
        TableName=table_prefix + "overlap-table",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "N"}
            for name in ("id", "first_value", "second_value")
        ],
        KeySchema=[{"KeyType": "HASH", "AttributeName": "id"}],
        GlobalSecondaryIndexes=[index("first_index"), index("second_index")],
    )
    engine.bind(FirstOverlap)
    engine.bind(SecondOverlap)
    engine.save(FirstOverlap(id=1, first_value=7))
    found = engine.query(FirstOverlap.first_index).key(col(FirstOverlap.first_value) == 7).one()
    assert found.id == 1


def test_a_partial_object_saves_only_what_it_loaded(engine: Engine) -> None:
    """test_partial_load_save"""
    engine.save(
        User(
            email="my-email@",
            username="my-username",
            profile="original-profile",
            data={"original": "data"},
            extra="my-extra",
        )
    )
    partial = engine.query(User.by_username).key(col(User.username) == "my-username").one()
    with pytest.raises(UnloadedField, match="profile"):
        partial.profile  # noqa: B018
    partial.data = {"new": [1, 2, True]}
    partial.extra = None
    engine.save(partial)
    same = key_only(User, email="my-email@", username="my-username")
    engine.load(same)
    assert same.profile == "original-profile"  # never loaded, never written
    assert same.data == {"new": [1, 2, True]}
    assert same.extra is None  # set to None on the partial object: removed


def test_a_query_of_some_fields(engine: Engine) -> None:
    """test_queries.py::test_query_with_projection"""
    user = valid_user()
    user.profile = "Hello, World"
    engine.save(user)
    query = engine.query(User).key(col(User.email) == user.email)
    result = query.select(col(User.email), col(User.username)).one()
    with pytest.raises(UnloadedField, match="profile"):
        result.profile  # noqa: B018
    assert query.one().profile == "Hello, World"


def test_a_reused_scan_counts_again(engine: Engine) -> None:
    """test_queries.py::test_scan_count"""
    scan = engine.scan(User)
    engine.save(*(valid_user() for _ in range(7)))
    assert scan.count() == 7
    engine.save(valid_user())
    assert scan.count() == 8


# ---------------------------------------------------------------------------------------------
# test_inheritance.py


class Role(Enum):
    user = "user"
    curator = "curator"
    superuser = "super_user"
    admin = "admin"


class UserBase(Base):
    """bloop's abstract ``MixinBase`` (its UUID hash and created range key mixins in it)."""

    id: Annotated[UUID, HashKey()]
    created: Annotated[datetime, RangeKey()]
    email: str
    updated: datetime
    active: bool
    by_created: ClassVar[LocalIndex] = LocalIndex(range_key="updated", projection="all")


class Identity(Base):
    """bloop's ``IdentityMixin``: a field and behaviour, no keys."""

    roles: set[Role] = set()

    @property
    def is_active(self) -> bool:
        return True


class MixinUser(UserBase, Identity):
    model_config = BloopConfig(table_name="mixin_users")
    first_name: str
    last_name: str
    by_email: ClassVar[GlobalIndex] = GlobalIndex(
        hash_key="email", name="email-index", projection="all"
    )


class ExternalUser(MixinUser):
    model_config = BloopConfig(table_name="external_users")
    company: str


def test_fields_and_keys_come_from_bases_and_mixins() -> None:
    """test_inheritance_simple, test_inheritance_base_hashkey, test_inheritance_mixins"""

    class NewBase(Base):
        uuid: UUID | None = None

    class Simple(NewBase):
        id: Annotated[int, HashKey()]
        created_at: datetime | None = None

    class KeyedBase(Base):
        uuid: Annotated[UUID, HashKey()]

    class Keyed(KeyedBase):
        id: int = 0
        created_at: datetime | None = None

    simple, keyed, mixin = model_info(Simple), model_info(Keyed), model_info(MixinUser)
    assert len(Simple.model_fields) == len(Keyed.model_fields) == 3
    assert simple.hash_key is not None and simple.hash_key.name == "id"
    assert simple.range_key is None
    assert keyed.hash_key is not None and keyed.hash_key.name == "uuid"
    assert len(MixinUser.model_fields) == 8
    assert mixin.hash_key is not None and mixin.hash_key.name == "id"
    assert mixin.range_key is not None and mixin.range_key.name == "created"


def make_user(cls: type[MixinUser], created: datetime, **extra: Any) -> MixinUser:
    n = next(_numbers)
    return cls(
        id=uuid4(),
        created=created,
        updated=created,
        active=True,
        first_name=f"first{n}",
        last_name=f"last{n}",
        email=f"first{n}.last{n}@example.com",
        **extra,
    )


EXTRA: dict[type[MixinUser], dict[str, Any]] = {
    MixinUser: {"roles": {Role.user}},
    ExternalUser: {"company": "Acme", "roles": {Role.user, Role.admin}},
}


@pytest.mark.parametrize("cls", [MixinUser, ExternalUser])
def test_inherited_indexes_yield_the_subclass(
    make_engine: MakeEngine, cls: type[MixinUser]
) -> None:
    """test_inheritance_load, test_inheritance_lsi_from_baseclass, test_inheritance_lsi_from_
    concrete_subclass, test_inheritance_gsi_to_baseclass, test_inheritance_gsi_from_concrete_
    subclass (bloop's LSI is on ``created``, its own range key: here on ``updated``)"""
    engine = make_engine()
    engine.bind(cls)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    users = [make_user(cls, start + timedelta(minutes=n), **EXTRA[cls]) for n in range(6)]
    engine.save(*users)
    same = key_only(cls, id=users[0].id, created=users[0].created)
    engine.load(same)
    assert type(same) is cls and same == users[0]
    saved_date = start + timedelta(minutes=2, seconds=30)
    for user, expected in [(users[0], []), (users[-1], [users[-1]])]:
        key = (col(cls.id) == user.id) & (col(cls.updated) > saved_date)
        found = engine.query(cls.by_created).key(key).all()
        assert found == expected and all(type(u) is cls for u in found)
    by_email = engine.query(cls.by_email).key(col(cls.email) == users[1].email).one()
    assert type(by_email) is cls and by_email == users[1]


def test_a_second_field_of_one_stored_name_is_refused() -> None:
    """test_inheritance_two_models_same_dynamo_column_name (and a second index of one stored
    name, test_inheritance_two_models_same_dynamo_index_name, is allowed in another model)"""
    with pytest.raises(InvalidModel, match="email"):

        class NextGenUser(MixinUser):  # pyright: ignore[reportUnusedClass]
            version: Annotated[int, DynamoName("email")] = 0

    class OtherUser(MixinUser):
        model_config = BloopConfig(table_name="other_users")
        next_by_email: ClassVar[GlobalIndex] = GlobalIndex(
            hash_key="email", name="email-index", projection="all"
        )
        by_email: ClassVar[GlobalIndex] = next_by_email

    assert OtherUser.next_by_email.name == "email-index"
