"""Fault injection through botocore's event hooks: requests still cross HTTP to the real server.

* :class:`Unprocessed` makes the server see only part of BatchWriteItem / BatchGetItem requests
  and reports the rest as ``UnprocessedItems`` / ``UnprocessedKeys``, as DynamoDB does when it
  runs short of capacity.
* :class:`Throttled` answers the first attempts of an operation with DynamoDB's throttling error
  before they leave the client, so that botocore's own retry handler deals with them.
* :class:`Conflicted` cancels the first attempts of a transaction as DynamoDB does when another
  transaction holds its items (``TransactionConflict``), before they leave the client.
* :class:`LostResponse` delivers the first attempts of an operation to the server, which applies
  them, and then loses the server's answer (the connection closes), so that botocore retries a
  request that already took effect.
* :class:`CutShort` answers with the server's body cut in half, under headers that match it.

Both are context managers that register their handlers on the client and remove them on exit.
"""

from __future__ import annotations

import copy
import http.client
import json
import threading
import urllib.parse
import zlib
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Literal, Self

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ConnectionClosedError
from mypy_boto3_dynamodb import DynamoDBClient

BatchOperation = Literal["BatchWriteItem", "BatchGetItem"]
Withhold = Callable[[str, dict[str, Any]], bool]
"""``withhold(table, entry)``: keep this entry from the server this time? An entry is a
``{"PutRequest": ...}`` / ``{"DeleteRequest": ...}`` dict, or a key for BatchGetItem."""

_CONTEXT_KEY = "tests.faults.withheld"


