"""Stream records as typed changes: DynamoDB Streams records read into model instances.

Pure functions, no engine and no client: :func:`parse_changes` takes what a Lambda function
receives (a DynamoDB stream event, an EventBridge pipe batch, a Kinesis Data Streams event for
DynamoDB) and the models of the table, and returns a :class:`Change` per record. The stream
reader (:mod:`pydantic_bloop.stream_reader`) reads GetRecords responses with the same code;
the envelopes and their spelling of values are :mod:`pydantic_bloop.envelopes`'.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar, cast, overload

from pydantic import ValidationError

from .envelopes import (
    Image,
    decode_image,
    envelope_of,
    loose_sequence_number,
    plain_image,
    record_time,
    records_of,
    str_or_none,
)
from .errors import BloopError, InvalidItem, InvalidModel
from .models import Base, ModelInfo, model_info
from .table_options import StreamView, final_table_name
from .tracking import remember, same, seen
from .types import AttributeValue

M = TypeVar("M", bound=Base)
M1 = TypeVar("M1", bound=Base)
M2 = TypeVar("M2", bound=Base)
M3 = TypeVar("M3", bound=Base)
M4 = TypeVar("M4", bound=Base)

Kind = Literal["insert", "modify", "remove"]
#: Tells the models of one table apart: given a record's image (the new one, else the old one,
#: else only its keys), the model it stores, or None for a record of no known model.
Match = Callable[[Mapping[str, AttributeValue]], type[Base] | None]
OnError = Literal["raise", "collect"]

_KINDS: dict[str, Kind] = {"INSERT": "insert", "MODIFY": "modify", "REMOVE": "remove"}
_VIEWS: dict[str, StreamView] = {
    "KEYS_ONLY": "keys_only",
    "NEW_IMAGE": "new_image",
    "OLD_IMAGE": "old_image",
    "NEW_AND_OLD_IMAGES": "new_and_old_images",
}
_TTL_PRINCIPAL = "dynamodb.amazonaws.com"


class StreamError(BloopError):
    """A stream record or change cannot give what was asked of it."""


class RecordError(StreamError):
    """One stream record that could not become a change: it matches no model, or its image does
    not validate. Names the table, the key and the fields at fault."""

    def __init__(
        self,
        message: str,
        *,
        table: str | None,
        stored_key: Mapping[str, AttributeValue],
        sequence_number: str | None,
        model: type[Base] | None,
        fields: Sequence[str] = (),
        record: Mapping[str, Any] | None = None,
    ) -> None:
        self.table = table
        self.stored_key = dict(stored_key)
        self.sequence_number = sequence_number
        self.model = model  # None: no model matched the record
        self.fields = tuple(fields)
        self.record = record
        super().__init__(message)


class InvalidRecords(StreamError):
    """Some records of a batch failed (``errors``), after every other one was read
    (``changes``): nothing read is lost by raising."""

    def __init__(self, errors: Sequence[RecordError], changes: Sequence[Change[Any]]) -> None:
        self.errors = list(errors)
        self.changes = list(changes)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(
            f"{len(self.errors)} of {len(self.errors) + len(self.changes)} stream records "
            f"failed:\n{lines}"
        )


@dataclass(frozen=True, slots=True, eq=False)
class Change(Generic[M]):
    """One change of one item, as a stream record tells it.

    ``old`` / ``new`` are the item before and after, as model instances, when the stream's view
    type carries that image (None otherwise, and ``old`` for an insert, ``new`` for a remove).
    ``new`` is a loaded object: saving it sends nothing until it is changed. ``key`` holds the
    key fields' values by field name (``engine.get(Post, **change.key)``); ``stored_key``,
    ``old_image`` and ``new_image`` the stored forms. ``expired`` is a deletion by TTL.
    """

    kind: Kind
    model: type[M]
    key: dict[str, Any]
    old: M | None
    new: M | None
    stored_key: Image
    old_image: Image | None
    new_image: Image | None
    sequence_number: str | None
    time: datetime | None
    table: str | None
    view: StreamView | None
    event_id: str | None
    expired: bool = False

    def changed(self) -> tuple[str, ...]:
        """The fields (by name, in declaration order) whose stored value differs between
        ``old`` and ``new``, compared as saves compare them (set order and number spelling do
        not count). An insert changes every field it stores, a remove every field it held.
        ``StreamError`` when the stream's view type lacks an image this needs."""
        old, new = self.old_image, self.new_image
        if (old is None and self.kind != "insert") or (new is None and self.kind != "remove"):
            raise StreamError(
                f"{self.model.__name__}: a {self.kind} record of a {self.view or 'unknown'} "
                "stream lacks the images to compare (use view new_and_old_images)"
            )
        specs = model_info(self.model).fields.values()
        return tuple(
            s.name
            for s in specs
            if not same((old or {}).get(s.dynamo_name), (new or {}).get(s.dynamo_name))
        )

    def __repr__(self) -> str:
        return f"<Change {self.kind} {self.model.__name__} {self.key!r} #{self.sequence_number}>"


