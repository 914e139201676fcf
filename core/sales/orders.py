"""Sales orders: draft, approval (reserving the stock), closing, cancelling, and reading them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, or_, select

from core.approvals import requests as approvals
from core.approvals.requests import withdraw_request
from core.catalog.lines import EnteredLine
from core.catalog.products import warehouse_in
from core.errors import InvalidFilter, InvalidState, NotOwnDocument, PermissionDenied, UnknownDocument, UnknownPartner
from core.ledger.numbering import next_number
from core.models import (
    SO_STATUSES,
    Customer,
    Employee,
    Money,
    Payment,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockMove,
)
from core.numbers import ZERO, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.sales.line_lots import line_lots
from core.sales.pricing import priced_lines
from core.sales.records import (
    DOC_TYPE,
    LINES,
    ORDER_BY_NUMBER,
    ORDERS,
    OrderHead,
    OrderLine,
    SalesLineIn,
    held,
    lines_of,
    locked,
    locked_by_id,
    parse_lines,
    require_sees,
    set_status,
)
from core.sales.reservations import release, reserve
from core.sales.tax import tax_totals
from core.sales.views import SalesOrderSummary, SalesOrderView, order_view
from core.uow import Tx, UnitOfWork

PAGE_SIZE = 20
MAX_PER_PAGE = 100
SUMMARY_LINES = 10
CHANNEL_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")
_CU = Customer.__table__.c
_CUSTOMER_BY_CODE = select(_CU.id, _CU.code, _CU.name, _CU.active, _CU.salesperson_id).where(
    _CU.code == bindparam("code"))
_INSERT_ORDER = insert(ORDERS).returning(ORDERS.c.id)
_INSERT_LINES = insert(LINES)


def create_sales_order(
    uow: UnitOfWork, actor: Actor, customer: str, warehouse: str, lines: Sequence[SalesLineIn],
    channel: str = "chat", note: str = "",
) -> SalesOrderView:
    """Write a draft sales order for a customer; prices default to the customer's price list."""
    actor.require(Permission.SALES_CREATE)
    parsed = parse_lines(lines)
    channel = _channel(channel)
    note = note.strip()[:500]

    def work(tx: Tx) -> SalesOrderView:
        source = warehouse_in(tx, warehouse)
        buyer = _customer(tx, actor, customer)
        rows = _priced(tx, parsed, buyer.id)
        lots = line_lots(tx, actor, [row["product_id"] for row in rows], list(lines))
        total, tax_total = tax_totals(rows, tx.money_places)
        number = next_number(tx, "SO")
        order_id: int = tx.conn.execute(_INSERT_ORDER, {
            "number": number, "customer_id": buyer.id, "warehouse_id": source.id,
            "salesperson_id": actor.employee_id, "channel": channel, "status": "draft", "total": total,
            "tax_total": tax_total, "tax_included": tx.rules.prices_include_tax, "note": note,
            "reason": "", "created_at": tx.now,
        }).scalar_one()
        tx.conn.execute(_INSERT_LINES, [{**row, "order_id": order_id, "lot_id": lot}
                                        for row, lot in zip(rows, lots, strict=True)])
        record(tx, actor, "sales.create", DOC_TYPE, order_id, number=number, customer=buyer.code,
               warehouse=source.code, channel=channel, total=total, lines=len(rows))
        return order_view(tx, actor, order_id)

    return uow.run(work)


def submit_sales_order(uow: UnitOfWork, actor: Actor, number: str) -> SalesOrderView:
    """Send a draft for approval; below floor price or over credit limit always needs a manager."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = held(tx, actor, number, "submit")
        current = lines_of(tx, order.id)
        reasons, summary = _approval_summary(tx, actor, order, current)
        outcome = approvals.submit_for_approval(tx, actor, DOC_TYPE, order.id, order.number, order.total,
                                                summary, force=bool(reasons))
        record(tx, actor, "sales.submit", DOC_TYPE, order.id, number=order.number, total=order.total,
               approval_required=outcome.required, reasons=reasons)
        if outcome.required:
            set_status(tx, order, "pending_approval")
        else:
            reserve(tx, actor, order, current)
        return replace(order_view(tx, actor, order.id), approval_reasons=tuple(reasons))

    return uow.run(work)


def withdraw_sales_order(uow: UnitOfWork, actor: Actor, number: str) -> SalesOrderView:
    """Take a submitted order back before it is approved (its author only): a draft again, the approval withdrawn."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = locked(tx, number)
        require_sees(actor, order, number)
        if order.salesperson_id != actor.employee_id:
            raise NotOwnDocument(number=order.number, action="withdraw")
        if order.status not in SalesOrder.LIFECYCLE.statuses("withdraw"):
            raise InvalidState(reason="withdraw_too_late", number=order.number, status=order.status)
        withdraw_request(tx, actor, DOC_TYPE, order.id)
        set_status(tx, order, "draft")
        record(tx, actor, "sales.withdraw", DOC_TYPE, order.id, number=order.number, total=order.total)
        return order_view(tx, actor, order.id)

    return uow.run(work)


