"""Trade reports: purchases, sales, gross profit and ageing, each one set-based SQL aggregation over the ledger,
filtered by what the acting employee may see, compared with the previous period and the same period last year."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, and_, case, func, select, type_coerce

from core.errors import InvalidFilter, PermissionDenied, UnknownEmployee, UnknownPartner
from core.models import (
    Category,
    Customer,
    Employee,
    Money,
    PaymentAllocation,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Qty,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockMove,
    Supplier,
)
from core.money.billing import ORDER_TYPES, bills, gross_amount, line_amount, net_line_amount
from core.numbers import ZERO
from core.permissions import Actor, Permission
from core.reporting.grouping import dimensions, period_report, where_category, where_warehouse
from core.reporting.periods import Filters, Report, parse_period
from core.uow import Tx, UnitOfWork

SALES_DIMENSIONS = ("product", "customer", "salesperson", "channel", "month", "warehouse", "category")
PURCHASE_DIMENSIONS = ("supplier", "product", "month", "warehouse", "category")
AGEING_BUCKETS = (30, 60, 90)


def purchases_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Goods received less returned to suppliers (qty x order price) by supplier, product, month..."""
    actor.require(Permission.PURCHASE_VIEW)
    scope = actor.warehouse_scope(Permission.PURCHASE_VIEW)
    by = dimensions(filters.by or ("supplier",), PURCHASE_DIMENSIONS)
    period = filters.period or parse_period()

    def work(tx: Tx) -> Report:
        def source(start: datetime, end: datetime) -> Select[Any]:
            statement = (
                select().select_from(StockMove)
                .join(StockDocument, StockDocument.id == StockMove.document_id)
                .join(PurchaseOrderLine, PurchaseOrderLine.id == StockMove.source_line_id)
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
                .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
                .join(Product, Product.id == StockMove.product_id)
                .where(bills("supplier"), StockMove.qty != 0,
                       StockMove.created_at >= start, StockMove.created_at < end)
            )
            if "category" in by or filters.category:
                statement = statement.outerjoin(Category, Category.id == Product.category_id)
                statement = where_category(statement, filters)
            if filters.supplier:
                statement = statement.where(func.upper(Supplier.code) == filters.supplier.strip().upper())
            return where_warehouse(tx, statement, filters, StockMove.warehouse_id, scope)

        measures = [
            ("qty", func.sum(type_coerce(StockMove.qty, BigInteger)), Qty()),
            ("amount", func.sum(net_line_amount(StockMove.qty, PurchaseOrderLine, PurchaseOrder, tx.money_places)),
             Money()),
        ]
        return period_report(tx, "report.purchases", by, source, measures, ("amount",), period, filters)

    return uow.read(work)


def sales_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Revenue (shipped qty x order price, less returns) by customer, product, salesperson, channel or month."""
    scope = _sales_scope(actor)
    by = dimensions(filters.by or ("customer",), SALES_DIMENSIONS)
    period = filters.period or parse_period()

    def work(tx: Tx) -> Report:
        measures = [
            ("qty", func.sum(-type_coerce(StockMove.qty, BigInteger)), Qty()),
            ("revenue", func.sum(-net_line_amount(StockMove.qty, SalesOrderLine, SalesOrder, tx.money_places)),
             Money()),
        ]
        return period_report(tx, "report.sales", by, _sales_source(tx, scope, by, filters), measures,
                              ("revenue",), period, filters)

    return uow.read(work)


def profit_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Gross profit: revenue against the cost the shipments took out of stock, returns deducted."""
    actor.require(Permission.PROFIT_VIEW)
    scope = _sales_scope(actor)
    by = dimensions(filters.by or ("product",), SALES_DIMENSIONS)
    period = filters.period or parse_period()

    def work(tx: Tx) -> Report:
        revenue = -net_line_amount(StockMove.qty, SalesOrderLine, SalesOrder, tx.money_places)
        cost = -type_coerce(StockMove.value, BigInteger)
        measures = [
            ("qty", func.sum(-type_coerce(StockMove.qty, BigInteger)), Qty()),
            ("revenue", func.sum(revenue), Money()),
            ("cost", func.sum(cost), Money()),
            ("profit", func.sum(revenue - cost), Money()),
        ]
        return period_report(tx, "report.profit", by, _sales_source(tx, scope, by, filters), measures,
                              ("revenue", "cost", "profit"), period, filters)

    return uow.read(work)


