"""Immutable, typed query and scan builders, and the cursor that pages through results.

``engine.query(Post.by_user).key(Post.user == uid).filter(...)`` returns a new builder at every
step; the original is never changed. Building the request and reading responses is pure
(:class:`Cursor`, :func:`count`); the engines only carry the calls (``Query`` iterates over the
sync engine, ``AsyncQuery`` over the async one).

Rules the builders enforce (``InvalidQuery``, before any request is sent):

- A query needs ``key()``: ``==`` on the hash key of what is queried, optionally ``&`` one
  condition on its range key (``== < <= > >= between begins_with``). A missing key is reported
  when the query first runs, so a builder may be assembled in any order.
- ``filter()`` may not name a key attribute of the table or index being queried (DynamoDB
  refuses it: such conditions belong in ``key()``); a scan's filter may name any attribute.
- Querying or scanning an index returns what the index projects. When the projection lacks
  fields the results are partial objects: reading an unloaded field raises ``UnloadedField``,
  ``engine.load(obj)`` completes the object, an update-save only touches loaded fields and an
  overwrite-save is refused. This holds for local indexes too: DynamoDB could fetch the rest
  from the table, but that costs an extra read per item, so it happens only when ``select()``
  asks for such fields.
- ``select(*fields)`` fetches those fields plus every key (partial objects likewise). On a
  local index any field may be selected (DynamoDB fetches non-projected ones from the table);
  on a global index only projected fields, as DynamoDB cannot reach the table from one.
- ``consistent()`` is refused on a global index (DynamoDB reads those eventually consistently).
  ``parallel()`` applies only to scans, ``ascending()`` / ``descending()`` only to queries.
- ``limit(n)`` caps the items returned in all, across pages; ``page_size(n)`` is DynamoDB's
  ``Limit``: the items *evaluated* per request, before the filter.

Resuming: ``Results.token`` (and ``Page.token``) is a URL-safe ``str`` naming the position after
the last item handed out; ``q.resume(token)`` continues from there, on any engine and in any
process, with no duplicate and no gap. The token holds the key values of that item (base64 of
JSON; not encrypted, so treat it like the key itself). ``resume()`` refuses a token whose
attributes are not the keys of the queried table or index, and a query refuses one from another
partition (hash key value). A token is None once DynamoDB has said that nothing follows (no
``LastEvaluatedKey``). When iteration stops exactly where a page ended, DynamoDB may not know
that yet: the token is then a str, and resuming from it yields nothing more (and a None token).
"""

from __future__ import annotations

import base64
import copy
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, Self, TypeVar, cast

from .conditions import (
    And,
    BeginsWith,
    Between,
    Column,
    Comparison,
    Condition,
    Contains,
    Exists,
    In,
    KeyCondition,
    Not,
    Or,
    Renderer,
    and_all,
)
from .errors import InvalidQuery, MissingObjects
from .indexes import Index, IndexSpec
from .models import Base, FieldSpec, ModelInfo, model_info
from .plans import Call, Plan, Response
from .plans import call as call_plan
from .tracking import remember, same, seen
from .types import AttributeValue

M = TypeVar("M", bound=Base)
R = TypeVar("R")

_RANGE_OPS = frozenset({"=", "<", "<=", ">", ">="})
_MAX_SEGMENTS = 1_000_000  # DynamoDB's bound on TotalSegments


class Executor(Protocol):
    """What a sync builder needs from its engine."""

    def table_name(self, model: type[Base]) -> str: ...
    def run(self, plan: Plan[R]) -> R: ...


