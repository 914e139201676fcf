"""One transaction per chat update: services called inside it join it, and a refusal undoes only its own writes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.errors import OutOfStock
from core.models import AuditLog, StockDocument, StockMove
from core.permissions import Actor
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop


def moves(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(StockMove)) or 0)


def test_a_refused_service_inside_an_open_transaction_undoes_only_its_own_writes(
    uow: UnitOfWork, admin: Actor
) -> None:
    make_shop(uow, admin)

    def update(tx: Tx) -> str:
        receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 2)])
        with pytest.raises(OutOfStock):
            issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 5)])
        tx.session.add(AuditLog(at=tx.now, channel="test", action="update.done", entity="test", detail={}))
        return "done"

    assert uow.run(update) == "done"
    assert moves(uow) == 1
    documents = uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(StockDocument)))
    assert documents == 1, "the refused issue's document and number vanish with its savepoint"
    done = uow.read(lambda tx: tx.session.scalar(select(func.count()).where(AuditLog.action == "update.done")))
    assert done == 1


def test_joined_services_vanish_with_the_outer_transaction(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)

    def update(tx: Tx) -> None:
        posted = receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 2)])
        assert posted.lines[0].on_hand == D(2)
        raise RuntimeError("the process died before the update was marked done")

    with pytest.raises(RuntimeError):
        uow.run(update)
    assert moves(uow) == 0
