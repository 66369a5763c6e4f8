"""Model classes: ``Base``, ``BloopConfig`` and the per-model metadata computed at class definition.

A ``Base`` subclass is a plain pydantic model. Its metaclass extends pydantic's: after pydantic has
built the class it resolves keys, stored names, codecs and indexes once (raising ``InvalidModel``
for a bad definition) and installs a non-data descriptor per field, so ``Post.views`` is a
:class:`~pydantic_bloop.columns.Column` while ``post.views`` is the instance's value.

A model whose annotations name a type not defined yet (a forward reference) is completed on first
use instead: class attribute access, ``model_info`` or binding resolve the annotations the way
pydantic's ``model_rebuild`` does, then build the metadata (so its ``InvalidModel``, if any,
surfaces there).

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Generic,
    Literal,
    Self,
    dataclass_transform,
)

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    PydanticUndefinedAnnotation,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypeVar

from . import template_fill
from ._pydantic_compat import (
    ModelMetaclass,
    NoInitField,
    class_fields_complete,
    mark_assignments,
    own_field_names,
    refuse_validation,
    unloaded,
    validate_field,
)
from .columns import Column
from .entities import Entity, entity_of
from .errors import InvalidItem, InvalidModel, InvalidValue, UnloadedField
from .field_checks import by_stored_name, field_spec, primary_key
from .field_spec import FieldSpec
from .indexes import Index, IndexDeclaration, IndexSpec
from .indexing import check_index_annotations, index_declarations, index_spec
from .item_dump import RestDump, WholeDump, item_dumps
from .limits import check_key_value, plain_key, plain_key_in, shown, table_key_limits
from .mapper_state import (
    SLOTS,
    attach_info,
    carry_snapshot,
    defer_info,
    is_deferred,
    model_info,
    own_info,
    pickle_snapshot,
    slot_defined,
    unpickle_snapshot,
)
from .partial_dumps import add_whole_check, check_dump
from .table_options import StreamView, TableClass, TableSpec, table_spec
from .template_query import key_kwargs
from .templates import KeyTemplate, check_shapes, templates_of
from .types import MISSING, AttributeValue
from .versions import version_field
from .wire import ItemReader, item_reader

M = TypeVar("M", bound="Base")
# The model a ModelInfo describes. Covariant: the info of Post is an info of a Base (its methods
# take objects as Base). Plain ``ModelInfo`` is ``ModelInfo[Base]``: code that does not carry a
# model type through (tables, tracking, writes) names no parameter.
M_co = TypeVar("M_co", bound="Base", default="Base", covariant=True)


class BloopConfig(ConfigDict, total=False):
    """pydantic's ``ConfigDict`` plus the table options of a model.

    Like every pydantic config key these are inherited by subclasses; ``table_name`` defaults to
    the class name.
    """

    table_name: str
    billing: Literal["on_demand", "provisioned"]
    read_units: int
    write_units: int
    ttl: str
    stream: StreamView
    entity: str  # this model's tag in a table shared by several models (see entities.py)
    discriminator: str  # the attribute holding the tag (default "_et")
    deletion_protection: bool
    table_class: TableClass
    point_in_time_recovery: bool
    recovery_period_days: int
    max_read_units: int
    max_write_units: int
    warm_read_units: int
    warm_write_units: int


class _Unbuilt:
    pass


_UNBUILT = _Unbuilt()


@dataclass(eq=False)
class ModelInfo(Generic[M_co]):
    """Everything pydantic_bloop knows about a model class, computed once at class definition."""

    model: type[M_co]
    fields: dict[str, FieldSpec]
    by_dynamo: dict[str, FieldSpec]
    hash_key: FieldSpec | None
    range_key: FieldSpec | None
    indexes: dict[str, IndexSpec]
    bound_indexes: dict[str, Index[Any]]
    table: TableSpec | None
    columns: dict[str, Column[Any]]
    version: FieldSpec | None = None  # the Version() field, if any
    entity: Entity | None = None  # the discriminator written with every item, if any
    templates: dict[str, KeyTemplate] = dataclass_field(default_factory=dict[str, KeyTemplate])
    # stored item -> instance in one pydantic-core call (see wire.py); built on first use
    _reader: ItemReader[M_co] | _Unbuilt | None = dataclass_field(default=_UNBUILT, repr=False)
    _dynamo_names: dict[frozenset[str] | None, frozenset[str]] = dataclass_field(
        default_factory=dict[frozenset[str] | None, frozenset[str]], repr=False
    )
    _key_adapters: dict[str, TypeAdapter[Any]] = dataclass_field(
        default_factory=dict[str, "TypeAdapter[Any]"], repr=False
    )

    def dynamo_names(self, names: frozenset[str] | None) -> frozenset[str]:
        """The stored names of the fields called ``names`` (None: every field), cached."""
        found = self._dynamo_names.get(names)
        if found is None:
            specs = self.fields.values() if names is None else (self.fields[n] for n in names)
            found = self._dynamo_names[names] = frozenset(s.dynamo_name for s in specs)
        return found

    @cached_property
    def keys(self) -> tuple[FieldSpec, ...]:
        return tuple(k for k in (self.hash_key, self.range_key) if k is not None)

    @cached_property
    def _dumpers(self) -> tuple[tuple[str, str, Callable[[Any], AttributeValue | None]], ...]:
        """(name, stored name, dump) of every non-key field, for the tight loop of dump_item."""
        return tuple(
            (s.name, s.dynamo_name, s.codec.dump) for s in self.fields.values() if s.role is None
        )

    @cached_property
    def key_names(self) -> tuple[str, ...]:
        """The stored names of the key fields."""
        return tuple(k.dynamo_name for k in self.keys)

    @cached_property
    def key_dumpers(self) -> tuple[tuple[str, str, Callable[[Any], AttributeValue | None]], ...]:
        """(name, stored name, dump) of each key field (`limits.plain_key`'s loop)."""
        return tuple((s.name, s.dynamo_name, s.codec.dump) for s in self.keys)

    @cached_property
    def _item_dumpers(self) -> tuple[tuple[str, str, Callable[[Any], AttributeValue | None]], ...]:
        """(name, stored name, dump) of every field, the keys first (their order in the item)."""
        return self.key_dumpers + self._dumpers

    @cached_property
    def key_limits(self) -> tuple[tuple[str, int], ...]:
        """(stored name, byte limit) of each key field (`limits.plain_key_in`)."""
        return table_key_limits(self)

    @property
    def label(self) -> str:
        return self.model.__name__

    # -- dumping -------------------------------------------------------------------------------

    def dump_field(self, spec: FieldSpec, value: object) -> AttributeValue | None:
        """The stored form of one field value; ``InvalidValue`` names model, field and value."""
        try:
            return spec.codec.dump(value)
        except (TypeError, ValueError) as exc:
            raise InvalidValue(f"{self.label}.{spec.name} = {value!r}: {exc}") from None
        except RecursionError:  # far deeper than DynamoDB's 32 levels (or a cycle)
            raise InvalidValue(
                f"{self.label}.{spec.name}: the value nests lists and maps deeper than "
                "DynamoDB's 32 levels"
            ) from None

    def key_of(self, obj: Base) -> dict[str, AttributeValue]:
        """The primary key of ``obj`` as DynamoDB wants it in ``Key``."""
        values = obj.__dict__
        plain = plain_key(self, values)
        if plain is not None:
            return plain
        key: dict[str, AttributeValue] = {}  # the checked loop, which names the field at fault
        for spec in self.keys:
            if spec.name not in values:
                raise InvalidValue(f"{self.label}.{spec.name}: the key field has no value")
            key[spec.dynamo_name] = self._dump_key(spec, values[spec.name])
        return key

    def key_from(self, given: Mapping[str, object]) -> dict[str, AttributeValue]:
        """The primary key from keyword arguments naming exactly the key fields."""
        given = key_kwargs(self, given)  # the fields of templated keys, made into the keys
        names = {k.name for k in self.keys}
        missing = sorted(names - given.keys())
        unknown = sorted(given.keys() - names)
        if missing or unknown:
            parts: list[str] = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unknown:
                parts.append(f"not key fields: {', '.join(unknown)}")
            raise InvalidValue(
                f"{self.label} is keyed by {', '.join(k.name for k in self.keys)} "
                f"({'; '.join(parts)})"
            )
        return {
            k.dynamo_name: self._dump_key(k, self.key_value(k, given[k.name])) for k in self.keys
        }

    def key_value(self, spec: FieldSpec, value: object) -> object:
        """``value`` validated as the key field's type (``id="…"`` for a UUID key works)."""
        adapter = self._key_adapters.get(spec.name)
        if adapter is None:
            field = self.model.model_fields[spec.name]
            annotation: Any = field.annotation
            if field.metadata:
                annotation = Annotated[annotation, *field.metadata]
            adapter = self._key_adapters[spec.name] = TypeAdapter[Any](annotation)
        try:
            validated: object = adapter.validate_python(value)
            return validated
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"]
            raise InvalidValue(f"{self.label}.{spec.name} = {value!r}: {problem}") from None

    def _dump_key(self, spec: FieldSpec, value: object) -> AttributeValue:
        dumped = self.dump_field(spec, value)
        if dumped is None:
            raise InvalidValue(f"{self.label}.{spec.name} = None: a key attribute needs a value")
        check_key_value(lambda: f"{self.label}.{spec.name} = {shown(value)}", dumped, spec.role)
        return dumped

    @cached_property
    def _item_dumps(self) -> tuple[WholeDump, RestDump]:
        return item_dumps(self)

    @cached_property
    def _whole_dump(self) -> WholeDump:
        return self._item_dumps[0]

    @cached_property
    def _rest_dump(self) -> RestDump:
        return self._item_dumps[1]

    def dump_item(
        self, obj: Base, key: dict[str, AttributeValue] | None = None
    ) -> dict[str, AttributeValue]:
        """The whole stored item of a fully loaded object (absent attributes left out);
        ``key``: its key, when already dumped with `key_of`."""
        # the common values in one generated function (item_dump.py); None: the walk below
        values = obj.__dict__
        item = self._whole_dump(values) if key is None else self._rest_dump(values, key)
        return item if item is not None else self._dump_item_walked(obj, key)

    def _dump_item_walked(
        self, obj: Base, key: dict[str, AttributeValue] | None
    ) -> dict[str, AttributeValue]:
        values = obj.__dict__
        # One walk dumps the key with the rest; the key's values are then checked in the item
        # (key_of's own walk cost about 1 us of the 4 of a whole item).
        walked: dict[str, AttributeValue] = {} if key is None else dict(key)
        item: dict[str, AttributeValue] | None = walked
        try:
            for name, dynamo_name, dump in self._item_dumpers if key is None else self._dumpers:
                dumped = dump(values[name])
                if dumped is not None:
                    walked[dynamo_name] = dumped
        except (KeyError, TypeError, ValueError, RecursionError):
            item = None
        if key is None and (item is None or not plain_key_in(item, self.key_limits)):
            key = self.key_of(obj)  # the checked loop, which names the key field at fault
            if item is not None:
                item.update(key)
        if item is None:
            item = self._dump_item_checked(obj)  # the slow loop names the field at fault
        if self.entity is not None:
            item[self.entity.attribute] = self.entity.value
        return item

    def _dump_item_checked(self, obj: Base) -> dict[str, AttributeValue]:
        values = obj.__dict__
        item: dict[str, AttributeValue] = {}
        for spec in self.fields.values():
            if spec.name not in values:
                raise InvalidValue(
                    f"{self.label}.{spec.name} was never loaded: writing the whole item would "
                    "erase it (load the object first, or save with persist='update')"
                )
            if spec.role is not None:
                item[spec.dynamo_name] = self._dump_key(spec, values[spec.name])
                continue
            dumped = self.dump_field(spec, values[spec.name])
            if dumped is not None:
                item[spec.dynamo_name] = dumped
        return item

    # -- loading -------------------------------------------------------------------------------

    def values_from(
        self, item: Mapping[str, AttributeValue], fields: Iterable[FieldSpec]
    ) -> dict[str, Any]:
        """Python values (ready for validation) of ``fields`` from a stored item."""
        values: dict[str, Any] = {}
        for spec in fields:
            wire = item.get(spec.dynamo_name)
            if wire is not None:
                values[spec.name] = spec.codec.load(wire)
                continue
            absent = spec.codec.load_absent()
            if absent is not MISSING:
                values[spec.name] = absent
            # else: leave it out, so that pydantic reports the missing required field
        return values

    def fields_named(self, names: frozenset[str] | None) -> tuple[FieldSpec, ...]:
        """The fields called ``names`` (None: all), in declaration order."""
        if names is None:
            return tuple(self.fields.values())
        return tuple(f for n, f in self.fields.items() if n in names)

    def _item_reader(self) -> ItemReader[M_co] | None:
        reader = self._reader
        if isinstance(reader, _Unbuilt):
            reader = self._reader = item_reader(self.model, self.fields.values())
        return reader

    def values_from_item(
        self, item: Mapping[str, AttributeValue]
    ) -> tuple[dict[str, Any], set[str]]:
        """What ``instance_from(item, None)`` would hold, without the instance: its field values
        and the names of the fields given (new objects, the caller's)."""
        reader = self._item_reader()
        if reader is not None:
            with contextlib.suppress(ValidationError):  # instance_from decides (and names it)
                read = reader.read_values(item)
                if read is not None:
                    return read
        obj = self.instance_from(item, None)
        return vars(obj), obj.__pydantic_fields_set__

    def instance_from(
        self, item: Mapping[str, AttributeValue], projected: frozenset[str] | None
    ) -> M_co:
        """A new instance from a stored item; ``projected`` limits it to those fields (a partial
        object, whose other fields are unloaded)."""
        try:
            if projected is None or len(projected) == len(self.fields):
                reader = self._reader  # (inlined _item_reader: this runs once per object read)
                if isinstance(reader, _Unbuilt):
                    reader = self._item_reader()
                if reader is not None:
                    try:
                        read = reader.read(item)
                    except ValidationError:
                        read = None  # rare (e.g. a number written as 1E+40): see below
                    if read is not None:
                        return read
                # the general path decides (and converts a value stored with another type)
                values = self.values_from(item, self.fields.values())
                return self.model.model_validate(values, by_name=True)
            return self._partial_from(item, self.fields_named(projected))
        except ValidationError as error:
            raise self._unreadable(item, error) from error

    def _unreadable(
        self, item: Mapping[str, AttributeValue], error: ValidationError
    ) -> InvalidItem:
        """The error for a stored item that does not validate: model, key and fields named."""
        key = {k.dynamo_name: item[k.dynamo_name] for k in self.keys if k.dynamo_name in item}
        shown = ", ".join(f"{k}={next(iter(v.values()))!r}" for k, v in key.items())
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(item)'}: {e['msg']}"
            for e in error.errors(include_url=False)
        )
        return InvalidItem(
            f"stored {self.label} item with key {shown or '(none)'} cannot be read: {problems}",
            self.label,
            key,
            item,
        )

    def _partial_from(
        self, item: Mapping[str, AttributeValue], fields: tuple[FieldSpec, ...]
    ) -> M_co:
        """An instance holding only ``fields``, each validated from ``item`` (the others stay
        unloaded, so required fields outside a projection do not fail validation)."""
        values = self.values_from(item, fields)
        if self.templates:  # fields not projected but in a projected key are read from it
            fields = template_fill.with_parsed_fields(self, values, fields)
        obj = unloaded(self.model)  # not even the defaults: those fields were not loaded
        for spec in fields:
            if spec.name in values:
                validate_field(self.model, obj, spec.name, values[spec.name])
            else:
                raise InvalidValue(
                    f"{self.label}.{spec.name}: the stored item has no {spec.dynamo_name!r} "
                    "attribute and the field has no default"
                )
        return obj


