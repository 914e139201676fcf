"""The dashboard: today's and this month's sales and gross profit, stock value, low-stock count and approvals
waiting for the reader, in ONE SQL statement whatever the size of the books, showing only what the reader may see."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, case, func, literal, select, type_coerce

from core.approvals.requests import waiting_for
from core.models import (
    ApprovalRequest,
    Customer,
    Money,
    Product,
    ReorderRule,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockLevel,
    StockMove,
)
from core.money.billing import bills, net_line_amount
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Dashboard:
    """The figures at a glance; None where the reader may not see a figure."""

    day: date
    month_start: date
    sales_today: Decimal | None
    sales_month: Decimal | None
    profit_today: Decimal | None
    profit_month: Decimal | None
    stock_value: Decimal | None
    low_stock: int
    pending_approvals: int
    own_customers_only: bool

    @property
    def margin_today(self) -> Decimal | None:
        return _margin(self.profit_today, self.sales_today)

    @property
    def margin_month(self) -> Decimal | None:
        return _margin(self.profit_month, self.sales_month)


def read_dashboard(uow: UnitOfWork, actor: Actor, *, timezone: str = "UTC", today: date | None = None) -> Dashboard:
    """Today's and this month's figures (days in the company's time zone) as the actor may see them."""
    actor.require(Permission.STOCK_VIEW)
    sees_sales = actor.can(Permission.SALES_VIEW_ALL) or actor.can(Permission.SALES_VIEW_OWN)
    own_only = sees_sales and not actor.can(Permission.SALES_VIEW_ALL)
    sees_profit = sees_sales and actor.can(Permission.PROFIT_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    zone = ZoneInfo(timezone)

    def work(tx: Tx) -> Dashboard:
        day = today or tx.now.astimezone(zone).date()
        first = day.replace(day=1)
        month_end = first + timedelta(days=calendar.monthrange(first.year, first.month)[1])
        day_start = datetime.combine(day, time.min, zone)
        bounds = (datetime.combine(first, time.min, zone), datetime.combine(month_end, time.min, zone))
        columns: list[Any] = [_low_stock(actor).label("low_stock"), _pending(actor).label("pending")]
        if sees_cost:
            columns.append(type_coerce(select(func.coalesce(func.sum(type_coerce(StockLevel.value, BigInteger)), 0))
                                       .scalar_subquery(), Money()).label("stock_value"))
        if sees_sales:
            sales = _sales(tx, actor, own_only, day_start, bounds).subquery("sales")
            columns += [type_coerce(func.coalesce(c, 0), Money()).label(c.name) for c in sales.c]
            statement = select(*columns).select_from(sales)
        else:
            statement = select(*columns)
        row = tx.session.execute(statement).one()._mapping
        return Dashboard(
            day, first, row.get("revenue_today"), row.get("revenue_month"),
            _difference(row, "today") if sees_profit else None, _difference(row, "month") if sees_profit else None,
            row.get("stock_value"), int(row["low_stock"] or 0), int(row["pending"] or 0), own_only)

    return uow.read(work)


def _sales(tx: Tx, actor: Actor, own_only: bool, day_start: datetime, bounds: tuple[datetime, datetime]) -> Any:
    """One aggregate over the month's billing ledger rows: revenue and cost of the month and of today."""
    revenue = -net_line_amount(StockMove.qty, SalesOrderLine, SalesOrder, tx.money_places)
    cost = -type_coerce(StockMove.value, BigInteger)
    today = StockMove.created_at >= day_start
    statement = (
        select(func.sum(revenue).label("revenue_month"),
               func.sum(case((today, revenue), else_=0)).label("revenue_today"),
               func.sum(cost).label("cost_month"), func.sum(case((today, cost), else_=0)).label("cost_today"))
        .select_from(StockMove)
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .join(SalesOrderLine, SalesOrderLine.id == StockMove.source_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(bills("customer"), StockMove.qty != 0,
               StockMove.created_at >= bounds[0], StockMove.created_at < bounds[1])
    )
    warehouses = actor.warehouse_scope(Permission.SALES_VIEW_ALL)
    if warehouses is not None and not own_only:
        statement = statement.where(StockMove.warehouse_id.in_(sorted(warehouses) or [-1]))
    if own_only:
        statement = (statement.join(Customer, Customer.id == SalesOrder.customer_id)
                     .where(Customer.salesperson_id == actor.employee_id))
    return statement


def _low_stock(actor: Actor) -> Any:
    """Active rules of active products whose available stock is below the minimum (in the reader's warehouses
    when every role that lets them see stock is limited to its warehouses)."""
    available = func.coalesce(type_coerce(StockLevel.on_hand, BigInteger), 0) \
        - func.coalesce(type_coerce(StockLevel.reserved, BigInteger), 0)
    inactive = select(Product.id).where(Product.active.is_(False))  # few; a join costs a lookup per rule
    statement = (
        select(func.count(ReorderRule.id))
        .outerjoin(StockLevel, and_(StockLevel.product_id == ReorderRule.product_id,
                                    StockLevel.warehouse_id == ReorderRule.warehouse_id))
        .where(ReorderRule.active.is_(True), ReorderRule.product_id.not_in(inactive),
               available < type_coerce(ReorderRule.minimum, BigInteger))
    )
    warehouses = actor.warehouse_scope(Permission.STOCK_VIEW)
    if warehouses is not None:
        statement = statement.where(ReorderRule.warehouse_id.in_(sorted(warehouses) or [-1]))
    return statement.scalar_subquery()


def _pending(actor: Actor) -> Any:
    """Approval requests waiting at a level the actor may decide (as approvals.pending_for lists them)."""
    return func.coalesce(select(func.count(ApprovalRequest.id)).where(waiting_for(actor)).scalar_subquery(),
                         literal(0))



def _difference(row: Any, when: str) -> Decimal:
    revenue: Decimal = row[f"revenue_{when}"] or Decimal(0)
    cost: Decimal = row[f"cost_{when}"] or Decimal(0)
    return revenue - cost


def _margin(profit: Decimal | None, revenue: Decimal | None) -> Decimal | None:
    if profit is None or not revenue:
        return None
    return (profit * HUNDRED / revenue).quantize(Decimal("0.1"))


__all__ = ["Dashboard", "read_dashboard"]
