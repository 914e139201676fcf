"""Which warehouse an order ships from when the person has not said: the one an order page offers first (where
this salesperson last sold from, else where most stock is), and the one with most of an item typed first."""

from __future__ import annotations

from sqlalchemy import func, select

from core.catalog.products import warehouses_for
from core.models import SalesOrder, StockLevel, Warehouse
from core.permissions import Actor, Permission
from core.stock.levels import find_stock
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


def fullest_warehouse_for(uow: UnitOfWork, actor: Actor, item: str) -> str | None:
    """The code of the ordinary warehouse with the most of the one product `item` names available; None when it
    names no single product or none of it is available."""
    actor.require(Permission.SALES_CREATE)
    found = find_stock(uow, actor, item)
    if len(found) != 1:
        return None
    sellable = {w.code for w in warehouses_for(uow, actor, None)}
    best = max((w for w in found[0].by_warehouse if w.warehouse in sellable), key=lambda w: w.available, default=None)
    return best.warehouse if best is not None and best.available > 0 else None