class _FieldDescriptor:
    """Non-data descriptor installed per field: the class sees the column, an instance its value
    (pydantic keeps values in the instance ``__dict__``, which wins over a non-data descriptor,
    so this runs on an instance only when the field was never loaded)."""

    __slots__ = ("column",)

    def __init__(self, column: Column[Any]) -> None:
        self.column = column

    def __get__(self, obj: object, owner: type[Any] | None = None) -> Any:
        if obj is None:
            if getattr(_building, "depth", 0):
                # pydantic is building a class and must not take a column for a field default
                raise AttributeError(self.column.field)
            if owner is not None and owner is not self.column.model:
                # a subclass whose metadata waits for a forward reference: its own column
                return model_info(owner).columns[self.column.field]
            return self.column
        raise UnloadedField(
            f"{self.column.label} was not loaded: the object came from a projection or "
            "select() without it; engine.load(obj) fetches the whole item"
        )


_building = threading.local()


@dataclass_transform(kw_only_default=True, field_specifiers=(Field, PrivateAttr, NoInitField))
class BloopModelMetaclass(ModelMetaclass):
    """pydantic's metaclass, plus pydantic_bloop's metadata and class-level columns."""

    def __new__(
        mcs,
        cls_name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        **kwargs: Any,
    ) -> type:
        check_index_annotations(cls_name, namespace)  # before pydantic's unclear schema error
        depth = getattr(_building, "depth", 0)
        _building.depth = depth + 1
        templated = template_fill.declares_template(namespace)
        if templated:
            template_fill.add_validators(namespace)
        made = add_whole_check(namespace)
        try:
            cls = super().__new__(mcs, cls_name, bases, namespace, **kwargs)
        finally:
            _building.depth = depth
        made(cls)
        if templated:
            template_fill.install_setattr(cls)
        mark_assignments(cls)
        if not any(isinstance(b, BloopModelMetaclass) for b in bases):
            return cls  # Base itself
        if not class_fields_complete(cls):
            # an annotation names a type not defined yet: the metadata is built on first use
            defer_info(cls, _complete)
            return cls
        model: type[Base] = cls
        _install(model, _build_info(model))
        return cls

    if not TYPE_CHECKING:  # checkers must keep reporting unknown class attributes

        def __getattr__(cls, name: str) -> Any:
            # only reached for a field of a class whose metadata waits for a forward reference
            fields = own_field_names(cls)
            if name in fields and is_deferred(cls) and not getattr(_building, "depth", 0):
                return model_info(cls).columns[name]
            return super().__getattr__(name)


