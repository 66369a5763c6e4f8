"""The mypy plugin's check of key arguments: ``engine.get(Post, forum="f", id=pid)`` and
``key_only(Post, ...)`` take their key as ``**fields: object`` (a key may be any model's, and a
templated key is given by the fields it is built from), which alone checks nothing. With the
plugin they follow pydantic's own settings for ``Post(...)``: with ``init_forbid_extra`` each
keyword must be a field of the model, with ``init_typed`` its value must be of the field's type
(an ``int`` or ``float`` for a ``Decimal`` field, as in comparisons). Without ``init_typed``
values are not checked, since pydantic validates them (``id=str(uuid)`` is then fine).

Pyright has no plugins: there these calls check only the model argument.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mypy.errorcodes import ARG_TYPE, CALL_ARG
from mypy.expandtype import expand_type_by_instance
from mypy.maptype import map_instance_to_supertype
from mypy.messages import format_type
from mypy.nodes import TypeInfo, Var
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.subtypes import is_subtype
from mypy.types import (
    CallableType,
    Instance,
    NoneType,
    Type,
    TypeType,
    UnionType,
    get_proper_type,
)
from pydantic.mypy import METADATA_KEY

__all__ = [
    "KEYWORDS",
    "KeyChecks",
    "check_key_arguments",
    "declared_type",
    "is_field",
    "key_default",
    "nested_field",
]

BASE_FULLNAME = "pydantic_bloop.models.Base"
PYDANTIC_MODEL = "pydantic.main.BaseModel"

# the callables whose keyword arguments are a model's fields, and the name of that ** parameter
KEYWORDS = {
    "pydantic_bloop.engine.Engine.get": "fields",
    "pydantic_bloop.async_engine.AsyncEngine.get": "fields",
    "pydantic_bloop.engine.Engine.get_or_none": "fields",
    "pydantic_bloop.async_engine.AsyncEngine.get_or_none": "fields",
    "pydantic_bloop.items.key_only": "key",
}


@dataclass(frozen=True, slots=True)
class KeyChecks:
    """What to check (pydantic's ``init_forbid_extra`` and ``init_typed``)."""

    names: bool
    types: bool


def check_key_arguments(
    checks: KeyChecks, callee: str, ctx: MethodContext | FunctionContext
) -> Type:
    """Report keywords of ``callee`` that are not fields of the model, or not of its type."""
    model = _model_instance(ctx)
    formal = KEYWORDS.get(callee)
    if model is None or formal is None or formal not in ctx.callee_arg_names:
        return ctx.default_return_type
    index = ctx.callee_arg_names.index(formal)
    what = callee.rpartition(".")[2]
    for name, actual, expr in zip(
        ctx.arg_names[index], ctx.arg_types[index], ctx.args[index], strict=True
    ):
        if name is None:  # **mapping: nothing to check by name
            continue
        if not is_field(model.type, name):
            if not checks.names:
                continue
            ctx.api.fail(
                f'Unexpected keyword argument "{name}" for "{what}": '
                f'"{model.type.name}" has no field "{name}"',
                expr,
                code=CALL_ARG,
            )
            continue
        expected = _field_type(model, name, ctx.api) if checks.types else None
        if expected is not None and not is_subtype(actual, expected):
            ctx.api.fail(
                f'Argument "{name}" to "{what}" of "{model.type.name}" has incompatible type '
                f"{format_type(actual, ctx.api.options)}; expected "
                f"{format_type(expected, ctx.api.options)}",
                expr,
                code=ARG_TYPE,
            )
    return ctx.default_return_type


def is_field(info: TypeInfo, name: str) -> bool:
    """Whether ``name`` is a pydantic field of the model ``info`` (inherited ones included)."""
    metadata: dict[str, Any] | None = info.metadata.get(METADATA_KEY)
    if metadata is not None:
        fields: dict[str, Any] = metadata.get("fields", {})
        return name in fields
    # pydantic's plugin did not describe the class (it gave up on it): judge by the symbol.
    symbol = info.get(name)
    if symbol is None or not isinstance(symbol.node, Var):
        return False
    var = symbol.node
    return (
        not var.is_classvar
        and not var.is_property
        and not name.startswith("_")
        and name != "model_config"
        and var.info.has_base(BASE_FULLNAME)
        and var.info.fullname != BASE_FULLNAME
    )


def _model_instance(ctx: MethodContext | FunctionContext) -> Instance | None:
    """The model the first argument names (``Post`` in ``get(Post, ...)``), as an instance."""
    if not ctx.arg_types or not ctx.arg_types[0]:
        return None
    given = get_proper_type(ctx.arg_types[0][0])
    found: Type | None = None
    if isinstance(given, TypeType):
        found = given.item
    elif isinstance(given, CallableType) and given.is_type_obj():
        found = given.ret_type
    found = get_proper_type(found) if found is not None else None
    if (  # Base itself (a model typed as any model): its fields are not known
        isinstance(found, Instance)
        and found.type.has_base(BASE_FULLNAME)
        and found.type.fullname != BASE_FULLNAME
    ):
        return found
    return None


def _field_type(model: Instance, name: str, api: CheckerPluginInterface) -> Type | None:
    """What a key argument for field ``name`` may be: its type, or an ``int`` or ``float`` for
    a ``Decimal`` field."""
    declared = declared_type(model, name)
    proper = get_proper_type(declared) if declared is not None else None
    if isinstance(proper, Instance) and proper.type.fullname == "decimal.Decimal":
        numbers = [api.named_generic_type(f"builtins.{n}", []) for n in ("int", "float")]
        return UnionType.make_union([proper, *numbers])
    return declared


def declared_type(model: Instance, name: str) -> Type | None:
    """The declared type of field ``name`` as ``model`` sees it (type arguments applied)."""
    symbol = model.type.get(name)
    if symbol is None or not isinstance(symbol.node, Var) or symbol.node.type is None:
        return None
    owner: TypeInfo = symbol.node.info
    declared: Type = symbol.node.type
    return expand_type_by_instance(declared, map_instance_to_supertype(model, owner))


def key_default(ctx: MethodContext | FunctionContext) -> Type:
    return ctx.default_return_type


def nested_field(column: Instance, name: str) -> Type | None:
    """``Post.author.name``: the type of field ``name`` of the nested model ``column`` (a
    ``Column[Author]`` or ``Column[Author | None]``) holds; None when it holds no model with
    such a field."""
    if not column.args:
        return None
    held = get_proper_type(column.args[0])
    items = held.items if isinstance(held, UnionType) else [held]
    models = [
        t
        for t in map(get_proper_type, items)
        if isinstance(t, Instance) and t.type.has_base(PYDANTIC_MODEL)
    ]
    others = [t for t in map(get_proper_type, items) if not _is_none(t)]
    if len(models) != 1 or len(others) != 1 or not is_field(models[0].type, name):
        return None
    return declared_type(models[0], name)


def _is_none(typ: Type) -> bool:
    return isinstance(typ, NoneType)