def on_approved(tx: Tx, actor: Actor, doc_id: int) -> None:
    """The last approval level said yes: reserve the stock, or refuse (out_of_stock) leaving all as it was."""
    order = locked_by_id(tx, doc_id)
    SalesOrder.LIFECYCLE.ensure("approve", order.number, order.status)
    reserve(tx, actor, order)


def on_rejected(tx: Tx, actor: Actor, doc_id: int, reason: str) -> None:
    """The approver said no: the order is rejected with the reason."""
    order = locked_by_id(tx, doc_id)
    SalesOrder.LIFECYCLE.ensure("reject", order.number, order.status)
    set_status(tx, order, "rejected", reason=reason)
    record(tx, actor, "sales.reject", DOC_TYPE, order.id, number=order.number, reason=reason)


def close_sales_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> SalesOrderView:
    """Close a shipped or partly shipped order; whatever is still reserved goes back to available."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = held(tx, actor, number, "close")
        document = release(tx, actor, order)
        set_status(tx, order, "closed", reason=reason)
        record(tx, actor, "sales.close", DOC_TYPE, order.id, number=order.number, release=document,
               reason=reason)
        return replace(order_view(tx, actor, order.id), document=document)

    return uow.run(work)


def cancel_sales_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> SalesOrderView:
    """Cancel an order before its first shipment: the reservation is released, a pending approval withdrawn."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = held(tx, actor, number, "cancel")
        if order.status == "pending_approval":
            approvals.cancel_request(tx, DOC_TYPE, order.id)
        document = release(tx, actor, order) if order.status == "approved" else None
        set_status(tx, order, "cancelled", reason=reason)
        record(tx, actor, "sales.cancel", DOC_TYPE, order.id, number=order.number, release=document,
               reason=reason)
        return replace(order_view(tx, actor, order.id), document=document)

    return uow.run(work)


def get_sales_order(uow: UnitOfWork, actor: Actor, number: str) -> SalesOrderView:
    """One sales order, if the actor may see it."""

    def work(tx: Tx) -> SalesOrderView:
        row = tx.conn.execute(ORDER_BY_NUMBER, {"number": number.strip().upper()}).one_or_none()
        if row is None:
            raise UnknownDocument(number=number[:40])
        order = OrderHead(**row._mapping)
        require_sees(actor, order, number)
        return order_view(tx, actor, order.id)

    return uow.read(work)


def list_sales_orders(
    uow: UnitOfWork, actor: Actor, status: str | None = None, customer: str | None = None, page: int = 1
) -> list[SalesOrderSummary]:
    """Sales orders the actor may see, newest first, a page at a time; sales staff see only their own."""
    if status is not None and status not in SO_STATUSES:
        raise InvalidFilter(reason="unknown_status", status=status[:40], allowed=list(SO_STATUSES))
    found = sales_order_page(uow, actor, page, PAGE_SIZE, statuses=None if status is None else (status,),
                             customer=customer)
    return list(found.orders)


@dataclass(frozen=True)
class OrderPage:
    """One page of order summaries, and whether another page follows."""

    orders: tuple[SalesOrderSummary, ...]
    page: int
    more: bool


def sales_order_page(
    uow: UnitOfWork, actor: Actor, page: int = 1, per_page: int = PAGE_SIZE, *,
    statuses: Sequence[str] | None = None, customer: str | None = None,
    warehouses: Sequence[int] | None = None, oldest_first: bool = False,
) -> OrderPage:
    """A page of the sales orders the actor may see (in those statuses and warehouses), newest first unless
    `oldest_first`; one statement, reading one row past the page to know whether more follow."""
    if not (actor.can(Permission.SALES_VIEW_OWN) or actor.can(Permission.SALES_VIEW_ALL)):
        raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_OWN.value,
                               warehouse_id=None)
    unknown = [s for s in statuses or () if s not in SO_STATUSES]
    if unknown:
        raise InvalidFilter(reason="unknown_status", status=str(unknown[0])[:40], allowed=list(SO_STATUSES))
    page, per_page = max(page, 1), max(1, min(per_page, MAX_PER_PAGE))

    def work(tx: Tx) -> OrderPage:
        statement = (
            select(SalesOrder.number, SalesOrder.status, SalesOrder.channel, Customer.code.label("customer"),
                   Customer.name.label("customer_name"), Employee.name.label("salesperson"), SalesOrder.total,
                   SalesOrder.created_at)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .join(Employee, Employee.id == SalesOrder.salesperson_id)
        )
        visible = _visible_condition(actor)
        if visible is not None:
            statement = statement.where(visible)
        if statuses is not None:
            statement = statement.where(SalesOrder.status.in_(list(statuses)))
        if customer is not None:
            statement = statement.where(Customer.code == customer.strip().upper())
        if warehouses is not None:
            statement = statement.where(SalesOrder.warehouse_id.in_(list(warehouses)))
        order = SalesOrder.id.asc() if oldest_first else SalesOrder.id.desc()
        rows = tx.session.execute(statement.order_by(order).limit(per_page + 1).offset((page - 1) * per_page))
        found = [SalesOrderSummary(**{**row._mapping, "total": round_money(row.total, tx.money_places)})
                 for row in rows]
        return OrderPage(tuple(found[:per_page]), page, len(found) > per_page)

    return uow.read(work)