def _install(cls: type[M], info: ModelInfo[M]) -> ModelInfo[M]:
    attach_info(cls, info)
    for name, column in info.columns.items():
        type.__setattr__(cls, name, _FieldDescriptor(column))
    return info


_completing = threading.RLock()


def _complete(model: type[M]) -> ModelInfo[M]:
    """The metadata of a model defined before a type it names: resolve the annotations now
    (pydantic's rebuild, in the model's module), then build it, once."""
    with _completing:
        info = own_info(model)
        if info is not None:
            return info
        missing = "a type it names"
        if not class_fields_complete(model):
            try:  # pydantic's own rebuild: Base.model_rebuild would come back here
                super(Base, model).model_rebuild(_parent_namespace_depth=0)
            except PydanticUndefinedAnnotation as exc:
                missing = f"{exc.name!r}" if exc.name else missing
        if not class_fields_complete(model):
            name = model.__name__
            raise InvalidModel(
                f"{name} is not fully defined: {missing} is not defined yet (define it, then "
                f"call {name}.model_rebuild() if it is not a module-level name)"
            )
        try:
            info = _build_info(model)
        except InvalidModel as exc:
            # pydantic may have completed the class already: its objects must not be made
            refuse_validation(model, exc)
            raise
        return _install(model, info)


