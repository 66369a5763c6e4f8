"""Plans for get, load, save and delete: the requests they send and what responses mean.

Pure logic (see :mod:`pydantic_bloop.plans`): no client, no clock, no threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .conditions import Condition, Renderer, and_all
from .errors import (
    ConstraintViolation,
    InvalidCondition,
    InvalidValue,
    MissingObjects,
    TransientError,
)
from .models import NOTHING_ATTRIBUTE, Base, ModelInfo, model_info
from .plans import Backoff, Call, Parallel, Plan, Response, Sleep, error_code
from .tracking import atomic_condition, canonical, current_snapshot, diff, remember, seen
from .types import AttributeValue

Persist = Literal["update", "overwrite"]
TableOf = Callable[[type[Base]], str]
KeyId = tuple[str, Hashable]  # a table and the canonical form of a key in it
Outcome = Response | BaseException
T = TypeVar("T")

MAX_ITEM_BYTES = 400 * 1024
BATCH_GET_KEYS = 100
BATCH_WRITE_ITEMS = 25


@dataclass(frozen=True, slots=True)
class WriteOptions:
    persist: Persist
    atomic: bool
    backoff: Backoff


# -- get and load ------------------------------------------------------------------------------


def get(
    info: ModelInfo, table: str, key: dict[str, AttributeValue], consistent: bool
) -> Plan[Base]:
    """GetItem: the object, or ``MissingObjects``."""
    params: dict[str, Any] = {"TableName": table, "Key": key}
    if consistent:
        params["ConsistentRead"] = True
    response: Response = yield Call("get_item", params)
    item: dict[str, AttributeValue] | None = response.get("Item")
    if item is None:
        raise MissingObjects(f"no {info.label} with key {_show_key(key)}", [key])
    obj = info.instance_from(item, None)
    remember(obj, seen(info, item, None, obj))
    return obj


def refresh(info: ModelInfo, obj: Base, item: dict[str, AttributeValue]) -> None:
    """Replace every field of ``obj`` with the stored item's, and remember it as seen."""
    fresh = info.instance_from(item, None)
    values = vars(obj)
    values.clear()
    values.update(vars(fresh))
    obj.__pydantic_fields_set__.clear()
    obj.__pydantic_fields_set__.update(fresh.__pydantic_fields_set__)
    remember(obj, seen(info, item, None, obj))


def _key_id(table: str, names: Sequence[str], attrs: dict[str, AttributeValue]) -> KeyId:
    """Identity of a key regardless of how DynamoDB spells its numbers."""
    return table, tuple(canonical(attrs[n]) for n in names)


@dataclass(slots=True)
class _Wanted:
    """One key to read, and every object waiting for its item."""

    table: str
    key: dict[str, AttributeValue]
    objects: list[Base] = field(default_factory=list[Base])


def load(objs: Sequence[Base], table_of: TableOf, consistent: bool, backoff: Backoff) -> Plan[None]:
    """BatchGetItem every object's key (deduplicated, ≤100 a request, across tables), refresh
    each found object in place, retry unprocessed keys; then ``MissingObjects`` for the rest."""
    wanted: dict[KeyId, _Wanted] = {}
    key_names: dict[str, tuple[str, ...]] = {}
    for obj in objs:  # every key is dumped (and checked) before the first request
        info = model_info(type(obj))
        table = table_of(type(obj))
        key = info.key_of(obj)
        names = key_names.setdefault(table, tuple(k.dynamo_name for k in info.keys))
        wanted.setdefault(_key_id(table, names, key), _Wanted(table, key)).objects.append(obj)

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
                    ident = _key_id(table, key_names[table], item)
                    if ident in wanted:
                        for obj in wanted[ident].objects:
                            refresh(model_info(type(obj)), obj, item)
                        found.add(ident)
            unprocessed: dict[str, dict[str, Any]] = result.get("UnprocessedKeys") or {}
            for table, request in unprocessed.items():
                keys: list[dict[str, AttributeValue]] = request.get("Keys") or []
                retry += [_key_id(table, key_names[table], key) for key in keys]
        pending = [ident for ident in dict.fromkeys(retry) if ident in wanted]
        if pending:
            unread = [obj for ident in pending for obj in wanted[ident].objects]
            retries = yield from _pause(
                backoff,
                retries,
                f"BatchGetItem left {len(pending)} keys unprocessed after {retries} retries; "
                f"these objects were not loaded: {_describe_all(unread)}",
            )

    missing = [obj for ident, w in wanted.items() if ident not in found for obj in w.objects]
    if missing:
        raise MissingObjects(f"not found: {_describe_all(missing)}", missing)


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


@dataclass(slots=True)
class _Write:
    """One object's write: its request, and what to remember once DynamoDB has it."""

    obj: Base
    info: ModelInfo
    ident: KeyId
    call: Call
    on_success: Callable[[], None]


