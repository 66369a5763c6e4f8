"""The read cost of telling entities apart: a FilterExpression on the discriminator (what
pydantic_bloop sends) against reading every item and skipping others client side.

    ./dev run python benchmarks/single_table.py [N]

Stores N (default 1,000) mixed shop items (customers, orders, lines, products) in one table on
moto's server, then reads each entity both ways and prints: requests, items DynamoDB read
(ScannedCount: what capacity is charged for), items sent back, response bytes, client CPU.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from mypy_boto3_dynamodb import DynamoDBClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic_bloop import Engine
from pydantic_bloop.entities import readers
from pydantic_bloop.models import model_info
from tests.test_single_table import Customer, Order, OrderLine, Shop, shop


@dataclass
class Cost:
    requests: int = 0
    scanned: int = 0
    returned: int = 0
    bytes: int = 0
    cpu: float = 0.0


def main(n: int) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    client: DynamoDBClient = boto3.client(
        "dynamodb",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    cost = Cost()

    def count(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        cost.requests += 1
        cost.scanned += int(parsed.get("ScannedCount", 0))
        cost.returned += int(parsed.get("Count", 0))
        cost.bytes += len(http_response.content)

    client.meta.events.register("after-call.dynamodb.Scan", count)
    engine = Engine(client=client)
    engine.bind(Shop)
    objs = shop(n_customers=n // 10 + 1)[:n]
    with engine.context(persist="overwrite") as bulk:
        bulk.save(*objs)

    print(f"{n} mixed items; reading each entity with a scan\n")
    print("| entity | way | requests | items read | items returned | bytes | client CPU |")
    print("|---|---|---|---|---|---|---|")
    for model in (Customer, Order, OrderLine):
        for way in ("filter", "client"):
            cost.__init__()  # type: ignore[misc]
            started = time.process_time()
            if way == "filter":
                found = len(engine.scan(model).all())
            else:
                info = model_info(model)
                chooser = readers((info,))
                found = 0
                start: dict[str, Any] | None = None
                while True:
                    page = client.scan(
                        TableName="shop", **({"ExclusiveStartKey": start} if start else {})
                    )
                    for item in page.get("Items", []):
                        if chooser.info_for(item) is info:  # type: ignore[arg-type]
                            info.instance_from(item, None)  # type: ignore[arg-type]
                            found += 1
                    start = page.get("LastEvaluatedKey")  # type: ignore[assignment]
                    if not start:
                        break
            cost.cpu = time.process_time() - started
            print(
                f"| {model.__name__} ({found}) | {way} | {cost.requests} | {cost.scanned} | "
                f"{cost.returned} | {cost.bytes:,} | {cost.cpu * 1000:.0f} ms |"
            )
    server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