class Base(BaseModel, metaclass=BloopModelMetaclass):
    """The base of every pydantic_bloop model. A subclass with a ``HashKey`` field is a table."""

    # Where tracking keeps the stored form of what the object last saw; slots, so it is no
    # pydantic field or private attribute and never shows in dumps, schemas or equality.
    __slots__ = SLOTS
    __bloop__: ClassVar[ModelInfo]
    model_config = ConfigDict(ignored_types=(IndexDeclaration,))

    if not TYPE_CHECKING:  # checkers keep pydantic's signatures

        def model_dump(self, **options):
            # a partial object lacks fields: dumping it whole would break the schema
            if len(self.__dict__) < len(type(self).__pydantic_fields__):
                check_dump(self, options)
            return super().model_dump(**options)

        def model_dump_json(self, **options):
            if len(self.__dict__) < len(type(self).__pydantic_fields__):
                check_dump(self, options)
            return super().model_dump_json(**options)

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        """pydantic's ``model_rebuild``, then the definition checks of a model whose annotations
        were completed late: its ``InvalidModel`` is raised here at the latest (pydantic rebuilds
        a model this way on its first instantiation or validation too)."""
        depth = _parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0  # our frame
        rebuilt = super().model_rebuild(
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=depth,
            _types_namespace=_types_namespace,
        )
        if is_deferred(cls) and class_fields_complete(cls):
            model_info(cls)  # builds the metadata now, or raises InvalidModel
        return rebuilt

    # A pickled or copied object keeps what it last saw of its stored item (pydantic's state
    # and copies leave slots out), so it still saves as a diff and atomically: a copy of a
    # loaded object (``model_copy(update=...)``, the idiom for frozen models) is not new. A copy
    # given another key names another item: tracking then treats it as new (current_snapshot).
    def __copy__(self) -> Self:
        twin = super().__copy__()
        carry_snapshot(self, twin)
        return twin

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        twin = super().__deepcopy__(memo)
        carry_snapshot(self, twin)
        return twin

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        pickle_snapshot(self, state)
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        unpickle_snapshot(self, state)


