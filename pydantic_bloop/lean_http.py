"""The lean transport's HTTP/1.1 client: keep-alive connections, one ``POST`` at a time each
(internal module; see `lean_transport`).

DynamoDB's JSON protocol needs very little of HTTP: ``POST /`` with a few headers and a body,
answered with a status, headers and a body of known length. The general clients (urllib3 over
``http.client``, which parses every answer's headers with the ``email`` package) spend several
times the CPU of that exchange per request, which is what a request of one item costs. This
client sends each request in one ``sendall`` and reads the answer with the buffered reader of
the socket (``readline`` / ``read`` run in C); it keeps idle connections per endpoint for the
next request, and drops one the server has closed. TLS is the standard library's, verified
against botocore's certificate bundle, with the endpoint's name (SNI).

Failures raise botocore's exceptions, as its own HTTP layer does, so that the standard retry
mode treats them alike: ``EndpointConnectionError`` / ``ConnectTimeoutError`` (connecting),
``SSLError``, ``ReadTimeoutError``, and ``ConnectionClosedError`` for a connection dropped before
the whole answer came; a malformed answer is ``HTTPClientError``.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import BinaryIO
from urllib.parse import urlsplit

from botocore.awsrequest import HeadersDict
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)

__all__ = ["Endpoint", "HttpClient"]

_MAX_LINE = 65536  # a status or header line longer than this is not an answer we read
_MAX_HEADERS = 200


class _Connection:
    __slots__ = ("reader", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader: BinaryIO = sock.makefile("rb")

    def dropped(self) -> bool:
        """Whether the server closed this idle connection (it is readable: EOF or junk)."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


class Endpoint:
    """Where requests of one URL go: scheme, host, port, and the Host header to send."""

    __slots__ = ("host", "host_header", "port", "tls", "url")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {url!r}")
        self.url = url
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        default = 443 if self.tls else 80
        self.port = parts.port or default
        shown = f"[{self.host}]" if ":" in self.host else self.host  # IPv6
        # what botocore's signer signs as ``host`` (the port only when not the default)
        self.host_header = shown if self.port == default else f"{shown}:{self.port}"


class HttpClient:
    """Pooled keep-alive HTTP/1.1 connections per endpoint (at most ``max_idle`` idle ones
    each), sending ``POST`` requests."""

    def __init__(
        self, *, max_idle: int, connect_timeout: float, read_timeout: float, ca_certs: str | None
    ) -> None:
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._ca_certs = ca_certs
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, int, bool], list[_Connection]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def post(
        self, endpoint: Endpoint, headers: Iterable[tuple[str, str]], body: bytes
    ) -> tuple[int, HeadersDict, bytes]:
        """``POST /`` ``body`` with ``headers`` (Host and Content-Length are added): the status,
        headers and body of the answer."""
        lines = [f"POST / HTTP/1.1\r\nHost: {endpoint.host_header}\r\n"]
        for name, value in headers:
            if name.lower() not in ("host", "content-length"):
                lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        message = "".join(lines).encode("latin-1") + body
        connection = self._checkout(endpoint)
        try:
            status, answer_headers, content, reusable = self._exchange(
                endpoint, connection, message
            )
        except BaseException:
            connection.close()
            raise
        if reusable:
            self._checkin(endpoint, connection)
        else:
            connection.close()
        return status, answer_headers, content

    # -- connections -------------------------------------------------------------------------

    def _key(self, endpoint: Endpoint) -> tuple[str, int, bool]:
        return endpoint.host, endpoint.port, endpoint.tls

    def _checkout(self, endpoint: Endpoint) -> _Connection:
        key = self._key(endpoint)
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                return self._connect(endpoint)
            if not connection.dropped():
                return connection
            connection.close()

    def _checkin(self, endpoint: Endpoint, connection: _Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(self._key(endpoint), [])
            if len(idle) < self.max_idle:
                idle.append(connection)
                return
        connection.close()

    def _connect(self, endpoint: Endpoint) -> _Connection:
        url = endpoint.url
        try:
            sock = socket.create_connection(
                (endpoint.host, endpoint.port), timeout=self.connect_timeout
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except OSError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if endpoint.tls:
                sock = self._context().wrap_socket(sock, server_hostname=endpoint.host)
            sock.settimeout(self.read_timeout)
        except ssl.SSLError as exc:
            sock.close()
            raise SSLError(endpoint_url=url, error=exc) from exc
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except OSError as exc:
            sock.close()
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        return _Connection(sock)

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=self._ca_certs)
        return self._tls

    # -- one exchange ------------------------------------------------------------------------

    def _exchange(
        self, endpoint: Endpoint, connection: _Connection, message: bytes
    ) -> tuple[int, HeadersDict, bytes, bool]:
        url = endpoint.url
        try:
            connection.sock.sendall(message)
            status, headers, keep = _read_head(connection.reader)
            content = _read_body(connection.reader, headers)
        except TimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except ssl.SSLError as exc:
            raise SSLError(endpoint_url=url, error=exc) from exc
        except _Malformed as exc:
            raise HTTPClientError(error=exc) from exc
        except (OSError, _Cut) as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc) from exc
        length_known = "content-length" in headers or "transfer-encoding" in headers
        return status, headers, content, keep and length_known


class _Cut(Exception):
    """The connection ended before the whole answer came."""


class _Malformed(Exception):
    """The answer is not HTTP/1.x."""


def _line(reader: BinaryIO) -> bytes:
    line = reader.readline(_MAX_LINE + 1)
    if not line:
        raise _Cut("the server closed the connection")
    if len(line) > _MAX_LINE:
        raise _Malformed("a line of the answer is too long")
    if not line.endswith(b"\n"):
        raise _Cut("the server closed the connection inside a line")
    return line


def _read_head(reader: BinaryIO) -> tuple[int, HeadersDict, bool]:
    """The status, headers and whether the connection stays open, of the next final answer."""
    while True:
        status_line = _line(reader)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise _Malformed(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        status = int(parts[1])
        headers = HeadersDict()
        for _ in range(_MAX_HEADERS + 1):
            line = _line(reader)
            if line in (b"\r\n", b"\n"):
                break
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise _Malformed(f"not a header line: {line[:80]!r}")
            headers[name.strip()] = value.strip()
        else:
            raise _Malformed("too many header lines")
        if 100 <= status < 200:  # an interim answer (100 Continue ...): the final one follows
            continue
        keep = parts[0] != b"HTTP/1.0" and headers.get("connection", "").lower() != "close"
        return status, headers, keep


def _read_body(reader: BinaryIO, headers: HeadersDict) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(reader)
    length = headers.get("content-length")
    if length is None:  # the body runs to the end of the connection
        return reader.read()
    if not length.strip().isdigit():
        raise _Malformed(f"Content-Length is {length!r}")
    size = int(length)
    content = reader.read(size)
    if len(content) != size:
        raise _Cut(f"the body ended after {len(content)} of {size} bytes")
    return content


def _read_chunked(reader: BinaryIO) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = _line(reader).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise _Malformed(f"not a chunk size: {size_line[:20]!r}") from None
        if size == 0:
            while _line(reader) not in (b"\r\n", b"\n"):  # trailers
                pass
            return b"".join(chunks)
        chunk = reader.read(size)
        if len(chunk) != size:
            raise _Cut("the body ended inside a chunk")
        chunks.append(chunk)
        _line(reader)  # the chunk's CRLF
