"""dyntastic 0.18 measured on the benchmark item (run by the harness in its own virtualenv).

dyntastic hands plain Python values to boto3's resource layer, which converts them with
TypeSerializer / TypeDeserializer; its paths are reproduced here without the network:
dump (``save()``): ``attr.serialize(model_dump(by_alias=True))`` then TypeSerializer per
attribute; load (``query()``): TypeDeserializer per attribute then ``_dyntastic_load_model``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Case, boto3_cases, check_round_trip, many_values, serve


def build(n: int) -> tuple[list[Case], dict[str, Any]]:
    from datetime import datetime
    from decimal import Decimal
    from importlib.metadata import version

    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from dyntastic import Dyntastic, attr, pydantic_compat

    class Item(Dyntastic):
        __table_name__ = "bench_items"
        __hash_key__ = "pk"
        __range_key__ = "sk"
        __table_region__ = "us-east-1"

        pk: str
        sk: int
        title: str
        views: int
        price: Decimal
        active: bool
        created: datetime
        tags: list[str]

    serialize = TypeSerializer().serialize
    deserialize = TypeDeserializer().deserialize
    values = many_values(n)
    objs = [Item(**v) for v in values]

    def dump_one(obj: Item) -> dict[str, Any]:
        data = attr.serialize(pydantic_compat.model_dump(obj, by_alias=True))
        return {k: serialize(v) for k, v in data.items()}

    wires = [dump_one(o) for o in objs]

    def load_one(wire: dict[str, Any]) -> Item:
        item = {k: deserialize(v) for k, v in wire.items()}
        loaded: Item = Item._dyntastic_load_model(item)
        return loaded

    loaded = load_one(wires[7])
    check_round_trip("dyntastic", {f: getattr(loaded, f) for f in values[7]}, values[7])

    def dump() -> None:
        for o in objs:
            dump_one(o)

    def load() -> None:
        for w in wires:
            load_one(w)

    cases = [
        Case("dump", "dyntastic 0.18: save() path (model_dump + TypeSerializer)", n, dump),
        Case("load", "dyntastic 0.18: query() path (TypeDeserializer + model_validate)", n, load),
    ]
    for case in boto3_cases(values):
        case.key = "calib-" + case.key
        cases.append(case)
    return cases, {"version": version("dyntastic"), "python": sys.version.split()[0]}


if __name__ == "__main__":
    serve(build)
