"""Reading a table's changes over the DynamoDB Streams API, as plans.

A :class:`Cursor` is where one reader is in a stream: every shard it knows, what it has handed
to the caller of each (the *position*, which can be saved as a token and resumed elsewhere) and
what it has fetched beyond that (a buffer). :func:`poll` is the plan that fills the buffer:
ListStreams and DescribeStream to learn the shards, GetShardIterator and GetRecords (of every
readable shard at once) to read them, parents before children (a shard is read once its parent
has been read to its end), closed shards to their end, new shards as they appear, and waits
with backoff while the stream is idle. The engines' readers (:mod:`pydantic_bloop.readers`)
only run it and hand out changes.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from .plans import Backoff, Call, Parallel, Plan, Response, Sleep, error_code
from .streams import Change, Matcher, RecordError, StreamError, parse_record

if TYPE_CHECKING:
    from .models import Base

M = TypeVar("M", bound="Base")

Start = Literal["trim_horizon", "latest"] | datetime | str
OnError = Literal["raise", "collect"]

STREAMS = "dynamodbstreams"
MAX_RECORDS = 1000  # GetRecords' limit
IDLE_DESCRIBE = 8  # idle polls between two DescribeStream calls (new shards appear rarely)
_TOKEN_VERSION = 1


def streams_call(operation: str, params: dict[str, Any]) -> Call:
    """A call of the DynamoDB Streams API."""
    return Call(operation, params, service=STREAMS)


@dataclass(slots=True)
class _Shard:
    id: str
    parent: str | None
    consumed: str | None = None  # the last sequence number handed out (the position)
    fetched: str | None = None  # the last sequence number read from DynamoDB
    iterator: str | None = None
    ended: bool = False  # read to the end of a closed shard (may still be in the buffer)
    closed: bool = False  # DynamoDB gave it an ending sequence number
    latest: bool = False  # open when a reader started at "latest": read from its latest record
    pending: int = 0  # records of it in the buffer


@dataclass(slots=True)
class _Entry:
    """One record read, waiting to be handed out: a change, an error, or None for a record
    skipped (older than a start time) that still moves the position."""

    shard: str
    sequence_number: str
    item: Change[Any] | RecordError | None


@dataclass(slots=True)
class Cursor:
    """Where a reader is in a table's stream (see the module docstring)."""

    table: str
    start: Literal["trim_horizon", "latest"]
    since: datetime | None = None  # skip records older than this
    stream_arn: str | None = None
    shards: dict[str, _Shard] = field(default_factory=dict[str, _Shard])
    done: set[str] = field(default_factory=set[str])  # read to their end and handed out
    buffer: deque[_Entry] = field(default_factory=deque[_Entry])
    described: bool = False  # the shards known are up to date
    started: bool = False  # described once: shards found later are new, read from their start
    idle_polls: int = 0

    # -- the position ----------------------------------------------------------------------------

    def position(self) -> str:
        """A token of what has been handed out, to resume from in any process."""
        shards = {
            s.id: s.consumed or ("latest" if s.latest else "")
            for s in self.shards.values()
            if s.id not in self.done
        }
        state = {
            "v": _TOKEN_VERSION,
            "table": self.table,
            "stream": self.stream_arn,
            "start": self.start,
            "since": self.since.isoformat() if self.since else None,
            "shards": shards,
            "done": sorted(self.done),
        }
        text = json.dumps(state, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(text.encode()).decode()

    @classmethod
    def resume(cls, token: str, table: str) -> Cursor:
        """The cursor a :meth:`position` token describes; ``StreamError`` if it is not one, or
        of another table."""
        try:
            state: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.encode()))
            if state["v"] != _TOKEN_VERSION:
                raise ValueError(f"version {state['v']}")
            since = datetime.fromisoformat(state["since"]) if state["since"] else None
            cursor = cls(state["table"], state["start"], since, state["stream"])
            for sid, seq in state["shards"].items():
                shard = cursor.shards[sid] = _Shard(sid, None, latest=seq == "latest")
                if seq not in ("", "latest"):
                    shard.consumed = shard.fetched = str(seq)
            cursor.done = set(state["done"])
            cursor.started = True
        except (binascii.Error, ValueError, KeyError, TypeError) as exc:
            raise StreamError(f"not a stream position token ({exc})") from None
        if cursor.table != table:
            raise StreamError(
                f"the position is in the stream of table {cursor.table!r}, not {table!r}"
            )
        return cursor

    # -- handing out ---------------------------------------------------------------------------

    def take(self) -> Change[Any] | RecordError | None:
        """The next change (or failed record) read, moving the position past it; None when the
        buffer is empty. Skipped records move the position silently."""
        while self.buffer:
            entry = self.buffer.popleft()
            shard = self.shards[entry.shard]
            shard.consumed = entry.sequence_number
            shard.pending -= 1
            self.settle(shard)
            if entry.item is not None:
                return entry.item
        return None

    def settle(self, shard: _Shard) -> None:
        """A shard read to its end and handed out entirely is done: its children may start."""
        if shard.ended and not shard.pending:
            self.done.add(shard.id)

    def readable(self) -> list[_Shard]:
        """The shards to read now: not ended, and whose parent (if still known) has ended."""
        found: list[_Shard] = []
        for shard in self.shards.values():
            if shard.ended or shard.id in self.done:
                continue
            parent = self.shards.get(shard.parent) if shard.parent else None
            if parent is not None and not parent.ended and parent.id not in self.done:
                continue
            found.append(shard)
        return found


