"""Plans for get, load, save and delete: the requests they send and what responses mean.

Pure logic (see `pydantic_bloop.plans`): no client, no clock, no threads.

Internal: the engines run these plans; users call `engine.get` / `load` / `save` / `delete`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from .conditions import Condition
from .entities import readers
from .errors import (
    InvalidItem,
    InvalidValue,
    MissingObjects,
    TransientError,
    TransportError,
    unreadable,
)
from .hooks import report_object
from .models import Base, ModelInfo, model_info
from .outcomes import settle, summary, unknown
from .plans import Backoff, Before, Call, DeferredCall, Parallel, Plan, Response, Sleep
from .tracking import loaded, refresh, remember
from .types import AttributeValue
from .writes import (
    KeyId,
    TableOf,
    Write,
    WriteOptions,
    delete_write,
    describe_objects,
    key_id,
    save_write,
)

Outcome = Response | BaseException
T = TypeVar("T")
M = TypeVar("M", bound=Base)

BATCH_GET_KEYS = 100
BATCH_WRITE_ITEMS = 25


# -- get and load ------------------------------------------------------------------------------


def get_key(
    info: ModelInfo,
    key: Mapping[str, object] | None,
    fields: Mapping[str, object],
    consistent: object,
) -> dict[str, AttributeValue]:
    """The key ``get()`` was given: keyword arguments and/or a mapping, which is how a key field
    named like a keyword of ``get()`` (``consistent``) is given."""
    if not isinstance(consistent, bool):
        raise InvalidValue(
            f"get({info.label}): consistent= takes True or False, not {consistent!r}; give a key "
            f"field named consistent in a mapping: get({info.label}, {{'consistent': ...}})"
        )
    if key is None:
        return info.key_from(fields)
    twice = sorted(key.keys() & fields.keys())
    if twice:
        raise InvalidValue(f"get({info.label}): {', '.join(twice)} given twice")
    return info.key_from({**key, **fields})


def get(
    info: ModelInfo[M], table: str, key: dict[str, AttributeValue], consistent: bool
) -> Plan[M]:
    """GetItem: the object, or ``MissingObjects``."""
    obj = yield from get_or_none(info, table, key, consistent)
    if obj is None:
        raise MissingObjects(f"no {info.label} with key {_show_key(info, key)}", [key])
    return obj


def get_or_none(
    info: ModelInfo[M], table: str, key: dict[str, AttributeValue], consistent: bool
) -> Plan[M | None]:
    """GetItem: the object, or None when no item of the model has the key."""
    params: dict[str, Any] = {"TableName": table, "Key": key}
    if consistent:
        params["ConsistentRead"] = True
    response: Response = yield Call("get_item", params)
    item: dict[str, AttributeValue] | None = response.get("Item")
    found = None if item is None else readers((info,)).info_for(item)  # a subclass, or none
    if item is None or found is None:  # (another entity's item is not this model's)
        return None
    obj = found.instance_from(item, None)
    loaded(found, obj, item, None)
    report_object("loaded", obj, table)
    return obj


@dataclass(slots=True)
class _Wanted:
    """One key to read, and every object waiting for its item: ``obj`` (of ``info``), then the
    rare others of the same key in ``more``. One container per key, for the whole load: each
    one alive across a large load costs the collector's full passes."""

    table: str
    key: dict[str, AttributeValue]
    obj: Base
    info: ModelInfo
    more: list[tuple[Base, ModelInfo]] | None = None

    def objects(self) -> list[tuple[Base, ModelInfo]]:
        return [(self.obj, self.info), *(self.more or ())]


