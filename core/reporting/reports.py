"""Reports: stock and value, movements, slow-moving stock, purchases, sales, gross profit and ageing, each one
set-based SQL aggregation over the ledger, filtered by what the acting employee may see, compared with the
previous period and the same period last year."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from core.catalog.products import warehouse_in
from core.errors import InvalidState, PermissionDenied, UnknownEmployee, UnknownPartner, UnknownProduct
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
    StockLevel,
    StockMove,
    Supplier,
    Warehouse,
)
from core.money.accounts import ORDER_TYPES, bills, line_amount
from core.numbers import ZERO
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

REPORTS = ("stock", "movements", "slow-moving", "purchases", "sales", "profit", "ageing")
PAGE_SIZE = 50
SALES_DIMENSIONS = ("product", "customer", "salesperson", "channel", "month", "warehouse", "category")
PURCHASE_DIMENSIONS = ("supplier", "product", "month", "warehouse", "category")
STOCK_DIMENSIONS = ("warehouse", "category")
OUT_KINDS = ("issue", "shipment")
AGEING_BUCKETS = (30, 60, 90)
MAX_MONTHS = 240
PG_WORK_MEM = "64MB"
_NONE: ColumnElement[str] = literal_column("'-'")


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end` inclusive, in the company's time zone."""

    start: date
    end: date

    @property
    def is_month(self) -> bool:
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        return self.start.day == 1 and self.end == self.start.replace(day=last)

    def previous(self) -> Period:
        """The month before a whole month; otherwise as many days just before."""
        if self.is_month:
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end)
        days = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=days), self.start - timedelta(days=1))

    def last_year(self) -> Period:
        """The same dates a year earlier (29 February becomes the 28th)."""
        def back(d: date) -> date:
            return d.replace(year=d.year - 1, day=min(d.day, calendar.monthrange(d.year - 1, d.month)[1]))
        if self.is_month:
            start = back(self.start)
            return Period(start, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
        return Period(back(self.start), back(self.end))

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(timezone)
        return (datetime.combine(self.start, time.min, zone),
                datetime.combine(self.end + timedelta(days=1), time.min, zone))

    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.is_month else f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(month: str | None = None, date_from: str | date | None = None,
                 date_to: str | date | None = None, today: date | None = None) -> Period:
    """A month "2026-11", or from/to dates (either may be left out), or else the current month."""
    try:
        if month:
            year, number = (int(part) for part in month.strip().split("-"))
            start = date(year, number, 1)
            return Period(start, start.replace(day=calendar.monthrange(year, number)[1]))
        first = date.fromisoformat(date_from) if isinstance(date_from, str) else date_from
        last = date.fromisoformat(date_to) if isinstance(date_to, str) else date_to
    except ValueError as error:
        raise InvalidState(reason="period", value=str(month or date_from or date_to)[:20]) from error
    now = today or date.today()
    if first is None and last is None:
        start = now.replace(day=1)
        return Period(start, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
    first = first or (last or now).replace(day=1)
    last = last or now
    if last < first:
        raise InvalidState(reason="period", date_from=first.isoformat(), date_to=last.isoformat())
    return Period(first, last)


@dataclass(frozen=True)
class Filters:
    """What a report is about; None means everything the actor may see."""

    period: Period | None = None
    warehouse: str | None = None
    category: str | None = None
    customer: str | None = None
    supplier: str | None = None
    salesperson: str | None = None
    channel: str | None = None
    product: str | None = None
    by: tuple[str, ...] = ()
    days: int = 90
    partner_kind: str = "customer"
    page: int = 1
    page_size: int = PAGE_SIZE
    timezone: str = "UTC"


@dataclass(frozen=True)
class Comparison:
    """One measure now, in the previous period and in the same period last year."""

    measure: str
    current: Decimal
    previous: Decimal
    last_year: Decimal

    @property
    def change_previous(self) -> Decimal:
        return self.current - self.previous

    @property
    def change_last_year(self) -> Decimal:
        return self.current - self.last_year

    @property
    def pct_previous(self) -> Decimal | None:
        return _pct(self.current, self.previous)

    @property
    def pct_last_year(self) -> Decimal | None:
        return _pct(self.current, self.last_year)


@dataclass(frozen=True)
class Report:
    """A report's result: plain values only, ready to print, chart or write to a spreadsheet."""

    code: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    totals: tuple[Any, ...]
    comparison: tuple[Comparison, ...] = ()
    period: Period | None = None
    page: int = 1
    pages: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def total(self, column: str) -> Any:
        return self.totals[self.columns.index(column)]

    def column(self, column: str) -> list[Any]:
        index = self.columns.index(column)
        return [row[index] for row in self.rows]


def may_run(actor: Actor, report: str) -> bool:
    """Whether the actor holds what the report needs (what they see in it is filtered further when it runs)."""
    p = Permission
    needs: dict[str, tuple[Permission, ...]] = {
        "stock": (p.STOCK_VIEW,), "movements": (p.STOCK_VIEW,), "slow-moving": (p.STOCK_VIEW,),
        "purchases": (p.PURCHASE_VIEW,), "sales": (p.SALES_VIEW_OWN, p.SALES_VIEW_ALL),
        "profit": (p.PROFIT_VIEW,), "ageing": (p.MONEY_VIEW, p.SALES_VIEW_OWN),
    }
    return any(actor.can(permission) for permission in needs.get(report, ()))


def run_report(uow: UnitOfWork, actor: Actor, name: str, filters: Filters) -> Report:
    """The report called `name` (one of REPORTS) with these filters, as the actor may see it."""
    runners: dict[str, Callable[[UnitOfWork, Actor, Filters], Report]] = {
        "stock": stock_report, "movements": movements_report, "slow-moving": slow_moving_report,
        "purchases": purchases_report, "sales": sales_report, "profit": profit_report, "ageing": ageing_report,
    }
    if name not in runners:
        raise InvalidState(reason="report", value=name[:20], allowed=list(REPORTS))
    return runners[name](uow, actor, filters)


# Stock


def stock_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Stock on hand (and value, for those who may see cost) by warehouse and category, now."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    by = _dimensions(filters.by or STOCK_DIMENSIONS, STOCK_DIMENSIONS)

    def work(tx: Tx) -> Report:
        dims = {"warehouse": (Warehouse.code,), "category": (func.coalesce(Category.code, _NONE),)}
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
        source = _where_warehouse(tx, source, filters, StockLevel.warehouse_id, scope)
        source = _where_category(source, filters)
        rows, totals, pages = _grouped(tx, source, keys, measures, filters)
        return Report("report.stock", (*by, *(m[0] for m in measures)), rows, ("",) * len(by) + totals,
                      page=filters.page, pages=pages, params={"by": by})

    return uow.read(work)


def movements_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Every ledger row of one product (in a warehouse, in a period), oldest first, one page at a time."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    if not filters.product:
        raise InvalidState(reason="product_required")

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
        source = _where_warehouse(tx, source, filters, StockMove.warehouse_id, scope)
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
        raise InvalidState(reason="days", value=filters.days)

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
        source = _where_warehouse(tx, source, filters, StockLevel.warehouse_id, scope)
        source = _where_category(source, filters)
        columns: list[Any] = [Warehouse.code, Product.sku, Product.name_zh, StockLevel.on_hand]
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


# Purchases, sales, profit


def purchases_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Goods received less returned to suppliers (qty x order price) by supplier, product, month..."""
    actor.require(Permission.PURCHASE_VIEW)
    scope = actor.warehouse_scope(Permission.PURCHASE_VIEW)
    by = _dimensions(filters.by or ("supplier",), PURCHASE_DIMENSIONS)
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
                statement = _where_category(statement, filters)
            if filters.supplier:
                statement = statement.where(func.upper(Supplier.code) == filters.supplier.strip().upper())
            return _where_warehouse(tx, statement, filters, StockMove.warehouse_id, scope)

        measures = [
            ("qty", func.sum(type_coerce(StockMove.qty, BigInteger)), Qty()),
            ("amount", func.sum(line_amount(StockMove.qty, PurchaseOrderLine.unit_price, tx.money_places)),
             Money()),
        ]
        return _period_report(tx, "report.purchases", by, source, measures, ("amount",), period, filters)

    return uow.read(work)


def sales_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Revenue (shipped qty x order price, less returns) by customer, product, salesperson, channel or month."""
    scope = _sales_scope(actor)
    by = _dimensions(filters.by or ("customer",), SALES_DIMENSIONS)
    period = filters.period or parse_period()

    def work(tx: Tx) -> Report:
        measures = [
            ("qty", func.sum(-type_coerce(StockMove.qty, BigInteger)), Qty()),
            ("revenue", func.sum(-line_amount(StockMove.qty, SalesOrderLine.unit_price, tx.money_places)),
             Money()),
        ]
        return _period_report(tx, "report.sales", by, _sales_source(tx, scope, by, filters), measures,
                              ("revenue",), period, filters)

    return uow.read(work)


def profit_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """Gross profit: revenue against the cost the shipments took out of stock, returns deducted."""
    actor.require(Permission.PROFIT_VIEW)
    scope = _sales_scope(actor)
    by = _dimensions(filters.by or ("product",), SALES_DIMENSIONS)
    period = filters.period or parse_period()

    def work(tx: Tx) -> Report:
        revenue = -line_amount(StockMove.qty, SalesOrderLine.unit_price, tx.money_places)
        cost = -type_coerce(StockMove.value, BigInteger)
        measures = [
            ("qty", func.sum(-type_coerce(StockMove.qty, BigInteger)), Qty()),
            ("revenue", func.sum(revenue), Money()),
            ("cost", func.sum(cost), Money()),
            ("profit", func.sum(revenue - cost), Money()),
        ]
        return _period_report(tx, "report.profit", by, _sales_source(tx, scope, by, filters), measures,
                              ("revenue", "cost", "profit"), period, filters)

    return uow.read(work)


# Ageing


def ageing_report(uow: UnitOfWork, actor: Actor, filters: Filters) -> Report:
    """What each customer owes (or each supplier is owed) per order still open, by days since it was billed:
    0-30, 31-60, 61-90, over 90."""
    kind = filters.partner_kind
    if kind not in ORDER_TYPES:
        raise InvalidState(reason="partner_kind", value=kind[:20])
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
        amount = sign * line_amount(StockMove.qty, line.unit_price, tx.money_places)
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


# Shared pieces


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
    if filters.customer and tx.session.scalar(
            select(Customer.id).where(func.upper(Customer.code) == filters.customer.strip().upper())) is None:
        raise UnknownPartner(kind="customer", partner=filters.customer[:40])
    needs_customer = bool(filters.customer) or scope.own_customers_only
    needs_order = needs_customer or bool({"customer", "salesperson", "channel"} & set(by)) or bool(filters.channel) \
        or salesperson_id is not None

    def source(start: datetime, end: datetime) -> Select[Any]:
        statement = (
            select().select_from(StockMove)
            .join(StockDocument, StockDocument.id == StockMove.document_id)
            .join(SalesOrderLine, SalesOrderLine.id == StockMove.source_line_id)
            .where(bills("customer"), StockMove.qty != 0,
                   StockMove.created_at >= start, StockMove.created_at < end)
        )
        if needs_order:
            statement = statement.join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        if "category" in by or filters.category:
            statement = statement.join(Product, Product.id == StockMove.product_id)
        if "category" in by or filters.category:
            statement = statement.outerjoin(Category, Category.id == Product.category_id)
            statement = _where_category(statement, filters)
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
        return _where_warehouse(tx, statement, filters, StockMove.warehouse_id, scope.warehouses)

    return source


def _period_report(
    tx: Tx, code: str, by: Sequence[str], source: Callable[[datetime, datetime], Select[Any]],
    measures: Sequence[tuple[str, Any, Any]], compared: Sequence[str], period: Period, filters: Filters,
) -> Report:
    """Rows grouped by the dimensions for the period, with totals, and the compared measures' totals in the
    previous period and the same period last year.

    The ledger rows are aggregated by ids (product id, customer id, month...) first; names and codes are joined to
    the groups afterwards, so a million rows cost one lookup per group, not per row. By month on SQLite, whose
    GROUP BY sorts every row, each month is its own range of the ledger's time index with its label as a constant
    (UNION ALL of one small grouping per month, no per-row month arithmetic); PostgreSQL hashes the groups in one
    pass, where a month is a CASE over the month edges (one pass beats a join per month there)."""
    start, end = period.bounds(filters.timezone)
    if tx.dialect == "postgresql":  # hash the groups and the order lines in memory, for this transaction only
        tx.session.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
    months = _months(period, filters.timezone) if "month" in by else []
    ranges = months if months and tx.dialect == "sqlite" else [("", start, end)]

    def groups(label: str, r_start: datetime, r_end: datetime) -> Select[Any]:
        def key(dimension: str) -> ColumnElement[Any]:
            if dimension != "month":
                return _dimension_key(dimension)
            return literal_column(f"'{label}'") if label else _month(StockMove.created_at, months)

        statement = source(r_start, r_end).add_columns(
            *(key(d).label(f"k{i}") for i, d in enumerate(by)), *(s.label(n) for n, s, _ in measures))
        # by the select's own names: a month's CASE carries parameters PostgreSQL would not match twice
        grouped: list[ColumnElement[Any]] = [
            literal_column(f"k{i}") for i, d in enumerate(by) if d != "month" or not label]
        return statement.group_by(*grouped) if grouped else statement.having(func.count() > 0)

    branches = [groups(*r) for r in ranges]
    inner = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("groups")
    outer = select().select_from(inner)
    labels: list[Any] = []
    for i, dimension in enumerate(by):
        outer, columns = _dimension_labels(outer, dimension, inner.c[f"k{i}"])
        labels += columns
    rows, totals, pages = _page(tx, outer, labels, [(n, inner.c[n], t) for n, _, t in measures], filters)
    names = [m[0] for m in measures]
    wanted = [(n, s, t) for n, s, t in measures if n in compared]
    earlier = []
    for other in (period.previous(), period.last_year()):
        o_start, o_end = other.bounds(filters.timezone)
        raw = tx.session.execute(source(o_start, o_end).add_columns(
            *(type_coerce(func.coalesce(s, 0), t) for _, s, t in wanted))).one()
        earlier.append(dict(zip((n for n, _, _ in wanted), raw, strict=True)))
    current = dict(zip(names, totals, strict=True))
    comparison = tuple(Comparison(n, current[n], earlier[0][n], earlier[1][n]) for n, _, _ in wanted)
    columns = [c for d in by for c in ((d, f"{d}_name") if d in ("product", "customer", "supplier") else (d,))]
    return Report(code, (*columns, *names), rows, ("",) * len(columns) + totals, comparison, period,
                  filters.page, pages, {"by": tuple(by)})


def _page(
    tx: Tx, statement: Select[Any], labels: Sequence[Any], measures: Sequence[tuple[str, Any, Any]], filters: Filters,
) -> tuple[tuple[tuple[Any, ...], ...], tuple[Any, ...], int]:
    """A page of already-grouped rows ordered by their labels, with the totals over every row (window sums)."""
    size = max(filters.page_size, 1)
    typed = [(c if t is None else type_coerce(c, t)).label(n) for n, c, t in measures]
    windows = [(func.sum(c).over() if t is None else type_coerce(func.sum(c).over(), t)).label(f"total_{n}")
               for n, c, t in measures]
    result = tx.session.execute(
        statement.add_columns(*labels, *typed, *windows, func.count().over().label("n_groups"))
        .order_by(*labels).limit(size).offset((max(filters.page, 1) - 1) * size)
    ).all()
    width = len(labels) + len(measures)
    if result:
        first = result[0]
        totals = tuple(first[width + i] for i in range(len(measures)))
        return tuple(tuple(r[:width]) for r in result), totals, max(1, -(-first[-1] // size))
    totals_row = tx.session.execute(statement.add_columns(
        *((func.coalesce(func.sum(c), 0) if t is None else type_coerce(func.coalesce(func.sum(c), 0), t))
          for _, c, t in measures))).one()
    return (), tuple(totals_row), 1


def _grouped(
    tx: Tx, source: Select[Any], keys: Sequence[Any], measures: Sequence[tuple[str, Any, Any]], filters: Filters,
) -> tuple[tuple[tuple[Any, ...], ...], tuple[Any, ...], int]:
    """One statement: a page of groups, the totals over every group and the number of groups (window sums)."""
    size = max(filters.page_size, 1)
    typed = [(s if t is None else type_coerce(s, t)).label(n) for n, s, t in measures]
    windows = [(func.sum(s).over() if t is None else type_coerce(func.sum(s).over(), t)).label(f"total_{n}")
               for n, s, t in measures]
    statement = (
        source.add_columns(*keys, *typed, *windows, func.count().over().label("n_groups"))
        .group_by(*keys).order_by(*keys).limit(size).offset((max(filters.page, 1) - 1) * size)
    )
    result = tx.session.execute(statement).all()
    width = len(keys) + len(measures)
    if result:
        first = result[0]
        totals = tuple(first[width + i] for i in range(len(measures)))
        return tuple(tuple(r[:width]) for r in result), totals, max(1, -(-first[-1] // size))
    totals_row = tx.session.execute(source.add_columns(
        *((func.coalesce(s, 0) if t is None else type_coerce(func.coalesce(s, 0), t)) for _, s, t in measures))
    ).one()
    return (), tuple(totals_row), 1


def _dimension_key(dimension: str) -> ColumnElement[Any]:
    """What ledger rows are grouped by for a dimension other than the month: an id or a channel."""
    keys: dict[str, Any] = {
        "product": StockMove.product_id, "customer": SalesOrder.customer_id, "supplier": PurchaseOrder.supplier_id,
        "salesperson": SalesOrder.salesperson_id, "channel": SalesOrder.channel,
        "warehouse": StockMove.warehouse_id, "category": Product.category_id,
    }
    key: ColumnElement[Any] = keys[dimension]
    return key


def _dimension_labels(statement: Select[Any], dimension: str, key: Any) -> tuple[Select[Any], list[Any]]:
    """Join what names a group (SKU and name, code and name...) to the grouped rows."""
    if dimension == "product":
        product = aliased(Product)
        return statement.join(product, product.id == key), [product.sku, product.name_zh]
    if dimension in ("customer", "supplier"):
        partner: Any = aliased(Customer if dimension == "customer" else Supplier)
        return statement.join(partner, partner.id == key), [partner.code, partner.name]
    if dimension == "salesperson":
        employee = aliased(Employee)
        return statement.join(employee, employee.id == key), [employee.name]
    if dimension == "warehouse":
        warehouse = aliased(Warehouse)
        return statement.join(warehouse, warehouse.id == key), [warehouse.code]
    if dimension == "category":
        category = aliased(Category)
        return statement.outerjoin(category, category.id == key), [func.coalesce(category.code, _NONE)]
    return statement, [key]


def _months(period: Period, timezone: str) -> list[tuple[str, datetime, datetime]]:
    """Each month "2026-03" of the period with the stored-time range it covers: from the month's first moment in
    the company's time zone (or the period's start) to the next month's (or the period's end), so exact across
    daylight-saving changes."""
    zone = ZoneInfo(timezone)
    start, end = period.bounds(timezone)
    firsts: list[date] = []
    first = period.start.replace(day=1)
    while first <= period.end:
        firsts.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    if len(firsts) > MAX_MONTHS:
        raise InvalidState(reason="too_many_months", months=len(firsts), allowed=MAX_MONTHS)
    edges = [start, *(datetime.combine(f, time.min, zone) for f in firsts[1:]), end]
    return [(f"{month:%Y-%m}", low, high) for month, (low, high) in zip(firsts, pairwise(edges), strict=True)]


def _month(column: Any, months: Sequence[tuple[str, datetime, datetime]]) -> ColumnElement[str]:
    """The month "2026-03" of a stored time within the period, by comparison with each month's end."""
    whens: list[tuple[ColumnElement[bool], ColumnElement[str]]] = [
        (column < high, literal_column(f"'{label}'")) for label, _, high in months[:-1]]
    last: ColumnElement[str] = literal_column(f"'{months[-1][0]}'")
    return case(*whens, else_=last) if whens else last


def _where_warehouse(tx: Tx, statement: Select[Any], filters: Filters, column: Any,
                     scope: frozenset[int] | None) -> Select[Any]:
    """The filter's warehouse, and only the warehouses the reader may see (`scope`, None for all)."""
    if scope is not None:
        statement = statement.where(column.in_(sorted(scope) or [-1]))
    if not filters.warehouse:
        return statement
    return statement.where(column == warehouse_in(tx, filters.warehouse).id)


def _where_category(statement: Select[Any], filters: Filters) -> Select[Any]:
    """The category or any of its subcategories, by code."""
    if not filters.category:
        return statement
    wanted = select(Category.id).where(func.upper(Category.code) == filters.category.strip().upper())
    parent = aliased(Category)
    children = select(parent.id).where(parent.parent_id.in_(wanted))
    return statement.where(or_(Product.category_id.in_(wanted), Product.category_id.in_(children)))


def _dimensions(wanted: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(d.strip().lower() for d in wanted if d.strip())
    bad = [d for d in chosen if d not in allowed]
    if bad or not chosen or len(set(chosen)) != len(chosen):
        raise InvalidState(reason="group_by", value=",".join(chosen)[:40], allowed=list(allowed))
    return chosen


def _pct(current: Decimal, before: Decimal) -> Decimal | None:
    if before == 0:
        return None
    return ((current - before) * 100 / abs(before)).quantize(Decimal("0.1"))


__all__ = ["REPORTS", "Comparison", "Filters", "Period", "Report", "may_run", "parse_period", "run_report"]
