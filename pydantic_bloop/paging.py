"""The I/O-free half of queries and scans: their state, the request they send, the cursor that
pages through responses, ``count()``, and resume tokens.

Both engines drive a :class:`Cursor`: ``next_call()`` gives the request, ``accept(response)``
takes the answer, ``pop()`` hands out objects. Nothing here performs I/O.

Resuming: ``Results.token`` (and ``Page.token``) is a URL-safe ``str`` naming the position after
the last item handed out; ``q.resume(token)`` continues from there, on any engine and in any
process, with no duplicate and no gap. The token holds the key values of that item and a seal
of the query (see ``pydantic_bloop.tokens``): ``resume()`` refuses a malformed token or one whose
attributes are not the keys of the queried table or index, and running the query refuses one
from another partition (hash key value) or made by another query. A token is None once
DynamoDB has said that nothing follows (no ``LastEvaluatedKey``). When iteration stops exactly
where a page ended, DynamoDB may not know that yet: the token is then a str, and resuming from
it yields nothing more (and a None token).

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final, Generic, Literal, NamedTuple, TypeVar

from .columns import Column
from .conditions import And, Comparison, Condition, Renderer, and_all, show_operand
from .entities import readers
from .errors import InvalidItem, InvalidQuery
from .hooks import report_object
from .indexes import IndexSpec
from .models import Base, FieldSpec, ModelInfo
from .plans import Call, Plan, Response
from .tokens import KeyAttribute, Resumed, check_seal, encode_token, identity_of, key_attribute
from .tracking import loaded, same
from .types import AttributeValue

M = TypeVar("M", bound=Base)

OnInvalid = Literal["raise", "skip", "collect"]
"""What a query does with a stored item its model cannot read (see ``on_invalid()``)."""


class InvalidResult(NamedTuple):
    """A stored item a query passed over with ``on_invalid("collect")``: its key (stored
    attribute names to attribute values) and the ``InvalidItem`` saying why it was unreadable."""

    key: dict[str, AttributeValue]
    error: InvalidItem


@dataclass(frozen=True, slots=True)
class QueryState(Generic[M]):
    """What a query or scan of ``M`` is (the builders' immutable state)."""

    info: ModelInfo[M]
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
    seal: str | None = None  # of the token ``start`` came from (checked once the query runs)
    capacity: bool = False
    members: tuple[ModelInfo[M], ...] = ()  # the other models of a Collection query
    on_invalid: OnInvalid = "raise"


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of results, and the token that resumes after its last item (None: no more);
    ``invalid``: the unreadable items passed over with ``on_invalid("collect")``."""

    items: list[M]
    token: str | None
    invalid: list[InvalidResult] = field(default_factory=list[InvalidResult])


def page_before(items: list[M], error: InvalidItem, cursor: Cursor[M]) -> Page[M]:
    """The page to answer when reading it raised ``error`` for an unreadable item: the items
    read before it, with the token before it (the next page starts by raising it); with none,
    the error itself, whose ``token`` is after the item."""
    if not items:
        raise error
    return Page(items, cursor.before_invalid, list(cursor.invalid))


class Progress(Generic[M]):
    """What an iteration of a query has read so far (both engines' iterators have these)."""

    _cursor: Cursor[M]

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

    @property
    def invalid(self) -> list[InvalidResult]:
        """Unreadable items passed over so far with ``on_invalid("collect")``, in order."""
        return list(self._cursor.invalid)


class _End:
    """The position after everything: DynamoDB returned no ``LastEvaluatedKey``."""

    def __repr__(self) -> str:
        return "END"


END: Final = _End()
Position = dict[str, AttributeValue] | None | _End  # None: the beginning


class _Own:
    """The position after a buffered item that is not its page's last: the item's own key
    (worked out only when a token asks for it)."""


_OWN: Final = _Own()


class Cursor(Generic[M]):
    """Pages through a query: gives the next call, takes its response, hands out objects.

    Knows nothing of transports; both engines drive it: ``next_call()`` (None when nothing more
    is needed), ``accept(response)``, then ``pop()`` / ``drain()``. A driver may fetch ahead
    (accept a page while items of the previous one are still buffered); ``token`` stays exact,
    because every buffered item carries the position after it.
    """

    def __init__(self, state: QueryState[M], table: str) -> None:
        check_runnable(state)
        check_resumed(state, table)
        self.state = state
        self.table = table
        self.params = request_params(state, table)
        self.projected = projected_fields(state)
        self.readers = readers((state.info, *state.members))
        self._projections: dict[type[Base], frozenset[str] | None] = {}
        self.start = state.start  # the ExclusiveStartKey of the next request
        self.done = False  # DynamoDB has no more pages
        self.remaining = state.limit
        # Items not handed out yet. Objects are built as they are handed out, so taking the
        # first few results of a 1 MB page does not validate thousands of them. The position
        # after a buffered item is its own key, but after the last item of a page: the page's
        # end, in ``_ends`` as (the item's number among all buffered, position). No (item,
        # position) pair per item: thousands of containers the collector would promote while
        # a page is read.
        self.buffer: deque[dict[str, AttributeValue]] = deque()
        self._ends: deque[tuple[int, Position]] = deque()
        self._buffered = 0  # items buffered so far
        self._passed = 0  # items handed out or passed over so far
        self.position: Position | _Own = state.start  # after the last item handed out
        self._last: dict[str, AttributeValue] = {}  # the last item handed out (or skipped)
        self.count = 0
        self.scanned = 0
        self.consumed = 0.0
        self.invalid: list[InvalidResult] = []  # passed over with on_invalid("collect")
        self.before_invalid: str | None = None  # the token before the last item raised
        self._token_fields = resume_fields(state)

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
        if needed is not None and "FilterExpression" not in params:
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
        self.buffer.extend(items)
        self._buffered += len(items)
        if self.buffer:
            # after the page's last item (none: the last buffered one, when a driver fetched
            # ahead), the page's end
            last = self._buffered - 1
            if self._ends and self._ends[-1][0] == last:
                self._ends.pop()
            self._ends.append((last, page_end))
        else:
            self.position = page_end  # nothing to hand out: the position moves with the page
        self.scanned += int(response.get("ScannedCount", 0))
        capacity = response.get("ConsumedCapacity")
        if capacity:
            self.consumed += float(capacity.get("CapacityUnits", 0))
        self.start = end
        self.done = end is None

    def pop(self) -> M | None:
        """The next object, or None when the buffer is empty or the limit is met.

        An item the model cannot read is passed over before its ``InvalidItem`` is raised (or
        skipped, or collected, as ``on_invalid`` says): the position moves past it, so the next
        ``pop()`` and the token go on after it."""
        while self.buffer and self.remaining != 0:
            item = self.buffer[0]
            ends = self._ends
            position = ends[0][1] if ends and ends[0][0] == self._passed else _OWN
            info = self.readers.info_for(item)
            if info is None:  # another entity's item (the filter keeps those out: a guard)
                self._pass(position)
                continue
            projected = self._projected_of(info)
            try:
                obj = info.instance_from(item, projected)
            except InvalidItem as error:
                if self.state.on_invalid == "raise":
                    self.before_invalid = self.token  # a page may end before the item
                    self._pass(position)
                    error.token = self.token
                    raise
                self._pass(position)
                if self.state.on_invalid == "collect":
                    self.invalid.append(InvalidResult(error.key, error))
                continue
            loaded(info, obj, item, projected)
            report_object("loaded", obj, self.table)
            self._pass(position)
            self.count += 1
            if self.remaining is not None:
                self.remaining -= 1
            return obj
        return None

    def _pass(self, position: Position | _Own) -> None:
        """Done with the first buffered item: the position is after it."""
        self.position, self._last = position, self.buffer.popleft()
        if self._ends and self._ends[0][0] == self._passed:
            self._ends.popleft()
        self._passed += 1

    def _projected_of(self, info: ModelInfo[M]) -> frozenset[str] | None:
        """What the results of ``info`` carry: the query's model's, or a subclass's or another
        collection member's (cached)."""
        if info is self.state.info:
            return self.projected
        model = info.model
        if model not in self._projections:
            self._projections[model] = projected_fields(replace(self.state, info=info))
        return self._projections[model]

    def drain(self) -> Iterator[M]:
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
        if isinstance(position, _Own):
            position = self._key_of(self._last)
        return encode_token(query_identity(self.state, self.table), position or {})

    def _key_of(self, item: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        return {name: item[name] for name in self._token_fields}


def count(state: QueryState[Any], table: str) -> Plan[int]:
    """Sum ``Count`` over every page of a ``Select=COUNT`` request (``page_size`` applies; with
    a limit, counting stops once it is reached)."""
    check_runnable(state)
    check_resumed(state, table)
    # no ProjectionExpression: its names would be unused placeholders, which DynamoDB refuses
    params = request_params(replace(state, select=None), table)
    params["Select"] = "COUNT"
    total = 0
    start = state.start
    while True:
        request = dict(params)
        if start is not None:
            request["ExclusiveStartKey"] = start
        limit = state.page_size
        if state.limit is not None and "FilterExpression" not in params:
            limit = min(limit or state.limit - total, state.limit - total)
        if limit is not None:
            request["Limit"] = limit
        response: Response = yield Call("scan" if state.scan else "query", request)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey") or None
        if start is None or (state.limit is not None and total >= state.limit):
            break
    return min(total, state.limit) if state.limit is not None else total


def request_params(state: QueryState[Any], table: str) -> dict[str, Any]:
    r = Renderer()
    params: dict[str, Any] = {"TableName": table}
    if state.index is not None:
        params["IndexName"] = state.index.name
    if state.key is not None:
        params["KeyConditionExpression"] = r.condition(state.key)
    wanted = and_all([state.filter, readers((state.info, *state.members)).condition()])
    if wanted is not None:
        params["FilterExpression"] = r.condition(wanted)
    if state.select is not None:
        fields = {f.name: f for f in (*state.select, *key_fields(state), *state.info.keys)}
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


def projected_fields(state: QueryState[Any]) -> frozenset[str] | None:
    """The fields results carry; None when they are whole objects."""
    if state.select is not None:
        names = {f.name for f in (*state.select, *key_fields(state), *state.info.keys)}
    elif state.index is not None:
        if state.index.projection == "ALL":
            return None
        names = set(state.index.projected) & set(state.info.fields)
    else:
        return None
    return None if len(names) == len(state.info.fields) else frozenset(names)


def key_fields(state: QueryState[Any]) -> tuple[FieldSpec, ...]:
    """The key fields of what is queried: the index's, or the table's."""
    hash_keys, range_keys = key_sides(state)
    return (*hash_keys, *range_keys)


def key_sides(state: QueryState[Any]) -> tuple[tuple[FieldSpec, ...], tuple[FieldSpec, ...]]:
    """The hash and the range key attributes of what is queried (several of each: a
    multi-attribute index key)."""
    if state.index is not None:
        return state.index.hash_keys, state.index.range_keys
    keys = state.info.keys
    return keys[:1], keys[1:]


def resume_fields(state: QueryState[Any]) -> tuple[str, ...]:
    """The attributes of an ExclusiveStartKey: the index's keys and the table's, each once."""
    names = (f.dynamo_name for f in (*key_fields(state), *state.info.keys))
    return tuple(dict.fromkeys(names))


def token_attributes(state: QueryState[Any]) -> tuple[KeyAttribute, ...]:
    """The attributes of a position (see ``resume_fields``), with their types and limits."""
    hash_keys, range_keys = key_sides(state)
    specs = {f.dynamo_name: f for f in (*hash_keys, *range_keys, *state.info.keys)}
    ranges = {f.dynamo_name for f in (*range_keys, *state.info.keys[1:])}
    return tuple(
        key_attribute(name, specs[name].codec.dynamo_type, name in ranges)
        for name in resume_fields(state)
    )


def query_identity(state: QueryState[Any], table: str) -> bytes:
    """What a token's seal says of the query that made it: the table, index, models, key
    condition, filter, order and segment (not limits, projection or consistency)."""
    plain = replace(state, select=None, consistent=False, capacity=False)
    labels = [info.label for info in (state.info, *state.members)]
    return identity_of(labels, request_params(plain, table))


def check_resumed(state: QueryState[Any], table: str) -> None:
    """A resumed query runs only from a token this query made."""
    if state.seal is not None:
        identity = query_identity(state, table)
        check_seal(identity, Resumed(state.start, state.seal), target_label(state))


def target_label(state: QueryState[Any]) -> str:
    return f"{state.info.label}.{state.index.name}" if state.index else state.info.label


def check_runnable(state: QueryState[Any]) -> None:
    if state.consistent and state.index is not None and state.index.kind == "global":
        raise InvalidQuery(
            f"consistent(): {target_label(state)} is a global index, which DynamoDB reads only "
            "eventually consistently; drop consistent() or query the table"
        )
    if not state.scan and state.key is None:
        fields = key_fields(state)
        raise InvalidQuery(
            f"a query of {target_label(state)} needs a key condition: add "
            f".key({state.info.label}.{fields[0].name} == ...), or use scan()"
        )
    if state.start is not None and state.key is not None:
        # a token from another partition would make DynamoDB fail, or (moto) silently skip
        hash_keys = {f.name: f for f in key_sides(state)[0]}
        parts = state.key.parts if isinstance(state.key, And) else (state.key,)
        for part in parts:
            if isinstance(part, Comparison) and part.column.field in hash_keys:
                hash_key = hash_keys[part.column.field]
                resumed = state.start.get(hash_key.dynamo_name)
                if not isinstance(part.operand, Column) and not same(resumed, part.operand):
                    raise InvalidQuery(
                        f"resume(): the token is from a query of {hash_key.name} == "
                        f"{show_operand(resumed)}, not of {part.column.label} == "
                        f"{show_operand(part.operand)}"
                    )
