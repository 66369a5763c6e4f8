"""Engines: ``EngineCore`` (settings, bindings, the plan of each operation) and the sync
``Engine``, a thin driver of those plans over a boto3 client.

Everything an operation means lives in the plans (`operations`, `tables`,
`query`); an engine only runs their calls, concurrently where a plan allows, and sleeps.
The async engine (`async_engine`) is the same core over aiobotocore.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import abc
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self, TypeVar, Unpack, overload
from urllib.parse import urlsplit
from uuid import uuid4

from . import operations, table_admin, tables, transactions, updating
from .actions import UpdateAction
from .answers import engine_call, guard
from .conditions import ConditionArg, as_condition
from .drivers import Outcomes, run_sync
from .entities import Collection
from .errors import InvalidModel, InvalidUpdate, UnboundModel
from .hooks import Hooks
from .indexes import Index
from .lean_transport import LeanTransport
from .migrations import Migration, Progress, TableMigration
from .models import Base, ModelInfo, model_info
from .outcomes import transport_errors
from .plans import Call, Plan, Response
from .query import Query, target_state
from .readers import StreamReader
from .settings import EngineConfig as EngineConfig
from .settings import Settings
from .stream_reader import OnError, Start
from .table_admin import TableDescription
from .table_options import TableOption
from .transactions import Transaction
from .types import AttributeValue
from .types.scalars import SecretCodec
from .watch import Watch, watched
from .writes import WriteOptions

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

M = TypeVar("M", bound=Base)
R = TypeVar("R")


class Bindings:
    """Which models an engine has bound, to which table names. Shared by an engine's contexts."""

    def __init__(self) -> None:
        self.tables: dict[type[Base], str] = {}

    def forget(self, table: str) -> None:
        """Unbind every model of ``table`` (it was deleted)."""
        for bound, name in list(self.tables.items()):
            if name == table:
                del self.tables[bound]


