"""The pydantic_bloop mypy plugin: ``Post.views`` is ``Column[int]`` to mypy.

Enable it in place of pydantic's plugin (it extends it, so pydantic's ``[pydantic-mypy]``
settings such as ``init_typed`` and ``init_forbid_extra`` keep working)::

    [mypy]
    plugins = pydantic_bloop.mypy

At run time a model field read from the class (``Post.views``) is a
:class:`~pydantic_bloop.columns.Column`, while read from an instance (``post.views``) it is
the value. Without help mypy sees the declared type in both places; this plugin types the class
attribute access of every field of a :class:`~pydantic_bloop.models.Base` subclass (inherited
fields and fields declared with ``Annotated`` markers included) as ``Column[T]``, ``T`` being the
field's declared type. ClassVars (indexes), methods, properties, private attributes and instance
access are left alone. ``list_append(column, [...])`` takes its element type from the stored
list (the column's), so a list of another type is an error even where the result is untyped.

Supported mypy versions: ``mypy_support.SUPPORTED`` (outside them, see ``mypy_support``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from mypy.errorcodes import ATTR_DEFINED, OPERATOR
from mypy.expandtype import expand_type
from mypy.maptype import map_instance_to_supertype
from mypy.messages import format_type
from mypy.nodes import ARG_POS, Argument, TypeInfo, Var
from mypy.plugin import (
    AttributeContext,
    ClassDefContext,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.plugins.common import add_method_to_class
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    Type,
    TypeOfAny,
    UnionType,
    flatten_nested_unions,
    get_proper_type,
)
from mypy.version import __version__ as MYPY_VERSION
from pydantic.mypy import PydanticPlugin

from .mypy_keys import KEYWORDS, KeyChecks, check_key_arguments, key_default, nested_field
from .mypy_keys import is_field as _is_field
from .mypy_support import SUPPORTED, guarded, verdict, warn

__all__ = ["BloopPlugin", "plugin"]

BASE_FULLNAME = "pydantic_bloop.models.Base"
COLUMN_FULLNAME = "pydantic_bloop.columns.Column"
CONDITION_FULLNAME = "pydantic_bloop.conditions.Condition"
COMPUTABLE_FULLNAME = "pydantic_bloop.computed.Computable"
LIST_APPEND_FULLNAME = "pydantic_bloop.computed.list_append"

# Bump when the plugin's output changes, so that mypy discards caches written by an older one.
__version__ = 4


class BloopPlugin(PydanticPlugin):
    """pydantic's mypy plugin, plus ``Column[T]`` for class attribute access of model fields."""

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        # ``fullname`` is "<class accessed>.<attribute>", e.g. "app.models.Post.views".
        owner, _, name = fullname.rpartition(".")
        symbol = self.lookup_fully_qualified(owner)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return None
        info = symbol.node
        if info.fullname == BASE_FULLNAME or not info.has_base(BASE_FULLNAME):
            return None
        if not _is_field(info, name):
            return None
        column = self.lookup_fully_qualified(COLUMN_FULLNAME)
        if column is None or not isinstance(column.node, TypeInfo):
            return None
        return guarded(MYPY_VERSION, partial(_column_of_field, column.node), _default_attr)

    def get_customize_class_mro_hook(
        self, fullname: str
    ) -> Callable[[ClassDefContext], None] | None:
        if fullname == COLUMN_FULLNAME:
            return _declare_getattr
        return super().get_customize_class_mro_hook(fullname)

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        # ``Post.author.name``: an attribute Column does not have is a nested model's field
        owner, _, name = fullname.rpartition(".")
        if owner != COLUMN_FULLNAME:
            return super().get_attribute_hook(fullname)
        column = self.lookup_fully_qualified(COLUMN_FULLNAME)
        if column is None or not isinstance(column.node, TypeInfo) or column.node.get(name):
            return super().get_attribute_hook(fullname)
        return guarded(MYPY_VERSION, partial(_nested_column, column.node, name), _default_attr)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        if fullname in KEYWORDS:
            return self._key_hook(fullname)
        if fullname.endswith(".__eq__"):
            return _EQ_HOOK
        if fullname.endswith(".__ne__"):
            return _NE_HOOK
        return super().get_method_hook(fullname)

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname in KEYWORDS:
            return self._key_hook(fullname)
        return super().get_function_hook(fullname)

    def _key_hook(self, fullname: str) -> Callable[[MethodContext | FunctionContext], Type]:
        """``get(Post, id=...)``, ``key_only(Post, ...)``: as pydantic checks ``Post(...)``."""
        config = self.plugin_config
        checks = KeyChecks(names=config.init_forbid_extra, types=config.init_typed)
        return guarded(MYPY_VERSION, partial(check_key_arguments, checks, fullname), key_default)

    # mypy asks for method and function hooks apart: the two below are the same rule
    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        if _is_public_api(fullname):
            return _METHOD_SIGNATURE_HOOK
        return super().get_method_signature_hook(fullname)

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        if fullname == LIST_APPEND_FULLNAME:
            return _LIST_APPEND_HOOK
        if _is_public_api(fullname):
            return _FUNCTION_SIGNATURE_HOOK
        return super().get_function_signature_hook(fullname)

    def report_config_data(self, ctx: ReportConfigContext) -> dict[str, Any]:
        data = super().report_config_data(ctx)
        return {**data, "pydantic_bloop": __version__}


