"""Immutable, typed query and scan builders, and the cursor that pages through results.

``engine.query(Post.by_user).key(Post.user == uid).filter(...)`` returns a new builder at every
step; the original is never changed. Building the request and reading responses is pure
(``Cursor`` and ``count`` in ``paging``); the engines only carry the calls (``Query`` iterates
over the sync engine, ``AsyncQuery`` over the async one).

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

Resume tokens and paging: see ``pydantic_bloop.paging``.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, cast

from .columns import Column
from .conditions import (
    Condition,
    ConditionArg,
    KeyConditionArg,
    and_all,
    as_condition,
)
from .entities import Collection
from .errors import InvalidCondition, InvalidItem, InvalidQuery, MissingObjects
from .hooks import Hooks
from .indexes import Index
from .keyrules import check_columns, check_key
from .models import Base, FieldSpec, model_info
from .paging import (
    Cursor,
    OnInvalid,
    Page,
    Progress,
    QueryState,
    count,
    key_fields,
    key_sides,
    page_before,
    target_label,
    token_attributes,
)
from .plans import Plan
from .plans import call as call_plan
from .template_query import templated_key
from .tokens import read_token

M = TypeVar("M", bound=Base)
R = TypeVar("R")

_RANGE_OPS = frozenset({"=", "<", "<=", ">", ">="})
_MAX_SEGMENTS = 1_000_000  # DynamoDB's bound on TotalSegments


class Executor(Protocol):
    """What a sync builder needs from its engine."""

    hooks: Hooks

    def table_name(self, model: type[Base]) -> str: ...
    def run(self, plan: Plan[R]) -> R: ...


class QueryBuilder(Generic[M]):
    """The immutable part shared by ``Query`` and ``AsyncQuery``: every method returns a copy."""

    __slots__ = ("_state",)

    def __init__(self, state: QueryState[M]) -> None:
        self._state = state

    def _with(self, **changes: Any) -> Self:
        clone = copy.copy(self)  # keeps whatever else a subclass holds (its engine)
        clone._state = replace(self._state, **changes)
        return clone

    def __repr__(self) -> str:
        kind = "scan" if self._state.scan else "query"
        return f"<{type(self).__name__} {kind} {target_label(self._state)}>"

    @property
    def model(self) -> type[M]:
        return self._state.info.model

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

    def key(self, condition: KeyConditionArg) -> Self:
        """The key condition: ``==`` on the hash key, optionally ``&`` one range key condition
        (``== < <= > >= between begins_with``). Replaces any earlier key condition.

        (``bool`` in the signature is what pyright sees for ``Post.forum == "x"``.)"""
        if self._state.scan:
            raise InvalidQuery("a scan has no key condition; use filter() instead")
        s = self._state
        key = _as_query_condition(condition, "key()")
        key = templated_key(s, key, key_sides(s), target_label(s))
        key = check_key(self._state, key)
        return self._with(key=key)

    def filter(self, condition: ConditionArg) -> Self:
        """Keep only items matching ``condition``; repeated calls AND together."""
        condition = _as_query_condition(condition, "filter()")
        s = self._state
        check_columns(s, condition, "filter")
        if not s.scan:
            keys = {f.name for f in key_fields(s)}
            named = sorted({c.field for c in condition.columns()} & keys)
            if named:
                raise InvalidQuery(
                    f"filter(): {', '.join(named)} is a key of {target_label(s)}, which DynamoDB "
                    "does not allow in a query's filter; put that condition in key()"
                )
        return self._with(filter=and_all([s.filter, condition]))

    def select(self, *columns: Column[Any]) -> Self:
        """Fetch only these fields (plus keys); the results are partial objects."""
        s = self._state
        if s.members:
            raise InvalidQuery("select(): a Collection query returns whole objects")
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
                    f"select(): the global index {target_label(s)} does not project "
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

    def on_invalid(self, mode: OnInvalid) -> Self:
        """What to do with a stored item the model cannot read (another tool wrote a value of
        another type, or one breaking the model's constraints): ``"raise"`` its ``InvalidItem``
        (the default), ``"skip"`` it, or ``"collect"`` it as an ``InvalidResult`` in the
        iterator's (and the page's) ``invalid`` and go on. After a raise the iteration, and its
        token, have moved past the item: calling ``next()`` again, or resuming, goes on after it."""
        if mode not in ("raise", "skip", "collect"):
            raise InvalidQuery(f"on_invalid() takes 'raise', 'skip' or 'collect', not {mode!r}")
        return self._with(on_invalid=mode)

    def resume(self, token: str | None) -> Self:
        """Continue after the position a previous iteration's ``token`` names (None: from the
        start)."""
        if token is None:
            return self._with(start=None, seal=None)
        if not isinstance(cast(object, token), str):
            raise InvalidQuery(f"resume() takes a token str (or None), not {token!r}")
        s = self._state
        resumed = read_token(token, token_attributes(s), target_label(s))
        return self._with(start=resumed.start, seal=resumed.seal)


class Query(QueryBuilder[M]):
    """A query or scan on the sync engine. Iterating is lazy and pages on demand."""

    __slots__ = ("_engine",)

    # AsyncQuery has these methods with `await`: a sync and an async twin cannot share bodies
    def __init__(self, engine: Executor, state: QueryState[M]) -> None:
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
        query = self.limit(size) if size is not None else self
        cursor = Cursor(query._state, self._engine.table_name(self.model))
        results = Results(self._engine, cursor)
        items: list[M] = []
        try:
            if size is None:
                results.take_page(items)
            else:
                items.extend(results)
        except InvalidItem as error:  # on_invalid("raise"): the items before it are kept
            return page_before(items, error, cursor)
        return Page(items, results.token, results.invalid)


class Results(Progress[M]):
    """The iterator of a sync query: pages on demand; ``token``, ``count``, ``scanned`` and
    ``consumed`` describe what has been read so far."""

    def __init__(self, engine: Executor, cursor: Cursor[M]) -> None:
        self._engine = engine
        self._cursor = cursor

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> M:
        cursor = self._cursor
        while True:
            obj = self._engine.hooks.run_sync(cursor.pop)  # its loaded hooks, per object
            if obj is not None:
                return obj
            call = cursor.next_call()
            if call is None:
                raise StopIteration
            cursor.accept(self._engine.run(call_plan(call)))

    def take_page(self, into: list[M] | None = None) -> list[M]:
        """The rest of the current page, or else everything the next request returns (added
        to ``into``, which keeps what was read when an unreadable item raises)."""
        cursor = self._cursor
        items: list[M] = [] if into is None else into
        if cursor.page_done():
            call = cursor.next_call()
            if call is None:
                return items
            cursor.accept(self._engine.run(call_plan(call)))
        self._engine.hooks.run_sync(lambda: items.extend(cursor.drain()))
        return items


# -- the pure part -----------------------------------------------------------------------------
def _is_int(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


def _positive(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidQuery(f"{what}() takes a positive int (1 or more), not {n!r}")
    return n


def _check_ordered(state: QueryState[Any], what: str) -> None:
    if state.scan:
        raise InvalidQuery(
            f"{what}(): a scan returns items in no particular order; order applies to queries "
            "(by the range key)"
        )


def _as_query_condition(value: object, where: str) -> Condition:
    try:
        return as_condition(value, where)
    except InvalidCondition as exc:
        raise InvalidQuery(str(exc)) from None


def target_state(target: type[M] | Index[M] | Collection[M], *, scan: bool) -> QueryState[M]:
    """The initial state of a query or scan on a model, one of its indexes or a collection."""
    if isinstance(target, Collection):
        first, *others = (model_info(m) for m in target.models)
        return QueryState(first, None, scan, members=tuple(others))
    if isinstance(target, Index):
        info = model_info(target.model)
        return QueryState(info, target.spec, scan)
    if isinstance(cast(object, target), type) and issubclass(cast(type, target), Base):
        info = model_info(target)
        if info.table is None:
            raise InvalidQuery(f"{info.label} has no HashKey, so it has no table to query")
        return QueryState(info, None, scan)
    raise InvalidQuery(
        f"query and scan take a model class, an index or a Collection, not {target!r}"
    )


if TYPE_CHECKING:
    _check: type[QueryBuilder[Base]] = Query
