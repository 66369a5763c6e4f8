"""Immutable, typed query and scan builders, and the cursor that pages through results.

``engine.query(Post.by_user).key(Post.user == uid).filter(...)`` returns a new builder at every
step. Building the request and reading responses is pure (:class:`Cursor`, :func:`count`); the
engines only carry the calls (``Query`` iterates over the sync engine, ``AsyncQuery`` over the
async one).
"""

from __future__ import annotations

import base64
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, cast

from .conditions import (
    And,
    BeginsWith,
    Between,
    Column,
    Comparison,
    Condition,
    KeyCondition,
    Renderer,
    and_all,
)
from .errors import InvalidQuery, MissingObjects
from .indexes import Index, IndexSpec
from .models import Base, FieldSpec, ModelInfo, model_info
from .plans import Call, Plan, Response
from .tracking import remember, seen
from .types import AttributeValue

M = TypeVar("M", bound=Base)
R = TypeVar("R")

_RANGE_OPS = frozenset({"=", "<", "<=", ">", ">="})


class Executor(Protocol):
    """What a sync builder needs from its engine."""

    def _table_name(self, model: type[Base]) -> str: ...
    def _execute(self, call: Call) -> Response: ...
    def _run(self, plan: Plan[R]) -> R: ...


@dataclass(frozen=True, slots=True)
class _State:
    info: ModelInfo
    index: IndexSpec | None
    scan: bool
    key: Condition | None = None
    filter: Condition | None = None
    select: tuple[FieldSpec, ...] | None = None
    consistent: bool = False
    forward: bool = True
    limit: int | None = None
    page_size: int | None = None
    segment: tuple[int, int] | None = None
    start: dict[str, AttributeValue] | None = None
    capacity: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of results, and the token that resumes after its last item (None: no more)."""

    items: list[M]
    token: str | None


class QueryBuilder(Generic[M]):
    """The immutable part shared by ``Query`` and ``AsyncQuery``: every method returns a copy."""

    __slots__ = ("_state",)

    def __init__(self, state: _State) -> None:
        self._state = state

    def _with(self, **changes: Any) -> Self:
        clone = object.__new__(type(self))
        clone._copy_from(self, replace(self._state, **changes))
        return clone

    def _copy_from(self, other: Self, state: _State) -> None:
        self._state = state

    def __repr__(self) -> str:
        s = self._state
        target = s.info.label + (f".{s.index.name}" if s.index else "")
        return f"<{type(self).__name__} {'scan' if s.scan else 'query'} {target}>"

    @property
    def model(self) -> type[M]:
        model: type[M] = self._state.info.model  # type: ignore[assignment]
        return model

    # -- building ------------------------------------------------------------------------------

    def key(self, condition: KeyCondition) -> Self:
        """The key condition: ``==`` on the hash key, optionally ``&`` one range key condition
        (``== < <= > >= between begins_with``)."""
        if self._state.scan:
            raise InvalidQuery("a scan has no key condition; use filter() instead")
        _check_key(self._state, condition)
        return self._with(key=condition)

    def filter(self, condition: Condition) -> Self:
        """Keep only items matching ``condition``; repeated calls AND together."""
        if not isinstance(condition, Condition):
            raise InvalidQuery(
                f"filter() takes a condition such as Post.views > 1, not {condition!r}"
            )
        s = self._state
        _check_columns(s, condition, "filter")
        if not s.scan:
            keys = {f.name for f in _key_fields(s)}
            named = sorted({c.field for c in condition.columns()} & keys)
            if named:
                raise InvalidQuery(
                    f"a query filter cannot use key attributes ({', '.join(named)}); "
                    "put conditions on keys in key()"
                )
        return self._with(filter=and_all([s.filter, condition]))

    def select(self, *columns: Column[Any]) -> Self:
        """Fetch only these fields (plus keys); the results are partial objects."""
        s = self._state
        specs: list[FieldSpec] = []
        for column in columns:
            if not isinstance(cast(object, column), Column) or len(column.path) != 1:
                raise InvalidQuery(
                    f"select() takes model fields such as Post.views, not {column!r}"
                )
            if not issubclass(s.info.model, column.model):
                raise InvalidQuery(f"select(): {column.label} is not a field of {s.info.label}")
            specs.append(s.info.fields[column.field])
        if s.index is not None and s.index.kind == "global":
            outside = [f.name for f in specs if f.name not in s.index.projected]
            if outside:
                raise InvalidQuery(
                    f"select(): the global index {s.info.label}.{s.index.name} does not project "
                    f"{', '.join(outside)}; query the table, or load() the results"
                )
        return self._with(select=tuple(specs))

    def consistent(self) -> Self:
        """Strongly consistent reads (not available on global indexes)."""
        s = self._state
        if s.index is not None and s.index.kind == "global":
            raise InvalidQuery(
                f"{s.info.label}.{s.index.name} is a global index, which DynamoDB reads only "
                "eventually consistently; drop consistent() or query the table"
            )
        return self._with(consistent=True)

    def ascending(self) -> Self:
        return self._with(forward=True)

    def descending(self) -> Self:
        return self._with(forward=False)

    def limit(self, n: int) -> Self:
        """Return at most ``n`` items in all (across pages)."""
        return self._with(limit=_positive(n, "limit"))

    def page_size(self, n: int) -> Self:
        """Ask DynamoDB for at most ``n`` items per request (its ``Limit``)."""
        return self._with(page_size=_positive(n, "page_size"))

    def parallel(self, *, segment: int, total: int) -> Self:
        """Scan one segment of a parallel scan."""
        if not self._state.scan:
            raise InvalidQuery("parallel() applies to scans, not queries")
        if not 1 <= total <= 1_000_000 or not 0 <= segment < total:
            raise InvalidQuery(f"parallel(): need 0 <= segment < total, got {segment}/{total}")
        return self._with(segment=(segment, total))

    def consumed_capacity(self) -> Self:
        """Ask DynamoDB to report consumed capacity; the iterator's ``consumed`` sums it."""
        return self._with(capacity=True)

    def resume(self, token: str | None) -> Self:
        """Continue after the position a previous iteration's ``token`` names."""
        if token is None:
            return self._with(start=None)
        try:
            start = _decode_token(token)
        except (ValueError, TypeError) as exc:
            raise InvalidQuery(f"resume(): not a token from this library ({exc})") from None
        return self._with(start=start)


