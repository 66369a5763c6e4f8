"""``LeanTransport``: an opt-in transport that carries the plans' calls to DynamoDB without a
boto3 client (``Engine(transport=LeanTransport(region="eu-west-1"))``).

It speaks DynamoDB's JSON protocol (``POST /``, ``X-Amz-Target: DynamoDB_20120810.<Op>``,
``application/x-amz-json-1.0``) over pooled keep-alive connections (`lean_http`), and reuses
botocore for everything that must be right rather than fast: its credential chain
(``Session.get_credentials``),
its SigV4 signer (``botocore.auth.SigV4Auth``), its standard-mode retry policy
(``botocore.retries.standard``: throttling and transient errors, exponential backoff with
jitter, the retry quota), its error parser and exception classes, its service model. What it
skips is botocore's per-request machinery: parameter validation and serialisation through the
shape model, the event system, endpoint rules, and the shape walk over every attribute value
of an answer (see `lean_wire`).

Answers are checked as the engine checks a boto3 client's (`answers.broken`): a 200 without a
request id, with a body that does not match its CRC32 or that is not a JSON object is retried
like a transient error and ends in ``TransportError``. A signature refused for clock skew
(``RequestTimeTooSkewed``, ``InvalidSignatureException`` ...) is signed again with the server's
clock (its ``Date`` header), once per call, and later requests keep that offset.

``events`` (optional): a botocore event emitter (e.g. ``client.meta.events``) on which the
transport emits botocore's request events (``before-parameter-build``, ``before-call``,
``before-send``, ``after-call``) with botocore's arguments, so that tools built on them (request
logs, fault injection) work unchanged. Without one, no event is emitted.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError, NoCredentialsError, NoRegionError
from botocore.httpsession import get_cert_path
from botocore.model import OperationModel
from botocore.retries import quota, standard
from botocore.session import Session, get_session

from .answers import broken
from .errors import TransportError
from .lean_http import Endpoint, HttpClient
from .lean_wire import Parsed, Service, client_error, decode, encode, metadata
from .plans import Call, Response

__all__ = ["LeanTransport"]

# error codes of a request signed at a time the server does not accept
_SKEW_CODES = frozenset(
    {"RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException", "SignatureDoesNotMatch"}
)
_SKEW_TOLERANCE = timedelta(minutes=4)  # SigV4 allows 5; a smaller offset is not the clock
_SERVICES = ("dynamodb", "dynamodbstreams")
_ENV = {
    "dynamodb": "AWS_ENDPOINT_URL_DYNAMODB",
    "dynamodbstreams": "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
}


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


class _Answer:
    """An HTTP answer as botocore's retry checkers and event handlers read one."""

    __slots__ = ("content", "headers", "status_code", "url")

    def __init__(self, url: str, status: int, headers: Mapping[str, str], content: bytes) -> None:
        self.url = url
        self.status_code = status
        self.headers = headers
        self.content = content


class _Signer(SigV4Auth):
    """botocore's SigV4 signer with the request time taken from a clock shifted by ``skew``
    (the server's clock minus ours, learnt from a skew error); the signing itself is
    botocore's."""

    def __init__(self, credentials: Any, service: str, region: str, skew: timedelta) -> None:
        super().__init__(credentials, service, region)
        self.skew = skew

    def add_auth(self, request: AWSRequest) -> None:
        auth: Any = botocore.auth  # its stubs lack the clock and the private steps below
        signer: Any = self
        now = auth.get_current_datetime() + self.skew  # botocore's clock, as it signs
        request.context["timestamp"] = now.strftime(SIGV4_TIMESTAMP)
        signer._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical)
        signer._inject_signature_to_request(request, self.signature(string_to_sign, request))


