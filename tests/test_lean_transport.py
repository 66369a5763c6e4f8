"""LeanTransport: answers as boto3 returns them, requests as botocore signs them, botocore's
standard retries, checked answers (request id, CRC32, JSON), clock skew, endpoints.

The whole engine suite also runs on the transport: ``BLOOP_TEST_TRANSPORT=lean`` (see
tests/engines.py); these tests check the transport itself against the same server.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Annotated, Any, cast

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, NoRegionError
from botocore.hooks import HierarchicalEmitter
from botocore.session import get_session
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    Call,
    Engine,
    HashKey,
    LeanTransport,
    RangeKey,
    TransportError,
    lean_transport,
    lean_wire,
)
from tests.proxy import Fault, FaultProxy, Script
from tests.test_types import EVERYTHING, Everything
from tests.test_types import _item_of as item_of  # pyright: ignore[reportPrivateUsage]
from tests.test_types import _object_from as object_from  # pyright: ignore[reportPrivateUsage]


class Blob(Base):
    owner: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    data: bytes = b""
    tags: set[str] = {"t"}
    score: float = 0.5


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._data


def canned(status: int, body: bytes, **headers: str) -> AWSResponse:
    http_headers = HTTPHeaders()
    for name, value in headers.items():
        http_headers[name.replace("_", "-")] = value
    return AWSResponse("http://canned", status, http_headers, _Raw(body))


def handler(answer: Callable[..., AWSResponse]) -> Callable[..., None]:
    """An event handler that answers (botocore's stubs say handlers return None)."""
    return cast("Callable[..., None]", answer)


def sound(body: bytes) -> AWSResponse:
    """A 200 answer as DynamoDB gives it: request id and CRC32 of the body."""
    return canned(200, body, x_amzn_RequestId="canned", x_amz_crc32=str(zlib.crc32(body)))


@pytest.fixture(autouse=True)
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The transport's backoff delays, recorded instead of slept."""
    asked: list[float] = []
    monkeypatch.setattr(lean_transport, "time", SimpleNamespace(sleep=asked.append))
    return asked


def lean_to(url: str, events: HierarchicalEmitter | None = None, **options: Any) -> LeanTransport:
    """A transport to ``url`` with test credentials, 3 attempts and these events."""
    session = get_session()
    session.set_credentials("testing", "testing", "token")
    options.setdefault("max_attempts", 3)
    return LeanTransport(
        region="us-east-1", endpoint_url=url, session=session, events=events, **options
    )


@pytest.fixture
def lean(client_kwargs: dict[str, Any]) -> Iterator[LeanTransport]:
    transport = lean_to(client_kwargs["endpoint_url"])
    yield transport
    transport.close()


@pytest.fixture
def stored(client: DynamoDBClient, table_prefix: str) -> str:
    """A table of `Blob` items (binary, sets, numbers) written through boto3; its name."""
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Blob)
    engine.save(*(Blob(owner="o", n=i, data=bytes([i, 0, 255])) for i in range(3)))
    engine.save(*(Blob(owner="p", n=i, tags={"a", "b"}) for i in range(3)))
    return engine.table_name(Blob)


def without_metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}


def test_answers_are_what_boto3_returns(
    lean: LeanTransport, client: DynamoDBClient, stored: str
) -> None:
    key = {"owner": {"S": "o"}, "n": {"N": "1"}}
    calls = [
        Call("get_item", {"TableName": stored, "Key": key}),
        Call("get_item", {"TableName": stored, "Key": {"owner": {"S": "p"}, "n": {"N": "1"}}}),
        Call("get_item", {"TableName": stored, "Key": {"owner": {"S": "x"}, "n": {"N": "1"}}}),
        Call(
            "query",
            {
                "TableName": stored,
                "KeyConditionExpression": "#o = :o",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":o": {"S": "p"}},
                "Limit": 2,
            },
        ),
        Call("scan", {"TableName": stored, "ReturnConsumedCapacity": "TOTAL"}),
        Call("batch_get_item", {"RequestItems": {stored: {"Keys": [key]}}}),
        Call("describe_table", {"TableName": stored}),  # timestamps: botocore's datetimes
    ]
    for call in calls:
        expected = getattr(client, call.operation)(**call.params)
        got = lean.execute(call)
        assert without_metadata(got) == without_metadata(dict(expected)), call.operation
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert got["ResponseMetadata"]["RequestId"]
        assert got["ResponseMetadata"]["RetryAttempts"] == 0


