"""A DynamoDB that answers from memory, through botocore's ``before-send`` event.

botocore signs and serializes the request as usual and then, instead of sending it, takes the
``AWSResponse`` returned here (status 200, JSON body, ``x-amz-crc32`` which botocore verifies)
and parses it as usual. So no server time is measured, and everything on the client is.

Query answers pages of ~1 MB (DynamoDB's page size limit) cut from one list of items; every page
but the last carries a ``LastEvaluatedKey`` naming where the next one starts. DescribeTable
answers with the table the model asks for, so ``engine.bind`` works unchanged.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse

from pydantic_bloop import tables

from .model import INFO

PAGE_BYTES = 1_000_000


class _Body:
    """The ``raw`` of an AWSResponse: botocore reads ``content`` through ``stream()``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class CannedDynamo:
    """Answers Query with ``total`` items in pages of ``per_page``, repeating ``encoded`` (items
    in wire format, JSON) as needed; ``pages_served`` counts Query answers (to check that
    nothing was retried)."""

    def __init__(self, encoded: list[bytes], total: int, per_page: int, *, cache: bool) -> None:
        self.total = total
        self.per_page = per_page
        self.encoded = encoded
        self.cache: dict[int, tuple[bytes, str]] | None = {} if cache else None
        self.pages_served = 0
        self.stored: dict[tuple[str, str], bytes] = {}  # what BatchGetItem finds, by key

    def store(self, items: list[dict[str, Any]]) -> None:
        """Make BatchGetItem find these items (BatchWriteItem stores nothing: it only answers
        that everything was processed)."""
        for item in items:
            key = (item["pk"]["S"], item["sk"]["N"])
            self.stored[key] = json.dumps(item, separators=(",", ":")).encode()

    @classmethod
    def by_size(
        cls, items: list[dict[str, Any]], total: int | None = None, *, cache: bool
    ) -> CannedDynamo:
        """Pages of about ``PAGE_BYTES`` each; ``total`` defaults to ``len(items)``."""
        encoded = [json.dumps(item, separators=(",", ":")).encode() for item in items]
        per_page = max(1, int(PAGE_BYTES * len(encoded) / sum(len(e) + 1 for e in encoded)))
        return cls(encoded, len(items) if total is None else total, per_page, cache=cache)

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    def install(self, client: Any) -> None:
        client.meta.events.register("before-send.dynamodb", self._answer)

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        if operation == "Query":
            self.pages_served += 1
            body, crc = self._page(json.loads(request.body))
        else:
            if operation == "BatchWriteItem":  # the body is not even read: no server work
                body = b'{"UnprocessedItems":{}}'
            elif operation == "BatchGetItem":
                body = self._batch_get(json.loads(request.body))
            elif operation == "DescribeTable":
                table = json.loads(request.body)["TableName"]
                body = json.dumps({"Table": _description(table)}).encode()
            else:
                raise AssertionError(f"the canned DynamoDB does not answer {operation}")
            crc = str(zlib.crc32(body))
        headers: Any = {
            "Content-Type": "application/x-amz-json-1.0",
            "Content-Length": str(len(body)),
            "x-amzn-RequestId": "canned",
            "x-amz-crc32": crc,
        }
        return AWSResponse(request.url, 200, headers, _Body(body))

    def _batch_get(self, params: dict[str, Any]) -> bytes:
        chunks = [b'{"Responses":{']
        for t, (table, request) in enumerate(params["RequestItems"].items()):
            found = (self.stored.get((k["pk"]["S"], k["sk"]["N"])) for k in request["Keys"])
            chunks.append(b"," if t else b"")
            chunks.append(json.dumps(table).encode() + b":[")
            chunks.append(b",".join(item for item in found if item is not None))
            chunks.append(b"]")
        chunks.append(b'},"UnprocessedKeys":{}}')
        return b"".join(chunks)

    def _page(self, params: dict[str, Any]) -> tuple[bytes, str]:
        start_key = params.get("ExclusiveStartKey")
        page = 0 if start_key is None else int(start_key["sk"]["N"]) // self.per_page + 1
        if self.cache is not None and page in self.cache:
            return self.cache[page]
        first = page * self.per_page
        last = min(first + self.per_page, self.total)
        count = last - first
        n = len(self.encoded)
        chunks = [b'{"Count":', str(count).encode(), b',"ScannedCount":', str(count).encode()]
        chunks.append(b',"Items":[')
        chunks.append(b",".join(self.encoded[i % n] for i in range(first, last)))
        chunks.append(b"]")
        if last < self.total:
            # the key of the page's last item; its sk tells the next request where to start
            key = {"pk": {"S": "canned"}, "sk": {"N": str(last - 1)}}
            chunks.append(b',"LastEvaluatedKey":' + json.dumps(key).encode())
        chunks.append(b"}")
        body = b"".join(chunks)
        answer = body, str(zlib.crc32(body))
        if self.cache is not None:
            self.cache[page] = answer
        return answer


def _description(table: str) -> dict[str, Any]:
    description = tables.create_request([INFO], table)
    description.pop("BillingMode", None)
    description.update(
        {
            "TableStatus": "ACTIVE",
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "ItemCount": 0,
        }
    )
    return description
