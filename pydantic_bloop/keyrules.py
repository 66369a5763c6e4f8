"""What ``key()`` accepts, checked before any request is sent.

Every hash attribute of what is queried takes one ``==``. Range attributes are given left to
right: ``==`` on each but the last one given, which may instead take ``< <= > >= between
begins_with``. A table or local index has one hash and at most one range attribute; a global
index may have up to four of each (DynamoDB's multi-attribute keys), e.g. ``tenant == t &
region == r & day == d & amount >= 5``.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from typing import Any, cast

from .columns import Column
from .conditions import And, BeginsWith, Between, Comparison, Condition
from .errors import InvalidQuery
from .paging import QueryState, key_sides, target_label

_RANGE_OPS = frozenset({"=", "<", "<=", ">", ">="})


def check_columns(state: QueryState[Any], condition: Condition, where: str) -> None:
    """Every column of ``condition`` is a field of the queried model (or, in a collection
    query, of one of its models)."""
    models = [state.info.model, *(m.model for m in state.members)]
    for column in condition.columns():
        if not any(issubclass(model, column.model) for model in models):
            raise InvalidQuery(f"{where}(): {column.label} is not a field of {state.info.label}")


def check_key(state: QueryState[Any], condition: Condition) -> Condition:
    """``condition`` is a valid key condition of what ``state`` queries (else ``InvalidQuery``
    saying which part is wrong or missing), returned in the order DynamoDB wants it: the hash
    parts, then the range parts left to right, whatever order the caller wrote them in."""
    if not isinstance(cast(object, condition), Condition):
        raise InvalidQuery(f"key() takes a condition such as Post.forum == 'x', not {condition!r}")
    check_columns(state, condition, "key")
    hash_keys, range_keys = key_sides(state)
    hash_names = [f.name for f in hash_keys]
    range_names = [f.name for f in range_keys]
    where = target_label(state)
    parts = condition.parts if isinstance(condition, And) else (condition,)
    given_hash: dict[str, Condition] = {}
    given_range: dict[str, Condition] = {}
    for part in parts:
        column = getattr(part, "column", None)
        if not isinstance(column, Column) or len(column.path) != 1:
            raise InvalidQuery(
                f"key(): {part.describe()} is not a key condition on {where}; key() takes "
                "hash_key == value, optionally & one range key condition"
            )
        if isinstance(part, Comparison) and isinstance(part.operand, Column):
            raise InvalidQuery(f"key(): {part.describe()} compares two attributes; use a value")
        name = column.field
        if name in hash_names:
            if not (isinstance(part, Comparison) and part.op == "=") or name in given_hash:
                raise InvalidQuery(
                    f"key(): the hash key {name} of {where} takes exactly one == "
                    f"condition, got {part.describe()}; move other conditions to filter() or scan"
                )
            given_hash[name] = part
        elif name in range_names:
            valid = (isinstance(part, Comparison) and part.op in _RANGE_OPS) or isinstance(
                part, Between | BeginsWith
            )
            if not valid or name in given_range:
                why = "a second condition" if valid else part.describe()
                raise InvalidQuery(
                    f"key(): the range key {name} of {where} takes one condition of "
                    f"== < <= > >= between begins_with, got {why}; use between() for a range, "
                    "or filter() for anything else"
                )
            given_range[name] = part
        else:
            keys = " and ".join((*hash_names, *range_names))
            raise InvalidQuery(
                f"key(): {column.label} is not a key of {where} (its keys: {keys}); "
                "move that condition to filter()"
            )
    missing = [n for n in hash_names if n not in given_hash]
    if missing:
        needs = " & ".join(f"{n} == value" for n in missing)
        every = " (every hash key attribute)" if len(hash_names) > 1 else ""
        raise InvalidQuery(f"key(): a query on {where} needs {needs}{every}")
    _check_range_order(where, range_names, given_range)
    # (some servers answer a range part written first with HTTP 500)
    ordered = [given_hash[n] for n in hash_names]
    ordered += [given_range[n] for n in range_names if n in given_range]
    return ordered[0] if len(ordered) == 1 else And(tuple(ordered))


def _check_range_order(where: str, names: list[str], given: dict[str, Condition]) -> None:
    """Range attributes left to right: == on all but the last given, nothing skipped."""
    last = max((names.index(n) for n in given), default=-1)
    for i, name in enumerate(names[: last + 1]):
        part = given.get(name)
        if part is None:
            raise InvalidQuery(
                f"key(): {names[last]} is given but {name} is not: the range key attributes of "
                f"{where} ({', '.join(names)}) are given left to right; add {name} == value"
            )
        if i < last and not (isinstance(part, Comparison) and part.op == "="):
            raise InvalidQuery(
                f"key(): {part.describe()} is a range condition, so it must be on the last range "
                f"key attribute given, but {names[last]} follows it; use == on {name}"
            )