def test_binary_values_are_sent_and_returned_as_bytes(
    lean: LeanTransport, client: DynamoDBClient, stored: str
) -> None:
    item = {
        "owner": {"S": "bin"},
        "n": {"N": "0"},
        "b": {"B": b"\x00\xff\x10"},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "l": {"L": [{"B": b"\x03"}, {"M": {"inner": {"B": b""}}}]},
    }
    lean.execute(Call("put_item", {"TableName": stored, "Item": item}))
    key = {"owner": {"S": "bin"}, "n": {"N": "0"}}
    got = lean.execute(Call("get_item", {"TableName": stored, "Key": key}))
    assert got["Item"] == client.get_item(TableName=stored, Key=key).get("Item")
    assert got["Item"]["b"] == {"B": b"\x00\xff\x10"}


def test_errors_are_botocores_client_errors(
    lean: LeanTransport, client: DynamoDBClient, stored: str
) -> None:
    params: dict[str, Any] = {
        "TableName": stored,
        "Item": {"owner": {"S": "o"}, "n": {"N": "1"}},
        "ConditionExpression": "attribute_not_exists(#o)",
        "ExpressionAttributeNames": {"#o": "owner"},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    with pytest.raises(ClientError) as raised:
        lean.execute(Call("put_item", params))
    with pytest.raises(ClientError) as expected:
        client.put_item(**params)
    # botocore makes the classes per client: the same name, a subclass of ClientError
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert type(raised.value).__name__ == "ConditionalCheckFailedException"
    got: dict[str, Any] = dict(raised.value.response)
    assert without_metadata(got) == without_metadata(dict(expected.value.response))
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 400
    if "Item" in got:  # the stored item (dynalite returns none), its binary values as bytes
        assert got["Item"]["data"] == {"B": bytes([1, 0, 255])}


def signed_at(request: AWSPreparedRequest) -> datetime:
    return datetime.strptime(request.headers["X-Amz-Date"] + "+0000", "%Y%m%dT%H%M%SZ%z")


def test_a_request_is_signed_as_botocore_signs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request sent is the one botocore's own SigV4 signer signs, header for header."""
    sent: list[AWSPreparedRequest] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        sent.append(request)
        return sound(b"{}")

    events = HierarchicalEmitter()
    events.register("before-send.dynamodb.GetItem", handler(capture))
    session = get_session()
    session.set_credentials("AKIDEXAMPLE", "secret", "token")
    transport = LeanTransport(region="eu-west-1", session=session, events=events)
    params = {"TableName": "t", "Key": {"k": {"B": b"\x00\x01"}}, "ConsistentRead": True}
    transport.execute(Call("get_item", params))

    (request,) = sent
    assert request.url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert request.headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert request.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert request.headers["X-Amz-Security-Token"] == "token"
    body = request.body if isinstance(request.body, bytes) else b""
    assert json.loads(body) == {
        "TableName": "t",
        "Key": {"k": {"B": "AAE="}},
        "ConsistentRead": True,
    }
    # botocore's signer, at the time the request was signed, signs exactly these headers (as in
    # botocore, Content-Length is added after signing, when the request is prepared)
    after = ("Authorization", "Content-Length")
    unsigned = {k: v for k, v in request.headers.items() if k not in after}
    again = AWSRequest(method="POST", url=request.url, data=body, headers=unsigned)
    stamp = signed_at(request).replace(tzinfo=None)  # botocore's clock is naive UTC

    def clock(**_: object) -> datetime:
        return stamp

    monkeypatch.setattr(botocore.auth, "get_current_datetime", clock)
    signer = SigV4Auth(Credentials("AKIDEXAMPLE", "secret", "token"), "dynamodb", "eu-west-1")
    signer.add_auth(again)
    assert again.headers["Authorization"] == request.headers["Authorization"]


def test_throttling_is_retried_with_backoff(
    lean: LeanTransport, client_kwargs: dict[str, Any], stored: str, delays: list[float]
) -> None:
    with FaultProxy(client_kwargs["endpoint_url"]) as proxy:
        lean = lean_to(proxy.url)
        proxy.policy = Script([Fault.THROTTLE, Fault.ERROR_503], operations=["GetItem"])
        key = {"owner": {"S": "o"}, "n": {"N": "1"}}
        got = lean.execute(Call("get_item", {"TableName": stored, "Key": key}))
    assert got["Item"]["n"] == {"N": "1"}
    assert got["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(delays) == 2
    assert all(0 <= d <= 20 for d in delays)  # botocore's standard backoff, capped at 20 s


def test_retries_stop_at_max_attempts(
    lean: LeanTransport, client_kwargs: dict[str, Any], stored: str
) -> None:
    with FaultProxy(client_kwargs["endpoint_url"]) as proxy:
        lean = lean_to(proxy.url)
        proxy.policy = Script([Fault.ERROR_500] * 3, operations=["GetItem"])
        key = {"owner": {"S": "o"}, "n": {"N": "1"}}
        with pytest.raises(ClientError) as raised:
            lean.execute(Call("get_item", {"TableName": stored, "Key": key}))
        assert proxy.requests == 3
    response: dict[str, Any] = dict(raised.value.response)
    metadata: dict[str, Any] = response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 500
    assert metadata["RetryAttempts"] == 2
    assert metadata.get("MaxAttemptsReached") is True


def test_a_lost_connection_past_the_retries_is_a_transport_error(
    client_kwargs: dict[str, Any], table_prefix: str, client: DynamoDBClient
) -> None:
    with FaultProxy(client_kwargs["endpoint_url"]) as proxy:
        transport = lean_to(proxy.url, max_attempts=2)
        engine = Engine(
            client=client, transport=transport, table_name_template=table_prefix + "{table_name}"
        )
        engine.bind(Blob)
        proxy.policy = Script([Fault.RESET, Fault.TRUNCATE], operations=["GetItem"])
        with pytest.raises(TransportError):
            engine.get(Blob, owner="o", n=1)
        transport.close()


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.EMPTY, Fault.GARBAGE_AFTER])
def test_an_answer_that_is_not_dynamodbs_is_retried_then_refused(
    lean: LeanTransport, client_kwargs: dict[str, Any], stored: str, fault: Fault
) -> None:
    key = {"owner": {"S": "o"}, "n": {"N": "1"}}
    call = Call("get_item", {"TableName": stored, "Key": key})
    with FaultProxy(client_kwargs["endpoint_url"]) as proxy:
        lean = lean_to(proxy.url)
        proxy.policy = Script([fault], operations=["GetItem"])
        assert lean.execute(call)["Item"]["n"] == {"N": "1"}  # the retry got a sound answer
        proxy.policy = Script([fault] * 3, operations=["GetItem"])
        with pytest.raises(TransportError, match="not DynamoDB's"):
            lean.execute(call)


