"""A fault-injecting HTTP proxy on 127.0.0.1, between a DynamoDB client and the test server.

    with FaultProxy(endpoint_url, RandomFaults(rate=0.1, seed=7)) as proxy:
        client = boto3.client("dynamodb", endpoint_url=proxy.url, ...)
        ...
        proxy.injected        # Counter of the faults injected, by name

Every request is read whole, then the policy picks a :class:`Fault` (or None: forward it
untouched). The server is reached with a fresh connection per request and every answer says
``Connection: close``, so a fault never leaks into the next request.

Faults (``Fault.*``):

* before the server sees the request: ``RESET`` (TCP reset), ``DROP`` (closed with no answer),
  ``STALL`` (no answer until past the client's read timeout, then closed), ``ERROR_500``,
  ``ERROR_503``, ``THROTTLE`` (DynamoDB's 400 ThrottlingException), ``GARBAGE`` (a 200 whose
  body is not DynamoDB's), ``EMPTY`` (a 200 with an empty body and no DynamoDB headers);
* after the server applied it (the answer is lost or broken): ``RESET_AFTER``, ``DROP_AFTER``,
  ``TRUNCATE`` (the answer cut short), ``CUT_HEADERS`` (a 200 whose headers stop early),
  ``GARBAGE_AFTER`` (a 200 with a body that is not JSON);
* ``DELAY``: forwarded after a short pause (well under any timeout).

Policies are deterministic: :class:`RandomFaults` draws from a seeded generator, one draw per
request in arrival order, and stops after ``limit`` faults; :class:`Script` injects a given
sequence. ``operations`` limits either to some DynamoDB operations (``"Query"``, ...).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from enum import Enum
from types import TracebackType
from typing import Protocol, Self
from urllib.parse import urlsplit


class Fault(Enum):
    RESET = "reset"
    DROP = "drop"
    STALL = "stall"
    ERROR_500 = "500"
    ERROR_503 = "503"
    THROTTLE = "throttle"
    GARBAGE = "garbage"
    EMPTY = "empty"
    RESET_AFTER = "reset after"
    DROP_AFTER = "drop after"
    TRUNCATE = "truncate"
    CUT_HEADERS = "cut headers"
    GARBAGE_AFTER = "garbage after"
    DELAY = "delay"

    @property
    def applied(self) -> bool:
        """Does the server see (and apply) the request?"""
        return self in _FORWARDED


_FORWARDED = frozenset(
    {
        Fault.RESET_AFTER,
        Fault.DROP_AFTER,
        Fault.TRUNCATE,
        Fault.CUT_HEADERS,
        Fault.GARBAGE_AFTER,
        Fault.DELAY,
    }
)

ALL_FAULTS: tuple[Fault, ...] = tuple(Fault)
"""Every fault. Most tests leave out ``STALL``, which costs a read timeout each time."""

QUICK_FAULTS: tuple[Fault, ...] = tuple(f for f in Fault if f is not Fault.STALL)


class Policy(Protocol):
    def choose(self, operation: str) -> Fault | None:
        """The fault for the next request (of DynamoDB ``operation``), or None."""
        ...


class RandomFaults:
    """Each request gets a fault with probability ``rate``, drawn from ``faults``; at most
    ``limit`` faults in all (None: no limit). Seeded: the same requests get the same faults."""

    def __init__(
        self,
        rate: float,
        seed: int,
        faults: Sequence[Fault] = QUICK_FAULTS,
        *,
        limit: int | None = None,
        operations: Iterable[str] | None = None,
    ) -> None:
        self._rate = rate
        self._random = random.Random(seed)
        self._faults = tuple(faults)
        self._left = limit
        self._operations = None if operations is None else frozenset(operations)

    def choose(self, operation: str) -> Fault | None:
        if self._operations is not None and operation not in self._operations:
            return None
        draw = self._random.random()
        fault = self._random.choice(self._faults)
        if draw >= self._rate or self._left == 0:
            return None
        if self._left is not None:
            self._left -= 1
        return fault


class Script:
    """The next requests (of ``operations``, if given) get ``faults`` in order (None: pass
    one through untouched); then every request passes."""

    def __init__(
        self, faults: Sequence[Fault | None], *, operations: Iterable[str] | None = None
    ) -> None:
        self._faults = list(faults)
        self._operations = None if operations is None else frozenset(operations)

    def choose(self, operation: str) -> Fault | None:
        if self._operations is not None and operation not in self._operations:
            return None
        return self._faults.pop(0) if self._faults else None


class _Passthrough:
    def choose(self, operation: str) -> Fault | None:
        return None


class FaultProxy:
    """The proxy (see the module docstring). ``url`` is its endpoint; ``policy`` may be replaced
    at any time; ``injected`` counts the faults injected and ``requests`` every request."""

    def __init__(
        self,
        target: str,
        policy: Policy | None = None,
        *,
        stall_seconds: float = 2.0,
        delay_seconds: float = 0.05,
    ) -> None:
        parts = urlsplit(target)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.policy: Policy = policy or _Passthrough()
        self.stall_seconds = stall_seconds
        self.delay_seconds = delay_seconds
        self.injected: Counter[Fault] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        # Closing a listening socket does not wake a thread blocked in accept() on Linux: a
        # connection of our own does (the loop then sees _closing and returns).
        with contextlib.suppress(OSError):
            socket.create_connection(self._listener.getsockname(), timeout=1).close()
        self._thread.join(timeout=5)
        self._listener.close()

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    # -- serving -------------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._closing.is_set():
                conn.close()
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            if request is None:
                return
            operation = request.operation
            with self._lock:
                self.requests += 1
                fault = self.policy.choose(operation)
                if fault is not None:
                    self.injected[fault] += 1
            self._answer(conn, request, fault)
        except OSError:
            pass
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, request: _Request, fault: Fault | None) -> None:
        if fault is None or fault is Fault.DELAY:
            if fault is Fault.DELAY:
                self._closing.wait(self.delay_seconds)
            conn.sendall(self._forward(request))
        elif fault.applied:
            answer = self._forward(request)
            _broken_answer(conn, fault, answer)
        elif fault is Fault.STALL:
            self._closing.wait(self.stall_seconds)
        else:
            _refusal(conn, fault)

    def _forward(self, request: _Request) -> bytes:
        server = http.client.HTTPConnection(*self._target, timeout=60)
        try:
            server.request(request.method, request.path, body=request.body, headers=request.headers)
            answer = server.getresponse()
            body = answer.read()
            head = [f"HTTP/1.1 {answer.status} {answer.reason}"]
            for name, value in answer.getheaders():
                if name.lower() not in ("connection", "content-length", "transfer-encoding"):
                    head.append(f"{name}: {value}")
            head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
            return "\r\n".join(head).encode("latin-1") + body
        finally:
            server.close()


# ------------------------------------------------------------------------------------------
# HTTP pieces


class _Request:
    __slots__ = ("body", "headers", "method", "operation", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        self.operation = target.rpartition(".")[2]


def _read_request(conn: socket.socket) -> _Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    headers = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive")}
    return _Request(method, path, headers, body)


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset rather than a clean FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _refusal(conn: socket.socket, fault: Fault) -> None:
    """Answer (or not) without forwarding: the server never sees the request."""
    if fault is Fault.RESET:
        _reset(conn)
    elif fault is Fault.DROP:
        pass  # closed by the caller, no answer
    elif fault in (Fault.ERROR_500, Fault.ERROR_503):
        status = 500 if fault is Fault.ERROR_500 else 503
        kind = "InternalServerError" if status == 500 else "ServiceUnavailable"
        conn.sendall(_json_answer(status, kind, f"injected {status}"))
    elif fault is Fault.THROTTLE:
        conn.sendall(_json_answer(400, "ThrottlingException", "injected throttling"))
    elif fault is Fault.GARBAGE:
        conn.sendall(_raw_answer(200, b"<html>not DynamoDB</html>", "text/html"))
    elif fault is Fault.EMPTY:
        conn.sendall(_raw_answer(200, b"", "application/x-amz-json-1.0"))


def _broken_answer(conn: socket.socket, fault: Fault, answer: bytes) -> None:
    """The server applied the request; its answer is lost or broken on the way back."""
    if fault is Fault.RESET_AFTER:
        _reset(conn)
    elif fault is Fault.DROP_AFTER:
        pass
    elif fault is Fault.TRUNCATE:
        head, _, body = answer.partition(b"\r\n\r\n")
        conn.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
    elif fault is Fault.CUT_HEADERS:
        conn.sendall(answer.split(b"\r\n")[0] + b"\r\nContent-Type: application/x-amz-json")
    elif fault is Fault.GARBAGE_AFTER:
        conn.sendall(_raw_answer(200, b"\x00\xffnot json", "application/x-amz-json-1.0"))


def _json_answer(status: int, kind: str, message: str) -> bytes:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message})
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}
    head = (
        f"HTTP/1.1 {status} {reason[status]}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"x-amzn-RequestId: injected-{time.monotonic_ns()}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body.encode()


def _raw_answer(status: int, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body
