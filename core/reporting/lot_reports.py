"""The expiry report: lots on hand that are expired (expiry before today) or expire within `days` days, with the
value at stake (at the warehouse's average cost), nearest expiry first; two statements per page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select

from core.errors import InvalidFilter
from core.ledger.lot_position import NO_LOT
from core.models import Category, Lot, LotLevel, Product, StockLevel, Warehouse
from core.numbers import ZERO, round_money
from core.permissions import Actor, Permission
from core.reporting.grouping import product_name, where_category, where_warehouse
from core.reporting.periods import Filters, Report
from core.uow import Tx, UnitOfWork


def expiry_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Expired lots and lots expiring within `days` days, per warehouse, with quantity and value at stake."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    if filters.days < 1:
        raise InvalidFilter(reason="days", value=filters.days)

    def work(tx: Tx) -> Report:
        today = tx.now.date()
        source = (
            select().select_from(LotLevel)
            .join(Lot, Lot.id == LotLevel.lot_id).join(Product, Product.id == Lot.product_id)
            .join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
            .join(StockLevel, and_(StockLevel.product_id == Lot.product_id,
                                   StockLevel.warehouse_id == LotLevel.warehouse_id))
            .outerjoin(Category, Category.id == Product.category_id)
            .where(Warehouse.kind == "normal", LotLevel.on_hand > 0, Lot.code != NO_LOT, Lot.expiry.is_not(None),
                   Lot.expiry <= today + timedelta(days=filters.days))
        )
        source = where_warehouse(tx, source, filters, LotLevel.warehouse_id, scope)
        source = where_category(source, filters)
        every = tx.session.execute(source.add_columns(LotLevel.on_hand, StockLevel.avg_cost)).all()
        size = max(filters.page_size, 1)
        rows = tx.session.execute(
            source.add_columns(Warehouse.code, Product.sku, product_name(Product, filters.language), Lot.code,
                               Lot.expiry, LotLevel.on_hand, StockLevel.avg_cost)
            .order_by(Lot.expiry, Warehouse.code, Product.sku, Lot.code)
            .limit(size).offset((filters.page - 1) * size)).all()
        names = ("warehouse", "sku", "name", "lot", "expiry", "on_hand", *(("value",) if sees_cost else ()))
        shown = tuple((*r[:6], *((round_money(r[5] * r[6], tx.money_places),) if sees_cost else ())) for r in rows)
        totals: list[Any] = ["", "", "", "", "", sum((r.on_hand for r in every), ZERO)]
        if sees_cost:
            totals.append(sum((round_money(r.on_hand * r.avg_cost, tx.money_places) for r in every), ZERO))
        return Report("report.expiry", names, shown, tuple(totals), page=filters.page,
                      pages=max(1, -(-len(every) // size)), params={"days": filters.days})

    return uow.read(work)
