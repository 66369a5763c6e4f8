"""Plans for get, load, save and delete: the requests they send and what responses mean.

Pure logic (see :mod:`pydantic_bloop.plans`): no client, no clock, no threads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .conditions import Condition, Renderer, and_all
from .errors import (
    ConstraintViolation,
    InvalidCondition,
    InvalidValue,
    MissingObjects,
    TransientError,
)
from .models import Base, ModelInfo, model_info
from .plans import Backoff, Call, Parallel, Plan, Response, Sleep, error_code
from .tracking import Diff, _canonical, atomic_condition, diff, remember, seen
from .types import AttributeValue

Persist = Literal["update", "overwrite"]
TableOf = Callable[[type[Base]], str]

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
    params: dict[str, Any] = {"TableName": table, "Key": key}
    if consistent:
        params["ConsistentRead"] = True
    response: Response = yield Call("get_item", params)
    item = response.get("Item")
    if item is None:
        raise MissingObjects(f"no {info.label} with key {_show_key(key)}", [key])
    obj = info.instance_from(item, None)
    remember(obj, seen(info, item, None))
    return obj


def refresh(info: ModelInfo, obj: Base, item: dict[str, AttributeValue]) -> None:
    """Replace every field of ``obj`` with the stored item's, and remember it as seen."""
    fresh = info.instance_from(item, None)
    obj.__dict__.clear()
    obj.__dict__.update(fresh.__dict__)
    obj.__pydantic_fields_set__.clear()
    obj.__pydantic_fields_set__.update(fresh.__pydantic_fields_set__)
    remember(obj, seen(info, item, None))


def _key_id(names: Sequence[str], attrs: dict[str, AttributeValue]) -> Hashable:
    """Identity of a key regardless of how DynamoDB spells its numbers."""
    return tuple(_canonical(attrs[n]) for n in names)


@dataclass(slots=True)
class _Wanted:
    info: ModelInfo
    table: str
    key: dict[str, AttributeValue]
    objects: list[Base] = field(default_factory=list)