@dataclass(frozen=True, slots=True)
class QueryState:
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

    def __init__(self, state: QueryState) -> None:
        self._state = state

    def _with(self, **changes: Any) -> Self:
        clone = copy.copy(self)  # keeps whatever else a subclass holds (its engine)
        clone._state = replace(self._state, **changes)
        return clone

    def __repr__(self) -> str:
        kind = "scan" if self._state.scan else "query"
        return f"<{type(self).__name__} {kind} {_where(self._state)}>"

    @property
    def model(self) -> type[M]:
        model: type[M] = self._state.info.model  # type: ignore[assignment]
        return model

    # -- results (shared by both engines' first() and one()) ------------------------------------

    def _first_of(self, found: list[M]) -> M:
        if not found:
            raise MissingObjects(f"{self!r} has no results")
        return found[0]

    def _only_of(self, found: list[M]) -> M:
        if len(found) != 1:
            raise MissingObjects(
                f"{self!r} expected exactly one result, found "
                f"{'none' if not found else 'more than one'}",
                found,
            )
        return found[0]

    # -- building ------------------------------------------------------------------------------

    def key(self, condition: KeyCondition) -> Self:
        """The key condition: ``==`` on the hash key, optionally ``&`` one range key condition
        (``== < <= > >= between begins_with``). Replaces any earlier key condition."""
        if self._state.scan:
            raise InvalidQuery("a scan has no key condition; use filter() instead")
        _check_key(self._state, condition)
        return self._with(key=condition)

    def filter(self, condition: Condition) -> Self:
        """Keep only items matching ``condition``; repeated calls AND together."""
        if not isinstance(cast(object, condition), Condition):
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
                    f"filter(): {', '.join(named)} is a key of {_where(s)}, which DynamoDB does "
                    "not allow in a query's filter; put that condition in key()"
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
                    f"select(): the global index {_where(s)} does not project "
                    f"{', '.join(outside)}; query the table, or load() the results"
                )
        return self._with(select=tuple(specs))

    def consistent(self) -> Self:
        """Strongly consistent reads. Global indexes have none: running such a query raises
        ``InvalidQuery`` (when it runs, so that a builder can be composed in any order)."""
        return self._with(consistent=True)

    def ascending(self) -> Self:
        """Ascending order of the range key (the default)."""
        _check_ordered(self._state, "ascending")
        return self._with(forward=True)

    def descending(self) -> Self:
        """Descending order of the range key."""
        _check_ordered(self._state, "descending")
        return self._with(forward=False)

    def limit(self, n: int) -> Self:
        """Return at most ``n`` items in all (across pages)."""
        return self._with(limit=_positive(n, "limit"))

    def page_size(self, n: int) -> Self:
        """Ask DynamoDB to evaluate at most ``n`` items per request (its ``Limit``)."""
        return self._with(page_size=_positive(n, "page_size"))

    def parallel(self, *, segment: int, total: int) -> Self:
        """Scan one segment (``0 <= segment < total``) of a parallel scan."""
        if not self._state.scan:
            raise InvalidQuery(
                "parallel() applies to scans, not queries: use engine.scan(...).parallel(...)"
            )
        if (
            not _is_int(segment)
            or not _is_int(total)
            or not 1 <= total <= _MAX_SEGMENTS
            or not 0 <= segment < total
        ):
            raise InvalidQuery(
                f"parallel() needs ints with 0 <= segment < total <= {_MAX_SEGMENTS:,}, "
                f"got segment={segment!r}, total={total!r}"
            )
        return self._with(segment=(segment, total))

    def consumed_capacity(self) -> Self:
        """Ask DynamoDB to report consumed capacity; the iterator's ``consumed`` sums it."""
        return self._with(capacity=True)

    def resume(self, token: str | None) -> Self:
        """Continue after the position a previous iteration's ``token`` names (None: from the
        start)."""
        if token is None:
            return self._with(start=None)
        if not isinstance(cast(object, token), str):
            raise InvalidQuery(f"resume() takes a token str (or None), not {token!r}")
        try:
            start = _decode_token(token)
        except (ValueError, TypeError) as exc:
            raise InvalidQuery(f"resume(): not a token from this library ({exc})") from None
        if start is not None:
            _check_start(self._state, start)
        return self._with(start=start)