def _is_column(typ: Type) -> bool:
    typ = get_proper_type(typ)
    return isinstance(typ, Instance) and typ.type.has_base(COLUMN_FULLNAME)


def _column_of_field(column: TypeInfo, ctx: AttributeContext) -> Type:
    """``Post.views``: ``Column[int]`` instead of ``int`` (assignments keep the field's type)."""
    if ctx.is_lvalue:
        return ctx.default_attr_type
    return Instance(column, [ctx.default_attr_type])


def _declare_getattr(ctx: ClassDefContext) -> None:
    """Give ``Column`` (to mypy only) the ``__getattr__`` it has at run time, so that a path
    into a nested model reaches `_nested_column`. Pyright does not see it: there
    ``col(Post.views).bogus`` stays an error, and ``col(Post.author.name)`` is the typed path."""
    if "__getattr__" in ctx.cls.info.names:
        return
    try:
        name = ctx.api.named_type("builtins.str")
        result = Instance(ctx.cls.info, [AnyType(TypeOfAny.special_form)])
        argument = Argument(Var("name", name), name, None, ARG_POS)
        add_method_to_class(ctx.api, ctx.cls, "__getattr__", [argument], result)
    except Exception as exc:  # as `guarded` does for the other hooks
        ctx.api.fail(
            f"pydantic_bloop.mypy failed on mypy {MYPY_VERSION} ({type(exc).__name__}: {exc}); "
            f"it supports mypy{SUPPORTED}",
            ctx.cls,
        )


def _nested_column(column: TypeInfo, name: str, ctx: AttributeContext) -> Type:
    """``Post.author.name`` is ``Column[str]`` when ``Post.author`` is a ``Column[Author]`` whose
    model has a field ``name``; anything else is no attribute of a column."""
    held = get_proper_type(ctx.type)
    found = nested_field(held, name) if isinstance(held, Instance) else None
    if found is None:
        ctx.api.fail(
            f'{format_type(ctx.type, ctx.api.options)} has no attribute "{name}"',
            ctx.context,
            code=ATTR_DEFINED,
        )
        return AnyType(TypeOfAny.from_error)
    return Instance(column, [found])


def _is_public_api(fullname: str) -> bool:
    """A function or method of ours that users call (private helpers may pass ``bool`` on)."""
    name = fullname.rpartition(".")[2]
    dunder = name.startswith("__") and name.endswith("__")
    return fullname.startswith("pydantic_bloop.") and (dunder or not name.startswith("_"))


def _conditions_only(ctx: MethodSigContext | FunctionSigContext) -> FunctionLike:
    """``key()``, ``filter()``, ``condition=`` and ``&`` / ``|`` take ``Condition | bool``,
    because pyright sees ``Post.views > 1`` as a ``bool``. With this plugin mypy sees a
    ``Condition`` there, so the ``bool`` comes out again: a real ``bool`` stays an error."""
    signature = ctx.default_signature
    arg_types = [_without_bool(t) for t in signature.arg_types]
    if all(new is old for new, old in zip(arg_types, signature.arg_types, strict=True)):
        return signature
    modified: CallableType = signature.copy_modified(  # pyright: ignore[reportUnknownMemberType] - mypy's own typing
        arg_types=arg_types
    )
    return modified


