"""The warehouse an order page offers first: where this salesperson last sold from, else where most stock is."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import SalesOrder, StockLevel, Warehouse
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork


def usual_sales_warehouse(uow: UnitOfWork, actor: Actor) -> str | None:
    """The code of the active warehouse of the actor's latest sales order, else of the one holding the most units;
    None when there is no ordinary warehouse."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> str | None:
        ordinary = (Warehouse.active, Warehouse.kind == "normal")
        last = tx.session.scalar(
            select(Warehouse.code).join(SalesOrder, SalesOrder.warehouse_id == Warehouse.id)
            .where(SalesOrder.salesperson_id == actor.employee_id, *ordinary)
            .order_by(SalesOrder.id.desc()).limit(1))
        if last is not None:
            return last
        return tx.session.scalar(
            select(Warehouse.code).outerjoin(StockLevel, StockLevel.warehouse_id == Warehouse.id).where(*ordinary)
            .group_by(Warehouse.id, Warehouse.code)
            .order_by(func.coalesce(func.sum(StockLevel.on_hand), 0).desc(), Warehouse.code).limit(1))

    return uow.read(work)
