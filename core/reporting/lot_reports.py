"""Reports by lot: the expiry report (lots on hand expired or expiring within `days` days, nearest expiry first)
and slow-moving and ageing by lot (lots not gone out in `days` days, oldest first), with the value at stake at the
warehouse's average cost; two statements per page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.errors import InvalidFilter
from core.ledger.lot_position import NO_LOT
from core.models import Category, Lot, LotLevel, Product, StockDocument, StockLevel, StockMove, Warehouse
from core.numbers import ZERO, round_money
from core.permissions import Actor, Permission
from core.reporting.grouping import product_name, where_category, where_warehouse
from core.reporting.periods import Filters, Report
from core.reporting.stock_reports import OUT_KINDS
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


def lot_ageing_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Slow-moving and ageing by lot: lots held that went out (issued or shipped) of their warehouse not once in
    the last `days` days, with their age since received, days to expiry, last time out and value at stake,
    oldest first; two statements per page."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    if filters.days < 1:
        raise InvalidFilter(reason="days", value=filters.days)

    def work(tx: Tx) -> Report:
        zone = ZoneInfo(filters.timezone)
        today = tx.now.astimezone(zone).date()
        out, out_doc = aliased(StockMove), aliased(StockDocument)
        of_lot = (out.lot_id == LotLevel.lot_id, out.warehouse_id == LotLevel.warehouse_id, out.qty < 0,
                  out_doc.kind.in_(OUT_KINDS))
        last_out = (select(func.max(out.created_at)).select_from(out).join(out_doc, out_doc.id == out.document_id)
                    .where(*of_lot).correlate(LotLevel).scalar_subquery())
        recent = (select(out.id).select_from(out).join(out_doc, out_doc.id == out.document_id)
                  .where(*of_lot, out.created_at >= tx.now - timedelta(days=filters.days))
                  .correlate(LotLevel).exists())
        source = (
            select().select_from(LotLevel)
            .join(Lot, Lot.id == LotLevel.lot_id).join(Product, Product.id == Lot.product_id)
            .join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
            .join(StockLevel, and_(StockLevel.product_id == Lot.product_id,
                                   StockLevel.warehouse_id == LotLevel.warehouse_id))
            .outerjoin(Category, Category.id == Product.category_id)
            .where(Warehouse.kind == "normal", LotLevel.on_hand > 0, Lot.code != NO_LOT,
                   Lot.created_at <= tx.now - timedelta(days=filters.days), ~recent)
        )
        source = where_warehouse(tx, source, filters, LotLevel.warehouse_id, scope)
        source = where_category(source, filters)
        every = tx.session.execute(source.add_columns(LotLevel.on_hand, StockLevel.avg_cost)).all()
        size = max(filters.page_size, 1)
        rows = tx.session.execute(
            source.add_columns(Warehouse.code, Product.sku, product_name(Product, filters.language),
                               Lot.code.label("lot"), Lot.created_at, Lot.expiry, LotLevel.on_hand,
                               StockLevel.avg_cost, last_out.label("last_out"))
            .order_by(Lot.created_at, Lot.id, Warehouse.code)
            .limit(size).offset((filters.page - 1) * size)).all()
        names = ("warehouse", "sku", "name", "lot", "received", "age_days", "expiry", "days_left", "last_out",
                 "on_hand", *(("value",) if sees_cost else ()))
        shown = []
        for r in rows:
            received = r.created_at.astimezone(zone).date()
            left = None if r.expiry is None else (r.expiry - today).days
            went = None if r.last_out is None else _aware(r.last_out).astimezone(zone).date()
            shown.append((r.code, r.sku, r[2], r.lot, received, (today - received).days, r.expiry, left, went,
                          r.on_hand, *((round_money(r.on_hand * r.avg_cost, tx.money_places),) if sees_cost else ())))
        totals: list[Any] = ["", "", "", "", "", "", "", "", "", sum((r.on_hand for r in every), ZERO)]
        if sees_cost:
            totals.append(sum((round_money(r.on_hand * r.avg_cost, tx.money_places) for r in every), ZERO))
        return Report("report.lot_ageing", names, tuple(shown), tuple(totals), page=filters.page,
                      pages=max(1, -(-len(every) // size)), params={"days": filters.days})

    return uow.read(work)


def _aware(moment: datetime) -> datetime:
    """A time read back from a correlated MAX (SQLite gives it without its zone: it is stored in UTC)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