class Changes(Generic[M]):
    """The changes of a batch of records, in order, and the records that failed.

    Iterating yields the changes. ``errors`` lists a :class:`RecordError` per failed record;
    ``batch_item_failures()`` is the response a Lambda function with ``ReportBatchItemFailures``
    returns so that those records (and the ones after them) are delivered again.
    """

    __slots__ = ("changes", "errors")

    def __init__(self, changes: list[Change[M]], errors: list[RecordError]) -> None:
        self.changes = changes
        self.errors = errors

    def __iter__(self) -> Iterator[Change[M]]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def raise_errors(self) -> None:
        """Raise :class:`InvalidRecords` if any record failed."""
        if self.errors:
            raise InvalidRecords(self.errors, self.changes)

    def batch_item_failures(self) -> dict[str, list[dict[str, str]]]:
        """``{"batchItemFailures": [{"itemIdentifier": <sequence number>}, ...]}``."""
        return {
            "batchItemFailures": [
                {"itemIdentifier": e.sequence_number}
                for e in self.errors
                if e.sequence_number is not None
            ]
        }

    def __repr__(self) -> str:
        return f"<Changes {len(self.changes)} changes, {len(self.errors)} errors>"


# One overload per number of models (alike in shape, not duplicated logic): typing has no
# variadic union, and each arity must return Changes[M1 | ... | Mn].
@overload
def parse_changes(
    event: object,
    model: type[M1],
    /,
    *,
    match: Match | None = ...,
    errors: OnError = ...,
    table_name_template: str = ...,
) -> Changes[M1]: ...
@overload
def parse_changes(
    event: object,
    m1: type[M1],
    m2: type[M2],
    /,
    *,
    match: Match | None = ...,
    errors: OnError = ...,
    table_name_template: str = ...,
) -> Changes[M1 | M2]: ...
@overload
def parse_changes(
    event: object,
    m1: type[M1],
    m2: type[M2],
    m3: type[M3],
    /,
    *,
    match: Match | None = ...,
    errors: OnError = ...,
    table_name_template: str = ...,
) -> Changes[M1 | M2 | M3]: ...
@overload
def parse_changes(
    event: object,
    m1: type[M1],
    m2: type[M2],
    m3: type[M3],
    m4: type[M4],
    /,
    *,
    match: Match | None = ...,
    errors: OnError = ...,
    table_name_template: str = ...,
) -> Changes[M1 | M2 | M3 | M4]: ...
@overload
def parse_changes(  # five models or more: typed as Base
    event: object,
    m1: type[Base],
    m2: type[Base],
    m3: type[Base],
    m4: type[Base],
    m5: type[Base],
    /,
    *models: type[Base],
    match: Match | None = ...,
    errors: OnError = ...,
    table_name_template: str = ...,
) -> Changes[Base]: ...
def parse_changes(
    event: object,
    *models: type[Base],
    match: Match | None = None,
    errors: OnError = "raise",
    table_name_template: str = "{table_name}",
) -> Changes[Any]:
    """The changes in a stream event, read into ``models`` (the models of the table).

    ``event`` is a Lambda event (``{"Records": [...]}``) of a DynamoDB stream or of a Kinesis
    data stream of DynamoDB changes, a list of records (an EventBridge pipe's batch), or one
    record (also an EventBridge event whose ``detail`` is one). Every record is read: one that
    matches no model or does not validate becomes a :class:`RecordError`; with
    ``errors="raise"`` (default) :class:`InvalidRecords` is raised after all were read, with
    ``errors="collect"`` they are in ``.errors``.

    Several models of one table are told apart by ``match``. Models of several tables are told
    apart by the record's table name (the models' ``table_name`` through
    ``table_name_template``, as the engine names them).
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    matcher = Matcher(models, match, table_name_template)
    changes: list[Change[Any]] = []
    failed: list[RecordError] = []
    for record in records_of(event):
        result = parse_record(record, matcher)
        if isinstance(result, RecordError):
            failed.append(result)
        else:
            changes.append(result)
    found = Changes(changes, failed)
    if errors == "raise":
        found.raise_errors()
    return found


class Matcher(Generic[M]):
    """Which model a record's item is, among the models given (see :func:`parse_changes`):
    by the table, then by ``match``, else by the entity tag the item carries in its
    discriminator attribute (single-table design), else the table's one model."""

    def __init__(
        self,
        models: Iterable[type[M]],
        match: Match | None = None,
        table_name_template: str | Callable[[str], str] = "{table_name}",
    ) -> None:
        tables: dict[str, list[ModelInfo[M]]] = {}
        for model in models:
            info = model_info(model)
            if info.table is None:
                raise InvalidModel(f"{info.label} is not a table model: it has no HashKey")
            name = final_table_name(table_name_template, info.table.name)
            found = tables.setdefault(name, [])
            if info not in found:
                found.append(info)
        if not tables:
            raise InvalidModel("parse_changes needs the model (or models) of the table")
        self._tags = {name: _entity_tags(infos) for name, infos in tables.items()}
        if match is None:
            for name, infos in tables.items():
                if len(infos) > 1 and not all(_entity(i) for i in infos):
                    labels = ", ".join(i.label for i in infos)
                    raise InvalidModel(
                        f"{labels} share table {name!r}: give each an entity (a discriminator) "
                        "or pass match=... (a function of the item's image returning its model)"
                    )
        self._tables = tables
        self._match = match
        self._labels = ", ".join(i.label for infos in tables.values() for i in infos)

    def find(self, table: str | None, image: Mapping[str, AttributeValue]) -> ModelInfo[M] | str:
        """The model of a record of ``table`` (None: unknown) whose image is ``image``, or why
        there is none."""
        if len(self._tables) == 1:
            (name,) = self._tables  # one table: whatever it is called where it runs
        elif table is not None and table in self._tables:
            name = table
        else:
            return f"no model given for table {table!r} (models: {self._labels})"
        infos = self._tables[name]
        if self._match is not None:
            model = self._match(image)
            for info in infos:
                if info.model is model:
                    return info
            if model is None:
                return f"match= found no model for the item (models: {self._labels})"
            return f"match= returned {model!r}, which is not among the models ({self._labels})"
        tags = self._tags[name]
        for attribute in dict.fromkeys(a for a, _ in tags):
            value = image.get(attribute)
            if value is not None:
                found = tags.get((attribute, str(value.get("S"))))
                if found is None:
                    return f"no model given for entity {value!r} (models: {self._labels})"
                return found
        if len(infos) == 1:
            return infos[0]
        return (
            "the item carries no entity tag (a keys_only stream has none): pass match=... "
            f"(models: {self._labels})"
        )


