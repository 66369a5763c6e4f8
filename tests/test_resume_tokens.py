"""Resume tokens that come back from clients (issue 18, failure 6): every malformed, truncated,
oversized, deeply nested, wrongly shaped or foreign token is ``InvalidQuery`` before any request
is sent; a token is read within a size bound; real tokens still resume exactly."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

import pytest

from pydantic_bloop import (
    Base,
    BloopConfig,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidQuery,
    Query,
    RangeKey,
    col,
)
from pydantic_bloop.tokens import max_token_length
from tests.conftest import RequestLog
from tests.engines import MakeEngine


class Note(Base):
    model_config = BloopConfig(table_name="notes")
    owner: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    tag: str = "t"
    body: str = "-"
    by_tag: ClassVar[GlobalIndex] = GlobalIndex(hash_key="tag", range_key="body")


class Twin(Base):
    """Another table with the same key attributes: its tokens look like Note's."""

    owner: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]


class Blob(Base):
    key: Annotated[bytes, HashKey()]
    n: Annotated[int, RangeKey()]


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    engine = make_engine()
    engine.bind(Note, Twin, Blob)
    notes = [Note(owner="a", n=i, tag="t", body=f"b{i:02}") for i in range(8)]
    engine.save(
        *notes,
        Note(owner="b", n=0),
        Note(owner="b", n=1),
        Twin(owner="a", n=0),
        Twin(owner="a", n=1),
    )
    engine.save(Blob(key=b"k", n=0), Blob(key=b"k", n=1))
    return engine


def of_a(engine: Engine) -> Query[Note]:
    return engine.query(Note).key(col(Note.owner) == "a")


def token_of(query: Query[Any], n: int = 2) -> str:
    results = iter(query.limit(n))
    list(results)
    assert results.token is not None
    return results.token


def b64(raw: str | bytes) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def opened(token: str) -> list[Any]:
    found: list[Any] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return found


def reshaped(change: Callable[[list[Any]], object]) -> Callable[[str], str]:
    """A forger: the real token's JSON changed by ``change`` (which may edit it in place)."""

    def forge(token: str) -> str:
        found = opened(token)
        changed = change(found)
        return b64(json.dumps(found if changed is None else changed))

    return forge


def with_key(**values: object) -> Callable[[str], str]:
    """A forger: the real token with these attribute values in its position."""

    def change(found: list[Any]) -> None:
        found[2].update(values)

    return reshaped(change)


def without(which: int) -> Callable[[list[Any]], None]:
    """Drop one attribute of the position (by its place in name order)."""

    def change(found: list[Any]) -> None:
        del found[2][sorted(found[2])[which]]

    return change