class LeanTransport:
    """DynamoDB over pooled HTTP with botocore's signer, credentials and retry policy; pass it
    to ``Engine(transport=...)`` or ``AsyncEngine(transport=...)``.

    ``region`` defaults to the session's (``AWS_DEFAULT_REGION``, the profile); ``endpoint_url``
    to DynamoDB's endpoint of that region (a local server: its URL, which also serves streams).
    ``session``: a botocore session for credentials and configuration (default: a new one).
    ``max_attempts`` counts the first attempt, as botocore's ``total_max_attempts`` (the
    default, 11, is what the engine's default boto3 client allows);
    ``max_pool_connections`` bounds the connections kept open per endpoint.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: Session | None = None,
        max_attempts: int = 11,
        max_pool_connections: int = 10,
        connect_timeout: float = 60.0,
        read_timeout: float = 60.0,
        events: Any = None,
        user_agent: str = "pydantic-bloop-lean",
    ) -> None:
        self._session = session if session is not None else get_session()
        region = region or self._session.get_config_variable("region")
        if not region:
            raise NoRegionError()
        self.region: str = region
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts
        self._events = events
        self._user_agent = user_agent
        self._http = HttpClient(
            max_idle=max_pool_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            ca_certs=get_cert_path(True),
        )
        self._endpoints: dict[str, Endpoint] = {}
        self._credentials: Any = None
        self._services: dict[str, Service] = {}
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()
        self._skew = timedelta(0)
        throttling = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
        self._quota = standard.RetryQuotaChecker(quota.RetryQuota(), throttling)
        self._retry = standard.RetryHandler(
            retry_policy=standard.RetryPolicy(
                retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
                retry_backoff=standard.ExponentialBackoff(throttling_detector=throttling),
            ),
            retry_event_adapter=standard.RetryEventAdapter(),
            retry_quota=cast(Any, self._quota),  # botocore's stubs name the wrong class
        )

    def __repr__(self) -> str:
        return f"<LeanTransport region={self.region!r} endpoint={self.url('dynamodb')!r}>"

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    # -- where and who -----------------------------------------------------------------------------

    def url(self, service: str) -> str:
        """The endpoint of ``service``: ``endpoint_url``, else botocore's environment variables
        (``AWS_ENDPOINT_URL_DYNAMODB`` / ``..._DYNAMODB_STREAMS``, then ``AWS_ENDPOINT_URL``),
        else the region's. A local endpoint serves both services; on AWS, streams have their
        own host."""
        configured = self.endpoint_url or _env(_ENV[service]) or _env("AWS_ENDPOINT_URL")
        if configured is None and service != "dynamodb":
            configured = _env(_ENV["dynamodb"])
        suffix = "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"
        if configured:
            host = urlsplit(configured).hostname or ""
            if service == "dynamodb" or not host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                return configured
        prefix = "dynamodb" if service == "dynamodb" else "streams.dynamodb"
        return f"https://{prefix}.{self.region}.{suffix}"

    def _service(self, name: str) -> Service:
        service = self._services.get(name)
        if service is None:
            if name not in _SERVICES:
                raise ValueError(f"no client for service {name!r}")
            with self._lock:
                service = self._services.get(name) or Service.load(self._session, name)
                self._services[name] = service
        return service

    def _frozen_credentials(self) -> Any:
        if self._credentials is None:
            with self._lock:
                if self._credentials is None:
                    self._credentials = self._session.get_credentials()
        if self._credentials is None:
            raise NoCredentialsError()
        return self._credentials.get_frozen_credentials()

    # -- one call ----------------------------------------------------------------------------------

    def execute(self, call: Call) -> Response:
        """Carry out ``call`` as a boto3 client's method would: its parsed answer, or the
        exception botocore's client would raise (after the same retries)."""
        service = self._service(call.service)
        operation = service.operation(call.operation)
        context: dict[str, Any] = {}
        params = call.params
        event = f"{service.event_id}.{operation.name}"
        if self._events is not None:
            self._events.emit(
                f"before-parameter-build.{event}", params=params, model=operation, context=context
            )
        url = self._urls.get(service.name) or self._urls.setdefault(
            service.name, self.url(service.name)
        )
        request = {
            "url_path": "/",
            "query_string": "",
            "method": "POST",
            "headers": {
                "X-Amz-Target": f"{service.target_prefix}.{operation.name}",
                "Content-Type": service.content_type,
                "User-Agent": self._user_agent,
            },
            "body": encode(params),
            "url": url,
            "context": context,
        }
        if self._events is not None:
            _, canned = self._events.emit_until_response(
                f"before-call.{event}",
                model=operation,
                params=request,
                request_signer=None,
                context=context,
            )
            if canned is not None:
                answer, parsed = canned
                return self._finish(service, operation, event, answer, parsed, context)
        answer, parsed = self._attempts(service, operation, event, request)
        return self._finish(service, operation, event, answer, parsed, context)

    def _finish(
        self,
        service: Service,
        operation: OperationModel,
        event: str,
        answer: Any,
        parsed: Parsed,
        context: dict[str, Any],
    ) -> Response:
        if self._events is not None:
            self._events.emit(
                f"after-call.{event}",
                http_response=answer,
                parsed=parsed,
                model=operation,
                context=context,
            )
        if answer.status_code >= 300:
            raise client_error(service, operation, parsed)
        return parsed

    def _attempts(
        self, service: Service, operation: OperationModel, event: str, request: dict[str, Any]
    ) -> tuple[_Answer, Parsed]:
        """Send ``request`` until an answer is final, as botocore's standard mode does."""
        attempt = 0
        skew_fixed = False
        while True:
            attempt += 1
            answer: _Answer | None = None
            parsed: Parsed | None = None
            caught: Exception | None = None
            try:
                answer = self._send(service, operation, event, request)
            except (HTTPClientError, BotoConnectionError) as exc:
                caught = exc
            if answer is not None:
                why = None
                if service.name == "dynamodb":  # DynamoDB Streams sends no CRC32
                    why = broken(answer.status_code, answer.headers, answer.content)
                if why is None:
                    try:
                        parsed = decode(
                            operation, answer.status_code, answer.headers, answer.content
                        )
                    except ValueError:
                        why = "its body is not JSON"
                if why is not None:
                    if attempt < self.max_attempts:
                        time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))
                        continue
                    raise TransportError(
                        f"{operation.name}: the answer is not DynamoDB's ({why}), "
                        "and no retry got a better one"
                    )
                assert parsed is not None
                parsed["ResponseMetadata"] = metadata(
                    answer.status_code, answer.headers, attempt - 1
                )
                if answer.status_code < 300:
                    self._quota.release_retry_quota(request["context"], answer)
                    return answer, parsed
                if not skew_fixed and self._learn_skew(parsed, answer):
                    skew_fixed = True  # signed again with the server's clock, at once
                    continue
            delay = self._retry.needs_retry(
                response=None if answer is None else (answer, parsed),
                attempts=attempt,
                caught_exception=caught,
                request_dict=request,
                operation=operation,
            )
            if delay is None:
                if caught is not None:
                    raise caught
                assert answer is not None and parsed is not None
                return answer, parsed
            time.sleep(delay)

    def _learn_skew(self, parsed: Parsed, answer: _Answer) -> bool:
        """Whether the error is a signature refused for our clock (and the offset was learnt)."""
        if parsed.get("Error", {}).get("Code") not in _SKEW_CODES:
            return False
        date = answer.headers.get("Date") or answer.headers.get("date")
        if not date:
            return False
        try:
            server = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return False
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
        skew = server - datetime.now(UTC)
        if abs(skew - self._skew) < _SKEW_TOLERANCE:
            return False  # not our clock: a real signature error
        self._skew = skew
        return True

    def _send(
        self, service: Service, operation: OperationModel, event: str, request: dict[str, Any]
    ) -> _Answer:
        """One attempt: sign, then send (or take the answer of a ``before-send`` handler)."""
        url: str = request["url"]
        signed = AWSRequest(
            method="POST", url=url, data=request["body"], headers=request["headers"]
        )
        signed.context = request["context"]
        signer = _Signer(self._frozen_credentials(), service.signing_name, self.region, self._skew)
        signer.add_auth(signed)
        body: bytes = request["body"]
        sent: Iterable[tuple[str, str]] = signed.headers.items()
        if self._events is not None:  # handlers see (and may change) botocore's prepared request
            prepared: AWSPreparedRequest = signed.prepare()
            _, canned = self._events.emit_until_response(f"before-send.{event}", request=prepared)
            if canned is not None:
                return _Answer(url, canned.status_code, canned.headers, canned.content)
            body = cast("bytes", prepared.body)  # the request's own body: bytes
            sent = prepared.headers.items()
        endpoint = self._endpoints.get(url)
        if endpoint is None:
            endpoint = self._endpoints.setdefault(url, Endpoint(url))
        status, headers, content = self._http.post(endpoint, sent, body)
        return _Answer(url, status, headers, content)