def ageing_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """What each customer owes (or each supplier is owed) per order still open, by days since it was billed:
    0-30, 31-60, 61-90, over 90."""
    kind = filters.partner_kind
    if kind not in ORDER_TYPES:
        raise InvalidFilter(reason="partner_kind", value=kind[:20])
    own_only = False
    if not actor.can(Permission.MONEY_VIEW):
        if kind != "customer" or not actor.can(Permission.SALES_VIEW_OWN):
            raise PermissionDenied(employee=actor.name, permission=Permission.MONEY_VIEW.value, warehouse_id=None)
        own_only = True

    def work(tx: Tx) -> Report:
        if kind == "customer":
            line: Any = SalesOrderLine
            order: Any = SalesOrder
            partner: Any = Customer
            partner_id, sign = SalesOrder.customer_id, -1
        else:
            line, order, partner, partner_id, sign = PurchaseOrderLine, PurchaseOrder, Supplier, \
                PurchaseOrder.supplier_id, 1
        amount = sign * gross_amount(line_amount(StockMove.qty, line.unit_price, tx.money_places), line.tax_rate,
                                     order.tax_included, tx.money_places)
        billed = (
            select(order.id.label("order_id"), partner_id.label("partner_id"),
                   func.sum(amount).label("billed"), func.min(StockMove.created_at).label("since"))
            .select_from(StockMove)
            .join(StockDocument, StockDocument.id == StockMove.document_id)
            .join(line, line.id == StockMove.source_line_id)
            .join(order, order.id == line.order_id)
            .where(bills(kind), StockMove.qty != 0)
            .group_by(order.id, partner_id)
            .subquery()
        )
        allocated = (
            select(PaymentAllocation.doc_id,
                   func.sum(type_coerce(PaymentAllocation.amount, BigInteger)).label("allocated"))
            .where(PaymentAllocation.doc_type == ORDER_TYPES[kind])
            .group_by(PaymentAllocation.doc_id).subquery()
        )
        open_amount = billed.c.billed - func.coalesce(allocated.c.allocated, 0)
        limits = [tx.now - timedelta(days=days + 1) for days in AGEING_BUCKETS]
        buckets = [
            billed.c.since > limits[0],
            and_(billed.c.since <= limits[0], billed.c.since > limits[1]),
            and_(billed.c.since <= limits[1], billed.c.since > limits[2]),
            billed.c.since <= limits[2],
        ]
        names = ("0-30", "31-60", "61-90", ">90")
        sums = [type_coerce(func.sum(case((b, open_amount), else_=0)), Money()).label(n)
                for b, n in zip(buckets, names, strict=True)]
        total = type_coerce(func.sum(open_amount), Money())
        statement = (
            select(partner.code, partner.name, *sums, total.label("total"))
            .select_from(billed)
            .join(partner, partner.id == billed.c.partner_id)
            .outerjoin(allocated, allocated.c.doc_id == billed.c.order_id)
            .where(open_amount != 0)
            .group_by(partner.id, partner.code, partner.name)
            .order_by(partner.code)
        )
        if own_only:
            statement = statement.where(Customer.salesperson_id == actor.employee_id)
        if filters.customer and kind == "customer":
            statement = statement.where(func.upper(Customer.code) == filters.customer.strip().upper())
        if filters.supplier and kind == "supplier":
            statement = statement.where(func.upper(Supplier.code) == filters.supplier.strip().upper())
        rows = tuple(tuple(r) for r in tx.session.execute(statement))
        totals = ("", "", *(sum((r[i] for r in rows), ZERO) for i in range(2, 7)))
        return Report(f"report.ageing_{kind}", ("code", "name", *names, "total"), rows, totals,
                      params={"partner_kind": kind, "as_of": tx.now})

    return uow.read(work)


@dataclass(frozen=True)
class _SalesScope:
    actor: Actor
    own_customers_only: bool
    warehouses: frozenset[int] | None = None


def _sales_scope(actor: Actor) -> _SalesScope:
    if actor.can(Permission.SALES_VIEW_ALL):
        return _SalesScope(actor, False, actor.warehouse_scope(Permission.SALES_VIEW_ALL))
    actor.require(Permission.SALES_VIEW_OWN)
    return _SalesScope(actor, True)


def _sales_source(tx: Tx, scope: _SalesScope, by: Sequence[str], filters: Filters
                  ) -> Callable[[datetime, datetime], Select[Any]]:
    salesperson_id: int | None = None
    if filters.salesperson:
        salesperson_id = tx.session.scalar(select(Employee.id).where(Employee.name == filters.salesperson.strip()))
        if salesperson_id is None:
            raise UnknownEmployee(employee=filters.salesperson[:40])
    if filters.customer:
        wanted = select(Customer.id).where(func.upper(Customer.code) == filters.customer.strip().upper())
        if scope.own_customers_only:  # another's customer is as unknown as one that does not exist
            wanted = wanted.where(Customer.salesperson_id == scope.actor.employee_id)
        if tx.session.scalar(wanted) is None:
            raise UnknownPartner(kind="customer", partner=filters.customer[:40])
    needs_customer = bool(filters.customer) or scope.own_customers_only

    def source(start: datetime, end: datetime) -> Select[Any]:
        statement = (
            select().select_from(StockMove)
            .join(StockDocument, StockDocument.id == StockMove.document_id)
            .join(SalesOrderLine, SalesOrderLine.id == StockMove.source_line_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .where(bills("customer"), StockMove.qty != 0,
                   StockMove.created_at >= start, StockMove.created_at < end)
        )
        if "category" in by or filters.category:
            statement = statement.join(Product, Product.id == StockMove.product_id)
        if "category" in by or filters.category:
            statement = statement.outerjoin(Category, Category.id == Product.category_id)
            statement = where_category(statement, filters)
        if needs_customer:
            statement = statement.join(Customer, Customer.id == SalesOrder.customer_id)
        if scope.own_customers_only:
            statement = statement.where(Customer.salesperson_id == scope.actor.employee_id)
        if filters.customer:
            statement = statement.where(func.upper(Customer.code) == filters.customer.strip().upper())
        if salesperson_id is not None:
            statement = statement.where(SalesOrder.salesperson_id == salesperson_id)
        if filters.channel:
            statement = statement.where(SalesOrder.channel == filters.channel.strip().lower())
        return where_warehouse(tx, statement, filters, StockMove.warehouse_id, scope.warehouses)

    return source
