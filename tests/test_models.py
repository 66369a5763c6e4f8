"""Models are plain pydantic models with class-level columns; bad definitions raise InvalidModel.

Everything here is checked the way a user would: through pydantic's own API, class attribute
access, and (for pickling) what a save of an unpickled object sends to the local server.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Optional
from uuid import UUID, uuid4

import pydantic
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    AsEpoch,
    Base,
    BloopConfig,
    BloopError,
    Column,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    Index,
    InvalidModel,
    InvalidQuery,
    LocalIndex,
    RangeKey,
    col,
)
from tests.contract import Post, User

if TYPE_CHECKING:
    from tests.conftest import RequestLog


# Plain pydantic twins of the contract's models (tests/contract.py), with the same fields.


class UserTwin(pydantic.BaseModel):
    id: UUID
    email: str
    admin: bool = False


class PostTwin(pydantic.BaseModel):
    forum: str
    id: UUID
    user: UUID
    date: datetime
    views: int = 0
    content: str | None = None
    tags: set[str] = set()


WHEN = datetime(2024, 5, 17, 12, 30, 15, 250000, tzinfo=UTC)
PID = UUID("5b1e5bd6-8f0c-4bd5-9b0f-6c1c1f0d7b11")
UID = UUID("0b9f5e8e-3c3e-4d71-9a63-21a7f0c0c2aa")


def make_post(**changes: Any) -> Post:
    values: dict[str, Any] = {
        "forum": "dynamo",
        "id": PID,
        "user": UID,
        "date": WHEN,
        "views": 3,
        "content": "hello #yolo",
        "tags": {"a", "b"},
    }
    values.update(changes)
    return Post.model_validate(values)


# -- plain pydantic behaviour --------------------------------------------------------------------


def test_dump_and_validate_like_pydantic() -> None:
    post = make_post()
    twin = PostTwin.model_validate(post.model_dump())

    assert post.model_dump() == twin.model_dump()
    assert post.model_dump(mode="json") == twin.model_dump(mode="json")
    assert post.model_dump_json() == twin.model_dump_json()
    # field names, not stored names: "user", never "u"
    assert "user" in post.model_dump() and "u" not in post.model_dump()
    assert Post.model_validate(post.model_dump()) == post
    assert Post.model_validate_json(post.model_dump_json()) == post
    assert Post.model_validate(post.model_dump(mode="json")) == post


def test_validation_errors_are_pydantics() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Post.model_validate({"forum": "f", "id": "not a uuid", "user": UID, "date": WHEN})
    assert [e["loc"] for e in caught.value.errors()] == [("id",)]
    assert not isinstance(caught.value, BloopError)


@pytest.mark.parametrize(("model", "twin"), [(Post, PostTwin), (User, UserTwin)])
def test_json_schema_is_that_of_a_plain_model(
    model: type[Base], twin: type[pydantic.BaseModel]
) -> None:
    schema = model.model_json_schema()
    expected = twin.model_json_schema()
    expected["title"] = model.__name__
    # no key markers, stored names or index declarations leak into the schema
    assert schema == expected
    assert model.model_json_schema(mode="serialization") == {
        **twin.model_json_schema(mode="serialization"),
        "title": model.__name__,
    }


def test_pickle_round_trip() -> None:
    post = make_post()
    restored = pickle.loads(pickle.dumps(post))
    assert type(restored) is Post
    assert restored == post
    assert restored.model_dump() == post.model_dump()
    assert restored.model_fields_set == post.model_fields_set


def test_copy_equality_and_repr() -> None:
    post = make_post()
    changed = post.model_copy(update={"views": 10})
    assert changed.views == 10 and post.views == 3
    assert changed != post
    assert changed.model_copy(update={"views": 3}) == post

    deep = post.model_copy(deep=True)
    assert deep == post
    deep.tags.add("c")
    assert post.tags == {"a", "b"}  # a deep copy shares no mutable value
    assert copy.copy(post) == post and copy.deepcopy(post) == post

    assert make_post() == post
    assert make_post(views=4) != post
    other: object = PostTwin.model_validate(post.model_dump())
    assert post != other  # another class, as in pydantic

    twin = PostTwin.model_validate(post.model_dump())
    assert repr(post) == repr(twin).replace("PostTwin(", "Post(", 1)
    assert str(post) == str(twin)


def test_class_attribute_is_a_column_instance_attribute_is_the_value() -> None:
    post = make_post()
    attribute: object = Post.views  # checkers without our mypy plugin see the field's type
    assert isinstance(attribute, Column)
    assert post.views == 3
    assert attribute is col(Post.views)  # col() is a no-op at run time
    assert col(Post.views).model is Post
    assert col(Post.views).field == "views"
    assert col(Post.user).path == ("u",)  # the stored name
    assert post.user == UID
    assert repr(Post.views) == "<Column Post.views>"
    # pydantic keeps the values: the columns do not get in the way of defaults
    assert Post.model_fields["views"].default == 0
    assert Post.model_fields["tags"].default == set()

    index: object = Post.by_user
    assert isinstance(index, Index)
    assert Post.by_user.model is Post
    assert Post.by_user.name == "by_user"
    assert User.by_email.model is User


def test_setting_values_validates_nothing_extra() -> None:
    post = make_post()
    post.views += 1
    post.content = None
    assert post.views == 4 and post.content is None
    assert post.model_dump()["views"] == 4
    attribute: object = Post.views
    assert isinstance(attribute, Column)  # setting an instance value leaves the class column


# -- inheritance ---------------------------------------------------------------------------------


class Stamped(Base):
    """A mixin without keys: fields and an index for whichever table uses it."""

    owner: str = "nobody"
    created: datetime = WHEN
    by_owner: ClassVar[GlobalIndex] = GlobalIndex(hash_key="owner", projection="keys")


class Named(Base):
    name: str = ""


class Document(Stamped, Named):
    model_config = BloopConfig(table_name="documents")
    id: Annotated[str, HashKey()]


def test_mixins_give_fields_and_indexes_to_the_table(client: DynamoDBClient) -> None:
    assert list(Document.model_fields) == ["name", "owner", "created", "id"]
    doc = Document(id="d1")
    assert (doc.owner, doc.created, doc.name) == ("nobody", WHEN, "")
    assert Document.model_fields["owner"].default == "nobody"

    assert isinstance(Document.by_owner, Index)
    assert Document.by_owner.model is Document
    assert Document.by_owner.spec.hash_key.name == "owner"
    assert col(Document.owner).model is Document
    assert col(Stamped.owner).model is Stamped

    # the mixin itself has no table: its index is only a declaration
    declared: object = Stamped.by_owner
    assert isinstance(declared, GlobalIndex)
    with pytest.raises(InvalidQuery, match="Stamped"):
        Engine(client=client).query(Stamped)


def test_abstract_base_fields_are_plain_fields() -> None:
    plain = Stamped(owner="me")
    assert plain.model_dump() == {"owner": "me", "created": WHEN}
    assert pickle.loads(pickle.dumps(plain)) == plain


def test_subclass_redeclaring_a_field_gets_its_own_default() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. pydantic's "shadows an attribute in parent"

        class Popular(Post):
            views: int = 5

    assert Popular.model_fields["views"].default == 5
    assert Post.model_fields["views"].default == 0
    post = Popular(forum="f", id=PID, user=UID, date=WHEN)
    assert post.views == 5
    assert Popular.model_validate(post.model_dump()).views == 5

    assert col(Popular.views).model is Popular
    assert col(Post.views).model is Post
    assert Popular.by_user.model is Popular


def test_subclass_inherits_plain_defaults() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Extended(Post):
            extra: str = "x"

        class Deeper(Extended):
            views: int = 9

    for model in (Extended, Deeper):
        for name, field in model.model_fields.items():
            assert not isinstance(field.default, Column), f"{model.__name__}.{name}"
    assert Extended.model_fields["views"].default == 0
    assert Extended.model_fields["content"].default is None
    assert Deeper.model_fields["views"].default == 9
    assert Deeper.model_fields["extra"].default == "x"
    deeper = Deeper(forum="f", id=PID, user=UID, date=WHEN)
    assert (deeper.views, deeper.extra, deeper.tags) == (9, "x", set())
    assert col(Deeper.extra).model is Deeper


def test_indexes_without_classvar_are_no_fields() -> None:
    class Loose(Base):
        h: Annotated[str, HashKey()]
        other: str = ""
        by_other = GlobalIndex(hash_key="other")  # type: ignore[pydantic-field]

    assert list(Loose.model_fields) == ["h", "other"]
    assert isinstance(Loose.by_other, Index)
    assert "by_other" not in Loose(h="x").model_dump()


# -- forward references -------------------------------------------------------------------------


class Thread(Base):
    """Names ``Reply``, defined below: pydantic completes it later, and so do we."""

    model_config = BloopConfig(table_name="threads")
    id: Annotated[str, HashKey()]
    topic: str = ""
    first: Reply | None = None
    by_topic: ClassVar[GlobalIndex] = GlobalIndex(hash_key="topic", projection="all")


class LinkedPost(Post):
    """A subclass of a complete table model that names ``Link``, defined below."""

    views: int = 7
    link: Link | None = None


class Reply(pydantic.BaseModel):
    text: str
    replies: list[Reply] = []


class Link(pydantic.BaseModel):
    url: str


def test_forward_references_resolve_on_first_use(client: DynamoDBClient, table_prefix: str) -> None:
    assert col(Thread.first).model is Thread
    assert Thread.by_topic.model is Thread
    assert col(LinkedPost.views).model is LinkedPost  # not Post's column
    assert col(LinkedPost.link).path == ("link",)
    assert LinkedPost.model_fields["views"].default == 7

    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Thread)
    thread = Thread(id="t1", topic="x", first=Reply(text="hi", replies=[Reply(text="yo")]))
    engine.save(thread)
    assert engine.get(Thread, id="t1", consistent=True) == thread
    stored = client.get_item(
        TableName=table_prefix + "threads", Key={"id": {"S": "t1"}}, ConsistentRead=True
    ).get("Item", {})
    assert stored["first"] == {
        "M": {
            "text": {"S": "hi"},
            "replies": {"L": [{"M": {"text": {"S": "yo"}, "replies": {"L": []}}}]},
        }
    }


def test_a_type_that_never_exists_is_named(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    class Orphan(Base):
        id: Annotated[str, HashKey()]
        parent: Missing | None = None  # type: ignore[name-defined]  # noqa: F821  # pyright: ignore[reportUndefinedVariable]

    with pytest.raises(InvalidModel, match="Orphan is not fully defined: 'Missing'"):
        getattr(Orphan, "parent")  # noqa: B009  # the class attribute, untyped on purpose
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    with pytest.raises(InvalidModel, match="Orphan is not fully defined"):
        engine.bind(Orphan)
    assert request_log.operations == []


# -- pickling keeps what a loaded object saw -----------------------------------------------------


def test_unpickled_object_still_saves_a_diff_atomically(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}", atomic=True)
    engine.bind(Post)
    engine.save(make_post())
    loaded = engine.get(Post, forum="dynamo", id=PID, consistent=True)

    restored = pickle.loads(pickle.dumps(loaded))
    restored.views += 1
    request_log.clear()
    engine.save(restored)  # atomic: conditioned on what was loaded, which must have survived

    (update,) = request_log.of("UpdateItem")
    assert list(update["ExpressionAttributeValues"].values()).count({"N": "4"}) == 1
    assert "attribute_not_exists" not in update["ConditionExpression"]
    stored = client.get_item(
        TableName=table_prefix + "posts",
        Key={"forum": {"S": "dynamo"}, "id": {"S": str(PID)}},
        ConsistentRead=True,
    ).get("Item", {})
    assert stored["views"] == {"N": "4"}
    assert stored["content"] == {"S": "hello #yolo"}


def test_a_copy_under_another_key_writes_every_field(
    client: DynamoDBClient, table_prefix: str
) -> None:
    """Copies forget what the original saw: a copy given another key is a new item, and all of
    it is written (were the snapshot copied, the unchanged fields would be skipped)."""
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Post)
    engine.save(make_post())
    loaded = engine.get(Post, forum="dynamo", id=PID, consistent=True)

    other = uuid4()
    engine.save(loaded.model_copy(update={"id": other}))
    assert engine.get(Post, forum="dynamo", id=other, consistent=True) == make_post(id=other)


# -- InvalidModel --------------------------------------------------------------------------------


def two_hash_keys() -> type[Base]:
    class TwoHash(Base):
        a: Annotated[str, HashKey()]
        b: Annotated[str, HashKey()]

    return TwoHash


def two_range_keys() -> type[Base]:
    class TwoRange(Base):
        a: Annotated[str, HashKey()]
        b: Annotated[str, RangeKey()]
        c: Annotated[int, RangeKey()]

    return TwoRange


def range_key_without_hash_key() -> type[Base]:
    class RangeOnly(Base):
        b: Annotated[str, RangeKey()]

    return RangeOnly


def hash_and_range_on_one_field() -> type[Base]:
    class Both(Base):
        k: Annotated[str, HashKey(), RangeKey()]

    return Both


def bool_hash_key() -> type[Base]:
    class BoolKey(Base):
        flag: Annotated[bool, HashKey()]

    return BoolKey


def list_hash_key() -> type[Base]:
    class ListKey(Base):
        items: Annotated[list[str], HashKey()]

    return ListKey


def dict_range_key() -> type[Base]:
    class DictKey(Base):
        h: Annotated[str, HashKey()]
        mapping: Annotated[dict[str, int], RangeKey()]

    return DictKey


def optional_hash_key() -> type[Base]:
    class OptionalKey(Base):
        maybe: Annotated[Optional[str], HashKey()]  # noqa: UP045  # the spelling under test

    return OptionalKey


def union_none_range_key() -> type[Base]:
    class NoneKey(Base):
        h: Annotated[str, HashKey()]
        maybe: Annotated[str | None, RangeKey()] = None

    return NoneKey


def set_hash_key() -> type[Base]:
    class SetKey(Base):
        tags: Annotated[set[str], HashKey()]

    return SetKey


def lsi_without_range_key() -> type[Base]:
    class NoRange(Base):
        h: Annotated[str, HashKey()]
        views: int = 0
        by_views: ClassVar[LocalIndex] = LocalIndex(range_key="views")

    return NoRange


def gsi_unknown_hash_key() -> type[Base]:
    class UnknownHash(Base):
        h: Annotated[str, HashKey()]
        by_ghost: ClassVar[GlobalIndex] = GlobalIndex(hash_key="ghost")

    return UnknownHash


def gsi_unknown_range_key() -> type[Base]:
    class UnknownRange(Base):
        h: Annotated[str, HashKey()]
        g: str
        by_g: ClassVar[GlobalIndex] = GlobalIndex(hash_key="g", range_key="ghost")

    return UnknownRange


def lsi_unknown_range_key() -> type[Base]:
    class UnknownLocal(Base):
        h: Annotated[str, HashKey()]
        r: Annotated[str, RangeKey()]
        by_ghost: ClassVar[LocalIndex] = LocalIndex(range_key="ghost")

    return UnknownLocal


def projection_unknown_fields() -> type[Base]:
    class UnknownProjection(Base):
        h: Annotated[str, HashKey()]
        g: str
        by_g: ClassVar[GlobalIndex] = GlobalIndex(hash_key="g", projection=["g", "ghost", "boo"])

    return UnknownProjection


def projection_bare_string() -> type[Base]:
    class StringProjection(Base):
        h: Annotated[str, HashKey()]
        g: str
        content: str = ""
        # a str that is not "all"/"keys" must not be read as a list of one-letter fields
        by_g: ClassVar[GlobalIndex] = GlobalIndex(hash_key="g", projection="content")

    return StringProjection


def gsi_bool_hash_key() -> type[Base]:
    class BoolIndexKey(Base):
        h: Annotated[str, HashKey()]
        flag: bool = False
        by_flag: ClassVar[GlobalIndex] = GlobalIndex(hash_key="flag")

    return BoolIndexKey


def gsi_same_hash_and_range() -> type[Base]:
    class SameKeys(Base):
        h: Annotated[str, HashKey()]
        g: str
        by_g: ClassVar[GlobalIndex] = GlobalIndex(hash_key="g", range_key="g")

    return SameKeys


def gsi_hash_key_not_a_name() -> type[Base]:
    class NumberKey(Base):
        h: Annotated[str, HashKey()]
        by_one: ClassVar[GlobalIndex] = GlobalIndex(hash_key=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    return NumberKey


def index_name_too_short() -> type[Base]:
    class ShortIndex(Base):
        h: Annotated[str, HashKey()]
        g: str
        by: ClassVar[GlobalIndex] = GlobalIndex(hash_key="g")

    return ShortIndex


def field_shadows_an_index() -> type[Base]:
    class Indexed(Base):
        h: Annotated[str, HashKey()]
        g: str
        by_g: ClassVar[GlobalIndex] = GlobalIndex(hash_key="g")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns of the shadowing too

        class Shadowing(Indexed):
            by_g: str = ""  # type: ignore[assignment,misc]  # pyright: ignore[reportIncompatibleVariableOverride]

    return Shadowing


def stored_name_clash() -> type[Base]:
    class Clash(Base):
        h: Annotated[str, HashKey()]
        u: str
        user: Annotated[str, DynamoName("u")]

    return Clash


def stored_name_clash_with_key() -> type[Base]:
    class KeyClash(Base):
        h: Annotated[str, HashKey(), DynamoName("x")]
        x: str

    return KeyClash


def empty_stored_name() -> type[Base]:
    class EmptyName(Base):
        h: Annotated[str, HashKey(), DynamoName("")]

    return EmptyName


def ttl_unknown_field() -> type[Base]:
    class TtlGhost(Base):
        model_config = BloopConfig(ttl="expires")
        h: Annotated[str, HashKey()]

    return TtlGhost


def ttl_not_a_number() -> type[Base]:
    class TtlString(Base):
        model_config = BloopConfig(ttl="expires")
        h: Annotated[str, HashKey()]
        expires: datetime  # stored as an ISO string: DynamoDB's TTL ignores it

    return TtlString


def provisioned_without_units() -> type[Base]:
    class NoUnits(Base):
        model_config = BloopConfig(billing="provisioned")
        h: Annotated[str, HashKey()]

    return NoUnits


def provisioned_without_write_units() -> type[Base]:
    class NoWriteUnits(Base):
        model_config = BloopConfig(billing="provisioned", read_units=5)
        h: Annotated[str, HashKey()]

    return NoWriteUnits


def unknown_billing() -> type[Base]:
    class FreeBilling(Base):
        model_config = BloopConfig(billing="free")  # type: ignore[typeddict-item]  # pyright: ignore[reportArgumentType]
        h: Annotated[str, HashKey()]

    return FreeBilling


def unknown_stream() -> type[Base]:
    class AllStream(Base):
        model_config = BloopConfig(stream="everything")  # type: ignore[typeddict-item]  # pyright: ignore[reportArgumentType]
        h: Annotated[str, HashKey()]

    return AllStream


INVALID: list[tuple[Callable[[], type[Base]], list[str]]] = [
    (two_hash_keys, ["TwoHash", "a", "b", "hash key"]),
    (two_range_keys, ["TwoRange", "b", "c", "range key"]),
    (range_key_without_hash_key, ["RangeOnly", "b", "HashKey"]),
    (hash_and_range_on_one_field, ["Both.k", "hash key and range key"]),
    (bool_hash_key, ["BoolKey.flag", "BOOL"]),
    (list_hash_key, ["ListKey.items", "L"]),
    (dict_range_key, ["DictKey.mapping", "M"]),
    (optional_hash_key, ["OptionalKey.maybe", "optional"]),
    (union_none_range_key, ["NoneKey.maybe", "optional"]),
    (set_hash_key, ["SetKey.tags", "SS"]),
    (lsi_without_range_key, ["NoRange.by_views", "range key"]),
    (gsi_unknown_hash_key, ["UnknownHash.by_ghost", "'ghost'", "not a field"]),
    (gsi_unknown_range_key, ["UnknownRange.by_g", "'ghost'", "not a field"]),
    (lsi_unknown_range_key, ["UnknownLocal.by_ghost", "'ghost'", "not a field"]),
    (projection_unknown_fields, ["UnknownProjection.by_g", "'ghost', 'boo'"]),
    (projection_bare_string, ["StringProjection.by_g", "'content'"]),
    (gsi_bool_hash_key, ["BoolIndexKey.flag", "by_flag", "BOOL"]),
    (gsi_same_hash_and_range, ["SameKeys.by_g", "g"]),
    (gsi_hash_key_not_a_name, ["NumberKey.by_one", "hash_key", "1"]),
    (index_name_too_short, ["ShortIndex.by", "3 to 255"]),
    (field_shadows_an_index, ["Shadowing.by_g", "Indexed"]),
    (stored_name_clash, ["Clash.user", "Clash.u", "'u'"]),
    (stored_name_clash_with_key, ["KeyClash.x", "KeyClash.h", "'x'"]),
    (empty_stored_name, ["EmptyName.h", "DynamoName"]),
    (ttl_unknown_field, ["TtlGhost", "'expires'", "not a field"]),
    (ttl_not_a_number, ["TtlString.expires", "AsEpoch"]),
    (provisioned_without_units, ["NoUnits", "read_units"]),
    (provisioned_without_write_units, ["NoWriteUnits", "write_units"]),
    (unknown_billing, ["FreeBilling", "'free'"]),
    (unknown_stream, ["AllStream", "'everything'"]),
]


@pytest.mark.parametrize(("define", "words"), INVALID, ids=[d.__name__ for d, _ in INVALID])
def test_invalid_model_at_class_definition(
    define: Callable[[], type[Base]], words: list[str]
) -> None:
    with pytest.raises(InvalidModel) as caught:
        define()
    # InvalidModel itself, never wrapped by pydantic's class construction
    assert type(caught.value) is InvalidModel
    assert isinstance(caught.value, BloopError)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_valid_keys_and_ttl_types() -> None:
    class Numbers(Base):
        model_config = BloopConfig(ttl="expires", table_name="numbers")
        n: Annotated[int, HashKey()]
        f: Annotated[float, RangeKey()]
        raw: bytes = b""
        expires: Annotated[datetime, AsEpoch()] | None = None  # items without it never expire
        by_raw: ClassVar[GlobalIndex] = GlobalIndex(hash_key="raw", range_key="n")

    assert Numbers(n=1, f=0.5).expires is None
    assert Numbers.by_raw.spec.hash_key.name == "raw"


def test_global_index_validates_only_against_a_model() -> None:
    # a declaration alone has nothing to check against: the model using it does
    decl = GlobalIndex(hash_key=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    given: object = decl.hash_key
    assert given == 1
    with pytest.raises(InvalidModel, match="hash_key must be a field name"):

        class Late(Base):  # pyright: ignore[reportUnusedClass]
            h: Annotated[str, HashKey()]
            by_late: ClassVar[GlobalIndex] = decl


def test_key_from_a_default_factory() -> None:
    # a key can come from a default factory like any pydantic field
    class AutoId(Base):
        id: Annotated[UUID, HashKey()] = pydantic.Field(default_factory=uuid4)

    first, second = AutoId(), AutoId()
    assert first.id != second.id
    assert AutoId.model_fields["id"].default_factory is uuid4
