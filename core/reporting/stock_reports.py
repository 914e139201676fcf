"""Stock reports: stock and value by warehouse and category, one product's movements, slow-moving stock, each one
set-based SQL aggregation over the ledger, filtered by what the acting employee may see."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import aliased

from core.errors import InvalidFilter, UnknownProduct
from core.models import Category, Money, Product, Qty, StockDocument, StockLevel, StockMove, Warehouse
from core.permissions import Actor, Permission
from core.reporting.grouping import (
    NO_CODE,
    dimensions,
    grouped_page,
    product_name,
    where_category,
    where_warehouse,
)
from core.reporting.periods import Filters, Report
from core.uow import Tx, UnitOfWork

STOCK_DIMENSIONS = ("warehouse", "category")
OUT_KINDS = ("issue", "shipment")


def stock_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Stock on hand (and value, for those who may see cost) by warehouse and category, now."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    by = dimensions(filters.by or STOCK_DIMENSIONS, STOCK_DIMENSIONS)

    def work(tx: Tx) -> Report:
        dims = {"warehouse": (Warehouse.code,), "category": (func.coalesce(Category.code, NO_CODE),)}
        keys = [e for d in by for e in dims[d]]
        measures: list[tuple[str, Any, Any]] = [
            ("products", func.count(StockLevel.id), None),
            ("on_hand", func.sum(type_coerce(StockLevel.on_hand, BigInteger)), Qty()),
        ]
        if sees_cost:
            measures.append(("value", func.sum(type_coerce(StockLevel.value, BigInteger)), Money()))
        source = (
            select().select_from(StockLevel)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Product, Product.id == StockLevel.product_id)
            .outerjoin(Category, Category.id == Product.category_id)
            .where(StockLevel.on_hand != 0)
        )
        source = where_warehouse(tx, source, filters, StockLevel.warehouse_id, scope)
        source = where_category(source, filters)
        rows, totals, pages = grouped_page(tx, source, keys, measures, filters)
        return Report("report.stock", (*by, *(m[0] for m in measures)), rows, ("",) * len(by) + totals,
                      page=filters.page, pages=pages, params={"by": by})

    return uow.read(work)


def movements_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Every ledger row of one product (in a warehouse, in a period), oldest first, one page at a time."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    if not filters.product:
        raise InvalidFilter(reason="product_required")

    sku = filters.product.strip().upper()

    def work(tx: Tx) -> Report:
        product_id = tx.session.scalar(select(Product.id).where(func.upper(Product.sku) == sku))
        if product_id is None:
            raise UnknownProduct(product=sku[:40])
        source = (
            select().select_from(StockMove)
            .join(StockDocument, StockDocument.id == StockMove.document_id)
            .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
            .where(StockMove.product_id == product_id)
        )
        source = where_warehouse(tx, source, filters, StockMove.warehouse_id, scope)
        if filters.period is not None:
            start, end = filters.period.bounds(filters.timezone)
            source = source.where(StockMove.created_at >= start, StockMove.created_at < end)
        columns: list[Any] = [StockMove.created_at, StockDocument.number, StockDocument.kind, Warehouse.code,
                              StockMove.qty, StockMove.balance_qty]
        names = ["at", "document", "kind", "warehouse", "qty", "balance_qty"]
        sums = [func.coalesce(func.sum(type_coerce(StockMove.qty, BigInteger)), 0)]
        if sees_cost:
            columns += [StockMove.value, StockMove.balance_value]
            names += ["value", "balance_value"]
            sums.append(func.coalesce(func.sum(type_coerce(StockMove.value, BigInteger)), 0))
        count, *raw = tx.session.execute(source.add_columns(func.count(), *sums)).one()
        size = max(filters.page_size, 1)
        rows = tx.session.execute(
            source.add_columns(*columns).order_by(StockMove.id).limit(size).offset((filters.page - 1) * size)
        ).all()
        totals: list[Any] = ["", "", "", "", Decimal(raw[0]) / 10_000, ""]
        if sees_cost:
            totals += [Decimal(raw[1]) / 10_000, ""]
        return Report("report.movements", tuple(names), tuple(tuple(r) for r in rows), tuple(totals),
                      period=filters.period, page=filters.page, pages=max(1, -(-count // size)),
                      params={"product": sku})

    return uow.read(work)


def slow_moving_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Stock not issued or shipped in the last `days` days, with its value, most valuable first."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    if filters.days < 1:
        raise InvalidFilter(reason="days", value=filters.days)

    def work(tx: Tx) -> Report:
        cutoff = tx.now - timedelta(days=filters.days)
        out = aliased(StockMove)
        out_doc = aliased(StockDocument)
        moved_out = (
            select(func.max(out.created_at)).select_from(out)
            .join(out_doc, out_doc.id == out.document_id)
            .where(out.product_id == StockLevel.product_id, out.warehouse_id == StockLevel.warehouse_id,
                   out.qty < 0, out_doc.kind.in_(OUT_KINDS))
            .correlate(StockLevel).scalar_subquery()
        )
        recent = (
            select(out.id).select_from(out).join(out_doc, out_doc.id == out.document_id)
            .where(out.product_id == StockLevel.product_id, out.warehouse_id == StockLevel.warehouse_id,
                   out.qty < 0, out_doc.kind.in_(OUT_KINDS), out.created_at >= cutoff)
            .correlate(StockLevel).exists()
        )
        source = (
            select().select_from(StockLevel)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Product, Product.id == StockLevel.product_id)
            .outerjoin(Category, Category.id == Product.category_id)
            .where(Warehouse.kind == "normal", StockLevel.on_hand > 0, ~recent)
        )
        source = where_warehouse(tx, source, filters, StockLevel.warehouse_id, scope)
        source = where_category(source, filters)
        columns: list[Any] = [Warehouse.code, Product.sku, product_name(Product, filters.language), StockLevel.on_hand]
        names = ["warehouse", "sku", "name", "on_hand"]
        sums: list[Any] = [func.coalesce(func.sum(type_coerce(StockLevel.on_hand, BigInteger)), 0)]
        if sees_cost:
            columns.append(StockLevel.value)
            names.append("value")
            sums.append(func.coalesce(func.sum(type_coerce(StockLevel.value, BigInteger)), 0))
        columns.append(moved_out.label("last_out"))
        names.append("last_out")
        count, *raw = tx.session.execute(source.add_columns(func.count(), *sums)).one()
        size = max(filters.page_size, 1)
        order = [StockLevel.value.desc()] if sees_cost else []
        rows = tx.session.execute(
            source.add_columns(*columns).order_by(*order, Warehouse.code, Product.sku)
            .limit(size).offset((filters.page - 1) * size)
        ).all()
        totals: list[Any] = ["", "", "", Decimal(raw[0]) / 10_000]
        if sees_cost:
            totals.append(Decimal(raw[1]) / 10_000)
        totals.append("")
        return Report("report.slow_moving", tuple(names), tuple(tuple(r) for r in rows), tuple(totals),
                      page=filters.page, pages=max(1, -(-count // size)), params={"days": filters.days})

    return uow.read(work)