def open_receivable(tx: Tx, customer_id: int) -> Decimal:
    """What the customer owes on sales: each shipment and return row at its order price, less payments received.

    Rounded per ledger row, as the money module bills it, so both give the same figure to the cent."""
    rows = tx.session.execute(
        select(StockMove.qty, SalesOrderLine.unit_price)
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .join(SalesOrderLine, SalesOrderLine.id == StockMove.source_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.customer_id == customer_id, StockDocument.source_type == DOC_TYPE,
               StockDocument.kind.in_(("shipment", "sales_return")), StockMove.qty != 0)
    )
    owed = sum((round_money(-qty * price, tx.money_places) for qty, price in rows), ZERO)
    return round_money(owed - _payments_received(tx, customer_id), tx.money_places)


# Inside the transaction


def _channel(channel: str) -> str:
    value = str(channel).strip().lower()
    if not CHANNEL_PATTERN.fullmatch(value):
        raise InvalidState(reason="unknown_channel", channel=value[:40])
    return value


def _customer(tx: Tx, actor: Actor, code: str) -> Any:
    customer = tx.conn.execute(_CUSTOMER_BY_CODE, {"code": str(code).strip().upper()}).one_or_none()
    mine = customer is not None and (customer.salesperson_id == actor.employee_id
                                     or actor.can(Permission.SALES_VIEW_ALL))
    if customer is None or not customer.active or not mine:  # another's customer answers as an unknown one
        raise UnknownPartner(kind="customer", code=str(code)[:40])
    return customer


def _priced(tx: Tx, parsed: Sequence[EnteredLine], customer_id: int) -> list[dict[str, Any]]:
    """Line rows in base units, priced at what was given or the customer's price list."""
    return [{"line_no": line_no, "product_id": ln.product_id, "qty": ln.base_qty, "unit_price": ln.unit_price,
             "amount": ln.amount, "tax_rate": ln.tax.rate, "tax_amount": ln.tax.tax, "gross": ln.tax.gross,
             "reserved_qty": ZERO, "shipped_qty": ZERO, "returned_qty": ZERO}
            for line_no, ln in enumerate(priced_lines(tx, parsed, customer_id), 1)]


def _approval_summary(
    tx: Tx, actor: Actor, order: OrderHead, lines: Sequence[OrderLine]
) -> tuple[list[str], dict[str, Any]]:
    """Why the order needs a manager (below floor price, over credit limit) and what the approver is shown."""
    below = [line.sku for line in lines if line.unit_price < line.floor_price]
    reasons = ["below_floor_price"] if below else []
    summary: dict[str, Any] = {
        "customer": order.customer, "customer_name": order.customer_name, "salesperson": actor.name,
        "channel": order.channel, "total": round_money(order.total, tx.money_places), "line_count": len(lines),
        "below_floor": below[:SUMMARY_LINES],
        "lines": [{"sku": ln.sku, "qty": ln.qty, "unit_price": ln.unit_price} for ln in lines[:SUMMARY_LINES]],
    }
    if order.credit_limit > 0:
        owed = open_receivable(tx, order.customer_id)
        summary.update(credit_limit=round_money(order.credit_limit, tx.money_places), open_receivable=owed)
        if owed + order.total > order.credit_limit:
            reasons.append("over_credit_limit")
    summary["reasons"] = reasons
    return reasons, summary


def _payments_received(tx: Tx, customer_id: int) -> Decimal:
    """Every payment received from the customer, allocated to an order or not yet."""
    paid = tx.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0, type_=Money()))
        .where(Payment.partner_kind == "customer", Payment.customer_id == customer_id))
    return paid or ZERO


# Who may see


def _all_scope(actor: Actor) -> frozenset[int] | None:
    """The warehouses in which the actor sees every order; None for all of them."""
    return actor.warehouse_scope(Permission.SALES_VIEW_ALL)


def _visible_condition(actor: Actor) -> Any:
    scope = _all_scope(actor)
    if scope is None:
        return None
    conditions: list[ColumnElement[bool]] = [SalesOrder.warehouse_id.in_(scope)] if scope else []
    if actor.can(Permission.SALES_VIEW_OWN):
        conditions += [SalesOrder.salesperson_id == actor.employee_id,
                       Customer.salesperson_id == actor.employee_id]
    return or_(*conditions) if conditions else SalesOrder.id.is_(None)