def save(
    objs: Sequence[Base], table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Plan[None]:
    """PutItem / UpdateItem each object (BatchWriteItem for unconditional overwrites of several).
    Every request is built, and every value checked, before the first is sent."""
    built = [_save_write(obj, table_of, options, condition) for obj in _distinct(objs)]
    writes = [w for w in built if w is not None]
    if condition is None and not options.atomic and options.persist == "overwrite":
        yield from _batch_write(writes, options.backoff)
    else:
        yield from _each(writes)


def delete(
    objs: Sequence[Base], table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Plan[None]:
    """DeleteItem each object (BatchWriteItem for several without a condition)."""
    writes = [_delete_write(obj, table_of, options, condition) for obj in _distinct(objs)]
    if condition is None and not options.atomic:
        yield from _batch_write(writes, options.backoff)
    else:
        yield from _each(writes)


def _distinct(objs: Sequence[Base]) -> list[Base]:
    """``objs`` without repeats of the same object (one request each is enough)."""
    return list({id(obj): obj for obj in objs}.values())


def _save_write(
    obj: Base, table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> _Write | None:
    """The request that saves ``obj``; None when there is nothing to send."""
    info = model_info(type(obj))
    table = table_of(type(obj))
    key = info.key_of(obj)
    r = Renderer()
    params: dict[str, Any] = {"TableName": table}
    if options.persist == "overwrite":
        item = info.dump_item(obj)
        _check_size(obj, item)
        params["Item"] = item
        after = seen(info, item, None, obj)
        operation = "put_item"
    else:
        changes = diff(info, obj, key)
        _check_size(obj, {**key, **changes.set})
        params["Key"] = key
        clauses: list[str] = []
        if changes.set:
            sets = (f"{r.name(n)}={r.value(v)}" for n, v in changes.set.items())
            clauses.append("SET " + ", ".join(sets))
        if changes.remove:
            clauses.append("REMOVE " + ", ".join(r.name(n) for n in changes.remove))
        if not clauses:
            if condition is None and not options.atomic and current_snapshot(info, obj) is not None:
                # Nothing changed since the item was seen and nothing is to be checked: an
                # update would write nothing (and, had the item been deleted meanwhile,
                # recreate it blank).
                return None
            # Still a request: a new key-only item to create, or a condition to check. Removing
            # an attribute no item has changes nothing, and gives the request an expression,
            # which some DynamoDB emulators (moto 5) require although DynamoDB does not.
            clauses.append(f"REMOVE {r.name(NOTHING_ATTRIBUTE)}")
        params["UpdateExpression"] = " ".join(clauses)
        after = changes.after
        operation = "update_item"
    _add_condition(r, params, info, obj, options, condition)
    r.into(params)
    ident = _key_id(table, tuple(key), key)
    return _Write(obj, info, ident, Call(operation, params), lambda: remember(obj, after))


def _delete_write(
    obj: Base, table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> _Write:
    info = model_info(type(obj))
    table = table_of(type(obj))
    key = info.key_of(obj)
    r = Renderer()
    params: dict[str, Any] = {"TableName": table, "Key": key}
    _add_condition(r, params, info, obj, options, condition)
    r.into(params)
    ident = _key_id(table, tuple(key), key)
    return _Write(obj, info, ident, Call("delete_item", params), lambda: remember(obj, None))


def _add_condition(
    r: Renderer,
    params: dict[str, Any],
    info: ModelInfo,
    obj: Base,
    options: WriteOptions,
    condition: Condition | None,
) -> None:
    if condition is not None:
        for column in condition.columns():
            if not isinstance(obj, column.model):
                raise InvalidCondition(
                    f"the condition names {column.label}, which is not a field of {info.label}"
                )
    full = and_all([condition, atomic_condition(info, obj) if options.atomic else None])
    if full is not None:
        params["ConditionExpression"] = r.condition(full)
        # the stored item comes back in the error, for ConstraintViolation.item
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"


def _each(writes: list[_Write]) -> Plan[None]:
    """Send each write as its own request, concurrently, except that writes of one key go in
    argument order; remember every success, then raise the first failure in argument order."""
    rounds: list[list[_Write]] = []
    seen_keys: dict[KeyId, int] = {}
    for w in writes:
        n = seen_keys[w.ident] = seen_keys.get(w.ident, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(w)
    outcomes: dict[int, Outcome] = {}
    for batch in rounds:
        results: list[Outcome] = yield Parallel(tuple(w.call for w in batch))
        for w, result in zip(batch, results, strict=True):
            outcomes[id(w)] = result
    failure: BaseException | None = None
    for w in writes:
        result = outcomes[id(w)]
        if not isinstance(result, BaseException):
            w.on_success()
        elif failure is None:
            failure = _translate(w, result)
    if failure is not None:
        raise failure


def _translate(write: _Write, exc: BaseException) -> BaseException:
    if error_code(exc) != "ConditionalCheckFailedException":
        return exc
    response: dict[str, Any] = getattr(exc, "response", {})
    params = write.call.params
    return ConstraintViolation(
        f"{_describe(write.obj)}: the condition failed: {_readable(params)}",
        write.obj,
        response.get("Item"),  # the stored item, when the server returns it
    )


def _batch_write(writes: list[_Write], backoff: Backoff) -> Plan[None]:
    """BatchWriteItem in requests of ≤25 (concurrently), retrying unprocessed items with backoff.

    A request may not name a key twice, and concurrent requests have no order: of several writes
    of one key only the last is sent. The earlier objects are left as never seen (the item is
    not theirs) once it is written.
    """
    if len(writes) == 1:  # one write needs no batch (and PutItem / DeleteItem say more)
        yield from _each(writes)
        return
    last: dict[KeyId, _Write] = {}
    superseded: dict[KeyId, list[_Write]] = {}
    for w in writes:
        if w.ident in last:
            superseded.setdefault(w.ident, []).append(last[w.ident])
        last[w.ident] = w
    pending = list(last.values())
    retries = 0
    while pending:
        chunks = _chunks(pending, BATCH_WRITE_ITEMS)
        calls = tuple(Call("batch_write_item", _batch_write_params(c)) for c in chunks)
        results: list[Outcome] = yield Parallel(calls)
        retry: list[_Write] = []
        failure: BaseException | None = None
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, BaseException):
                failure = failure or result
                continue
            left = _unprocessed(result, chunk)
            for w in chunk:
                if w.ident in left:
                    retry.append(w)
                    continue
                w.on_success()
                for earlier in superseded.get(w.ident, ()):
                    remember(earlier.obj, None)
        if failure is not None:
            raise failure
        pending = retry
        if pending:
            retries = yield from _pause(
                backoff,
                retries,
                f"BatchWriteItem left {len(pending)} items unprocessed after {retries} "
                f"retries; these were not written: {_describe_all([w.obj for w in pending])}",
            )


def _unprocessed(result: Response, chunk: list[_Write]) -> set[KeyId]:
    """The keys of ``chunk`` that a BatchWriteItem response left unprocessed."""
    key_names = {w.ident[0]: tuple(k.dynamo_name for k in w.info.keys) for w in chunk}
    left: set[KeyId] = set()
    unprocessed: dict[str, list[dict[str, Any]]] = result.get("UnprocessedItems") or {}
    for table, requests in unprocessed.items():
        for request in requests:
            put: dict[str, Any] = request.get("PutRequest") or {}
            delete: dict[str, Any] = request.get("DeleteRequest") or {}
            attrs: dict[str, AttributeValue] = put.get("Item") or delete.get("Key") or {}
            if table in key_names:
                left.add(_key_id(table, key_names[table], attrs))
    return left


def _batch_write_params(chunk: list[_Write]) -> dict[str, Any]:
    request: dict[str, list[dict[str, Any]]] = {}
    for w in chunk:
        params = w.call.params
        entry = (
            {"PutRequest": {"Item": params["Item"]}}
            if w.call.operation == "put_item"
            else {"DeleteRequest": {"Key": params["Key"]}}
        )
        request.setdefault(w.ident[0], []).append(entry)
    return {"RequestItems": request}


# -- limits and messages -----------------------------------------------------------------------


def _check_size(obj: Base, item: dict[str, AttributeValue]) -> None:
    size = sum(len(name.encode()) + _value_size(value) for name, value in item.items())
    if size > MAX_ITEM_BYTES:
        raise InvalidValue(
            f"{_describe(obj)} is about {size:,} bytes; DynamoDB stores items of at most "
            f"400 KB ({MAX_ITEM_BYTES:,} bytes)"
        )


def _value_size(value: AttributeValue) -> int:
    """DynamoDB's size of an attribute value (numbers approximately: 1 byte per 2 digits)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        return len(inner) // 2 + 2
    if kind in ("SS", "BS"):
        return sum(len(v.encode()) if isinstance(v, str) else len(v) for v in inner)
    if kind == "NS":
        return sum(len(v) // 2 + 2 for v in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in inner.items())
    return 1  # BOOL, NULL


_PLACEHOLDER = re.compile(r"[#:][nv]\d+")


def _readable(params: dict[str, Any]) -> str:
    """The condition of a request with its placeholders filled in, for error messages."""
    names: dict[str, str] = params.get("ExpressionAttributeNames", {})
    values: dict[str, AttributeValue] = params.get("ExpressionAttributeValues", {})

    def fill(match: re.Match[str]) -> str:
        token = match[0]
        if token in names:
            return names[token]
        if token in values:
            ((kind, plain),) = values[token].items()
            return str(plain) if kind == "N" else repr(plain)
        return token

    expression: str = params.get("ConditionExpression", "")
    return _PLACEHOLDER.sub(fill, expression)


def _show_key(key: dict[str, AttributeValue]) -> str:
    return "{" + ", ".join(f"{k}: {next(iter(v.values()))!r}" for k, v in key.items()) + "}"


def _describe_all(objs: Sequence[Base], most: int = 10) -> str:
    shown = ", ".join(_describe(o) for o in objs[:most])
    return shown + (f" and {len(objs) - most} more" if len(objs) > most else "")


def _describe(obj: Base) -> str:
    info = model_info(type(obj))
    values = vars(obj)
    shown = ", ".join(f"{k.name}={values.get(k.name)!r}" for k in info.keys)
    return f"{info.label}({shown})"