def _without_bool(typ: Type) -> Type:
    proper = get_proper_type(typ)
    if not isinstance(proper, UnionType):
        return typ
    items = [get_proper_type(t) for t in flatten_nested_unions(proper.items)]
    if not any(isinstance(t, Instance) and t.type.has_base(CONDITION_FULLNAME) for t in items):
        return typ
    kept = [
        t for t in items if not (isinstance(t, Instance) and t.type.fullname == "builtins.bool")
    ]
    return typ if len(kept) == len(items) else UnionType.make_union(kept)


def _list_of_the_stored_list(ctx: FunctionSigContext) -> FunctionLike:
    """``list_append(col(Account.history), [1])``: the element type is the stored list's (the
    argument that is a column or another computed value), not solved from both arguments. mypy
    would solve it from both, and where the result goes untyped (``_ = ...``) settle on Any and
    accept a list of another type; with it fixed, the other argument is checked against it (as
    pyright does). Each overload of ``list_append`` comes here on its own."""
    signature = ctx.default_signature
    if len(signature.variables) != 1 or [len(a) for a in ctx.args] != [1, 1]:
        return signature
    for position, declared in enumerate(signature.arg_types):
        declared = get_proper_type(declared)
        if not (isinstance(declared, Instance) and declared.type.fullname == COMPUTABLE_FULLNAME):
            continue  # the list value's side
        stored = get_proper_type(ctx.api.get_expression_type(ctx.args[position][0]))
        if not (isinstance(stored, Instance) and stored.type.has_base(COMPUTABLE_FULLNAME)):
            return signature  # not this overload's shape: mypy's own error
        element = _list_element(map_instance_to_supertype(stored, declared.type).args[0])
        if element is None:
            return signature
        fixed = get_proper_type(expand_type(signature, {signature.variables[0].id: element}))
        assert isinstance(fixed, CallableType)
        modified: CallableType = fixed.copy_modified(  # pyright: ignore[reportUnknownMemberType] - mypy's own typing
            variables=[]
        )
        return modified
    return signature


def _list_element(typ: Type) -> Type | None:
    """``X`` of ``list[X]`` or ``list[X] | None``; None for any other type."""
    proper = get_proper_type(typ)
    items = flatten_nested_unions(proper.items) if isinstance(proper, UnionType) else [proper]
    lists = [
        t
        for t in map(get_proper_type, items)
        if isinstance(t, Instance) and t.type.fullname == "builtins.list"
    ]
    return lists[0].args[0] if len(lists) == 1 else None


def _value_equals_column(operator: str, ctx: MethodContext) -> Type:
    """``"x" == Post.user``: the value's ``__eq__`` (which takes any object) does not apply to a
    column; Python falls back to the column's reflected ``__eq__``, and so does mypy when this
    fails. Without this, ``Post.user == "not-a-uuid"`` would pass as the ``bool`` of
    ``str.__eq__`` instead of being rejected by ``Column[UUID].__eq__``."""
    if _is_column(ctx.type) or len(ctx.arg_types) != 1 or len(ctx.arg_types[0]) != 1:
        return ctx.default_return_type
    other = ctx.arg_types[0][0]
    if _is_column(other):
        ctx.api.fail(
            f"Unsupported operand types for {operator} "
            f"({format_type(ctx.type, ctx.api.options)} and "
            f"{format_type(other, ctx.api.options)})",
            ctx.context,
            code=OPERATOR,
        )
    return ctx.default_return_type


def _default_attr(ctx: AttributeContext) -> Type:
    return ctx.default_attr_type


def _default_return(ctx: MethodContext) -> Type:
    return ctx.default_return_type


def _default_signature(ctx: MethodSigContext | FunctionSigContext) -> FunctionLike:
    return ctx.default_signature


# Every hook is guarded (see mypy_support): an exception is an error naming this plugin.
_EQ_HOOK = guarded(MYPY_VERSION, partial(_value_equals_column, "=="), _default_return)
_NE_HOOK = guarded(MYPY_VERSION, partial(_value_equals_column, "!="), _default_return)
_METHOD_SIGNATURE_HOOK = guarded(MYPY_VERSION, _conditions_only, _default_signature)
_FUNCTION_SIGNATURE_HOOK = guarded(MYPY_VERSION, _conditions_only, _default_signature)
_LIST_APPEND_HOOK = guarded(MYPY_VERSION, _list_of_the_stored_list, _default_signature)


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: ``plugins = pydantic_bloop.mypy``. Outside the supported mypy
    versions it says so on stderr; an older mypy gets pydantic's plugin alone."""
    warn(version)
    return PydanticPlugin if verdict(version) == "old" else BloopPlugin