def start_cursor(table: str, start: Start) -> Cursor:
    """A cursor at ``start``: ``"trim_horizon"`` (the oldest record kept, 24 hours back),
    ``"latest"`` (records written from the first poll on), an aware datetime (records from then
    on), or a position token."""
    if isinstance(start, datetime):
        if start.tzinfo is None:
            raise ValueError(f"start={start!r} is a naive datetime: give it a timezone")
        return Cursor(table, "trim_horizon", since=start)
    if start == "trim_horizon":
        return Cursor(table, "trim_horizon")
    if start == "latest":
        return Cursor(table, "latest")
    return Cursor.resume(start, table)


# -- the plan ------------------------------------------------------------------------------------


def poll(
    cursor: Cursor, matcher: Matcher[Any], want: int, timeout: float | None, backoff: Backoff
) -> Plan[float]:
    """Read until the buffer holds a change (at most ``want`` records are fetched per call) or
    the stream stayed idle for ``timeout`` seconds of waiting (None: no limit). Returns the
    seconds waited."""
    waited = 0.0
    while True:
        if cursor.stream_arn is None:
            cursor.stream_arn = yield from _stream_arn(cursor.table)
        if not cursor.described or (cursor.idle_polls and cursor.idle_polls % IDLE_DESCRIBE == 0):
            yield from _describe(cursor)
        readable = cursor.readable()
        if readable:
            yield from _read_shards(cursor, readable, matcher, max(1, min(want, MAX_RECORDS)))
        if cursor.buffer:
            cursor.idle_polls = 0
            return waited
        if not cursor.described:
            continue  # a shard ended: look for its children at once
        if timeout is not None and waited >= timeout:
            return waited
        delay = backoff.delay(min(cursor.idle_polls, 8))
        if timeout is not None:
            delay = min(delay, timeout - waited)
        cursor.idle_polls += 1
        yield Sleep(delay)
        waited += delay


def _stream_arn(table: str) -> Plan[str]:
    """The table's newest stream (ListStreams: the streams API alone suffices to read)."""
    params: dict[str, Any] = {"TableName": table}
    streams: list[dict[str, Any]] = []
    while True:
        response: Response = yield streams_call("list_streams", params)
        streams.extend(response.get("Streams") or [])
        last = response.get("LastEvaluatedStreamArn")
        if not last:
            break
        params = {**params, "ExclusiveStartStreamArn": last}
    if not streams:
        raise StreamError(
            f"table {table!r} has no stream: declare one in the model "
            "(BloopConfig(stream='new_and_old_images')) and bind it"
        )
    newest = max(streams, key=lambda s: str(s.get("StreamLabel", "")))
    return str(newest["StreamArn"])


def _describe(cursor: Cursor) -> Plan[None]:
    """Learn the stream's shards (every page of them); new ones start where the rules say."""
    assert cursor.stream_arn is not None
    params: dict[str, Any] = {"StreamArn": cursor.stream_arn}
    seen: list[dict[str, Any]] = []
    while True:
        response: Response = yield streams_call("describe_stream", params)
        description: dict[str, Any] = response["StreamDescription"]
        seen.extend(description.get("Shards") or [])
        last = description.get("LastEvaluatedShardId")
        if not last:
            break
        params = {**params, "ExclusiveStartShardId": last}
    _learn(cursor, seen, first=not cursor.started)
    cursor.described = cursor.started = True


def _learn(cursor: Cursor, shards: Iterable[dict[str, Any]], first: bool) -> None:
    listed: set[str] = set()
    for info in shards:
        sid = str(info["ShardId"])
        listed.add(sid)
        closed = "EndingSequenceNumber" in (info.get("SequenceNumberRange") or {})
        shard = cursor.shards.get(sid)
        if shard is None:
            if sid in cursor.done:
                continue
            shard = cursor.shards[sid] = _Shard(sid, info.get("ParentShardId"))
            if first and cursor.start == "latest":
                if closed:  # closed before the reader started: nothing in it is "latest"
                    shard.ended = True
                    cursor.done.add(sid)
                else:
                    shard.latest = True
        elif shard.parent is None:
            shard.parent = info.get("ParentShardId")  # a shard known from a position token
        shard.closed = closed
    for shard in cursor.shards.values():
        if shard.id not in listed and not shard.ended:
            # trimmed from the stream (older than 24 hours): nothing left to read in it
            shard.ended = True
            cursor.settle(shard)


