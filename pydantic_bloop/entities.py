"""Several models in one table: the discriminator, polymorphic reads and item collections.

A model whose ``BloopConfig`` names an ``entity`` writes that tag with every item, in the
attribute ``discriminator`` (default ``"_et"``, as short as DynamoDB Toolbox's), and reads only
items carrying its tag or a subclass's: a query or scan sends ``FilterExpression _et IN (...)``
(so ``count()`` and ``Limit`` stay right and other entities' items never cross the network), and
every item is still checked client side, so an item of another entity is skipped, never a
validation error. ``get`` and ``load`` treat another entity's item as absent.

A subclass of an entity is an entity of its own (its tag: its own ``entity``, or else its class
name); reading the base yields instances of the right subclass. Models without ``entity`` write
no discriminator and read every item, exactly as before: single-model tables are unchanged.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .columns import Column
from .conditions import Condition
from .errors import InvalidModel, InvalidQuery
from .field_spec import FieldSpec
from .mapper_state import model_info, own_info
from .types import AttributeValue, codec_for

if TYPE_CHECKING:
    from .models import Base, ModelInfo

DEFAULT_DISCRIMINATOR = "_et"

M = TypeVar("M", bound="Base")
A = TypeVar("A", bound="Base")
B = TypeVar("B", bound="Base")
C = TypeVar("C", bound="Base")
D = TypeVar("D", bound="Base")
E = TypeVar("E", bound="Base")


@dataclass(frozen=True, slots=True)
class Entity:
    """A model's discriminator: the attribute and this model's tag in it."""

    attribute: str
    tag: str

    @property
    def value(self) -> AttributeValue:
        return {"S": self.tag}


def discriminator_field(entity: Entity) -> FieldSpec:
    """The discriminator as a field spec, for index projections (it is no model field)."""
    return FieldSpec(entity.attribute, entity.attribute, _STR, None, required=False)


def entity_of(cls: type[Base], by_dynamo: Mapping[str, FieldSpec]) -> Entity | None:
    """The discriminator of ``cls`` from its config (None: not an entity). An inherited
    ``entity`` does not carry over: a subclass is tagged with its class name."""
    config: Mapping[str, Any] = cls.model_config
    tag = config.get("entity")
    if tag is None:
        return None
    label = cls.__name__
    if not isinstance(tag, str) or not tag:
        raise InvalidModel(f"{label}: entity must be a non-empty str, not {tag!r}")
    ancestors = [b for b in cls.__mro__[1:] if own_info(b) is not None]
    if any(_entity(b) is not None and _config(b).get("entity") == tag for b in ancestors):
        tag = label  # inherited from the base entity: the subclass has its own tag
    taken = {e.tag: b.__name__ for b in ancestors if (e := _entity(b)) is not None}
    if tag in taken:
        raise InvalidModel(f"{label}: entity {tag!r} is already the tag of {taken[tag]}")
    attribute = config.get("discriminator", DEFAULT_DISCRIMINATOR)
    if not isinstance(attribute, str) or not attribute:
        raise InvalidModel(f"{label}: discriminator must be a non-empty str, not {attribute!r}")
    if attribute in by_dynamo:
        raise InvalidModel(
            f"{label}.{by_dynamo[attribute].name} is stored as {attribute!r}, which is the "
            "discriminator attribute; rename one (BloopConfig discriminator=...)"
        )
    return Entity(attribute, tag)


def _config(model: type[Any]) -> Mapping[str, Any]:
    config: Mapping[str, Any] = getattr(model, "model_config", {})
    return config


def _entity(model: type[Any]) -> Entity | None:
    info = own_info(model)
    return None if info is None else info.entity


def _family(info: ModelInfo[M]) -> Iterator[ModelInfo[M]]:
    """``info`` and every subclass stored in the same table (subclasses defined so far)."""
    yield info
    assert info.table is not None
    pending = list(info.model.__subclasses__())
    while pending:
        sub = pending.pop()
        pending.extend(sub.__subclasses__())
        sub_info = model_info(sub)
        table = sub_info.table
        if sub_info.entity is not None and table is not None and table.name == info.table.name:
            yield sub_info


@dataclass(frozen=True, slots=True)
class Readers(Generic[M]):
    """Which model reads each item of a query, a scan or a get (``M``: the one model, or the
    union of a collection's)."""

    attribute: str | None  # None: untagged models, which read every item
    by_tag: dict[str, ModelInfo[M]]
    default: ModelInfo[M] | None  # what reads an item when there is no discriminator

    def info_for(self, item: Mapping[str, AttributeValue]) -> ModelInfo[M] | None:
        """The model of ``item``, or None when the item is another entity's."""
        if self.attribute is None:
            return self.default
        tag = item.get(self.attribute)
        if tag is None:
            return self.default
        return self.by_tag.get(str(tag.get("S", "")))

    def condition(self) -> Condition | None:
        """The filter that keeps only the readers' items (None: keep every item)."""
        if self.attribute is None:
            return None
        column: Column[str] = Column(
            next(iter(self.by_tag.values())).model,
            self.attribute,
            (self.attribute,),
            _STR,
            self.attribute,
        )
        tags = sorted(self.by_tag)
        return column == tags[0] if len(tags) == 1 else column.in_(*tags)


_STR = codec_for(str, [])


def readers(members: tuple[ModelInfo[M], ...]) -> Readers[M]:
    """The readers of a query of ``members`` (one model, or a collection)."""
    tagged = [m for m in members if m.entity is not None]
    first = members[0]
    if not tagged:
        if len(members) > 1:
            labels = ", ".join(m.label for m in members)
            raise InvalidQuery(
                f"a collection of {labels} needs each model to have an entity (BloopConfig "
                "entity=...): the discriminator tells their items apart"
            )
        return Readers(None, {}, first)
    if len(tagged) != len(members):
        untagged = ", ".join(m.label for m in members if m.entity is None)
        raise InvalidQuery(f"{untagged}: every model of a collection needs an entity")
    attributes = {m.entity.attribute for m in tagged if m.entity is not None}
    if len(attributes) > 1:
        raise InvalidQuery(
            f"the models of a collection disagree on the discriminator: {sorted(attributes)}"
        )
    by_tag: dict[str, ModelInfo[M]] = {}
    for member in members:
        for info in _family(member):
            assert info.entity is not None
            by_tag.setdefault(info.entity.tag, info)
    return Readers(attributes.pop(), by_tag, None)


class Collection(Generic[M]):
    """Several entities read together by one query of a partition (an item collection):
    ``engine.query(Collection(Customer, Order)).key(Customer.id == cid)`` is a
    ``Query[Customer | Order]`` whose results are objects of the right class.

    The first model is the one whose keys ``key()`` names; every model must be an entity of
    the same table.
    """

    models: tuple[type[M], ...]

    @overload
    def __init__(self: Collection[A | B], a: type[A], b: type[B], /) -> None: ...
    @overload
    def __init__(self: Collection[A | B | C], a: type[A], b: type[B], c: type[C], /) -> None: ...
    @overload
    def __init__(
        self: Collection[A | B | C | D], a: type[A], b: type[B], c: type[C], d: type[D], /
    ) -> None: ...
    @overload
    def __init__(
        self: Collection[A | B | C | D | E],
        a: type[A],
        b: type[B],
        c: type[C],
        d: type[D],
        e: type[E],
        /,
    ) -> None: ...
    def __init__(self, *models: type[Any]) -> None:
        infos = [model_info(m) for m in models]
        tables = {i.table.name for i in infos if i.table is not None}
        if len(infos) < 2 or len(tables) != 1 or any(i.table is None for i in infos):
            raise InvalidQuery(
                "Collection() takes two or more table models stored in one table, not "
                f"{', '.join(i.label for i in infos) or 'nothing'}"
            )
        readers(tuple(infos))  # every model is an entity, on one discriminator
        self.models = models

    def __repr__(self) -> str:
        return f"Collection({', '.join(m.__name__ for m in self.models)})"