def load(objs: Sequence[Base], table_of: TableOf, consistent: bool, backoff: Backoff) -> Plan[None]:
    """BatchGetItem every object's key (deduplicated, ≤100 a request, across tables), refresh
    each found object in place, retry unprocessed keys; then ``MissingObjects`` for the rest."""
    wanted: dict[tuple[str, Hashable], _Wanted] = {}
    key_names: dict[str, tuple[str, ...]] = {}
    for obj in objs:
        info = model_info(type(obj))
        table = table_of(type(obj))
        key = info.key_of(obj)
        names = key_names.setdefault(table, tuple(k.dynamo_name for k in info.keys))
        entry = wanted.setdefault((table, _key_id(names, key)), _Wanted(info, table, key))
        entry.objects.append(obj)

    pending = list(wanted.values())
    found: set[int] = set()
    attempt = 0
    while pending:
        chunks = [pending[i : i + BATCH_GET_KEYS] for i in range(0, len(pending), BATCH_GET_KEYS)]
        calls = tuple(
            Call("batch_get_item", _batch_get_params(chunk, consistent)) for chunk in chunks
        )
        results = yield Parallel(calls)
        retry: list[_Wanted] = []
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            by_id = {(w.table, _key_id(key_names[w.table], w.key)): w for w in chunk}
            for table, items in result.get("Responses", {}).items():
                for item in items:
                    hit = by_id.get((table, _key_id(key_names[table], item)))
                    if hit is None:
                        continue
                    for obj in hit.objects:
                        refresh(hit.info, obj, item)
                    found.add(id(hit))
            for table, request in (result.get("UnprocessedKeys") or {}).items():
                for key in request.get("Keys", []):
                    unprocessed = by_id.get((table, _key_id(key_names[table], key)))
                    if unprocessed is not None:
                        retry.append(unprocessed)
        pending = retry
        if pending:
            attempt += 1
            if attempt > backoff.attempts:
                raise TransientError(
                    f"BatchGetItem left {len(pending)} keys unprocessed after {backoff.attempts} "
                    "retries"
                )
            yield Sleep(backoff.delay(attempt))

    missing = [obj for w in wanted.values() if id(w) not in found for obj in w.objects]
    if missing:
        shown = ", ".join(_describe(o) for o in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise MissingObjects(f"not found: {shown}{more}", missing)


def _batch_get_params(chunk: list[_Wanted], consistent: bool) -> dict[str, Any]:
    request: dict[str, Any] = {}
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
    table: str
    key: dict[str, AttributeValue]
    call: Call
    on_success: Callable[[], None]


def save(
    objs: Sequence[Base], table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Plan[None]:
    writes = [_save_write(obj, table_of, options, condition) for obj in objs]
    if (
        condition is None
        and not options.atomic
        and options.persist == "overwrite"
        and len(writes) > 1
    ):
        yield from _batch_write(writes, options.backoff)
    else:
        yield from _each(writes)


def delete(
    objs: Sequence[Base], table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> Plan[None]:
    writes = [_delete_write(obj, table_of, options, condition) for obj in objs]
    if condition is None and not options.atomic and len(writes) > 1:
        yield from _batch_write(writes, options.backoff)
    else:
        yield from _each(writes)


def _save_write(
    obj: Base, table_of: TableOf, options: WriteOptions, condition: Condition | None
) -> _Write:
    info = model_info(type(obj))
    table = table_of(type(obj))
    key = info.key_of(obj)
    r = Renderer()
    params: dict[str, Any] = {"TableName": table}
    if options.persist == "overwrite":
        item = info.dump_item(obj)
        _check_size(info, obj, item)
        params["Item"] = item
        after = seen(info, item, None)
        operation = "put_item"
    else:
        changes: Diff = diff(info, obj)
        _check_size(info, obj, {**key, **changes.set})
        params["Key"] = key
        clauses = []
        if changes.set:
            clauses.append(
                "SET " + ", ".join(f"{r.name(n)}={r.value(v)}" for n, v in changes.set.items())
            )
        if changes.remove:
            clauses.append("REMOVE " + ", ".join(r.name(n) for n in changes.remove))
        if clauses:
            params["UpdateExpression"] = " ".join(clauses)
        after = changes.after
        operation = "update_item"
    _add_condition(r, params, info, obj, options, condition)
    r.into(params)
    return _Write(obj, info, table, key, Call(operation, params), lambda: remember(obj, after))


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
    return _Write(obj, info, table, key, Call("delete_item", params), lambda: remember(obj, None))


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
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"


def _each(writes: list[_Write]) -> Plan[None]:
    """Send each write as its own request (concurrently); remember every success, then raise
    the first failure in argument order."""
    results = yield Parallel(tuple(w.call for w in writes))
    failure: BaseException | None = None
    for write, result in zip(writes, results, strict=True):
        if not isinstance(result, BaseException):
            write.on_success()
        elif failure is None:
            failure = _translate(write, result)
    if failure is not None:
        raise failure


def _translate(write: _Write, exc: BaseException) -> BaseException:
    if error_code(exc) != "ConditionalCheckFailedException":
        return exc
    response: dict[str, Any] = getattr(exc, "response", {})
    condition = write.call.params.get("ConditionExpression", "")
    return ConstraintViolation(
        f"{write.info.label} {_show_key(write.key)}: the condition failed ({condition})",
        write.obj,
        response.get("Item"),
    )


def _batch_write(writes: list[_Write], backoff: Backoff) -> Plan[None]:
    """BatchWriteItem in chunks of ≤25 (concurrently), retrying unprocessed items with backoff.
    A key repeated in one call goes to a later chunk, so the last write of it wins."""
    key_names = {w.table: tuple(w.key) for w in writes}
    pending = writes
    attempt = 0
    while pending:
        chunks = _chunks(pending, key_names)
        calls = tuple(Call("batch_write_item", _batch_write_params(c)) for c in chunks)
        results = yield Parallel(calls)
        retry: list[_Write] = []
        failure: BaseException | None = None
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, BaseException):
                failure = failure or result
                continue
            left: set[tuple[str, Hashable]] = set()
            for table, requests in (result.get("UnprocessedItems") or {}).items():
                for request in requests:
                    attrs = (request.get("PutRequest") or {}).get("Item") or (
                        request.get("DeleteRequest") or {}
                    ).get("Key", {})
                    left.add((table, _key_id(key_names[table], attrs)))
            for w in chunk:
                if (w.table, _key_id(key_names[w.table], w.key)) in left:
                    retry.append(w)
                else:
                    w.on_success()
        if failure is not None:
            raise failure
        pending = retry
        if pending:
            attempt += 1
            if attempt > backoff.attempts:
                raise TransientError(
                    f"BatchWriteItem left {len(pending)} items unprocessed after "
                    f"{backoff.attempts} retries; they were not written: "
                    + ", ".join(_describe(w.obj) for w in pending[:10])
                )
            yield Sleep(backoff.delay(attempt))


def _chunks(writes: list[_Write], key_names: dict[str, tuple[str, ...]]) -> list[list[_Write]]:
    chunks: list[list[_Write]] = []
    placed: list[set[tuple[str, Hashable]]] = []
    for w in writes:
        ident = (w.table, _key_id(key_names[w.table], w.key))
        # the first chunk after the last one holding this key, with room
        start = 0
        for i in range(len(chunks) - 1, -1, -1):
            if ident in placed[i]:
                start = i + 1
                break
        for i in range(start, len(chunks)):
            if len(chunks[i]) < BATCH_WRITE_ITEMS:
                chunks[i].append(w)
                placed[i].add(ident)
                break
        else:
            chunks.append([w])
            placed.append({ident})
    return chunks


def _batch_write_params(chunk: list[_Write]) -> dict[str, Any]:
    request: dict[str, list[dict[str, Any]]] = {}
    for w in chunk:
        params = w.call.params
        entry = (
            {"PutRequest": {"Item": params["Item"]}}
            if w.call.operation == "put_item"
            else {"DeleteRequest": {"Key": params["Key"]}}
        )
        request.setdefault(w.table, []).append(entry)
    return {"RequestItems": request}


# -- limits and messages -----------------------------------------------------------------------


def _check_size(info: ModelInfo, obj: Base, item: dict[str, AttributeValue]) -> None:
    size = sum(len(name.encode()) + _value_size(value) for name, value in item.items())
    if size > MAX_ITEM_BYTES:
        raise InvalidValue(
            f"{info.label} {_describe(obj)} is about {size:,} bytes; DynamoDB stores items of "
            f"at most {MAX_ITEM_BYTES:,} bytes"
        )


def _value_size(value: AttributeValue) -> int:
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
    return 1


def _show_key(key: dict[str, AttributeValue]) -> str:
    return "{" + ", ".join(f"{k}: {next(iter(v.values()))!r}" for k, v in key.items()) + "}"


def _describe(obj: Base) -> str:
    info = model_info(type(obj))
    shown = ", ".join(f"{k.name}={obj.__dict__.get(k.name)!r}" for k in info.keys)
    return f"{info.label}({shown})"