def _entity(info: ModelInfo) -> tuple[str, str] | None:
    """The discriminator attribute of a model and its tag there (single-table design)."""
    entity = info.entity
    return None if entity is None else (entity.attribute, entity.tag)


def _entity_tags(infos: Iterable[ModelInfo[M]]) -> dict[tuple[str, str], ModelInfo[M]]:
    """Every (discriminator, tag) of the models and of their subclasses (an item of a
    subclass becomes an instance of the subclass)."""
    tags: dict[tuple[str, str], ModelInfo[M]] = {}
    stack = [i.model for i in infos]
    while stack:
        model = stack.pop()
        info = model_info(model)
        tag = _entity(info)
        if tag is not None:
            tags.setdefault(tag, info)
        stack.extend(model.__subclasses__())
    return tags


# -- one record -------------------------------------------------------------------------------


def parse_record(
    record: Mapping[str, Any],
    matcher: Matcher[Any],
    *,
    table: str | None = None,
    base64_binary: bool = True,
) -> Change[Any] | RecordError:
    """One record as a change, or the error saying why it is none. ``table`` names the table
    when the record does not (GetRecords); ``base64_binary=False`` reads binary values as bytes
    already (botocore's responses)."""
    try:
        envelope = envelope_of(record, base64_binary)
    except (KeyError, TypeError, ValueError) as exc:
        return RecordError(
            f"not a DynamoDB stream record ({exc!r})",
            table=table,
            stored_key={},
            sequence_number=loose_sequence_number(record),
            model=None,
            record=record,
        )
    body = envelope.body
    table = envelope.table or table
    data: Mapping[str, Any] = body.get("dynamodb") or {}
    sequence_number = envelope.sequence_number
    decode = decode_image if envelope.base64 else plain_image
    stored_key = decode(data.get("Keys") or {})
    old_image = decode(data["OldImage"]) if "OldImage" in data else None
    new_image = decode(data["NewImage"]) if "NewImage" in data else None

    def error(message: str, model: type[Base] | None, fields: Sequence[str] = ()) -> RecordError:
        where = f"table {table!r}, key {_show_key(stored_key)}"
        # keyword arguments, one a line: alike in shape to other constructor calls, no logic
        return RecordError(
            f"{where}: {message}",
            table=table,
            stored_key=stored_key,
            sequence_number=sequence_number,
            model=model,
            fields=fields,
            record=record,
        )

    kind = _KINDS.get(str(body.get("eventName")))
    if kind is None:
        return error(f"unknown eventName {body.get('eventName')!r}", None)
    found = matcher.find(table, new_image or old_image or stored_key)
    if isinstance(found, str):
        return error(found, None)
    info = found
    try:
        old = _read(info, old_image) if old_image is not None else None
        new = _read(info, new_image) if new_image is not None else None
        key = _key_values(info, stored_key, new or old)
    except _Invalid as exc:
        return error(exc.message, info.model, exc.fields)
    if new is not None and new_image is not None:
        remember(new, seen(info, new_image, None, new))  # a loaded object: saves send a diff
    identity: Mapping[str, Any] = body.get("userIdentity") or {}
    return Change(  # keyword arguments, one a line (as other constructor calls): no logic
        kind=kind,
        model=info.model,
        key=key,
        old=old,
        new=new,
        stored_key=stored_key,
        old_image=old_image,
        new_image=new_image,
        sequence_number=sequence_number,
        time=record_time(data.get("ApproximateCreationDateTime"), envelope.time_unit),
        table=table,
        view=_VIEWS.get(str(data.get("StreamViewType"))),
        event_id=str_or_none(body.get("eventID")),
        expired=identity.get("type") == "Service" and identity.get("principalId") == _TTL_PRINCIPAL,
    )


