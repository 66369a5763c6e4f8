"""Long random sequences of changes and saves of read objects, against the server: after every
save (applied, retried after throttling or a lost answer, or refused and sent again) a fresh
read equals the object, so no change is lost or written wrongly whichever path built the save
(the read object's diff, the general diff, a key change making a new item)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_dynamodb import DynamoDBClient
from pydantic import BaseModel

from pydantic_bloop import Backoff, Base, BloopConfig, DynamoName, Engine, HashKey, RangeKey, col
from tests.engines import MakeEngine
from tests.faults import LostResponse, Throttled

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Inner(BaseModel):
    x: int = 0
    words: list[str] = []


class Seq(Base):
    model_config = BloopConfig(table_name="save_sequences")
    id: Annotated[str, HashKey()]
    n: Annotated[int, RangeKey()]
    title: str = ""
    views: int = 0
    price: Decimal = Decimal("0")
    active: bool = False
    when: datetime | None = None
    note: Annotated[str | None, DynamoName("nt")] = None
    tags: list[str] = []
    labels: set[str] = set()
    scores: set[int] = set()
    inner: Inner | None = None
    extra: dict[str, int] = {}
    color: Color | None = None
    big: int | None = None


class Refused(Throttled):
    """Refused as invalid (not retried): the save raises, nothing is stored."""

    CODE = "ValidationException"


Change = Callable[[Seq, random.Random], None]


def _title(o: Seq, r: random.Random) -> None:
    o.title = r.choice(["", "a", "b", "ünï", o.title])


def _views(o: Seq, r: random.Random) -> None:
    o.views = r.choice([o.views, o.views + 1, 0, -5, True + 0])


def _price(o: Seq, r: random.Random) -> None:
    o.price = r.choice(
        [Decimal("1.0"), Decimal("1"), Decimal("1.50"), Decimal("-0"), o.price, o.price + 1]
    )


def _active(o: Seq, r: random.Random) -> None:
    o.active = not o.active if r.random() < 0.7 else o.active


def _when(o: Seq, r: random.Random) -> None:
    o.when = r.choice(
        [
            None,
            T0,
            T0.astimezone(timezone(timedelta(hours=5))),  # the same instant, another zone
            T0 + timedelta(microseconds=1),
            o.when,
        ]
    )


def _note(o: Seq, r: random.Random) -> None:
    o.note = r.choice([None, "n", "m", o.note])


def _tags(o: Seq, r: random.Random) -> None:
    choice = r.randrange(4)
    if choice == 0:
        o.tags.append(r.choice("xyz"))
    elif choice == 1 and o.tags:
        o.tags.pop()
    elif choice == 2:
        o.tags = list(o.tags)  # an equal copy
    else:
        o.tags[:] = []


def _labels(o: Seq, r: random.Random) -> None:
    if r.random() < 0.5:
        o.labels.add(r.choice("pqr"))
    else:
        o.labels.clear()


def _scores(o: Seq, r: random.Random) -> None:
    if r.random() < 0.5:
        o.scores.add(r.randrange(5))
    elif o.scores:
        o.scores.discard(next(iter(o.scores)))


def _inner(o: Seq, r: random.Random) -> None:
    if o.inner is None or r.random() < 0.2:
        o.inner = r.choice([None, Inner(x=1), Inner(words=["w"])])
    elif r.random() < 0.5:
        o.inner.x += 1
    else:
        o.inner.words.append("v")


def _extra(o: Seq, r: random.Random) -> None:
    if r.random() < 0.6:
        o.extra[r.choice("kl")] = r.randrange(3)
    else:
        o.extra.pop("k", None)


def _color(o: Seq, r: random.Random) -> None:
    o.color = r.choice([None, Color.RED, Color.BLUE, o.color])


def _big(o: Seq, r: random.Random) -> None:
    o.big = r.choice([None, 10**37, -(10**37), 0, o.big])


CHANGES: tuple[Change, ...] = (
    _title,
    _views,
    _price,
    _active,
    _when,
    _note,
    _tags,
    _labels,
    _scores,
    _inner,
    _extra,
    _color,
    _big,
)


def _fresh(engine: Engine, obj: Seq) -> Seq:
    return engine.get(Seq, id=obj.id, n=obj.n, consistent=True)


def _reread(engine: Engine, obj: Seq, how: str) -> Seq:
    """``obj`` read again, as each kind of read reads it."""
    if how == "get":
        return _fresh(engine, obj)
    if how == "query":
        key = (col(Seq.id) == obj.id) & (col(Seq.n) == obj.n)
        (found,) = engine.query(Seq).key(key).consistent().all()
        return found
    if how == "scan":
        (found,) = [o for o in engine.scan(Seq).consistent().all() if o.n == obj.n]
        return found
    loaded = Seq.model_construct(id=obj.id, n=obj.n)
    engine.load(loaded, consistent=True)
    return loaded


@pytest.mark.parametrize("seed", range(3))
def test_random_changes_and_saves_of_a_read_object_are_all_stored(
    make_engine: MakeEngine, client: DynamoDBClient, seed: int
) -> None:
    rng = random.Random(seed)
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01))
    engine.bind(Seq)
    engine.save(Seq(id=f"s{seed}", n=1, tags=["a"], labels={"p"}, inner=Inner(x=1)))
    obj = _fresh(engine, Seq(id=f"s{seed}", n=1))
    for step in range(25):
        for change in rng.sample(CHANGES, rng.randrange(1, 4)):
            change(obj, rng)
        if rng.random() < 0.08:  # a key change: the object names a new item
            obj.n += 1
        fault = rng.choice(["none", "none", "none", "throttled", "lost", "refused"])
        if fault == "refused":
            with Refused(client, "UpdateItem", times=1), contextlib.suppress(ClientError):
                engine.save(obj)  # (nothing raised: nothing had changed, nothing was sent)
            if rng.random() < 0.5:  # changed again before it is sent again
                rng.choice(CHANGES)(obj, rng)
            engine.save(obj)
        elif fault == "lost":
            with LostResponse(client, "UpdateItem", times=1):
                engine.save(obj)
        elif fault == "throttled":
            with Throttled(client, "UpdateItem", times=1):
                engine.save(obj)
        else:
            engine.save(obj)
        if rng.random() < 0.3:
            engine.save(obj)  # again, with nothing changed
        fresh = _fresh(engine, obj)
        assert fresh == obj, f"step {step}: stored {fresh!r}, object {obj!r}"
        if rng.random() < 0.3:
            obj = _reread(engine, obj, rng.choice(["get", "query", "scan", "load"]))


def test_a_read_of_an_item_in_another_spelling_saves_what_the_object_says(
    make_engine: MakeEngine, client: DynamoDBClient, table_prefix: str
) -> None:
    """An item written by another tool (numbers in other spellings, sets in another order, a
    NULL for an absent value) is read, changed and saved: a fresh read equals the object."""
    engine = make_engine()
    engine.bind(Seq)
    client.put_item(
        TableName=f"{table_prefix}save_sequences",
        Item={
            "id": {"S": "other"},
            "n": {"N": "1"},
            "views": {"N": "1.0E1"},
            "price": {"N": "1.50"},
            "nt": {"NULL": True},
            "labels": {"SS": ["q", "p"]},
            "scores": {"NS": ["2.0", "1"]},
            "when": {"S": "2025-01-02T08:04:05+05:00"},
            "extra": {"M": {}},
        },
    )
    obj = engine.get(Seq, id="other", n=1, consistent=True)
    assert obj.views == 10 and obj.note is None and obj.when == T0
    obj.views += 1
    obj.scores.add(3)
    obj.when = T0.astimezone(timezone(timedelta(hours=-3)))
    engine.save(obj)
    assert _fresh(engine, obj) == obj
    obj.title = "t"
    obj.note = "set"
    obj.price = Decimal("1.5")
    engine.save(obj)
    fresh = _fresh(engine, obj)
    assert fresh == obj
    fresh.note = None
    fresh.labels.discard("q")
    engine.save(fresh)
    assert _fresh(engine, obj) == fresh


@pytest.mark.parametrize("atomic", [False, True])
def test_a_save_whose_outcome_stays_unknown_is_settled_by_the_next_save(
    make_engine: MakeEngine, client: DynamoDBClient, atomic: bool, skip_on_dynalite: Any
) -> None:
    """Every answer to a read object's save is lost (the server applied it, or not: the caller
    cannot tell); the next save, after more changes, stores exactly what the object says."""
    if atomic:  # its conditions compare the stored list and map
        skip_on_dynalite("no list or map equality in conditions (ConditionalCheckFailed)")
    engine = make_engine(backoff=Backoff(base=0.001, cap=0.01), atomic=atomic)
    engine.bind(Seq)
    engine.save(Seq(id="u", n=1, title="first", tags=["a"], views=1))
    obj = _fresh(engine, Seq(id="u", n=1))
    obj.title = "second"
    obj.tags.append("b")
    with LostResponse(client, "UpdateItem", times=10), pytest.raises(Exception):  # noqa: B017
        engine.save(obj)
    obj.views += 1
    obj.note = "n"
    engine.save(obj)
    assert _fresh(engine, obj) == obj
    obj.title = "first"  # back to what was read before the unknown outcome
    engine.save(obj)
    assert _fresh(engine, obj) == obj