def load(objs: Sequence[Base], table_of: TableOf, consistent: bool, backoff: Backoff) -> Plan[None]:
    """BatchGetItem every object's key (deduplicated, ≤100 a request, across tables), refresh
    each found object in place, retry unprocessed keys; then ``MissingObjects`` for the rest."""
    wanted: dict[KeyId, _Wanted] = {}
    key_names: dict[str, tuple[str, ...]] = {}
    bad: list[InvalidItem] = []  # items that cannot be read: raised once the rest is loaded
    for obj in objs:  # every key is dumped (and checked) before the first request
        info = model_info(type(obj))
        table = table_of(type(obj))
        key = info.key_of(obj)
        names = key_names.setdefault(table, tuple(k.dynamo_name for k in info.keys))
        ident = key_id(table, names, key)
        known = wanted.get(ident)
        if known is None:
            wanted[ident] = _Wanted(table, key, obj, info)
        else:
            if known.more is None:
                known.more = []
            known.more.append((obj, info))

    pending = list(wanted)
    found: set[KeyId] = set()
    retries = 0
    while pending:
        chunks = _chunks(pending, BATCH_GET_KEYS)
        calls = tuple(
            Call("batch_get_item", _batch_get_params([wanted[k] for k in chunk], consistent))
            for chunk in chunks
        )
        results: list[Outcome] = yield Parallel(calls)
        retry: list[KeyId] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            responses: dict[str, list[dict[str, AttributeValue]]] = result.get("Responses") or {}
            for table, items in responses.items():
                for item in items:
                    ident = key_id(table, key_names[table], item)
                    if ident in wanted and _refreshed(wanted[ident].objects(), item, table, bad):
                        found.add(ident)
            unprocessed: dict[str, dict[str, Any]] = result.get("UnprocessedKeys") or {}
            for table, request in unprocessed.items():
                keys: list[dict[str, AttributeValue]] = request.get("Keys") or []
                retry += [key_id(table, key_names[table], key) for key in keys]
        pending = [ident for ident in dict.fromkeys(retry) if ident in wanted]
        if pending:
            unread = [obj for ident in pending for obj, _ in wanted[ident].objects()]
            retries = yield from _pause(
                backoff,
                retries,
                f"BatchGetItem left {len(pending)} keys unprocessed after {retries} retries; "
                f"these objects were not loaded: {describe_objects(unread)}",
            )

    missing = [obj for ident, w in wanted.items() if ident not in found for obj, _ in w.objects()]
    absent = MissingObjects(f"not found: {describe_objects(missing)}", missing) if missing else None
    error = unreadable(bad, absent)
    if error is not None:
        raise error


def _refreshed(
    objs: Sequence[tuple[Base, ModelInfo]],
    item: dict[str, AttributeValue],
    table: str,
    bad: list[InvalidItem],
) -> bool:
    """Refresh the objects waiting for ``item`` from it; False when it is another entity's item
    (theirs is missing). An item they cannot read is added to ``bad`` (the objects stay as they
    were), so that one bad item does not keep the others of a load from loading."""
    for obj, info in objs:
        if info.entity is not None and readers((info,)).info_for(item) is not info:
            return False  # another entity's item: this object's is missing
        try:
            refresh(info, obj, item)
        except InvalidItem as error:
            bad.append(error)
            return True  # found, though unreadable (not missing)
        report_object("loaded", obj, table)
    return True


def _chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _pause(backoff: Backoff, retries: int, give_up: str) -> Plan[int]:
    """Wait before retrying unprocessed work (the retry count after it), or raise
    ``TransientError`` with ``give_up`` when the backoff has no attempt left."""
    if retries >= backoff.attempts:
        raise TransientError(give_up)
    yield Sleep(backoff.delay(retries))
    return retries + 1


def _batch_get_params(chunk: list[_Wanted], consistent: bool) -> dict[str, Any]:
    request: dict[str, dict[str, Any]] = {}
    for w in chunk:
        table = request.setdefault(w.table, {"Keys": []})
        if consistent:
            table["ConsistentRead"] = True
        table["Keys"].append(w.key)
    return {"RequestItems": request}


# -- save and delete ---------------------------------------------------------------------------