class Unprocessed:
    """The server sees only the entries ``withhold`` lets through; the others come back as
    unprocessed in the parsed response.

    Withheld entries are cut from the serialized request body in ``before-call`` (so the
    request log, recorded earlier, shows what the engine asked for); ``after-call`` adds them to
    ``UnprocessedItems`` / ``UnprocessedKeys``. When every entry is withheld the request is not
    sent: the response says that nothing was processed.
    """

    def __init__(
        self, client: DynamoDBClient, operation: BatchOperation, withhold: Withhold
    ) -> None:
        self.client = client
        self.operation: BatchOperation = operation
        self.withhold = withhold
        self.asked: list[int] = []  # entries the engine asked for, per request
        self.withheld: list[int] = []  # entries kept from the server, per request
        self._lock = threading.Lock()

    # -- installation ----------------------------------------------------------------------------

    def _events(self) -> list[tuple[str, Callable[..., Any]]]:
        return [
            (f"before-parameter-build.dynamodb.{self.operation}", self._choose),
            (f"before-call.dynamodb.{self.operation}", self._cut),
            (f"after-call.dynamodb.{self.operation}", self._report),
        ]

    def __enter__(self) -> Self:
        for event, handler in self._events():
            self.client.meta.events.register(event, handler)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for event, handler in self._events():
            self.client.meta.events.unregister(event, handler)

    # -- the handlers ----------------------------------------------------------------------------

    def _entries(self, request_items: dict[str, Any], table: str) -> list[Any]:
        entries: list[Any] = (
            request_items[table]
            if self.operation == "BatchWriteItem"
            else request_items[table]["Keys"]
        )
        return entries

    def _choose(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """Decide which entries the server will not see (params are not changed here)."""
        items: dict[str, Any] = params["RequestItems"]
        chosen: dict[str, list[int]] = {}
        asked = 0
        for table in items:
            entries = self._entries(items, table)
            asked += len(entries)
            chosen[table] = [i for i, e in enumerate(entries) if self.withhold(table, e)]
        withheld = {
            table: [copy.deepcopy(self._entries(items, table)[i]) for i in indexes]
            for table, indexes in chosen.items()
            if indexes
        }
        with self._lock:
            self.asked.append(asked)
            self.withheld.append(sum(len(v) for v in withheld.values()))
        if withheld:
            # BatchGetItem reports a table's other options (ConsistentRead...) with its keys
            extra: dict[str, dict[str, Any]] = {}
            if self._is_get:
                extra = {t: {k: v for k, v in items[t].items() if k != "Keys"} for t in withheld}
            context[_CONTEXT_KEY] = (chosen, withheld, extra)

    @property
    def _is_get(self) -> bool:
        return self.operation == "BatchGetItem"

    def _cut(
        self, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        """Remove the withheld entries from the serialized body before it is sent."""
        if _CONTEXT_KEY not in context:
            return None
        chosen: dict[str, list[int]] = context[_CONTEXT_KEY][0]
        body = json.loads(params["body"])
        items: dict[str, Any] = body["RequestItems"]
        for table, indexes in chosen.items():
            entries = self._entries(items, table)
            cut = set(indexes)
            entries[:] = [e for i, e in enumerate(entries) if i not in cut]
            if not entries:
                del items[table]
        if not items:  # nothing left for the server: it processed nothing
            return _response(params["url"], 200, {}), {"ResponseMetadata": {}}
        params["body"] = json.dumps(body).encode()
        return None

    def _report(
        self, http_response: AWSResponse, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        """Report the withheld entries as unprocessed, as DynamoDB would."""
        if _CONTEXT_KEY not in context or http_response.status_code != 200:
            return
        _, withheld, extra = context[_CONTEXT_KEY]
        field = "UnprocessedKeys" if self._is_get else "UnprocessedItems"
        unprocessed: dict[str, Any] = parsed.setdefault(field, {})
        for table, entries in withheld.items():
            if self._is_get:
                unprocessed.setdefault(table, {**extra[table], "Keys": []})["Keys"] += entries
            else:
                unprocessed.setdefault(table, []).extend(entries)


class _BeforeSend:
    """A fault made in ``before-send`` on the first ``times`` attempts of ``operation``: after
    botocore prepared (and signed) the request, before its HTTP session would send it, so the
    retry handler, the parser and the error classes all see what a real server would cause.
    ``attempts`` counts every attempt and ``bodies`` keeps the JSON body of each, faulted or
    not, so a test can compare what the retries sent."""

    def __init__(self, client: DynamoDBClient, operation: str, times: int) -> None:
        self.client = client
        self.event = f"before-send.dynamodb.{operation}"
        self.times = times
        self.attempts = 0
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self.client.meta.events.register(self.event, self._handler)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.meta.events.unregister(self.event, self._handler)

    @property
    def _handler(self) -> Callable[..., Any]:
        return self._send  # a handler may return a response (botocore's stubs say None)

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        body: Any = request.body
        data = body.encode() if isinstance(body, str) else bytes(body or b"")
        sent: dict[str, Any] = json.loads(data or b"{}")
        with self._lock:
            self.attempts += 1
            self.bodies.append(sent)
            if self.attempts > self.times:
                return None  # botocore sends this attempt itself
        return self._fault(request, data, sent)

    def _fault(
        self, request: AWSPreparedRequest, data: bytes, sent: dict[str, Any]
    ) -> AWSResponse | None:
        raise NotImplementedError


class Throttled(_BeforeSend):
    """The first ``times`` attempts of ``operation`` get DynamoDB's throttling error (HTTP 400,
    ``ProvisionedThroughputExceededException``) instead of reaching the server."""

    CODE = "ProvisionedThroughputExceededException"

    def _fault(
        self, request: AWSPreparedRequest, data: bytes, sent: dict[str, Any]
    ) -> AWSResponse | None:
        body = {
            "__type": f"com.amazonaws.dynamodb.v20120810#{self.CODE}",
            "message": "The level of configured provisioned throughput for the table was "
            "exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        }
        return _response(request.url, 400, _JSON, json.dumps(body).encode())


class Conflicted(_BeforeSend):
    """The first ``times`` attempts of ``operation`` (TransactWriteItems / TransactGetItems) are
    canceled with ``TransactionConflict`` on their first item, ``None`` on the others, without
    reaching the server, as DynamoDB does when another transaction holds an item."""

    def _fault(
        self, request: AWSPreparedRequest, data: bytes, sent: dict[str, Any]
    ) -> AWSResponse | None:
        count = len(sent.get("TransactItems", []))
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing"}]
        reasons += [{"Code": "None"}] * (count - 1)
        body = {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific "
            "reasons [TransactionConflict]",
            "CancellationReasons": reasons,
        }
        return _response(request.url, 400, _JSON, json.dumps(body).encode())


class LostResponse(_BeforeSend):
    """The first ``times`` attempts of ``operation`` reach the server, which applies them; their
    responses are then lost: the client sees the connection close, as when a network fails
    after DynamoDB did the work, and botocore's retry handler sends the request again.

    The prepared request (signed, its body final) is sent to the server here over a fresh HTTP
    connection, the answer is kept in ``lost`` (status, body) and ``ConnectionClosedError`` is
    raised in its place.
    """

    def __init__(self, client: DynamoDBClient, operation: str, times: int = 1) -> None:
        super().__init__(client, operation, times)
        self.lost: list[tuple[int, dict[str, Any]]] = []

    def _fault(
        self, request: AWSPreparedRequest, data: bytes, sent: dict[str, Any]
    ) -> AWSResponse | None:
        status, answer = _deliver(request.url, dict(request.headers.items()), data)
        with self._lock:
            self.lost.append((status, json.loads(answer or b"{}")))
        raise ConnectionClosedError(endpoint_url=request.url)


class CutShort(_BeforeSend):
    """The first ``times`` attempts of ``operation`` reach the server, whose answer comes back
    cut in half with a request id and a CRC32 that match the cut body (as from a faulty proxy
    that recomputes them): only the JSON itself tells that it is not whole."""

    def _fault(
        self, request: AWSPreparedRequest, data: bytes, sent: dict[str, Any]
    ) -> AWSResponse | None:
        status, answer = _deliver(request.url, dict(request.headers.items()), data)
        cut = answer[: len(answer) // 2]
        headers = {**_JSON, "x-amzn-RequestId": "cut-short", "x-amz-crc32": str(zlib.crc32(cut))}
        return _response(request.url, status, headers, cut)


_JSON = {"Content-Type": "application/x-amz-json-1.0"}


def _deliver(url: str, headers: dict[str, Any], body: bytes) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` with ``headers`` (already signed) and return the answer."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        plain = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in headers.items()}
        connection.request("POST", parts.path or "/", body=body, headers=plain)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class UnknownOperation:
    """Every attempt of ``operation`` gets the answer of an endpoint that lacks it (HTTP 400,
    ``UnknownOperationException``, as dynalite answers UpdateTimeToLive), without reaching the
    server."""

    def __init__(self, client: DynamoDBClient, operation: str) -> None:
        self.client = client
        self.event = f"before-send.dynamodb.{operation}"
        self.attempts = 0

    def __enter__(self) -> Self:
        self.client.meta.events.register(self.event, self._handler)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.meta.events.unregister(self.event, self._handler)

    @property
    def _handler(self) -> Callable[..., Any]:
        return self._send

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.attempts += 1
        body = {"__type": "com.amazon.coral.service#UnknownOperationException"}
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return _response(request.url, 400, headers, json.dumps(body).encode())


class _Raw:
    """The little of urllib3's response that ``AWSResponse.content`` reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._data


def _response(url: str, status: int, headers: dict[str, str], body: bytes = b"{}") -> AWSResponse:
    http_headers = HTTPHeaders()
    for name, value in headers.items():
        http_headers[name] = value
    return AWSResponse(url, status, http_headers, _Raw(body))