# Forged from a real token of ``of_a`` (owner S hash, n N range); each refused by resume() or
# by the first run, before any request.
FORGED: dict[str, Callable[[str], str]] = {
    "empty": lambda t: "",
    "percent signs": lambda t: "%%%",
    "prose": lambda t: "definitely not a token!",
    "not ascii": lambda t: "tökén",
    "padded thrice": lambda t: t + "===",
    "padding inside": lambda t: t[:8] + "=" + t[8:],
    "standard base64 alphabet": lambda t: b64("[1]").replace("W", "+") + "/",
    "one character": lambda t: "a",
    "truncated by one": lambda t: t[:-1],
    "truncated by half": lambda t: t[: len(t) // 2],
    "a character changed": lambda t: t[:10] + ("A" if t[10] != "A" else "B") + t[11:],
    "two tokens glued": lambda t: t + t,
    "over the size bound": lambda t: "A" * (max_token_length(2) + 4),
    "ten megabytes": lambda t: "A" * 10_000_000,
    "not UTF-8": lambda t: b64(b"\xff\xfe\xfd"),
    "not JSON": lambda t: b64("not json"),
    "deep lists": lambda t: b64("[" * 100_000),
    "deep maps": lambda t: b64('{"a":' * 50_000 + "1" + "}" * 50_000),
    "deep but small": lambda t: b64('[1,"x",{"owner":{"S":[[[[[["a"]]]]]]}}]'),
    "null": lambda t: b64("null"),
    "a number": lambda t: b64("42"),
    "a huge number": lambda t: b64("9" * 5000),
    "a string": lambda t: b64('"token"'),
    "an empty list": lambda t: b64("[]"),
    "an old bare key": lambda t: b64(json.dumps(opened(t)[2])),
    "four parts": reshaped(lambda f: [*f, 1]),
    "version 2": reshaped(lambda f: [2, *f[1:]]),
    "version as text": reshaped(lambda f: ["1", *f[1:]]),
    "version true": reshaped(lambda f: [True, *f[1:]]),
    "version 1.0": reshaped(lambda f: [1.0, *f[1:]]),
    "seal a number": reshaped(lambda f: [f[0], 123, f[2]]),
    "seal too short": reshaped(lambda f: [f[0], f[1][:-1], f[2]]),
    "seal of zeros": reshaped(lambda f: [f[0], "A" * len(f[1]), f[2]]),
    "key a list": reshaped(lambda f: [f[0], f[1], [f[2]]]),
    "key lacks the range": reshaped(without(0)),
    "key lacks the hash": reshaped(without(-1)),
    "key with an extra attribute": with_key(tag={"S": "t"}),
    "hash as a number": with_key(owner={"N": "1"}),
    "hash with two types": with_key(owner={"S": "a", "N": "1"}),
    "hash not a map": with_key(owner="a"),
    "hash value not text": with_key(owner={"S": 5}),
    "hash value null": with_key(owner={"NULL": True}),
    "hash empty": with_key(owner={"S": ""}),
    "hash over 2,048 bytes": with_key(owner={"S": "é" * 1025}),
    "hash a lone surrogate": with_key(owner={"S": "\ud800"}),
    "range not a number": with_key(n={"N": "abc"}),
    "range NaN": with_key(n={"N": "NaN"}),
    "range infinite": with_key(n={"N": "Infinity"}),
    "range of 39 digits": with_key(n={"N": "1" * 39}),
    "range too large": with_key(n={"N": "1e999"}),
    "range with spaces": with_key(n={"N": " 1"}),
    "range as text": with_key(n={"S": "1"}),
    "another position, old seal": with_key(n={"N": "5"}),
}


def test_forged_tokens_are_invalid_query_before_any_request(
    engine: Engine, request_log: RequestLog
) -> None:
    """Each kind in FORGED (one table for all of them: cheap)."""
    real = token_of(of_a(engine))
    request_log.clear()
    accepted: list[str] = []
    for case, forge in FORGED.items():
        forged = forge(real)
        for run in ("all", "count"):
            try:
                query = of_a(engine).resume(forged)
                query.all() if run == "all" else query.count()
            except InvalidQuery as error:
                assert str(error).startswith("resume(): "), (case, error)
            else:
                accepted.append(case)

    assert accepted == []
    assert request_log == []
    assert len(FORGED) >= 40


FOREIGN: dict[str, tuple[Callable[[Engine], Query[Any]], Callable[[Engine], Query[Any]]]] = {
    # made by the first query, resumed on the second
    "another table, same key names": (
        lambda e: e.query(Twin).key(col(Twin.owner) == "a"),
        of_a,
    ),
    "the index's token on the table": (
        lambda e: e.query(Note.by_tag).key(col(Note.tag) == "t"),
        of_a,
    ),
    "the table's token on the index": (
        of_a,
        lambda e: e.query(Note.by_tag).key(col(Note.tag) == "t"),
    ),
    "another partition": (lambda e: e.query(Note).key(col(Note.owner) == "b"), of_a),
    "another range condition": (
        lambda e: e.query(Note).key((col(Note.owner) == "a") & (col(Note.n) > 2)),
        lambda e: e.query(Note).key((col(Note.owner) == "a") & (col(Note.n) > 3)),
    ),
    "a filter dropped": (lambda e: of_a(e).filter(col(Note.body) != "x"), of_a),
    "a filter added": (of_a, lambda e: of_a(e).filter(col(Note.body) != "x")),
    "another filter": (
        lambda e: of_a(e).filter(col(Note.body) != "x"),
        lambda e: of_a(e).filter(col(Note.body) != "y"),
    ),
    "the other direction": (of_a, lambda e: of_a(e).descending()),
    "a scan's token on a query": (lambda e: e.scan(Note), of_a),
    "another segment": (
        lambda e: e.scan(Note).parallel(segment=0, total=2),
        lambda e: e.scan(Note).parallel(segment=1, total=2),
    ),
    "another model's binary keys": (lambda e: e.query(Blob).key(col(Blob.key) == b"k"), of_a),
}


def test_foreign_tokens_are_invalid_query_before_any_request(
    engine: Engine, request_log: RequestLog
) -> None:
    """Each pair in FOREIGN: a token of the first query, resumed on the second."""
    tokens = {case: token_of(made_by(engine), 1) for case, (made_by, _) in FOREIGN.items()}
    request_log.clear()
    accepted: list[str] = []
    for case, (_, resumed_by) in FOREIGN.items():
        try:
            resumed_by(engine).resume(tokens[case]).all()
        except InvalidQuery as error:
            assert str(error).startswith("resume(): "), (case, error)
        else:
            accepted.append(case)

    assert accepted == []
    assert request_log == []


def test_what_does_not_move_positions_may_differ(engine: Engine) -> None:
    token = token_of(of_a(engine), 3)
    variants: list[Callable[[Query[Note]], Query[Note]]] = [
        lambda q: q.limit(3),
        lambda q: q.page_size(2),
        lambda q: q.select(col(Note.body)),
        lambda q: q.consistent(),
        lambda q: q.consumed_capacity(),
    ]
    for variant in variants:
        assert [n.n for n in variant(of_a(engine)).resume(token).limit(3)] == [3, 4, 5]


def test_a_token_reformatted_by_a_client_still_resumes(engine: Engine) -> None:
    """The seal covers what the token says, not how its JSON is spaced."""
    token = token_of(of_a(engine), 5)
    spaced = b64(json.dumps(opened(token), indent=2))
    assert [n.n for n in of_a(engine).resume(spaced)] == [5, 6, 7]


def test_the_longest_key_makes_a_token_within_the_bound(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engine.bind(Note)
    owner = "\x01" * 2048  # every byte escaped in the token's JSON
    engine.save(*(Note(owner=owner, n=i) for i in range(3)))
    query = engine.query(Note).key(col(Note.owner) == owner)

    token = token_of(query, 1)

    assert len(token) <= max_token_length(2)
    assert [n.n for n in query.resume(token)] == [1, 2]


def _mutations(token: str, rng: random.Random) -> str:
    chars = list(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/%é\x00"
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(chars) + 1)
        what = rng.randrange(4)
        if what == 0 and i < len(chars):
            chars[i] = rng.choice(alphabet)
        elif what == 1 and i < len(chars):
            del chars[i]
        elif what == 2:
            chars.insert(i, rng.choice(alphabet))
        else:
            chars = chars[:i]
    return "".join(chars)


def test_fuzzed_tokens_are_invalid_query_or_resume(engine: Engine) -> None:
    """Seeded and bounded: random strings, random bytes as base64, and real tokens mutated;
    each is refused as InvalidQuery or resumes to a tail of the results."""
    rng = random.Random(18_006)
    everything = [n.n for n in of_a(engine)]
    real = [token_of(of_a(engine), k) for k in range(1, 8)]
    candidates = [
        *(
            "".join(rng.choice("AZaz09-_+/=%") for _ in range(rng.randrange(60)))
            for _ in range(150)
        ),
        *(b64(rng.randbytes(rng.randrange(1, 120))) for _ in range(150)),
        *(_mutations(rng.choice(real), rng) for _ in range(300)),
    ]
    refused = resumed = 0
    for candidate in candidates:
        try:
            rest = [n.n for n in of_a(engine).resume(candidate).limit(2)]
        except InvalidQuery:
            refused += 1
        else:
            resumed += 1
            tails = [everything[k : k + 2] for k in range(len(everything) + 1)]
            assert rest in tails  # a position of these results, never an error or a stranger
    assert refused + resumed == len(candidates) and refused > 550