def test_a_body_that_does_not_match_its_crc32_is_refused() -> None:
    good = b'{"Item": {"k": {"S": "x"}}}'
    bad = b'{"Item": {"k": {"S": "y"}}}'  # changed on the way; its CRC32 is the good body's
    answers: list[AWSResponse] = []
    events = HierarchicalEmitter()

    def answer(**_: object) -> AWSResponse:
        return answers.pop(0)

    events.register("before-send.dynamodb.GetItem", handler(answer))
    transport = lean_to("http://canned", events)
    call = Call("get_item", {"TableName": "t", "Key": {"k": {"S": "x"}}})

    answers += [canned_as(bad, good), canned_as(bad, good), sound(good)]
    got = transport.execute(call)
    assert got["Item"] == {"k": {"S": "x"}}
    assert got["ResponseMetadata"]["RetryAttempts"] == 2

    transport.max_attempts = 2
    answers += [canned_as(bad, good), canned_as(bad, good)]
    with pytest.raises(TransportError, match="x-amz-crc32"):
        transport.execute(call)
    assert answers == []


def canned_as(body: bytes, crc_of: bytes) -> AWSResponse:
    return canned(200, body, x_amzn_RequestId="r", x_amz_crc32=str(zlib.crc32(crc_of)))


def test_a_signature_refused_for_clock_skew_is_signed_again_with_the_servers_clock() -> None:
    ahead = datetime.now(UTC) + timedelta(hours=1)
    stamps: list[datetime] = []

    def server(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        stamps.append(signed_at(request))
        if abs(stamps[-1] - ahead) > timedelta(minutes=5):
            body = b'{"__type": "com.amazon.coral.service#InvalidSignatureException"}'
            return canned(400, body, Date=format_datetime(ahead, usegmt=True))
        return sound(b"{}")

    events = HierarchicalEmitter()
    events.register("before-send.dynamodb.GetItem", handler(server))
    transport = lean_to("http://canned", events)
    call = Call("get_item", {"TableName": "t", "Key": {"k": {"S": "x"}}})
    assert transport.execute(call)["ResponseMetadata"]["RetryAttempts"] == 1
    transport.execute(call)  # later requests keep the offset: signed right the first time
    assert len(stamps) == 3
    assert abs(stamps[1] - ahead) < timedelta(minutes=5)
    assert abs(stamps[2] - ahead) < timedelta(minutes=5)

    # a signature error that is not the clock's is the caller's, at once
    events.register_first("before-send.dynamodb.GetItem", handler(canned_signature_error))
    with pytest.raises(ClientError, match="InvalidSignatureException"):
        transport.execute(call)


def canned_signature_error(**_: object) -> AWSResponse:
    body = b'{"__type": "com.amazon.coral.service#InvalidSignatureException"}'
    return canned(400, body, Date=format_datetime(datetime.now(UTC), usegmt=True))


def test_endpoints_by_region_or_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    aws = LeanTransport(region="eu-west-1")
    assert aws.url("dynamodb") == "https://dynamodb.eu-west-1.amazonaws.com"
    assert aws.url("dynamodbstreams") == "https://streams.dynamodb.eu-west-1.amazonaws.com"
    china = LeanTransport(region="cn-north-1")
    assert china.url("dynamodb") == "https://dynamodb.cn-north-1.amazonaws.com.cn"
    local = LeanTransport(region="eu-west-1", endpoint_url="http://localhost:8000")
    assert local.url("dynamodbstreams") == "http://localhost:8000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    assert LeanTransport(region="eu-west-1").url("dynamodb") == "http://127.0.0.1:9"


def test_a_region_is_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(NoRegionError):
        LeanTransport()


def test_every_type_round_trips_bit_exact(
    lean: LeanTransport, client: DynamoDBClient, stored: str
) -> None:
    """The item of a model holding every registered type, written and read through the
    transport, is the item boto3 reads, and loads back the same object."""
    item = {"owner": {"S": "all"}, "n": {"N": "0"}, **item_of(EVERYTHING)}
    lean.execute(Call("put_item", {"TableName": stored, "Item": item}))
    key = {"owner": {"S": "all"}, "n": {"N": "0"}}
    params = {"TableName": stored, "Key": key, "ConsistentRead": True}
    got = lean.execute(Call("get_item", params))["Item"]
    assert got == client.get_item(TableName=stored, Key=key, ConsistentRead=True).get("Item")
    assert object_from(Everything, {k: v for k, v in got.items() if k in item}) == EVERYTHING


BODIES: list[dict[str, Any]] = [
    {"Item": {"t": {"S": 'é☃𝄞 " \\ \n'}, "n": {"N": "-1.5e3"}, "ok": {"BOOL": True}}},
    {"Item": {"b": {"B": b"\xfb\xff\xfe"}, "bs": {"BS": [b"\xfb\xef", b""]}}},  # + and /
    {"Item": {"m": {"M": {"B": {"S": "a map key named B"}}}}},
    {"Item": {"ss": {"SS": {"x"}}, "ns": {"NS": frozenset({"1"})}}, "Limit": 10**20},
    {"Item": {"l": {"L": [{"NULL": True}, {"L": []}, {"M": {}}]}}, "Names": ("a", "b")},
]


@pytest.mark.parametrize("params", BODIES)
def test_a_request_body_is_the_json_of_its_parameters(params: dict[str, Any]) -> None:
    """Whichever serializer writes it, a body decodes to the parameters with binary values as
    standard base64 (what botocore sends) and sets as lists."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in cast("dict[str, Any]", value).items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [plain(v) for v in cast("Iterable[Any]", value)]
        return value

    assert json.loads(lean_wire.encode(params)) == plain(params)


def test_a_request_body_with_a_lone_surrogate_is_what_json_dumps_makes() -> None:
    params = {"Key": {"k": {"S": "\ud800"}}}
    assert lean_wire.encode(params) == json.dumps(params, separators=(",", ":")).encode()