def _read_shards(
    cursor: Cursor, shards: list[_Shard], matcher: Matcher[Any], limit: int
) -> Plan[None]:
    """GetRecords of every shard at once (as many as the engine runs concurrently); their
    records go to the buffer in the order of ``shards``."""
    for shard in shards:
        if shard.iterator is None:
            shard.iterator = yield from _iterator(cursor, shard)
    outcomes: list[Response | BaseException] = yield Parallel(
        tuple(_get_records(shard, limit) for shard in shards)
    )
    for shard, outcome in zip(shards, outcomes, strict=True):
        if not isinstance(outcome, BaseException):
            _take(cursor, shard, matcher, outcome)
        elif error_code(outcome) == "ExpiredIteratorException":
            # iterators last 15 minutes: once more from where the shard was
            shard.iterator = yield from _iterator(cursor, shard)
            response: Response = yield _get_records(shard, limit)
            _take(cursor, shard, matcher, response)
        elif error_code(outcome) == "TrimmedDataAccessException":
            # the records after the position are gone (older than 24 hours): go on from the
            # oldest one kept
            shard.iterator = shard.fetched = None
            shard.latest = False
        else:
            raise outcome


def _get_records(shard: _Shard, limit: int) -> Call:
    return streams_call("get_records", {"ShardIterator": shard.iterator, "Limit": limit})


def _take(cursor: Cursor, shard: _Shard, matcher: Matcher[Any], response: Response) -> None:
    """A GetRecords response of ``shard`` into the buffer."""
    records: list[dict[str, Any]] = response.get("Records") or []
    for record in records:
        sequence_number = str(record["dynamodb"]["SequenceNumber"])
        item: Change[Any] | RecordError | None = parse_record(
            record, matcher, table=cursor.table, base64_binary=False
        )
        if (
            cursor.since is not None
            and isinstance(item, Change)
            and item.time is not None
            and item.time < cursor.since
        ):
            item = None
        cursor.buffer.append(_Entry(shard.id, sequence_number, item))
        shard.fetched = sequence_number
        shard.pending += 1
    shard.iterator = response.get("NextShardIterator")
    if shard.iterator is None:  # the end of a closed shard: its children come next
        shard.ended = True
        cursor.described = False
        cursor.settle(shard)  # done now if everything read of it was handed out already


def _iterator(cursor: Cursor, shard: _Shard) -> Plan[str]:
    params: dict[str, Any] = {"StreamArn": cursor.stream_arn, "ShardId": shard.id}
    if shard.fetched is not None:
        params |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.fetched}
    elif shard.latest:
        params["ShardIteratorType"] = "LATEST"
    else:
        params["ShardIteratorType"] = "TRIM_HORIZON"
    response: Response = yield streams_call("get_shard_iterator", params)
    return str(response["ShardIterator"])


# -- what the engines' readers share --------------------------------------------------------------


@dataclass(slots=True)
class Budget:
    """A caller's bounds: changes still to hand out, and seconds of waiting allowed while no
    new record comes (None: no bound). ``drain``: once a change was handed out, wait no more
    (return what is readable at once)."""

    changes: int | None
    timeout: float | None
    drain: bool = False
    waited: float = 0.0  # since the last change handed out

    def handed_out(self) -> None:
        if self.changes is not None:
            self.changes -= 1
        self.waited = 0.0
        if self.drain:
            self.timeout = 0.0

    @property
    def seconds(self) -> float | None:
        return None if self.timeout is None else max(0.0, self.timeout - self.waited)


@dataclass(slots=True)
class Reading(Generic[M]):
    """One reader's state: its cursor, how records become changes (as objects of ``M``, by
    ``matcher``), what to do with failures."""

    cursor: Cursor
    matcher: Matcher[M]
    backoff: Backoff
    on_error: OnError
    errors: list[RecordError] = field(default_factory=list[RecordError])

    def next(self, budget: Budget) -> Plan[Change[M] | None]:
        """The next change, polling (within ``budget``) when none is read yet; None when the
        budget is spent. A failed record is raised (``on_error="raise"``; the position is then
        past it) or collected in ``errors``."""
        cursor = self.cursor
        while budget.changes is None or budget.changes > 0:
            item = cursor.take()
            if item is None:
                want = MAX_RECORDS if budget.changes is None else budget.changes
                budget.waited += yield from poll(
                    cursor, self.matcher, want, budget.seconds, self.backoff
                )
                if not cursor.buffer:
                    return None  # idle for the whole time allowed
                continue
            if isinstance(item, RecordError):
                if self.on_error == "raise":
                    raise item
                self.errors.append(item)
                continue
            budget.handed_out()
            return item
        return None
