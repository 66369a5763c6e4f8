"""A model whose annotations are completed late (issue 18, failure 14): a name it annotates with
is imported after the class, inside the same function. pydantic completes such a class on its
first instantiation or validation, or on ``model_rebuild()``; the model's own definition checks
(one field per stored name, the key markers, the index fields) run no later than that, and an
``InvalidModel`` then keeps every later use from making objects.

Each test defines its class in its own body: pydantic resolves the late name from the frame that
uses the class, so the name and the use must share that frame.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from pydantic_bloop import (
    Base,
    DynamoName,
    Engine,
    GlobalIndex,
    HashKey,
    InvalidModel,
    RangeKey,
)

if TYPE_CHECKING:
    from tests.conftest import RequestLog


def test_instantiation_runs_the_stored_name_check() -> None:
    class Account(Base):
        id: Annotated[str, HashKey()]
        balance: Annotated[Money, DynamoName("b")]
        bonus: Annotated[int, DynamoName("b")] = 0

    from decimal import Decimal as Money

    message = r"Account\.bonus is stored as 'b', which Account\.balance already uses"
    with pytest.raises(InvalidModel, match=message):
        Account(id="a", balance=Money("1.5"))
    with pytest.raises(InvalidModel, match=message):  # every later attempt too
        Account(id="a", balance=Money("1.5"))


def test_validation_runs_the_key_checks() -> None:
    class Ledger(Base):
        id: Annotated[str, HashKey()]
        entry: Annotated[Money, HashKey()]

    from decimal import Decimal as Money

    with pytest.raises(InvalidModel, match="Ledger has two hash keys: id and entry"):
        Ledger.model_validate({"id": "a", "entry": Money(1)})
    with pytest.raises(InvalidModel, match="Ledger has two hash keys"):
        Ledger.model_validate_json('{"id": "a", "entry": 1}')


def test_explicit_rebuild_runs_the_index_checks() -> None:
    class Invoice(Base):
        id: Annotated[str, HashKey()]
        total: Money
        by_customer: ClassVar[GlobalIndex] = GlobalIndex(hash_key="customer")

    from decimal import Decimal as Money

    with pytest.raises(InvalidModel, match="customer"):
        Invoice.model_rebuild()
    with pytest.raises(InvalidModel, match="customer"):
        Invoice(id="i", total=Money(3))


def test_a_range_key_alone_is_refused_on_first_use() -> None:
    class Entry(Base):
        seq: Annotated[int, RangeKey()]
        amount: Money

    from decimal import Decimal as Money

    with pytest.raises(InvalidModel, match="Entry declares range key seq but no HashKey field"):
        Entry(seq=1, amount=Money(2))


class Vault(Base):
    """Names ``Coin``, defined at the end of this module: pydantic and bind complete it later."""

    id: Annotated[str, HashKey()]
    coins: Annotated[Coin, DynamoName("id")]


def test_binding_runs_the_checks_and_sends_nothing(
    client: DynamoDBClient, table_prefix: str, request_log: RequestLog
) -> None:
    engine = Engine(client=client, table_name_template=table_prefix + "{table_name}")
    with pytest.raises(InvalidModel, match=r"Vault\.coins is stored as 'id'"):
        engine.bind(Vault)
    assert request_log.operations == []
    with pytest.raises(InvalidModel, match=r"Vault\.coins is stored as 'id'"):
        Vault(id="v", coins=Coin(1))


def test_a_sound_late_model_is_built_on_first_instantiation() -> None:
    class Order(Base):
        id: Annotated[str, HashKey()]
        total: Annotated[Money, DynamoName("t")]

    from decimal import Decimal as Money

    order = Order(id="o", total=Money("2.5"))
    assert order.total == Money("2.5")
    assert Order.model_rebuild() is None  # already complete: pydantic's answer, unchanged


Coin = Decimal