def save(
    objs: Sequence[Base], table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Plan[None]:
    """PutItem / UpdateItem each object (BatchWriteItem for unconditional overwrites of several).
    Every request is built, and every value checked, before the first is sent; the before-save
    hooks of every object run before the first is built."""
    distinct = _distinct(objs)
    yield Before("save", distinct, table_of)
    built = [save_write(obj, table_of, options, condition) for obj in distinct]
    writes = [w for w in built if w is not None]
    batchable = condition is None and not options.atomic and options.persist == "overwrite"
    yield from _send(writes, batchable, options.backoff)


def delete(
    objs: Sequence[Base], table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Plan[None]:
    """DeleteItem each object (BatchWriteItem for several without a condition), once the
    before-delete hooks of every object ran."""
    distinct = _distinct(objs)
    yield Before("delete", distinct, table_of)
    writes = [delete_write(obj, table_of, options, condition) for obj in distinct]
    yield from _send(writes, condition is None and not options.atomic, options.backoff)


def _send(writes: list[Write], batchable: bool, backoff: Backoff) -> Plan[None]:
    """BatchWriteItem for the unconditional writes when ``batchable``, single requests for the
    rest: a conditional write (e.g. of a versioned object) cannot go in a batch, so those are
    sent one request each, concurrently."""
    if not batchable:
        yield from _each(writes)
        return
    yield from _batch_write([w for w in writes if w.condition is None], backoff)
    yield from _each([w for w in writes if w.condition is not None])


def _distinct(objs: Sequence[Base]) -> tuple[Base, ...]:
    """``objs`` without repeats of the same object (one request each is enough)."""
    return tuple({id(obj): obj for obj in objs}.values())


def _each(writes: list[Write]) -> Plan[None]:
    """Send each write as its own request, concurrently, except that writes of one key go in
    argument order; remember every success, then raise the first failure in argument order."""
    rounds: list[list[Write]] = []
    seen_keys: dict[KeyId, int] = {}
    for w in writes:
        n = seen_keys[w.ident] = seen_keys.get(w.ident, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(w)
    failures: dict[int, BaseException] = {}
    for batch in rounds:
        try:
            results: list[Outcome] = yield Parallel(tuple(w.request() for w in batch))
        except BaseException:  # cancelled or interrupted with the requests in flight
            for w in batch:
                w.unsure()
            raise
        for w, result in zip(batch, results, strict=True):
            error = yield from settle(w, result)
            if error is not None:
                failures[id(w)] = error
    failure = summary(writes, failures)
    if failure is not None:
        raise failure


def _batch_write(writes: list[Write], backoff: Backoff) -> Plan[None]:
    """BatchWriteItem in requests of ≤25 (concurrently), retrying unprocessed items with backoff.

    A request may not name a key twice, and concurrent requests have no order: of several writes
    of one key only the last is sent. The earlier objects are left as never seen (the item is
    not theirs) once it is written.
    """
    if len(writes) == 1:  # one write needs no batch (and PutItem / DeleteItem say more)
        yield from _each(writes)
        return
    last: dict[KeyId, Write] = {}
    superseded: dict[KeyId, list[Write]] = {}
    for w in writes:
        if w.ident in last:
            superseded.setdefault(w.ident, []).append(last[w.ident])
        last[w.ident] = w
    pending = list(last.values())
    retries = 0
    failures: dict[int, BaseException] = {}
    while pending:
        chunks = _chunks(pending, BATCH_WRITE_ITEMS)
        calls = tuple(
            DeferredCall("batch_write_item", partial(_batch_write_params, c)) for c in chunks
        )
        try:
            results: list[Outcome] = yield Parallel(calls)
        except BaseException:  # cancelled or interrupted with the requests in flight
            for w in pending:
                w.unsure()
            raise
        retry: list[Write] = []
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, BaseException):
                for w in chunk:
                    failures[id(w)] = result
                    if unknown(result):
                        w.unsure()
                continue
            left = _unprocessed(result, chunk)
            for w in chunk:
                if w.ident in left:
                    retry.append(w)
                    continue
                w.applied()
                for earlier in superseded.get(w.ident, ()):
                    remember(earlier.obj, None)
        if failures:
            first = next(iter(failures.values()))
            for w in retry:  # left unprocessed: known not written
                failures[id(w)] = TransientError("left unprocessed")
            sent = list(last.values())
            failure = summary(sent, failures)
            raise failure if isinstance(failure, TransportError) else first
        pending = retry
        if pending:
            retries = yield from _pause(
                backoff,
                retries,
                f"BatchWriteItem left {len(pending)} items unprocessed after {retries} "
                f"retries; these were not written: {describe_objects([w.obj for w in pending])}",
            )


def _unprocessed(result: Response, chunk: list[Write]) -> set[KeyId]:
    """The keys of ``chunk`` that a BatchWriteItem response left unprocessed."""
    key_names = {w.table: tuple(k.dynamo_name for k in w.info.keys) for w in chunk}
    left: set[KeyId] = set()
    unprocessed: dict[str, list[dict[str, Any]]] = result.get("UnprocessedItems") or {}
    for table, requests in unprocessed.items():
        for request in requests:
            put: dict[str, Any] = request.get("PutRequest") or {}
            delete: dict[str, Any] = request.get("DeleteRequest") or {}
            attrs: dict[str, AttributeValue] = put.get("Item") or delete.get("Key") or {}
            if table in key_names:
                left.add(key_id(table, key_names[table], attrs))
    return left


def _batch_write_params(chunk: list[Write]) -> dict[str, Any]:
    request: dict[str, list[dict[str, Any]]] = {}
    for w in chunk:
        request.setdefault(w.table, []).append(w.batch_entry())
    return {"RequestItems": request}


# -- messages ----------------------------------------------------------------------------------


def _show_key(info: ModelInfo, key: dict[str, AttributeValue]) -> str:
    """`{forum: 'f', id: 1}`; a key made by a template shows the fields it was made from
    (`{customer: 'ada', id: 10}`), as the caller named them."""
    shown: dict[str, object] = {}
    for name, value in key.items():
        raw = next(iter(value.values()))
        spec = next((k for k in info.keys if k.dynamo_name == name), None)
        template = info.templates.get(spec.name) if spec is not None else None
        if template is not None and isinstance(raw, str):
            with suppress(ValueError):  # (a key of another shape is shown as it is)
                shown.update(template.parse(raw))
                continue
        shown[name] = raw
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in shown.items()) + "}"