slot_defined(Base)

__all__ = ["Base", "BloopConfig", "FieldSpec", "ModelInfo", "model_info"]


# -- building the metadata -----------------------------------------------------------------------


def _build_info(cls: type[M]) -> ModelInfo[M]:
    """The metadata of a model class, or ``InvalidModel`` naming what is wrong with it."""
    label = cls.__name__
    fields = {name: field_spec(label, name, fi) for name, fi in cls.model_fields.items()}
    by_dynamo = by_stored_name(label, fields)
    hash_key, range_key = primary_key(label, fields)
    info = ModelInfo(
        model=cls,
        fields=fields,
        by_dynamo=by_dynamo,
        hash_key=hash_key,
        range_key=range_key,
        indexes={},
        bound_indexes={},
        table=None,
        columns={
            name: Column(cls, name, (spec.dynamo_name,), spec.codec, f"{label}.{name}")
            for name, spec in fields.items()
        },
        version=version_field(label, cls.model_fields, fields),
    )
    declarations = index_declarations(cls)
    info.templates = templates_of(cls)
    if hash_key is None:
        return info  # an abstract model or mixin: no table, indexes resolve in subclasses
    info.table = table_spec(label, cls.__name__, cls.model_config, info.fields)
    check_shapes(cls, info.table.name, info.templates)
    info.entity = entity_of(cls, by_dynamo)  # before the indexes, which project it
    for name, decl in declarations.items():
        index = index_spec(info, name, decl)
        info.indexes[name] = index
        info.bound_indexes[name] = Index(cls, index)
    return info
