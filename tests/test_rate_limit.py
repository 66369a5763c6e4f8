"""The rate limit's accounting: the pauses it asks for, checked on scripted plans against a
clock that only the plan's own sleeps move (no timing), and its sums against a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import pytest

from pydantic_bloop import Base, BloopConfig, CapacityMeter, Engine, HashKey, RateLimit, Units
from pydantic_bloop.plans import Call, Parallel, Plan, Response, Sleep
from pydantic_bloop.testing import Script
from pydantic_bloop.watch import Watch, watched
from tests.engines import MakeEngine


def clocked(script: Script) -> Callable[[], float]:
    """A clock that moves only by the sleeps the plan asked the script for."""
    return lambda: sum(script.sleeps)


def puts(count: int, payload: str = "x") -> Plan[None]:
    """A bulk job: `count` PutItem requests, one after the other."""
    for i in range(count):
        yield Call(
            "put_item", {"TableName": "t", "Item": {"id": {"S": str(i)}, "p": {"S": payload}}}
        )


def run_limited(script: Script, plan: Plan[Any], **limits: Any) -> RateLimit:
    limit = RateLimit(clock=clocked(script), **limits)
    script.run(watched(plan, Watch(rate_limit=limit)))
    return limit


def written(units: float) -> Response:
    return {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": units}}


def test_writes_wait_for_the_units_the_server_reported() -> None:
    script = Script(*(written(2.0) for _ in range(5)))
    limit = run_limited(script, puts(5), write=10, burst=0)
    # each request costs 2 units at 10 per second: the next waits 0.2 s (the first is free)
    assert script.sleeps == pytest.approx([0.2] * 4)
    assert limit.spent == Units(write=10.0)
    assert limit.waited == pytest.approx(0.8)
    assert all(c.params["ReturnConsumedCapacity"] == "TOTAL" for c in script.calls)


def test_a_burst_is_spent_before_any_wait() -> None:
    script = Script(*(written(1.0) for _ in range(8)))
    run_limited(script, puts(8), write=4, burst=1.0)
    # 4 units of budget at the start: the first 5 requests go at once, then 1/4 s each
    assert script.sleeps == pytest.approx([0.25] * 3)


def test_without_a_report_units_are_estimated_from_item_sizes() -> None:
    nothing: Response = {}  # a server that reports no consumed capacity
    script = Script(nothing, nothing, nothing)
    limit = run_limited(script, puts(3, payload="x" * 2500), write=10, burst=0)
    # about 2.5 KB each: 3 write units (one per started KB)
    assert limit.spent == Units(write=9.0)
    assert script.sleeps == pytest.approx([0.3, 0.3])


def pages(count: int, consistent: bool) -> Plan[None]:
    """A scan of `count` pages."""
    for _ in range(count):
        yield Call("scan", {"TableName": "t", "ConsistentRead": consistent})


def page_of(size: int) -> Response:
    return {"Items": [{"id": {"S": "a"}, "p": {"S": "x" * (size - 3)}}]}


def test_reads_are_estimated_per_page_and_halved_when_eventually_consistent() -> None:
    script = Script(page_of(10_000), page_of(10_000), page_of(10_000))
    limit = run_limited(script, pages(3, consistent=False), read=1, burst=0)
    # 10,000 bytes: 3 units of 4 KB, halved: 1.5 per page
    assert limit.spent == Units(read=4.5)
    assert script.sleeps == pytest.approx([1.5, 1.5])
    script = Script(page_of(10_000), page_of(10_000))
    limit = run_limited(script, pages(2, consistent=True), read=1, burst=0)
    assert limit.spent == Units(read=6.0)
    assert script.sleeps == pytest.approx([3.0])


def batch(ids: range) -> Call:
    requests = [{"PutRequest": {"Item": {"id": {"S": str(i)}}}} for i in ids]
    return Call("batch_write_item", {"RequestItems": {"t": requests}})


def test_concurrent_batches_are_charged_before_they_are_sent() -> None:
    def bulk() -> Plan[None]:
        yield Parallel((batch(range(25)), batch(range(25, 50))))
        yield Parallel((batch(range(50, 60)),))

    unprocessed = {"UnprocessedItems": {"t": [{"PutRequest": {"Item": {"id": {"S": "0"}}}}]}}
    script = Script(unprocessed, {}, {})
    limit = run_limited(script, bulk(), write=10, burst=0)
    # 50 units charged for the first two; one write came back unprocessed: 49 spent
    assert [type(s) for s in script.steps] == [Parallel, Sleep, Parallel]
    assert script.sleeps == pytest.approx([4.9])
    assert limit.spent == Units(write=59.0)


def test_a_ceiling_on_writes_lets_reads_pass() -> None:
    script = Script(*(page_of(100) for _ in range(3)))
    run_limited(script, pages(3, consistent=True), write=1, burst=0)
    assert script.sleeps == []


def test_table_administration_is_not_paced() -> None:
    def admin() -> Plan[None]:
        yield from puts(1)
        yield Call("describe_table", {"TableName": "t"})

    script = Script(written(100.0), {"Table": {}})
    run_limited(script, admin(), write=1, burst=0)
    assert script.sleeps == []


def test_a_ceiling_must_be_above_zero() -> None:
    with pytest.raises(ValueError, match=r"RateLimit\(read=0\)"):
        RateLimit(read=0)
    with pytest.raises(ValueError, match=r"RateLimit\(write=-1.0\)"):
        RateLimit(write=-1.0)
    with pytest.raises(ValueError, match=r"RateLimit\(burst=-1\)"):
        RateLimit(write=1, burst=-1)


class Row(Base):
    model_config = BloopConfig(table_name="paced")
    id: Annotated[str, HashKey()]
    n: int = 0


def test_a_paced_context_spends_what_the_server_reports(make_engine: MakeEngine) -> None:
    engine: Engine = make_engine()
    engine.bind(Row)
    meter = CapacityMeter()
    limit = RateLimit(read=10_000, write=10_000)  # a ceiling this small job never reaches
    rows = [Row(id=f"r{i}", n=i) for i in range(30)]
    with engine.context(rate_limit=limit, capacity=meter, persist="overwrite") as paced:
        paced.save(*rows)
        assert len(paced.scan(Row).all()) == 30
        paced.load(*(Row(id=r.id) for r in rows))
    assert limit.spent == meter.total
    assert limit.spent.write > 0 and limit.spent.read > 0
    assert limit.waited == 0.0
