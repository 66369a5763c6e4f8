"""pydantic_bloop: a typed DynamoDB object mapper for pydantic v2 models.

The API is ``__all__`` below, plus four modules imported by name: ``pydantic_bloop.testing``
(a local DynamoDB, scripted plans), ``pydantic_bloop.types`` (codecs, ``register_type``),
``pydantic_bloop.mypy`` (the mypy plugin) and ``pydantic_bloop.pytest_plugin`` (fixtures).
Every other module is internal and says so: its names may move between releases.
"""

from .actions import UpdateAction
from .aio_clients import aio_client
from .async_engine import AsyncEngine, AsyncQuery, AsyncResults
from .capacity import CapacityMeter, Units
from .columns import Column, col
from .computed import Computable, UpdateOperand, UpdateValue, list_append
from .conditions import Condition, ConditionArg, KeyCondition, KeyConditionArg
from .engine import Engine
from .entities import Collection
from .errors import (
    BloopError,
    CancellationReason,
    ConstraintViolation,
    HookError,
    InvalidCondition,
    InvalidItem,
    InvalidModel,
    InvalidQuery,
    InvalidTransaction,
    InvalidUpdate,
    InvalidValue,
    MigrationFailed,
    MissingObjects,
    TableMismatch,
    TableNotActive,
    TransactionCanceled,
    TransientError,
    TransportError,
    UnboundModel,
    UnloadedField,
    UnsupportedOption,
)
from .hooks import CommitEvent, Hooks, ObjectEvent, TableEvent, WriteEvent
from .indexes import GlobalIndex, Index, LocalIndex
from .items import from_item, key_only, to_item
from .lean_transport import LeanTransport
from .markers import DynamoName, HashKey, RangeKey, Version
from .migrations import Migration, MigrationProgress, TableMigration
from .models import Base, BloopConfig
from .paging import InvalidResult, OnInvalid, Page
from .plans import Backoff, Call, Parallel, Plan, Sleep
from .query import Query, Results
from .rate_limit import RateLimit
from .readers import AsyncStreamReader, StreamReader
from .settings import EngineConfig
from .streams import Change, Changes, InvalidRecords, RecordError, StreamError, parse_changes
from .table_admin import TableDescription
from .table_options import TableOption
from .templates import Template
from .transactions import Transaction
from .types import AsEpoch, register_type

__all__ = [
    "AsEpoch",
    "AsyncEngine",
    "AsyncQuery",
    "AsyncResults",
    "AsyncStreamReader",
    "Backoff",
    "Base",
    "BloopConfig",
    "BloopError",
    "Call",
    "CancellationReason",
    "CapacityMeter",
    "Change",
    "Changes",
    "Collection",
    "Column",
    "CommitEvent",
    "Computable",
    "Condition",
    "ConditionArg",
    "ConstraintViolation",
    "DynamoName",
    "Engine",
    "EngineConfig",
    "GlobalIndex",
    "HashKey",
    "HookError",
    "Hooks",
    "Index",
    "InvalidCondition",
    "InvalidItem",
    "InvalidModel",
    "InvalidQuery",
    "InvalidRecords",
    "InvalidResult",
    "InvalidTransaction",
    "InvalidUpdate",
    "InvalidValue",
    "KeyCondition",
    "KeyConditionArg",
    "LeanTransport",
    "LocalIndex",
    "Migration",
    "MigrationFailed",
    "MigrationProgress",
    "MissingObjects",
    "ObjectEvent",
    "OnInvalid",
    "Page",
    "Parallel",
    "Plan",
    "Query",
    "RangeKey",
    "RateLimit",
    "RecordError",
    "Results",
    "Sleep",
    "StreamError",
    "StreamReader",
    "TableDescription",
    "TableEvent",
    "TableMigration",
    "TableMismatch",
    "TableNotActive",
    "TableOption",
    "Template",
    "Transaction",
    "TransactionCanceled",
    "TransientError",
    "TransportError",
    "UnboundModel",
    "Units",
    "UnloadedField",
    "UnsupportedOption",
    "UpdateAction",
    "UpdateOperand",
    "UpdateValue",
    "Version",
    "WriteEvent",
    "aio_client",
    "col",
    "from_item",
    "key_only",
    "list_append",
    "parse_changes",
    "register_type",
    "to_item",
]