class _Invalid(Exception):
    def __init__(self, message: str, fields: Sequence[str]) -> None:
        self.message = message
        self.fields = tuple(fields)


def _read(info: ModelInfo, image: Image) -> Base:
    """The instance an image stores; ``_Invalid`` names the fields at fault."""
    try:
        return info.instance_from(image, None)
    except InvalidItem as unreadable:
        exc = cast(ValidationError, unreadable.__cause__)
        fields: list[str] = []
        problems: list[str] = []
        for problem in exc.errors(include_url=False):
            loc = problem["loc"]
            name = str(loc[0]) if loc else "?"
            path = ".".join(str(p) for p in loc) or "?"
            if name not in fields:
                fields.append(name)
            spec = info.fields.get(name)
            stored = image.get(spec.dynamo_name) if spec is not None else None
            shown = f" (stored {_short(stored)})" if stored is not None else ""
            problems.append(f"{info.label}.{path}: {problem['msg']}{shown}")
        raise _Invalid("; ".join(problems), fields) from None
    except Exception as exc:  # a codec refused a stored value (e.g. of another type): which?
        for spec in info.fields.values():
            stored = image.get(spec.dynamo_name)
            if stored is None:
                continue
            try:
                spec.codec.load(stored)
            except Exception:
                raise _Invalid(
                    f"{info.label}.{spec.name}: cannot read stored {_short(stored)}", [spec.name]
                ) from None
        raise _Invalid(f"{info.label}: cannot read the item ({exc!r})", []) from None


def _key_values(info: ModelInfo, stored_key: Image, obj: Base | None) -> dict[str, Any]:
    """The key fields' values by name: from the item read, else from the stored key."""
    if obj is None:
        try:
            obj = info.instance_from(stored_key, frozenset(k.name for k in info.keys))
        except (BloopError, ValidationError, KeyError, TypeError, ValueError) as exc:
            raise _Invalid(f"{info.label}: cannot read the key ({exc})", []) from None
    values = obj.__dict__
    return {k.name: values[k.name] for k in info.keys if k.name in values}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:70]}…{text[-2:]}"


def _show_key(key: Mapping[str, AttributeValue]) -> str:
    parts: list[str] = []
    for name, value in key.items():
        inner = next(iter(value.values()), None) if value else None
        parts.append(f"{name}={inner!r}")
    return "{" + ", ".join(parts) + "}"
