"""The lean transport's HTTP client (pydantic_bloop/lean_http.py) against a scripted server:
the request it writes, answers of known length, chunked and interim answers, keep-alive reuse,
connections the server closes, and every failure as the botocore exception botocore's own HTTP
layer raises (so that the standard retry mode treats it alike)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

from pydantic_bloop.lean_http import Endpoint, HttpClient

Answer = Callable[[socket.socket, bytes], bool]  # sends the answer; False: close the connection


def reply(raw: bytes, *, close: bool = False) -> Answer:
    def answer(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(raw)
        return not close

    return answer


def sound(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


class Server:
    """Accepts connections and answers each request with the next scripted answer."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.answers: list[Answer] = []
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed = threading.Semaphore(0)  # released when the server closes a connection
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._answer(conn)
        finally:
            conn.close()
            self.closed.release()

    def _answer(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    return
                head += line
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            request = head + reader.read(length)
            self.requests.append(request)
            if not self.answers or not self.answers.pop(0)(conn, request):
                return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    client = HttpClient(max_idle=2, connect_timeout=5, read_timeout=5, ca_certs=None)
    yield client
    client.close()


def post(http: HttpClient, server: Server, body: bytes = b'{"a": 1}') -> tuple[int, Any, bytes]:
    headers = [("X-Amz-Target", "T.Op"), ("Host", "ignored")]
    return http.post(Endpoint(server.url), headers, body)


def test_a_request_is_one_post_and_its_answer_is_read_whole(
    http: HttpClient, server: Server
) -> None:
    server.answers = [reply(sound(b'{"Item": {}}', "X-Amzn-RequestId: r1"))]
    status, headers, body = post(http, server, b'{"\xc3\xa9": 1}')
    assert (status, body) == (200, b'{"Item": {}}')
    assert headers["x-amzn-requestid"] == "r1"  # headers are read case-insensitively
    assert server.requests == [
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Amz-Target: T.Op\r\n"
        b'Content-Length: 9\r\n\r\n{"\xc3\xa9": 1}' % server.port
    ]


def test_connections_are_kept_alive_and_reused(http: HttpClient, server: Server) -> None:
    server.answers = [reply(sound(b"{}")) for _ in range(3)]
    for _ in range(3):
        assert post(http, server)[2] == b"{}"
    assert server.connections == 1


def test_a_connection_the_server_closes_is_not_reused(http: HttpClient, server: Server) -> None:
    server.answers = [reply(sound(b"{}"), close=True), reply(sound(b"{}"))]
    assert post(http, server)[2] == b"{}"
    assert server.closed.acquire(timeout=5)  # the server closed it; the client has not looked
    assert post(http, server)[2] == b"{}"
    assert server.connections == 2
    server.answers = [reply(sound(b"{}", "Connection: close")), reply(sound(b"{}"))]
    post(http, server)
    post(http, server)
    assert server.connections == 3  # "Connection: close": the next request opens another


def test_chunked_and_interim_answers(http: HttpClient, server: Server) -> None:
    chunked = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;ext=1\r\n{"a":\r\n4\r\n 12}\r\n0\r\nTrailer: x\r\n\r\n'
    )
    server.answers = [reply(chunked), reply(sound(b"[]"))]
    assert post(http, server)[2] == b'{"a": 12}'
    assert post(http, server)[2] == b"[]"  # the connection was left at the next answer
    assert server.connections == 1


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}", ConnectionClosedError),
        (b"HTTP/1.1 200 OK\r\nContent-Le", ConnectionClosedError),
        (b"", ConnectionClosedError),
        (b"SMTP ready\r\n\r\n", HTTPClientError),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", HTTPClientError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HTTPClientError),
    ],
    ids=["body-cut-short", "headers-cut-short", "nothing", "not-http", "bad-header", "bad-chunk"],
)
def test_a_broken_answer_is_botocores_error(
    http: HttpClient, server: Server, raw: bytes, error: type[Exception]
) -> None:
    server.answers = [reply(raw, close=True), reply(sound(b"{}"))]
    with pytest.raises(error):
        post(http, server)
    assert post(http, server)[2] == b"{}"  # the broken connection was not kept


def test_no_server_and_no_answer_are_botocores_errors(server: Server) -> None:
    http = HttpClient(max_idle=2, connect_timeout=5, read_timeout=0.2, ca_certs=None)
    server.answers = [lambda conn, request: threading.Event().wait(2) or True]
    with pytest.raises(ReadTimeoutError):
        post(http, server)
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))  # a port with no server: bound, never listening
    with pytest.raises(EndpointConnectionError):
        http.post(Endpoint(f"http://127.0.0.1:{unused.getsockname()[1]}"), [], b"{}")
    unused.close()
    http.close()


def test_the_host_header_is_what_botocore_signs() -> None:
    import botocore.auth

    signer: Any = botocore.auth  # its stubs lack the private helper

    for url in (
        "http://localhost:8000",
        "http://LocalHost:80/",
        "https://dynamodb.eu-west-1.amazonaws.com",
        "https://dynamodb.eu-west-1.amazonaws.com:443",
        "https://h.example:8443",
        "http://[::1]:8000",
    ):
        assert Endpoint(url).host_header == signer._host_from_url(url)
    with pytest.raises(ValueError, match="not an http"):
        Endpoint("ftp://x")
