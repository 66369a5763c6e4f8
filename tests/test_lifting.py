"""The engine lifts item payloads out of its own answers before botocore parses them
(pydantic_bloop/lifting.py): what it gets is exactly botocore's parse, other users of a shared
client are never affected, every stored type round-trips, and a body that is not whole JSON is
an error, never an empty page."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, cast

import pydantic
import pytest
from botocore.parsers import create_parser
from botocore.session import get_session
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import AsyncEngine, Base, Engine, HashKey, RangeKey, TransportError, col
from pydantic_bloop.lifting import LIFTED, lift
from tests.engines import LoopThread, MakeEngine
from tests.faults import CutShort
from tests.test_types import EVERYTHING, Everything

SERVICE = get_session().get_service_model("dynamodb")
BINARY_FIELDS = ("raw", "bs", "anything")  # every field whose stored form holds a B or BS


def _wire(value: object) -> bytes:
    """The JSON DynamoDB sends: binary values as base64 text."""
    return json.dumps(value, default=lambda b: base64.b64encode(b).decode()).encode()


def _everything_item(binary: bool) -> dict[str, Any]:
    from tests.test_types import _item_of  # pyright: ignore[reportPrivateUsage]

    item: dict[str, Any] = {"pk": {"S": "k"}, **_item_of(EVERYTHING)}
    return item if binary else {k: v for k, v in item.items() if k not in BINARY_FIELDS}


def _answers(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One answer per lifted operation, each carrying ``item`` (or its key) wherever DynamoDB
    puts items, beside what botocore still parses (counts, capacity)."""
    key = {"pk": item["pk"]}
    capacity = {"TableName": "t", "CapacityUnits": 0.5}
    listed = {"Items": [item, key], "Count": 2, "ScannedCount": 3, "LastEvaluatedKey": key}
    written = {"Attributes": item, "ConsumedCapacity": capacity}
    return {
        "Query": {**listed, "ConsumedCapacity": capacity},
        "Scan": listed,
        "GetItem": {"Item": item},
        "BatchGetItem": {
            "Responses": {"t": [item, item]},
            "UnprocessedKeys": {"t": {"Keys": [key], "ProjectionExpression": "#s, pk"}},
            "ConsumedCapacity": [capacity],
        },
        "BatchWriteItem": {
            "UnprocessedItems": {
                "t": [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": key}}]
            }
        },
        "TransactGetItems": {"Responses": [{"Item": item}, {}]},
        "PutItem": written,
        "UpdateItem": written,
        "DeleteItem": written,
    }


def _parse(operation: str, body: bytes, customized: dict[str, Any] | None = None) -> Any:
    response = {"status_code": 200, "headers": {"x-amzn-requestid": "r"}, "body": body}
    shape = SERVICE.operation_model(operation).output_shape
    assert shape is not None
    parsed: dict[str, Any] = create_parser("json").parse(response, shape)
    parsed.update(customized or {})
    return parsed


@pytest.mark.parametrize("binary", [False, True], ids=["lifted", "binary-left-to-botocore"])
@pytest.mark.parametrize("operation", sorted(LIFTED))
def test_a_lifted_answer_is_exactly_botocores_parse(operation: str, binary: bool) -> None:
    body = _wire(_answers(_everything_item(binary))[operation])
    response: dict[str, Any] = {"status_code": 200, "body": body}
    customized: dict[str, Any] = {}
    assert lift(operation, response, customized) is None
    assert _parse(operation, response["body"], customized) == _parse(operation, body)
    assert bool(customized) is not binary  # a body with binary values is botocore's whole
    assert (response["body"] == body) is binary


def test_a_body_that_is_not_json_is_refused() -> None:
    for body in (b'{"Items": [{"pk": {"S": "a"}}', b"\xff\xfe", b"[1]"):
        assert lift("Query", {"status_code": 200, "body": body}, {}) is not None
    untouched = {"status_code": 200, "body": b'{"Table": {}}'}
    assert lift("DescribeTable", untouched, {}) is None
    assert untouched["body"] == b'{"Table": {}}'


# ------------------------------------------------------------------------------------------
# Through a real server


class Doc(Base):
    part: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    text: str = ""
    blob: bytes | None = None
    tags: set[str] = set()


def _docs() -> list[Doc]:
    plain = [Doc(part="plain", n=i, text=f"t{i}", tags={"a", str(i)}) for i in range(40)]
    binary = [Doc(part="bin", n=i, blob=bytes([i, 0, 255])) for i in range(40)]
    return plain + binary


def _plain_calls(table: str) -> list[tuple[str, dict[str, Any]]]:
    """What plain boto3 code of the same client asks: reads whose answers carry items, with
    and without binary values."""

    def query(part: str) -> dict[str, Any]:
        return {
            "TableName": table,
            "KeyConditionExpression": "part = :p",
            "ExpressionAttributeValues": {":p": {"S": part}},
            "ConsistentRead": True,
            "Limit": 15,
        }

    keys = [{"part": {"S": p}, "n": {"N": str(n)}} for p in ("plain", "bin") for n in (1, 2)]
    return [
        ("query", query("plain")),
        ("query", query("bin")),
        ("get_item", {"TableName": table, "Key": keys[0], "ConsistentRead": True}),
        ("get_item", {"TableName": table, "Key": keys[2], "ConsistentRead": True}),
        ("batch_get_item", {"RequestItems": {table: {"Keys": keys, "ConsistentRead": True}}}),
        ("scan", {"TableName": table, "Limit": 7, "ConsistentRead": True}),
    ]


def _answer(client: Any, name: str, params: dict[str, Any]) -> dict[str, Any]:
    return _comparable(name, getattr(client, name)(**params))


def _comparable(name: str, answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` without its request id, a batch's items in key order (the server's choice)."""
    answer = dict(answer)
    del answer["ResponseMetadata"]
    if name == "batch_get_item":
        batches: dict[str, list[dict[str, Any]]] = answer["Responses"]
        for items in batches.values():
            items.sort(key=lambda i: (i["part"]["S"], i["n"]["N"]))
    return answer


class _BodyLog:
    """Records, after the engine's hook, whether each Query answer still had its items in the
    body when botocore parsed it, and on which thread."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, bool]] = []
        self._lock = threading.Lock()

    def __call__(self, response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
        if operation_model.name != "Query":
            return
        with self._lock:
            self.seen.append((threading.get_ident(), b'"Items"' in response_dict["body"]))


@pytest.fixture
def body_log(client: DynamoDBClient) -> Iterator[_BodyLog]:
    log = _BodyLog()
    # botocore calls the handlers of "before-parse.dynamodb" after those of more specific names,
    # and those registered last after the others: this one after the engine's
    client.meta.events.register_last("before-parse.dynamodb", log)
    yield log
    client.meta.events.unregister("before-parse.dynamodb", log)


def test_a_shared_client_answers_plain_code_exactly_as_botocore(
    client: DynamoDBClient, table_prefix: str, body_log: _BodyLog
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    engine.bind(Doc)
    docs = _docs()
    engine.save(*docs)
    calls = _plain_calls(f"{table_prefix}Doc")
    before = [_answer(client, name, params) for name, params in calls]
    assert before[3]["Item"]["blob"] == {"B": bytes([1, 0, 255])}  # botocore's bytes

    def engine_work(_: int) -> None:
        for part in ("plain", "bin"):
            got = engine.query(Doc).key(col(Doc.part) == part).page_size(9).all()
            assert got == [d for d in docs if d.part == part]
        keys = [Doc(part=d.part, n=d.n) for d in docs[::7]]
        engine.load(*keys)
        assert keys == docs[::7]

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(engine_work, i) for i in range(6)]
        during = [[_answer(client, name, params) for name, params in calls] for _ in range(5)]
        for done in running:
            done.result()
    after = [_answer(client, name, params) for name, params in calls]
    assert all(answers == before for answers in during) and after == before
    me = threading.get_ident()
    assert {had for thread, had in body_log.seen if thread == me} == {True}
    engine_queries = [(t, had) for t, had in body_log.seen if t != me]
    assert any(not had for _, had in engine_queries)  # the engine's plain pages were lifted


def test_a_shared_async_client_answers_plain_code_exactly_as_botocore(
    client: DynamoDBClient,
    table_prefix: str,
    _loop_thread: LoopThread,  # pyright: ignore[reportPrivateUsage]
    _async_client: Any,  # pyright: ignore[reportPrivateUsage]
) -> None:
    docs = _docs()
    calls = _plain_calls(f"{table_prefix}Doc")
    shared = _async_client

    async def plain() -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        for name, params in calls:
            answers.append(_comparable(name, await getattr(shared, name)(**params)))
        return answers

    async def scenario() -> tuple[list[Any], list[list[Any]], list[Any]]:
        engine = AsyncEngine(client=shared, table_name_template=table_prefix + "{table_name}")
        await engine.bind(Doc)
        await engine.save(*docs)
        before = await plain()

        async def engine_work() -> None:
            for part in ("plain", "bin"):
                got = await engine.query(Doc).key(col(Doc.part) == part).page_size(9).all()
                assert got == [d for d in docs if d.part == part]
            keys = [Doc(part=d.part, n=d.n) for d in docs[::7]]
            await engine.load(*keys)
            assert keys == docs[::7]

        gathered = await asyncio.gather(*[engine_work() for _ in range(4)], plain(), plain())
        during = [g for g in gathered if g is not None]
        return before, during, await plain()

    before, during, after = _loop_thread.run(scenario())
    assert before == [_answer(client, name, params) for name, params in calls]
    assert before[3]["Item"]["blob"] == {"B": bytes([1, 0, 255])}
    assert len(during) == 2 and all(answers == before for answers in during)
    assert after == before


def _stored_model(name: str, leave_out: tuple[str, ...]) -> type[Base]:
    """A table model of every field of ``Everything`` (every type of the registry) but
    ``leave_out``, keyed by ``pk``."""
    fields: dict[str, Any] = {
        n: (f.annotation, f) for n, f in Everything.model_fields.items() if n not in leave_out
    }
    model: type[Base] = pydantic.create_model(
        name, __base__=Base, pk=(Annotated[str, HashKey()], ...), **fields
    )
    return model


ALL_TYPES = _stored_model("AllTypes", ())
TEXT_TYPES = _stored_model("TextTypes", BINARY_FIELDS)  # its answers are lifted whole


def everything_of(
    make_engine: MakeEngine, model: type[Base], pks: str
) -> tuple[Engine, dict[str, Any], list[Base]]:
    """An engine bound to ``model`` (of every type of the registry, or all but binary), the
    values of ``EVERYTHING`` it has fields for, and an object of them for each key in ``pks``."""
    engine = make_engine()
    engine.bind(model)
    values = {n: v for n, v in EVERYTHING if n in model.model_fields}
    return engine, values, [model.model_validate({**values, "pk": pk}) for pk in pks]


@pytest.mark.parametrize("model", [TEXT_TYPES, ALL_TYPES], ids=lambda m: m.__name__)
def test_every_stored_type_round_trips_through_the_engine(
    make_engine: MakeEngine, model: type[Base]
) -> None:
    engine, values, objs = everything_of(make_engine, model, "ab")
    engine.save(*objs)
    columns: Any = model  # "pk" is a column of the model made above
    for obj in objs:
        pk = cast(str, obj.__dict__["pk"])
        assert engine.get(model, pk=pk) == obj
        assert engine.query(model).key(columns.pk == pk).all() == [obj]
    keys = [model.model_validate({**values, "pk": pk, "s": "other"}) for pk in ("a", "b")]
    engine.load(*keys)
    assert keys == objs
    assert sorted(engine.scan(model).all(), key=lambda o: str(o.__dict__["pk"])) == objs


@pytest.mark.parametrize("operation", ["Query", "GetItem"])
def test_an_answer_cut_short_is_an_error_never_an_empty_page(
    make_engine: MakeEngine, client: DynamoDBClient, operation: str
) -> None:
    engine = make_engine()
    engine.bind(Doc)
    engine.save(Doc(part="p", n=1))
    read: Callable[[], object] = (
        (lambda: engine.query(Doc).key(col(Doc.part) == "p").all())
        if operation == "Query"
        else (lambda: engine.get(Doc, part="p", n=1))
    )
    with CutShort(client, operation, times=1) as fault:  # a retry gets the whole answer
        assert read() in ([Doc(part="p", n=1)], Doc(part="p", n=1))
    assert fault.attempts == 2
    with CutShort(client, operation, times=10), pytest.raises(TransportError, match="not JSON"):
        read()
