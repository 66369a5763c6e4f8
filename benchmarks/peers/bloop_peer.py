"""bloop 3.1.1 measured on the benchmark item (run by the harness in benchmarks/.venvs/bloop).

dump: every column's ``typedef._dump`` (bloop has no whole-item dump: this is what its key and
update rendering do per column); load: ``unpack_from_dynamodb``; save: what ``Engine.save``
builds before sending: ``dump_key`` + ``render(update=True)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Case, boto3_cases, check_round_trip, many_values, serve


def build(n: int) -> tuple[list[Case], dict[str, Any]]:
    import bloop
    import boto3
    from bloop import BaseModel, Boolean, Column, DateTime, Engine, Integer, List, Number, String
    from bloop.conditions import global_tracking, render
    from bloop.engine import validate_sync
    from bloop.models import unpack_from_dynamodb
    from bloop.util import dump_key

    class Item(BaseModel):
        class Meta:
            table_name = "bench_items"

        pk = Column(String, hash_key=True)
        sk = Column(Integer, range_key=True)
        title = Column(String)
        views = Column(Integer)
        price = Column(Number)
        active = Column(Boolean)
        created = Column(DateTime)
        tags = Column(List(String))

    def client(service: str) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",  # never contacted
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )

    engine = Engine(dynamodb=client("dynamodb"), dynamodbstreams=client("dynamodbstreams"))
    context = {"engine": engine}
    columns = list(Item.Meta.columns)
    values = many_values(n)
    objs = [Item(**v) for v in values]

    def dump_one(obj: Any) -> dict[str, Any]:
        item = {}
        for c in columns:
            item[c.dynamo_name] = c.typedef._dump(getattr(obj, c.name), context=context).value
        return item

    wires = [dump_one(o) for o in objs]
    loaded = unpack_from_dynamodb(attrs=wires[7], expected=columns, engine=engine, model=Item)
    check_round_trip("bloop", {f: getattr(loaded, f) for f in values[7]}, values[7])
    marked_after_load = len(global_tracking[loaded])

    def dump() -> None:
        for o in objs:
            dump_one(o)

    def load() -> None:
        for w in wires:
            unpack_from_dynamodb(attrs=w, expected=columns, engine=engine, model=Item)

    table = engine._compute_table_name(Item)

    def save_request(obj: Any) -> dict[str, Any]:
        # exactly the request Engine.save builds before sending it
        return {
            "TableName": table,
            "Key": dump_key(engine, obj),
            "ReturnValues": validate_sync("save", None),
            **render(engine, obj=obj, condition=None, update=True),
        }

    # a loaded object whose views changed: only that column marked (bloop's best case) ...
    one_marked = [
        unpack_from_dynamodb(attrs=w, expected=columns, engine=engine, model=Item) for w in wires
    ]
    for o in one_marked:
        global_tracking[o].clear()
        o.views += 1
    request = save_request(one_marked[0])
    assert request["UpdateExpression"].startswith("SET ") and "," not in request["UpdateExpression"]
    # ... and as bloop 3.1.1 really leaves a loaded object: every column it set is marked
    all_marked = [
        unpack_from_dynamodb(attrs=w, expected=columns, engine=engine, model=Item) for w in wires
    ]
    for o in all_marked:
        o.views += 1

    def save_one() -> None:
        for o in one_marked:
            save_request(o)

    def save_all() -> None:
        for o in all_marked:
            save_request(o)

    cases = [
        Case("dump", "bloop 3.1.1: typedef._dump per column", n, dump),
        Case("load", "bloop 3.1.1: unpack_from_dynamodb", n, load),
        Case("save", "bloop 3.1.1: dump_key + render(update) (1 column marked)", n, save_one),
        Case(
            "save",
            f"bloop 3.1.1: same, as loaded ({marked_after_load} columns marked: SETs them all)",
            n,
            save_all,
        ),
    ]
    for case in boto3_cases(values):
        case.key = "calib-" + case.key
        cases.append(case)
    return cases, {"version": bloop.__version__, "python": sys.version.split()[0]}


if __name__ == "__main__":
    serve(build)
