"""Resume tokens: how a position is written for a client, and how one that comes back is read.

A token is URL-safe base64 (no padding) of the JSON ``[1, seal, key]``: the format version, a
seal, and the position, an ``ExclusiveStartKey`` (``{"forum": {"S": "f"}, "id": {"S": "p1"}}``;
binary values as base64 text). It is not encrypted: treat it like the key it holds.

The seal is a BLAKE2b digest of the query the token belongs to (table, index, model, key
condition, filter, direction, segment) and of the key, so a token altered in transit, cut short,
or made by another query is refused. It is not a signature: a client that knows this scheme can
make a token for any key of the same query, and that key is checked like any other.

Reading a token that came from a client never costs a request and never raises anything but
``InvalidQuery``. Before decoding anything, its length is bounded by what the longest key of the
queried table or index can encode to (``max_token_length``: 18,440 characters per key attribute,
every character escaped); the JSON may nest at most ``MAX_DEPTH`` levels; then its shape, the
key's attribute names (the table's and the index's key attributes) and each value (its DynamoDB
type, non-empty, within DynamoDB's key sizes, a valid number, valid Unicode) are checked.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, cast

from .errors import InvalidQuery
from .limits import MAX_HASH_KEY_BYTES, MAX_KEY_NAME_BYTES, MAX_RANGE_KEY_BYTES
from .types import AttributeValue
from .types.numbers import decimal_plain

VERSION: Final = 1
MAX_DEPTH: Final = 4  # [version, seal, {name: {type: value}}] nests 3 levels
_SEAL_BYTES: Final = 12
_SEAL_LENGTH: Final = 16  # base64 of 12 bytes
# JSON of one attribute, every byte of name and value escaped (\u00XX: 6 characters each)
_PER_ATTRIBUTE: Final = 6 * (MAX_KEY_NAME_BYTES + MAX_HASH_KEY_BYTES) + len('"":{"S":""},')
_ENVELOPE: Final = len(f'[{VERSION},"{"x" * _SEAL_LENGTH}",{{}}]')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_ALPHABET = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class KeyAttribute:
    """One attribute of a position: its stored name, DynamoDB type and byte limit."""

    name: str
    kind: str  # "S", "N" or "B"
    limit: int  # MAX_HASH_KEY_BYTES, or MAX_RANGE_KEY_BYTES for a range key


@dataclass(frozen=True, slots=True)
class Resumed:
    """A token read back: the position (None: the beginning) and the seal it carried."""

    start: dict[str, AttributeValue] | None
    seal: str


def key_attribute(name: str, kind: str | None, range_key: bool) -> KeyAttribute:
    limit = MAX_RANGE_KEY_BYTES if range_key else MAX_HASH_KEY_BYTES
    return KeyAttribute(name, kind or "S", limit)


def max_token_length(attributes: int) -> int:
    """The longest token a position of ``attributes`` key attributes can encode to."""
    return -(-4 * (_ENVELOPE + attributes * _PER_ATTRIBUTE) // 3)


def encode_token(query: bytes, key: Mapping[str, AttributeValue]) -> str:
    """The token of the position ``key`` (empty: the beginning) of the query ``query`` names
    (see ``seal_of``)."""
    plain = _plain_key(key)
    raw = json.dumps([VERSION, seal_of(query, plain), plain], **_JSON)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def seal_of(query: bytes, plain: Mapping[str, Mapping[str, str]]) -> str:
    """The digest of a query's identity and a position in it (the key with base64 binaries)."""
    digest = hashlib.blake2b(query, digest_size=_SEAL_BYTES, person=b"bloop-token")
    digest.update(b"\0" + json.dumps(plain, **_JSON).encode())
    return base64.urlsafe_b64encode(digest.digest()).decode()


def identity_of(labels: list[str], params: Mapping[str, Any]) -> bytes:
    """What a token's seal names of its query: the models and the request's parameters that
    decide which items come in which order (not ``Limit``, projection or consistency)."""
    return json.dumps([labels, _canonical(params)], **_JSON).encode()