def default_client() -> DynamoDBClient:
    """A DynamoDB client from the environment, with botocore's standard retry mode and without
    botocore's parameter validation: the engine builds every request itself (and checks what it
    is given before sending), so walking each request through the service model again is pure
    cost (a third of a bulk save's client time)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 10}, parameter_validation=False)
    client: DynamoDBClient = boto3.client("dynamodb", config=config)
    return client


def streams_endpoint(endpoint_url: str) -> str | None:
    """The endpoint for a DynamoDB Streams client beside a DynamoDB client at `endpoint_url`:
    the same for a local server (which serves both), botocore's own choice (None) on AWS, where
    the two services have different hosts."""
    host = urlsplit(endpoint_url).hostname or ""
    return None if ".amazonaws.com" in host else endpoint_url


def _streams_client_like(client: DynamoDBClient) -> DynamoDBStreamsClient:
    """A DynamoDB Streams client with `client`'s region, endpoint, config and credentials
    (frozen as they are now: pass `streams_client=` for credentials that must refresh)."""
    import boto3

    botocore_client: Any = client  # botocore keeps credentials private (no public getter)
    credentials: Any = botocore_client._get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    streams: DynamoDBStreamsClient = boto3.client(
        "dynamodbstreams",
        region_name=client.meta.region_name,
        endpoint_url=streams_endpoint(client.meta.endpoint_url),
        config=client.meta.config,
        aws_access_key_id=frozen.access_key if frozen else None,
        aws_secret_access_key=frozen.secret_key if frozen else None,
        aws_session_token=frozen.token if frozen else None,
    )
    return streams


class EngineCore:
    """What both engines share: settings, bindings, and the plan of every operation.

    Subclasses add only a transport: how to run a plan's calls and sleeps.
    """

    config: EngineConfig
    hooks: Hooks  # lifecycle hooks: ``engine.hooks.on_saved(handler)`` (see docs/hooks.md)
    _bindings: Bindings

    def _derive(self, changes: Settings) -> Self:
        """A copy with some settings changed, sharing client, bindings and transport state."""
        clone = copy.copy(self)
        clone.config = self.config.with_settings(changes)
        clone.hooks = self.hooks.child()  # the engine's handlers, and the context's own
        if clone.config.table_name_template != self.config.table_name_template:
            clone._bindings = Bindings()  # other names, other tables: bind them anew
        return clone

    def table_name(self, model: type[Base]) -> str:
        """The name of the table ``model`` is bound to; ``UnboundModel`` if it is not bound."""
        try:
            return self._bindings.tables[model]
        except KeyError:
            raise UnboundModel(
                f"{model.__name__} is not bound to this engine: call engine.bind({model.__name__})"
            ) from None

    def _watched(self, plan: Plan[R]) -> Plan[R]:
        """`plan` as the engine runs it: every call metered, paced and logged (see `watch`)."""
        c = self.config
        return watched(plan, Watch(c.capacity, c.rate_limit, self._secret_keys))

    def _secret_keys(self) -> frozenset[str]:
        """The stored names of key fields typed ``SecretStr`` / ``SecretBytes`` in bound models
        (their values are masked in log lines)."""
        return frozenset(
            spec.dynamo_name
            for model in list(self._bindings.tables)
            for spec in model_info(model).keys
            if isinstance(spec.codec, SecretCodec)
        )

    def _write_options(self) -> WriteOptions:
        c = self.config
        return WriteOptions(c.persist, c.atomic, c.backoff)

    # -- plans -------------------------------------------------------------------------------------

    def _tables(self, models: Sequence[type[Base]]) -> dict[str, list[ModelInfo]]:
        return tables.by_table(models, self.config.table_name_for)

    def _bind_plan(
        self,
        models: Sequence[type[Base]],
        migrate: bool = False,
        skip: abc.Collection[str] = (),
        progress: Progress | None = None,
        timeout: float = 600.0,
        **drop: bool,
    ) -> Plan[Migration]:
        skipped = tables.skipped_options(skip)
        done: list[TableMigration] = []
        for table, infos in self._tables(models).items():
            if not migrate and all(i.model in self._bindings.tables for i in infos):
                continue  # bound before: nothing to ask DynamoDB
            found = yield from tables.bind(
                infos,
                table,
                self.config.backoff,
                timeout,
                migrate=migrate,
                skip=skipped,
                progress=progress,
                **drop,
            )
            done.append(found)
            for info in infos:
                self._bindings.tables[info.model] = table
        return Migration(tuple(done))

    def _migration_plan(
        self, models: Sequence[type[Base]], skip: abc.Collection[str], **drop: bool
    ) -> Plan[Migration]:
        found: list[TableMigration] = []
        for table, infos in self._tables(models).items():
            found.append(
                (yield from tables.preview(infos, table, skip=tables.skipped_options(skip), **drop))
            )
        return Migration(tuple(found))

    def _table_of(self, model: type[Base]) -> str:
        """The final table name of ``model``, bound or not."""
        info = model_info(model)
        if info.table is None:
            raise InvalidModel(f"{model.__name__} has no table (no HashKey)")
        return self.config.table_name_for(info.table.name)

    def _delete_table_plan(self, model: type[Base], wait: bool) -> Plan[bool]:
        table = self._table_of(model)
        deleted = yield from table_admin.delete(table, self.config.backoff, 600.0, wait)
        self._bindings.forget(table)
        return deleted

    def _get_plan(
        self,
        model: type[M],
        consistent: bool,
        key: abc.Mapping[str, object] | None,
        fields: dict[str, object],
    ) -> Plan[M]:
        info, table, wire_key = self._get_target(model, consistent, key, fields)
        return (yield from operations.get(info, table, wire_key, consistent))

    def _get_or_none_plan(
        self,
        model: type[M],
        consistent: bool,
        key: abc.Mapping[str, object] | None,
        fields: dict[str, object],
    ) -> Plan[M | None]:
        info, table, wire_key = self._get_target(model, consistent, key, fields)
        return (yield from operations.get_or_none(info, table, wire_key, consistent))

    def _get_target(
        self,
        model: type[M],
        consistent: bool,
        key: abc.Mapping[str, object] | None,
        fields: dict[str, object],
    ) -> tuple[ModelInfo[M], str, dict[str, AttributeValue]]:
        """What a get of ``model`` reads: its info, its table and the stored key (checked)."""
        info = model_info(model)
        wire_key = operations.get_key(info, key, fields, consistent)
        return info, self.table_name(model), wire_key

    def _load_plan(self, objs: Sequence[Base], consistent: bool, transaction: bool) -> Plan[None]:
        if transaction:
            return transactions.load(objs, self.table_name, self.config.backoff)
        return operations.load(objs, self.table_name, consistent, self.config.backoff)

    def _transaction(self, token: str | None) -> transactions.Transaction:
        return transactions.Transaction(
            self.table_name,
            self._write_options(),
            token if token is not None else str(uuid4()),
            deferred=lambda kind: bool(self.hooks.handlers(kind)),
        )

    def _save_plan(self, objs: Sequence[Base], condition: ConditionArg | None) -> Plan[None]:
        checked = None if condition is None else as_condition(condition, "save(condition=...)")
        return operations.save(objs, self.table_name, self._write_options(), checked)

    def _delete_plan(self, objs: Sequence[Base], condition: ConditionArg | None) -> Plan[None]:
        checked = None if condition is None else as_condition(condition, "delete(condition=...)")
        return operations.delete(objs, self.table_name, self._write_options(), checked)

    def _update_plan(
        self,
        obj: M,
        actions: Sequence[UpdateAction],
        condition: ConditionArg | None,
        refresh: object,
    ) -> Plan[M]:
        checked = None if condition is None else as_condition(condition, "update(condition=...)")
        if not isinstance(refresh, bool):
            raise InvalidUpdate(f"update(refresh=...) takes True or False, not {refresh!r}")
        options = self._write_options()
        plan = updating.update(obj, actions, self.table_name, options, checked, refresh)
        yield from plan
        return obj


class Engine(EngineCore):
    """Binds models to tables and loads, saves, deletes, queries and scans them.

    ``Engine(client=boto3.client("dynamodb"), atomic=False, persist="update",
    table_name_template="{table_name}", max_concurrency=8)``. The client is thread-safe and
    shared; batches and multi-object writes use up to ``max_concurrency`` requests at once.
    ``streams_client`` (a boto3 ``"dynamodbstreams"`` client) serves stream reads; without one,
    one is made from ``client`` when first needed. ``transport=LeanTransport(...)`` carries
    every request instead of the clients (see docs/transport.md).
    """

    def __init__(
        self,
        client: DynamoDBClient | None = None,
        *,
        streams_client: DynamoDBStreamsClient | None = None,
        transport: LeanTransport | None = None,
        **settings: Unpack[Settings],
    ) -> None:
        self._transport = transport
        self._client = client if client is not None or transport is not None else default_client()
        self._streams_client = streams_client
        self._owns_streams = False
        self.config = EngineConfig().with_settings(settings)
        self._bindings = Bindings()
        self.hooks = Hooks(sync=True)
        # one bind at a time (threads share the engine and its contexts share the lock)
        self._bind_lock = threading.RLock()
        self._pool = _Pool()

    def __repr__(self) -> str:
        c = self.config
        return f"<Engine atomic={c.atomic} persist={c.persist!r} tables={c.table_name_template!r}>"

    @contextmanager
    def context(self, **changes: Unpack[Settings]) -> Generator[Engine]:
        """An engine with some settings changed, sharing this one's client and bindings; this
        engine is untouched (also when the block raises)."""
        yield self._derive(changes)

    def bind(
        self, *models: type[Base], migrate: bool = False, skip: abc.Collection[TableOption] = ()
    ) -> None:
        """Create or validate the tables of ``models`` (a base binds every table model below it),
        waiting until they are ACTIVE. Raises ``TableMismatch`` listing every difference;
        ``migrate=True`` migrates the table instead (see ``migrate``). ``skip`` names options
        left out, for endpoints that lack them. Binding a model again is free."""
        with self._bind_lock:
            self.run(self._bind_plan(models, migrate, skip))

    def migration(
        self,
        *models: type[Base],
        drop_indexes: bool = False,
        drop_stream: bool = False,
        skip: abc.Collection[TableOption] = (),
    ) -> Migration:
        """What ``migrate`` would do to the tables of ``models`` (``print`` it); reads only."""
        plan = self._migration_plan(
            models, skip, drop_indexes=drop_indexes, drop_stream=drop_stream
        )
        return self.run(plan)

    def migrate(
        self,
        *models: type[Base],
        drop_indexes: bool = False,
        drop_stream: bool = False,
        skip: abc.Collection[TableOption] = (),
        progress: Progress | None = None,
        timeout: float = 600.0,
    ) -> Migration:
        """Bring the tables of ``models`` to what the models declare, step by step, and bind
        them; returns the migration carried out. Deleting an index the models no longer
        declare needs ``drop_indexes=True``, switching off or replacing a stream
        ``drop_stream=True``. ``progress`` receives a report per step; each wait lasts at
        most ``timeout`` seconds."""
        with self._bind_lock:
            return self.run(
                self._bind_plan(
                    models,
                    True,
                    skip,
                    progress,
                    timeout,
                    drop_indexes=drop_indexes,
                    drop_stream=drop_stream,
                )
            )

    def table_exists(self, model: type[Base]) -> bool:
        """Whether the table of ``model`` exists (bound or not)."""
        return self.run(table_admin.exists(self._table_of(model)))

    def describe_table(self, model: type[Base]) -> TableDescription | None:
        """What DynamoDB says about the table of ``model``; None when it does not exist."""
        return self.run(table_admin.describe_table(self._table_of(model)))

    def delete_table(self, model: type[Base], *, wait: bool = True) -> bool:
        """Delete the table of ``model`` (and every item in it!), waiting until it is gone;
        False when there was none. Models of that table must be bound again afterwards."""
        return self.run(self._delete_table_plan(model, wait))

    def get(
        self,
        model: type[M],
        key: abc.Mapping[str, object] | None = None,
        /,
        *,
        consistent: bool = False,
        **fields: object,
    ) -> M:
        """The object with this key (``engine.get(Post, forum="f", id=pid)``), or
        ``MissingObjects``. The key may also be a mapping, ``engine.get(Post, {"forum": "f",
        "id": pid})``: a key field named ``consistent`` is given that way."""
        return self.run(self._get_plan(model, consistent, key, fields))

    def get_or_none(
        self,
        model: type[M],
        key: abc.Mapping[str, object] | None = None,
        /,
        *,
        consistent: bool = False,
        **fields: object,
    ) -> M | None:
        """``get``, but None when no item has the key (a key that cannot be one is still an
        error): for code where absence is an expected answer, not a failure."""
        return self.run(self._get_or_none_plan(model, consistent, key, fields))

    def load(self, *objs: Base, consistent: bool = False, transaction: bool = False) -> None:
        """Refresh ``objs`` in place from DynamoDB (batched); ``MissingObjects`` lists any not
        found, after every found one was loaded. ``transaction=True`` reads them all in one
        ``TransactGetItems`` (at most 100 items), a single consistent view of every item."""
        if objs:
            self.run(self._load_plan(objs, consistent, transaction))

    def save(self, *objs: Base, condition: ConditionArg | None = None) -> None:
        """Store ``objs``: UpdateItem of what changed (``persist="update"``) or PutItem of the
        whole item (``"overwrite"``), conditioned on ``condition`` and, when atomic, on the
        stored item being what was last seen."""
        if objs:
            self.run(self._save_plan(objs, condition))

    def delete(self, *objs: Base, condition: ConditionArg | None = None) -> None:
        """Delete ``objs`` (batched when unconditional)."""
        if objs:
            self.run(self._delete_plan(objs, condition))

    def update(
        self,
        obj: M,
        *actions: UpdateAction,
        condition: ConditionArg | None = None,
        refresh: bool = True,
    ) -> M:
        """One ``UpdateItem`` of ``obj``'s pending changes (what ``save`` would send) and
        ``actions`` (``Account.hits.add(1)``, ...), conditioned on ``condition``, atomic mode
        and the version; ``obj`` then holds the stored item, and is returned. ``refresh=False``
        asks for no item back: the fields the actions change are then unloaded on ``obj``. An
        object holding only its key sends only the actions (see docs/updates.md)."""
        return self.run(self._update_plan(obj, actions, condition, refresh))

    @contextmanager
    def transaction(self, *, client_request_token: str | None = None) -> Generator[Transaction]:
        """``with engine.transaction() as tx:`` record ``tx.save`` / ``tx.update`` /
        ``tx.delete`` / ``tx.check``; leaving the block sends them as ONE ``TransactWriteItems``
        (all or nothing), and raising in it sends nothing. ``TransactionCanceled`` says which
        items failed and why. ``client_request_token`` (1-36 characters; default: a new uuid)
        makes retries of the commit idempotent for 10 minutes."""
        tx = self._transaction(client_request_token)
        yield tx
        self.run(tx.commit())

    # query and scan take the same targets: one overload set each (typing cannot share one
    # between methods); AsyncEngine repeats both, returning AsyncQuery.
    @overload
    def query(self, target: Index[M]) -> Query[M]: ...
    @overload
    def query(self, target: type[M]) -> Query[M]: ...
    @overload
    def query(self, target: Collection[M]) -> Query[M]: ...
    def query(self, target: type[M] | Index[M] | Collection[M]) -> Query[M]:
        """A query on a model's table or one of its indexes; add ``.key(...)``."""
        return Query(self, target_state(target, scan=False))

    @overload
    def scan(self, target: Index[M]) -> Query[M]: ...
    @overload
    def scan(self, target: type[M]) -> Query[M]: ...
    @overload
    def scan(self, target: Collection[M]) -> Query[M]: ...
    def scan(self, target: type[M] | Index[M] | Collection[M]) -> Query[M]:
        """A scan of a model's table or one of its indexes."""
        return Query(self, target_state(target, scan=True))

    def stream(
        self, model: type[M], /, *, start: Start = "trim_horizon", errors: OnError = "raise"
    ) -> StreamReader[M]:
        """A reader of the changes of ``model``'s table from its DynamoDB stream, from
        ``start`` (see ``StreamReader``; several models of one table: construct one)."""
        return StreamReader(self, model, start=start, errors=errors)

    # -- the transport ---------------------------------------------------------------------------

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client: the one given, or one made from the environment (with a
        ``transport``, made only when asked for: the engine itself does not use it)."""
        if self._client is None:
            self._client = default_client()
        return self._client

    @property
    def transport(self) -> LeanTransport | None:
        """The transport given to the engine (None: the boto3 clients carry the requests)."""
        return self._transport

    @property
    def streams_client(self) -> DynamoDBStreamsClient:
        """The DynamoDB Streams client: the one given, or else one made (once) like `client`."""
        if self._streams_client is None:
            self._streams_client = _streams_client_like(self.client)
            self._owns_streams = True
        return self._streams_client

    def close(self) -> None:
        """Close the clients this engine created itself (none it was given)."""
        if self._owns_streams and self._streams_client is not None:
            self._streams_client.close()
            self._streams_client, self._owns_streams = None, False

    def _client_for(self, service: str) -> object:
        if service == "dynamodb":
            return self.client
        if service == "dynamodbstreams":
            return self.streams_client
        raise ValueError(f"no client for service {service!r}")

    def _execute(self, call: Call) -> Response:
        if self._transport is not None:
            with transport_errors(call.operation):
                return self._transport.execute(call)
        client = self._client_for(call.service)
        if call.service == "dynamodb":
            guard(client)  # answers that are not DynamoDB's are refused (see answers.py)
        method = getattr(client, call.operation)
        with engine_call(), transport_errors(call.operation):
            response: Response = method(**call.params)
        return response

    def _parallel(self, calls: tuple[Call, ...]) -> Outcomes:
        if len(calls) == 1 or self.config.max_concurrency == 1:
            return [_outcome(self._execute, c) for c in calls]
        pool = self._pool.get(self.config.max_concurrency)
        return list(pool.map(self._outcome, calls))

    def _outcome(self, call: Call) -> Response | BaseException:
        return _outcome(self._execute, call)

    def run(self, plan: Plan[R]) -> R:
        """Carry out ``plan`` (see `pydantic_bloop.plans`): every operation is one, and
        plans of your own (e.g. ``plans.call(Call("describe_table", {...}))``) run the same way."""
        return self.hooks.run_sync(
            lambda: run_sync(
                self._watched(plan),
                self._execute,
                self._parallel,
                time.sleep,
                self.hooks.call_before,
            )
        )


def _outcome(execute: Any, call: Call) -> Response | BaseException:
    try:
        result: Response = execute(call)
        return result
    except Exception as exc:
        return exc


class _Pool:
    """Lazily created thread pools, one per concurrency asked of it, shared by an engine and its
    contexts. A pool is never replaced nor shut down while the engine lives: a caller on another
    thread may be submitting to it, and a context's larger bound must not widen this engine's."""

    def __init__(self) -> None:
        self._pools: dict[int, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    def get(self, size: int) -> ThreadPoolExecutor:
        with self._lock:
            pool = self._pools.get(size)
            if pool is None:
                prefix = f"pydantic_bloop-{size}"
                pool = self._pools[size] = ThreadPoolExecutor(size, thread_name_prefix=prefix)
            return pool
