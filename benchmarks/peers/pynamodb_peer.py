"""PynamoDB 6.1 measured on the benchmark item (run by the harness in benchmarks/.venvs/pynamodb).

dump: ``Model.serialize()``; load: ``Model.from_raw_data()``; save: the UpdateItem kwargs of
``Model.update(actions=[...])``, built by PynamoDB's connection without sending them (PynamoDB
tracks no changes: the caller names the update action).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Case, boto3_cases, check_round_trip, many_values, serve


def build(n: int) -> tuple[list[Case], dict[str, Any]]:
    import pynamodb
    from pynamodb.attributes import (
        Attribute,
        BooleanAttribute,
        ListAttribute,
        NumberAttribute,
        UnicodeAttribute,
        UTCDateTimeAttribute,
    )
    from pynamodb.constants import ALL_NEW, NUMBER
    from pynamodb.models import Model

    class DecimalAttribute(Attribute[Decimal]):
        """Exact decimals (PynamoDB's NumberAttribute goes through JSON floats)."""

        attr_type = NUMBER

        def serialize(self, value: Decimal) -> str:
            return str(value)

        def deserialize(self, value: str) -> Decimal:
            return Decimal(value)

    class Item(Model):
        class Meta:
            table_name = "bench_items"
            region = "us-east-1"
            host = "http://127.0.0.1:9"  # never contacted

        pk = UnicodeAttribute(hash_key=True)
        sk = NumberAttribute(range_key=True)
        title = UnicodeAttribute()
        views = NumberAttribute()
        price = DecimalAttribute()
        active = BooleanAttribute()
        created = UTCDateTimeAttribute()
        tags = ListAttribute(of=UnicodeAttribute)

    values = many_values(n)
    objs = [Item(**v) for v in values]
    wires = [o.serialize() for o in objs]
    loaded = Item.from_raw_data(wires[7])
    check_round_trip("pynamodb", {f: getattr(loaded, f) for f in values[7]}, values[7])

    def dump() -> None:
        for o in objs:
            o.serialize()

    def load() -> None:
        for w in wires:
            Item.from_raw_data(w)

    connection = Item._get_connection().connection
    table = Item.Meta.table_name

    def update_kwargs(o: Any) -> dict[str, Any]:
        hash_key, range_key = o._get_hash_range_key_serialized_values()
        kwargs: dict[str, Any] = connection.get_operation_kwargs(
            table,
            hash_key,
            range_key=range_key,
            actions=[Item.views.set(o.views + 1)],
            return_values=ALL_NEW,
        )
        return kwargs

    sample = update_kwargs(objs[0])
    assert sample["UpdateExpression"].startswith("SET"), sample

    def save() -> None:
        for o in objs:
            update_kwargs(o)

    cases = [
        Case("dump", "PynamoDB 6.1: Model.serialize()", n, dump),
        Case("load", "PynamoDB 6.1: Model.from_raw_data()", n, load),
        Case("save", "PynamoDB 6.1: update(actions=[...]) kwargs (explicit action)", n, save),
    ]
    for case in boto3_cases(values):
        case.key = "calib-" + case.key
        cases.append(case)
    return cases, {"version": pynamodb.__version__, "python": sys.version.split()[0]}


if __name__ == "__main__":
    serve(build)