class Query(QueryBuilder[M]):
    """A query or scan on the sync engine. Iterating is lazy and pages on demand."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Executor, state: QueryState) -> None:
        super().__init__(state)
        self._engine = engine

    def __iter__(self) -> Results[M]:
        return Results(self._engine, Cursor(self._state, self._engine.table_name(self.model)))

    def all(self) -> list[M]:
        """Every result, as a list."""
        return list(self)

    def first(self) -> M:
        """The first result; ``MissingObjects`` when there is none."""
        return self._first_of(list(self.limit(1)))

    def one(self) -> M:
        """The only result; ``MissingObjects`` when there is none or more than one."""
        return self._only_of(list(self.limit(2)))

    def count(self) -> int:
        """The number of matching items (a COUNT request per page; no items are transferred)."""
        return self._engine.run(count(self._state, self._engine.table_name(self.model)))

    def page(self, size: int | None = None) -> Page[M]:
        """Up to ``size`` results (``size`` replaces any limit; default: one DynamoDB page,
        within the limit) and the token for ``resume()``: the way to serve REST paging."""
        results = iter(self.limit(size) if size is not None else self)
        items = list(results) if size is not None else results.take_page()
        return Page(items, results.token)


class Progress(Generic[M]):
    """What an iteration of a query has read so far (both engines' iterators have these)."""

    _cursor: Cursor

    @property
    def token(self) -> str | None:
        """Where ``resume()`` continues: after the last item handed out; None at the end."""
        return self._cursor.token

    @property
    def count(self) -> int:
        """Items handed out so far."""
        return self._cursor.count

    @property
    def scanned(self) -> int:
        """Items DynamoDB evaluated so far (before the filter)."""
        return self._cursor.scanned

    @property
    def consumed(self) -> float:
        """Capacity units consumed so far (0.0 unless ``consumed_capacity()`` asked for them)."""
        return self._cursor.consumed


class Results(Progress[M]):
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
            cursor.accept(self._engine.run(call_plan(call)))

    def take_page(self) -> list[M]:
        """The rest of the current page, or else everything the next request returns."""
        cursor = self._cursor
        if cursor.page_done():
            call = cursor.next_call()
            if call is None:
                return []
            cursor.accept(self._engine.run(call_plan(call)))
        return list(cursor.drain())  # type: ignore[arg-type]


# -- the pure part -----------------------------------------------------------------------------


class _End:
    """The position after everything: DynamoDB returned no ``LastEvaluatedKey``."""

    def __repr__(self) -> str:
        return "END"


END: Final = _End()
Position = dict[str, AttributeValue] | None | _End  # None: the beginning


class Cursor:
    """Pages through a query: gives the next call, takes its response, hands out objects.

    Knows nothing of transports; both engines drive it: ``next_call()`` (None when nothing more
    is needed), ``accept(response)``, then ``pop()`` / ``drain()``. A driver may fetch ahead
    (accept a page while items of the previous one are still buffered); ``token`` stays exact,
    because every buffered item carries the position after it.
    """

    def __init__(self, state: QueryState, table: str) -> None:
        _check_runnable(state)
        self.state = state
        self.params = _params(state, table)
        self.projected = _projected(state)
        self.start = state.start  # the ExclusiveStartKey of the next request
        self.done = False  # DynamoDB has no more pages
        self.remaining = state.limit
        # (item, position after it: the item's own key, or the page's end for its last item).
        # Objects are built as they are handed out, so taking the first few results of a 1 MB
        # page does not validate thousands of them.
        self.buffer: deque[tuple[dict[str, AttributeValue], Position]] = deque()
        self.position: Position = state.start  # after the last item handed out
        self.count = 0
        self.scanned = 0
        self.consumed = 0.0
        self._token_fields = _resume_fields(state)

    def page_done(self) -> bool:
        """Nothing of the current page is left to hand out (``take_page`` fetches the next)."""
        return not self.buffer or self.remaining == 0

    def next_call(self) -> Call | None:
        """The next request, or None when DynamoDB has no more or the limit is met."""
        if self.done:
            return None
        needed = None if self.remaining is None else self.remaining - len(self.buffer)
        if needed is not None and needed <= 0:
            return None
        params = dict(self.params)
        if self.start is not None:
            params["ExclusiveStartKey"] = self.start
        limit = self.state.page_size
        if needed is not None and self.state.filter is None:
            # without a filter every item evaluated is returned: ask for no more than needed
            limit = min(limit or needed, needed)
        if limit is not None:
            params["Limit"] = limit
        return Call("scan" if self.state.scan else "query", params)

    def accept(self, response: Response) -> None:
        """Take the response to the last ``next_call()``."""
        end: dict[str, AttributeValue] | None = response.get("LastEvaluatedKey") or None
        page_end: Position = END if end is None else end
        items: list[dict[str, AttributeValue]] = response.get("Items", [])
        for i, item in enumerate(items):
            after = page_end if i == len(items) - 1 else self._key_of(item)
            self.buffer.append((item, after))
        if not items:
            # nothing to hand out: the position moves with the page, or with the last buffered
            # item when a driver fetched ahead
            if self.buffer:
                item, _ = self.buffer.pop()
                self.buffer.append((item, page_end))
            else:
                self.position = page_end
        self.scanned += int(response.get("ScannedCount", 0))
        capacity = response.get("ConsumedCapacity")
        if capacity:
            self.consumed += float(capacity.get("CapacityUnits", 0))
        self.start = end
        self.done = end is None

    def pop(self) -> Base | None:
        """The next object, or None when the buffer is empty or the limit is met."""
        if not self.buffer or self.remaining == 0:
            return None
        item, position = self.buffer[0]
        info, projected = self.state.info, self.projected
        obj = info.instance_from(item, projected)  # may raise: then the item stays ahead
        remember(obj, seen(info, item, projected, obj))
        self.buffer.popleft()
        self.position = position
        self.count += 1
        if self.remaining is not None:
            self.remaining -= 1
        return obj

    def drain(self) -> Iterator[Base]:
        """Pop every buffered object (within the limit)."""
        while (obj := self.pop()) is not None:
            yield obj

    @property
    def token(self) -> str | None:
        """Where to resume: after the last item handed out; None when DynamoDB said that
        nothing is left after it."""
        position = self.position
        if isinstance(position, _End):
            return None
        return _encode_token(position or {})

    def _key_of(self, item: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        return {name: item[name] for name in self._token_fields}


def count(state: QueryState, table: str) -> Plan[int]:
    """Sum ``Count`` over every page of a ``Select=COUNT`` request (``page_size`` applies; with
    a limit, counting stops once it is reached)."""
    _check_runnable(state)
    # no ProjectionExpression: its names would be unused placeholders, which DynamoDB refuses
    params = _params(replace(state, select=None), table)
    params["Select"] = "COUNT"
    total = 0
    start = state.start
    while True:
        request = dict(params)
        if start is not None:
            request["ExclusiveStartKey"] = start
        limit = state.page_size
        if state.limit is not None and state.filter is None:
            limit = min(limit or state.limit - total, state.limit - total)
        if limit is not None:
            request["Limit"] = limit
        response: Response = yield Call("scan" if state.scan else "query", request)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey") or None
        if start is None or (state.limit is not None and total >= state.limit):
            break
    return min(total, state.limit) if state.limit is not None else total


def _params(state: QueryState, table: str) -> dict[str, Any]:
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


def _projected(state: QueryState) -> frozenset[str] | None:
    """The fields results carry; None when they are whole objects."""
    if state.select is not None:
        names = {f.name for f in (*state.select, *_key_fields(state), *state.info.keys)}
    elif state.index is not None:
        names = set(state.index.projected)
    else:
        return None
    return None if len(names) == len(state.info.fields) else frozenset(names)


def _key_fields(state: QueryState) -> tuple[FieldSpec, ...]:
    """The key fields of what is queried: the index's, or the table's."""
    if state.index is not None:
        return tuple(f for f in (state.index.hash_key, state.index.range_key) if f is not None)
    return tuple(state.info.keys)


def _resume_fields(state: QueryState) -> tuple[str, ...]:
    """The attributes of an ExclusiveStartKey: the index's keys and the table's, each once."""
    names = (f.dynamo_name for f in (*_key_fields(state), *state.info.keys))
    return tuple(dict.fromkeys(names))


def _where(state: QueryState) -> str:
    return f"{state.info.label}.{state.index.name}" if state.index else state.info.label


def _is_int(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


def _positive(n: object, what: str) -> int:
    if not _is_int(n) or n < 1:  # type: ignore[operator]
        raise InvalidQuery(f"{what}() takes a positive int (1 or more), not {n!r}")
    return cast(int, n)


def _check_ordered(state: QueryState, what: str) -> None:
    if state.scan:
        raise InvalidQuery(
            f"{what}(): a scan returns items in no particular order; order applies to queries "
            "(by the range key)"
        )


def _check_columns(state: QueryState, condition: Condition, where: str) -> None:
    for column in condition.columns():
        if not issubclass(state.info.model, column.model):
            raise InvalidQuery(f"{where}(): {column.label} is not a field of {state.info.label}")


def _check_key(state: QueryState, condition: KeyCondition) -> None:
    if not isinstance(cast(object, condition), Condition):
        raise InvalidQuery(f"key() takes a condition such as Post.forum == 'x', not {condition!r}")
    _check_columns(state, condition, "key")
    fields = _key_fields(state)
    hash_key, range_key = fields[0], (fields[1] if len(fields) > 1 else None)
    where = _where(state)
    parts = condition.parts if isinstance(condition, And) else (condition,)
    hash_ok = False
    range_seen = False
    for part in parts:
        column = getattr(part, "column", None)
        if not isinstance(column, Column) or len(column.path) != 1:
            raise InvalidQuery(
                f"key(): {_show(part)} is not a key condition on {where}; key() takes "
                "hash_key == value, optionally & one range key condition"
            )
        if isinstance(part, Comparison) and isinstance(part.operand, Column):
            raise InvalidQuery(f"key(): {_show(part)} compares two attributes; use a value")
        name = column.field
        if name == hash_key.name:
            if not (isinstance(part, Comparison) and part.op == "=") or hash_ok:
                raise InvalidQuery(
                    f"key(): the hash key {hash_key.name} of {where} takes exactly one == "
                    f"condition, got {_show(part)}; move other conditions to filter() or scan"
                )
            hash_ok = True
        elif range_key is not None and name == range_key.name:
            valid = (isinstance(part, Comparison) and part.op in _RANGE_OPS) or isinstance(
                part, Between | BeginsWith
            )
            if not valid or range_seen:
                why = "a second condition" if valid else _show(part)
                raise InvalidQuery(
                    f"key(): the range key {range_key.name} of {where} takes one condition of "
                    f"== < <= > >= between begins_with, got {why}; use between() for a range, "
                    "or filter() for anything else"
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


def _show_value(v: AttributeValue | Column[Any] | None) -> str:
    if v is None:
        return "nothing"
    return v.label if isinstance(v, Column) else repr(next(iter(v.values())))


def _show(condition: Condition) -> str:
    """A condition as the user wrote it (``Post.id != 'x'``), for error messages."""
    value = _show_value
    c = condition
    if isinstance(c, Comparison):
        op = {"=": "==", "<>": "!="}.get(c.op, c.op)
        return f"{c.column.label} {op} {value(c.operand)}"
    if isinstance(c, Between):
        return f"{c.column.label}.between({value(c.low)}, {value(c.high)})"
    if isinstance(c, BeginsWith):
        return f"{c.column.label}.begins_with({value(c.prefix)})"
    if isinstance(c, Contains):
        return f"{c.column.label}.contains({value(c.operand)})"
    if isinstance(c, In):
        return f"{c.column.label}.in_({', '.join(map(value, c.values))})"
    if isinstance(c, Exists):
        return f"{c.column.label}.{'is_not' if c.exists else 'is_'}(None)"
    if isinstance(c, And | Or):
        joined = (" & " if isinstance(c, And) else " | ").join(_show(p) for p in c.parts)
        return f"({joined})"
    if isinstance(c, Not):
        return f"~{_show(c.part)}"
    return repr(c)


def _check_runnable(state: QueryState) -> None:
    if state.consistent and state.index is not None and state.index.kind == "global":
        raise InvalidQuery(
            f"consistent(): {_where(state)} is a global index, which DynamoDB reads only "
            "eventually consistently; drop consistent() or query the table"
        )
    if not state.scan and state.key is None:
        fields = _key_fields(state)
        raise InvalidQuery(
            f"a query of {_where(state)} needs a key condition: add "
            f".key({state.info.label}.{fields[0].name} == ...), or use scan()"
        )
    if state.start is not None and state.key is not None:
        # a token from another partition would make DynamoDB fail, or (moto) silently skip
        hash_key = _key_fields(state)[0]
        parts = state.key.parts if isinstance(state.key, And) else (state.key,)
        for part in parts:
            if isinstance(part, Comparison) and part.column.field == hash_key.name:
                resumed = state.start.get(hash_key.dynamo_name)
                if not isinstance(part.operand, Column) and not same(resumed, part.operand):
                    raise InvalidQuery(
                        f"resume(): the token is from a query of {hash_key.name} == "
                        f"{_show_value(resumed)}, not of {_show(part)}"
                    )


def _check_start(state: QueryState, start: dict[str, AttributeValue]) -> None:
    """A resumed position must be a key of what is queried, each value of its key type."""
    specs = {f.dynamo_name: f for f in (*_key_fields(state), *state.info.keys)}
    if set(start) != set(specs):
        raise InvalidQuery(
            f"resume(): the token is not from a query of {_where(state)}: it holds "
            f"{', '.join(sorted(start)) or 'nothing'}, a position there holds "
            f"{', '.join(sorted(specs))}"
        )
    for name, value in start.items():
        kind = specs[name].codec.dynamo_type or "S"  # keys are S, N or B (checked at class)
        inner = value.get(kind) if isinstance(cast(object, value), dict) else None
        if len(value) != 1 or not isinstance(inner, bytes if kind == "B" else str):
            raise InvalidQuery(f"resume(): the token's {name} is not a {kind} value: {value!r}")


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


def target_state(target: type[Base] | Index[Any], *, scan: bool) -> QueryState:
    """The initial state of a query or scan on a model or one of its indexes."""
    if isinstance(target, Index):
        info = model_info(target.model)
        return QueryState(info, target.spec, scan)
    if isinstance(cast(object, target), type) and issubclass(cast(type, target), Base):
        info = model_info(target)
        if info.table is None:
            raise InvalidQuery(f"{info.label} has no HashKey, so it has no table to query")
        return QueryState(info, None, scan)
    raise InvalidQuery(f"query and scan take a model class or index, not {target!r}")


if TYPE_CHECKING:
    _check: type[QueryBuilder[Base]] = Query