class Query(QueryBuilder[M]):
    """A query or scan on the sync engine. Iterating is lazy and pages on demand."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Executor, state: _State) -> None:
        super().__init__(state)
        self._engine = engine

    def _copy_from(self, other: Self, state: _State) -> None:
        self._state = state
        self._engine = other._engine

    def __iter__(self) -> Results[M]:
        return Results(self._engine, Cursor(self._state, self._engine._table_name(self.model)))

    def all(self) -> list[M]:
        """Every result, as a list."""
        return list(self)

    def first(self) -> M:
        """The first result; ``MissingObjects`` when there is none."""
        for obj in self.limit(1):
            return obj
        raise MissingObjects(f"{self!r} has no results")

    def one(self) -> M:
        """The only result; ``MissingObjects`` when there is none or more than one."""
        found = list(self.limit(2))
        if len(found) != 1:
            raise MissingObjects(
                f"{self!r} expected exactly one result, found {'none' if not found else 'more'}",
                found,
            )
        return found[0]

    def count(self) -> int:
        """The number of matching items (a COUNT request per page; no items are transferred)."""
        return self._engine._run(count(self._state, self._engine._table_name(self.model)))

    def page(self, size: int | None = None) -> Page[M]:
        """Up to ``size`` results (default: the limit, else one DynamoDB page) and the token
        for ``resume()``: the way to serve REST paging."""
        results = iter(self.limit(size) if size is not None else self)
        items = list(results) if size is not None else results.take_page()
        return Page(items, results.token)


class Results(Generic[M]):
    """The iterator of a sync query: pages on demand; ``token``, ``count``, ``scanned`` and
    ``consumed`` describe what has been read so far."""

    def __init__(self, engine: Executor, cursor: Cursor) -> None:
        self._engine = engine
        self._cursor = cursor

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> M:
        cursor = self._cursor
        while True:
            obj = cursor.pop()
            if obj is not None:
                return obj  # type: ignore[return-value]
            call = cursor.next_call()
            if call is None:
                raise StopIteration
            cursor.accept(self._engine._execute(call))

    def take_page(self) -> list[M]:
        """Everything the next request returns (one DynamoDB page)."""
        call = self._cursor.next_call()
        if call is None:
            return []
        self._cursor.accept(self._engine._execute(call))
        return list(self._cursor.drain())  # type: ignore[arg-type]

    @property
    def token(self) -> str | None:
        return self._cursor.token

    @property
    def count(self) -> int:
        return self._cursor.count

    @property
    def scanned(self) -> int:
        return self._cursor.scanned

    @property
    def consumed(self) -> float:
        return self._cursor.consumed


# -- the pure part -----------------------------------------------------------------------------


class Cursor:
    """Pages through a query: gives the next call, takes its response, hands out objects.

    Knows nothing of transports; both engines drive it.
    """

    def __init__(self, state: _State, table: str) -> None:
        _check_runnable(state)
        self.state = state
        self.params = _params(state, table)
        self.projected = _projected(state)
        self.start = state.start
        self.done = False
        self.remaining = state.limit
        self.buffer: deque[tuple[Base, dict[str, AttributeValue]]] = deque()
        self.last_item: dict[str, AttributeValue] | None = None  # last handed out, this page
        self.page_start: dict[str, AttributeValue] | None = None
        self.page_end: dict[str, AttributeValue] | None = None
        self.fetched = False
        self.count = 0
        self.scanned = 0
        self.consumed = 0.0
        self._token_fields = _key_fields(state) + tuple(state.info.keys)

    def next_call(self) -> Call | None:
        if self.done or self.remaining == 0:
            return None
        params = dict(self.params)
        if self.start is not None:
            params["ExclusiveStartKey"] = self.start
        limit = self.state.page_size
        if self.remaining is not None and self.state.filter is None:
            limit = min(limit or self.remaining, self.remaining)
        if limit is not None:
            params["Limit"] = limit
        return Call("scan" if self.state.scan else "query", params)

    def accept(self, response: Response) -> None:
        info = self.state.info
        projected = self.projected
        items = response.get("Items", [])
        self.fetched = True
        self.page_start = self.start
        self.last_item = None
        for item in items:
            obj = info.instance_from(item, projected)
            remember(obj, seen(info, item, projected))
            self.buffer.append((obj, item))
        self.scanned += response.get("ScannedCount", 0)
        capacity = response.get("ConsumedCapacity")
        if capacity:
            self.consumed += float(capacity.get("CapacityUnits", 0))
        self.page_end = response.get("LastEvaluatedKey")
        self.start = self.page_end
        if self.page_end is None:
            self.done = True

    def pop(self) -> Base | None:
        if not self.buffer or self.remaining == 0:
            return None
        obj, item = self.buffer.popleft()
        self.last_item = item
        self.count += 1
        if self.remaining is not None:
            self.remaining -= 1
        return obj

    def drain(self) -> Iterator[Base]:
        while (obj := self.pop()) is not None:
            yield obj

    @property
    def token(self) -> str | None:
        """Where to resume: after the last item handed out (or at the end of the page when all
        of it was handed out); None when nothing is left."""
        if self.buffer:
            if self.last_item is not None:
                fields = self._token_fields
                return _encode_token({f.dynamo_name: self.last_item[f.dynamo_name] for f in fields})
            return _encode_token(self.page_start or {})
        if not self.fetched:
            return _encode_token(self.start or {})
        return None if self.done else _encode_token(self.page_end or {})


def count(state: _State, table: str) -> Plan[int]:
    """Sum ``Count`` over every page of a ``Select=COUNT`` request."""
    _check_runnable(state)
    params = _params(state, table)
    params.pop("ProjectionExpression", None)
    params["Select"] = "COUNT"
    total = 0
    start = state.start
    while True:
        request = dict(params)
        if start is not None:
            request["ExclusiveStartKey"] = start
        response: Response = yield Call("scan" if state.scan else "query", request)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey")
        if start is None or (state.limit is not None and total >= state.limit):
            break
    return min(total, state.limit) if state.limit is not None else total


def _params(state: _State, table: str) -> dict[str, Any]:
    r = Renderer()
    params: dict[str, Any] = {"TableName": table}
    if state.index is not None:
        params["IndexName"] = state.index.name
    if state.key is not None:
        params["KeyConditionExpression"] = r.condition(state.key)
    if state.filter is not None:
        params["FilterExpression"] = r.condition(state.filter)
    if state.select is not None:
        fields = {f.name: f for f in (*state.select, *_key_fields(state), *state.info.keys)}
        params["ProjectionExpression"] = r.projection([(f.dynamo_name,) for f in fields.values()])
    if state.consistent:
        params["ConsistentRead"] = True
    if not state.scan and not state.forward:
        params["ScanIndexForward"] = False
    if state.segment is not None:
        params["Segment"], params["TotalSegments"] = state.segment
    if state.capacity:
        params["ReturnConsumedCapacity"] = "TOTAL"
    return r.into(params)


def _projected(state: _State) -> frozenset[str] | None:
    """The fields results carry; None when they are whole objects."""
    if state.select is not None:
        names = {f.name for f in (*state.select, *_key_fields(state), *state.info.keys)}
    elif state.index is not None:
        names = set(state.index.projected)
    else:
        return None
    return None if len(names) == len(state.info.fields) else frozenset(names)


def _key_fields(state: _State) -> tuple[FieldSpec, ...]:
    """The key fields of what is queried: the index's, or the table's."""
    if state.index is not None:
        return tuple(f for f in (state.index.hash_key, state.index.range_key) if f is not None)
    return tuple(state.info.keys)


def _positive(n: object, what: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidQuery(f"{what}() takes a positive int, not {n!r}")
    return n


def _check_columns(state: _State, condition: Condition, where: str) -> None:
    for column in condition.columns():
        if not issubclass(state.info.model, column.model):
            raise InvalidQuery(f"{where}(): {column.label} is not a field of {state.info.label}")


def _check_key(state: _State, condition: KeyCondition) -> None:
    if not isinstance(condition, Condition):
        raise InvalidQuery(f"key() takes a condition such as Post.forum == 'x', not {condition!r}")
    _check_columns(state, condition, "key")
    fields = _key_fields(state)
    hash_key, range_key = fields[0], (fields[1] if len(fields) > 1 else None)
    where = f"{state.info.label}.{state.index.name}" if state.index else state.info.label
    parts = condition.parts if isinstance(condition, And) else (condition,)
    hash_ok = False
    range_seen = False
    for part in parts:
        column = getattr(part, "column", None)
        if not isinstance(column, Column) or len(column.path) != 1:
            raise InvalidQuery(f"key(): {part!r} is not a key condition on {where}")
        if isinstance(part, Comparison) and isinstance(part.operand, Column):
            raise InvalidQuery(f"key(): {part!r} compares two attributes; use a value")
        name = column.field
        if name == hash_key.name:
            if not (isinstance(part, Comparison) and part.op == "=") or hash_ok:
                raise InvalidQuery(
                    f"key(): the hash key {hash_key.name} of {where} takes exactly one == "
                    f"condition, got {part!r}"
                )
            hash_ok = True
        elif range_key is not None and name == range_key.name:
            valid = (isinstance(part, Comparison) and part.op in _RANGE_OPS) or isinstance(
                part, Between | BeginsWith
            )
            if not valid or range_seen:
                raise InvalidQuery(
                    f"key(): the range key {range_key.name} of {where} takes one condition of "
                    f"== < <= > >= between begins_with, got {part!r}"
                )
            range_seen = True
        else:
            keys = hash_key.name + (f" and {range_key.name}" if range_key else "")
            raise InvalidQuery(
                f"key(): {column.label} is not a key of {where} (its keys: {keys}); "
                "move that condition to filter()"
            )
    if not hash_ok:
        raise InvalidQuery(f"key(): a query on {where} needs {hash_key.name} == value")


def _check_runnable(state: _State) -> None:
    if not state.scan and state.key is None:
        fields = _key_fields(state)
        raise InvalidQuery(
            f"a query needs a key condition: add .key({state.info.label}.{fields[0].name} == ...)"
        )


def _encode_token(key: dict[str, AttributeValue]) -> str:
    raw = json.dumps(key, default=_bytes_to_json, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, AttributeValue] | None:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    key = json.loads(raw, object_hook=_json_to_bytes)
    if not isinstance(key, dict):
        raise ValueError("token does not hold a key")
    return cast(dict[str, AttributeValue], key) or None


def _bytes_to_json(value: object) -> object:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode()}
    raise TypeError(f"cannot encode {value!r} in a token")


def _json_to_bytes(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__b64__"}:
        return base64.b64decode(obj["__b64__"])
    return obj


def target_state(target: type[Base] | Index[Any], *, scan: bool) -> _State:
    """The initial state of a query or scan on a model or one of its indexes."""
    if isinstance(target, Index):
        info = model_info(target.model)
        return _State(info, target.spec, scan)
    if isinstance(cast(object, target), type) and issubclass(target, Base):
        info = model_info(target)
        if info.table is None:
            raise InvalidQuery(f"{info.label} has no HashKey, so it has no table to query")
        return _State(info, None, scan)
    raise InvalidQuery(f"query and scan take a model class or index, not {target!r}")


if TYPE_CHECKING:
    _check: type[QueryBuilder[Base]] = Query