def _canonical(value: object) -> object:
    """``value`` as JSON, the same in every process (sets sorted, binary as base64)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        mapping = cast(Mapping[str, object], value)
        return {
            k: sorted(map(str, map(_canonical, cast(list[object], v))))
            if k in ("SS", "NS", "BS")
            else _canonical(v)
            for k, v in mapping.items()
        }
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in cast(list[object], value)]
    return value


def check_seal(query: bytes, resumed: Resumed, label: str) -> None:
    """``InvalidQuery`` unless the token was made by this query (and not altered)."""
    if seal_of(query, _plain_key(resumed.start or {})) != resumed.seal:
        raise InvalidQuery(
            f"resume(): the token is not from this query of {label}: another table, index, "
            "model, key condition, filter, order or segment made it, or it was altered"
        )


def read_token(token: str, attributes: tuple[KeyAttribute, ...], label: str) -> Resumed:
    """The position a client's token names, checked against the key attributes of what is
    queried; ``InvalidQuery`` for anything else (see the module docstring)."""
    if not _ALPHABET.fullmatch(token):
        raise _refused("not URL-safe base64")
    token = token.rstrip("=")  # padding is optional
    bound = max_token_length(len(attributes))
    if len(token) > bound:
        raise _refused(f"{len(token):,} characters, longer than any token of {label} ({bound:,})")
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        text = raw.decode()
    except (ValueError, binascii.Error, UnicodeError):
        raise _refused("not URL-safe base64 of UTF-8 text") from None
    if _depth(text) > MAX_DEPTH:
        raise _refused(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        found: object = json.loads(text)
    except (ValueError, RecursionError):
        raise _refused("not JSON") from None
    if not isinstance(found, list) or len(cast(list[object], found)) != 3:
        raise _refused("not [version, seal, key]")
    version, seal, key = cast(list[object], found)
    if type(version) is not int or version != VERSION:
        raise _refused(f"version {version!r}, this library reads version {VERSION}")
    if not isinstance(seal, str) or len(seal) != _SEAL_LENGTH:
        raise _refused("its seal is not one this library makes")
    if not isinstance(key, dict):
        raise _refused("its position is not a key")
    start = _key(cast(dict[object, object], key), attributes, label)
    return Resumed(start, seal)


def _key(
    key: dict[object, object], attributes: tuple[KeyAttribute, ...], label: str
) -> dict[str, AttributeValue] | None:
    if not key:
        return None
    expected = {a.name: a for a in attributes}
    if set(key) != set(expected):
        names = ", ".join(sorted(str(k) for k in key))
        raise InvalidQuery(
            f"resume(): the token is not from a query of {label}: it holds {names}, a position "
            f"there holds {', '.join(sorted(expected))}"
        )
    return {a.name: _value(a, key[a.name]) for a in attributes}


def _value(attribute: KeyAttribute, found: object) -> AttributeValue:
    kind = attribute.kind
    shown = _shown(found)
    typed: dict[object, object] = (
        cast(dict[object, object], found) if isinstance(found, dict) else {}
    )
    inner = typed.get(kind)
    if len(typed) != 1 or not isinstance(inner, str):
        raise InvalidQuery(f"resume(): the token's {attribute.name} is not a {kind} value: {shown}")
    value: str | bytes = inner
    if kind == "N":
        _check_number(attribute.name, inner)
    if kind == "B":
        try:
            value = base64.b64decode(inner, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidQuery(
                f"resume(): the token's {attribute.name} is not base64 binary"
            ) from None
    try:
        size = len(value.encode() if isinstance(value, str) else value)
    except UnicodeEncodeError:
        raise InvalidQuery(
            f"resume(): the token's {attribute.name} is not valid Unicode (a lone surrogate)"
        ) from None
    if not 0 < size <= attribute.limit:
        raise InvalidQuery(
            f"resume(): the token's {attribute.name} is {size:,} bytes long; a key value is 1 "
            f"to {attribute.limit:,} bytes"
        )
    return {kind: value}


def _check_number(name: str, text: str) -> None:
    try:
        if not _NUMBER.fullmatch(text):
            raise ValueError(text)
        decimal_plain(Decimal(text))
    except (ValueError, ArithmeticError, InvalidOperation):
        raise InvalidQuery(
            f"resume(): the token's {name} is not a DynamoDB number: {_shown(text)}"
        ) from None


def _depth(text: str) -> int:
    """How deep the JSON nests (strings skipped), without parsing it."""
    depth = deepest = 0
    for char in _STRING.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _plain_key(key: Mapping[str, AttributeValue]) -> dict[str, dict[str, str]]:
    """The key as JSON holds it: binary values as base64 text."""
    plain: dict[str, dict[str, str]] = {}
    for name, value in key.items():
        ((kind, inner),) = value.items()
        text = base64.b64encode(inner).decode() if kind == "B" else inner
        plain[name] = {kind: text}
    return plain


def _refused(why: str) -> InvalidQuery:
    return InvalidQuery(f"resume(): not a token from this library ({why})")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}…{text[-2:]}"


_JSON: Final[dict[str, Any]] = {"separators": (",", ":"), "sort_keys": True, "ensure_ascii": False}
