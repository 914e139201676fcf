"""Sales orders: draft, approval, reservation, shipments, returns, closing and cancelling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, null, or_, select, update

from core.approvals import requests as approvals
from core.catalog.lines import EnteredLine, bounded, entered
from core.catalog.products import warehouse_in
from core.catalog.resolve import resolve_lines
from core.errors import (
    InvalidQuantity,
    InvalidState,
    OverReturn,
    PermissionDenied,
    ReasonRequired,
    UnknownDocument,
    UnknownPartner,
)
from core.ledger.documents import open_document, post_moves
from core.ledger.numbering import next_number
from core.ledger.posting import MoveSpec
from core.models import (
    SO_STATUSES,
    ApprovalRequest,
    Customer,
    Employee,
    Money,
    Payment,
    Product,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockMove,
    Warehouse,
)
from core.numbers import ZERO, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.sales.pricing import priced_lines
from core.uow import Tx, UnitOfWork

DOC_TYPE = "sales_order"
MAX_LINES = 2000
PAGE_SIZE = 20
SUMMARY_LINES = 10
CHANNEL_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,19}")
SHIPPABLE = SalesOrder.LIFECYCLE.statuses("ship")
LINES: Table = SalesOrderLine.__table__  # type: ignore[assignment]
ORDERS: Table = SalesOrder.__table__  # type: ignore[assignment]
_SO, _L, _CU = ORDERS.c, LINES.c, Customer.__table__.c
_P, _W, _E = Product.__table__.c, Warehouse.__table__.c, Employee.__table__.c
_M, _D, _AR = StockMove.__table__.c, StockDocument.__table__.c, ApprovalRequest.__table__.c
LEDGER_KINDS = ("shipment", "sales_return")


@dataclass(frozen=True)
class SalesLineIn:
    """A line as a person or system gives it: SKU or barcode, quantity, optional price and pack unit."""

    item: str
    qty: object
    unit_price: object = None
    unit: str | None = None


@dataclass(frozen=True)
class SalesLineView:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    reserved_qty: Decimal
    shipped_qty: Decimal
    returned_qty: Decimal
    cost: Decimal | None
    profit: Decimal | None


@dataclass(frozen=True)
class SalesOrderView:
    """A sales order as its reader may see it; cost and profit are None without cost.view."""

    number: str
    status: str
    channel: str
    customer: str
    customer_name: str
    warehouse: str
    salesperson: str
    total: Decimal
    note: str
    reason: str
    created_at: datetime
    approved_at: datetime | None
    lines: tuple[SalesLineView, ...]
    approval_request_id: int | None = None
    approval_reasons: tuple[str, ...] = ()
    document: str | None = None


@dataclass(frozen=True)
class SalesOrderSummary:
    number: str
    status: str
    channel: str
    customer: str
    customer_name: str
    salesperson: str
    total: Decimal
    created_at: datetime


@dataclass(frozen=True)
class _OrderLine:
    id: int
    line_no: int
    product_id: int
    sku: str
    qty: Decimal
    unit_price: Decimal
    reserved_qty: Decimal
    shipped_qty: Decimal
    returned_qty: Decimal
    floor_price: Decimal


@dataclass(frozen=True)
class _Order:
    """An order's head as changes need it, with its customer (whose salesperson also sees the order)."""

    id: int
    number: str
    status: str
    customer_id: int
    warehouse_id: int
    salesperson_id: int
    channel: str
    total: Decimal
    customer_salesperson_id: int | None
    customer: str
    customer_name: str
    credit_limit: Decimal


# Built once: every step of an order's life runs them, and building a statement costs more than running it.
_ORDER_HEAD = select(
    _SO.id, _SO.number, _SO.status, _SO.customer_id, _SO.warehouse_id, _SO.salesperson_id, _SO.channel, _SO.total,
    _CU.salesperson_id.label("customer_salesperson_id"), _CU.code.label("customer"),
    _CU.name.label("customer_name"), _CU.credit_limit,
).join_from(ORDERS, Customer.__table__, _CU.id == _SO.customer_id)
_ORDER_BY_NUMBER = _ORDER_HEAD.where(_SO.number == bindparam("number"))
_LOCK_BY_NUMBER = _ORDER_BY_NUMBER.with_for_update(of=ORDERS)
_LOCK_BY_ID = _ORDER_HEAD.where(_SO.id == bindparam("order_id")).with_for_update(of=ORDERS)
_CUSTOMER_BY_CODE = select(_CU.id, _CU.code, _CU.name, _CU.active, _CU.salesperson_id).where(
    _CU.code == bindparam("code"))
_INSERT_ORDER = insert(ORDERS).returning(_SO.id)
_INSERT_LINES = insert(LINES)
_UPDATE_ORDER = update(ORDERS).where(_SO.id == bindparam("order_id"))  # SET: the columns given
_WRITE_LINES = update(LINES).where(_L.id == bindparam("line_id"))  # SET: the columns given, executemany
_LINES_OF = (
    select(_L.id, _L.line_no, _L.product_id, _P.sku, _L.qty, _L.unit_price, _L.reserved_qty, _L.shipped_qty,
           _L.returned_qty, _P.floor_price)
    .join_from(LINES, Product.__table__, _P.id == _L.product_id)
    .where(_L.order_id == bindparam("order_id")).order_by(_L.line_no)
)
_PENDING_REQUEST = select(func.min(_AR.id)).where(
    _AR.doc_type == DOC_TYPE, _AR.doc_id == _SO.id, _AR.status == "pending").scalar_subquery()
_LEDGER_VALUE = (  # cost of goods sold per line: what shipments took out, less what returns brought back
    select(_M.source_line_id, func.sum(_M.value).label("value"))
    .join_from(StockMove.__table__, StockDocument.__table__, _D.id == _M.document_id)
    .where(_D.source_type == DOC_TYPE, _D.source_id == bindparam("order_id"), _D.kind.in_(LEDGER_KINDS))
    .group_by(_M.source_line_id).subquery("ledger")
)


def _view_statement(with_costs: bool) -> Any:
    """The whole order in one statement: head, lines in order, and (for who sees cost) each line's ledger value."""
    joined = (ORDERS.join(Customer.__table__, _CU.id == _SO.customer_id)
              .join(Warehouse.__table__, _W.id == _SO.warehouse_id)
              .join(Employee.__table__, _E.id == _SO.salesperson_id)
              .join(LINES, _L.order_id == _SO.id)
              .join(Product.__table__, _P.id == _L.product_id))
    if with_costs:
        joined = joined.outerjoin(_LEDGER_VALUE, _LEDGER_VALUE.c.source_line_id == _L.id)
    cost = _LEDGER_VALUE.c.value if with_costs else null()
    return (
        select(_SO.number, _SO.status, _SO.channel, _CU.code.label("customer"), _CU.name.label("customer_name"),
               _W.code.label("warehouse"), _E.name.label("salesperson"), _SO.total, _SO.note, _SO.reason,
               _SO.created_at, _SO.approved_at, _PENDING_REQUEST.label("request_id"), _L.line_no, _P.sku,
               _P.name_zh, _P.name_en, _L.qty, _L.unit_price, _L.amount, _L.reserved_qty, _L.shipped_qty,
               _L.returned_qty, cost.label("ledger_value"))
        .select_from(joined).where(_SO.id == bindparam("order_id")).order_by(_L.line_no)
    )


_VIEWS = {with_costs: _view_statement(with_costs) for with_costs in (False, True)}


def create_sales_order(
    uow: UnitOfWork, actor: Actor, customer: str, warehouse: str, lines: Sequence[SalesLineIn],
    channel: str = "chat", note: str = "",
) -> SalesOrderView:
    """Write a draft sales order for a customer; prices default to the product's sale price."""
    actor.require(Permission.SALES_CREATE)
    parsed = _parse(lines)
    channel = _channel(channel)
    note = note.strip()[:500]

    def work(tx: Tx) -> SalesOrderView:
        source = warehouse_in(tx, warehouse)
        buyer = _customer(tx, actor, customer)
        rows = _priced(tx, parsed)
        total = sum((row["amount"] for row in rows), ZERO)
        number = next_number(tx, "SO")
        order_id: int = tx.conn.execute(_INSERT_ORDER, {
            "number": number, "customer_id": buyer.id, "warehouse_id": source.id,
            "salesperson_id": actor.employee_id, "channel": channel, "status": "draft", "total": total, "note": note,
            "reason": "", "created_at": tx.now,
        }).scalar_one()
        tx.conn.execute(_INSERT_LINES, [{**row, "order_id": order_id} for row in rows])
        record(tx, actor, "sales.create", DOC_TYPE, order_id, number=number, customer=buyer.code,
               warehouse=source.code, channel=channel, total=total, lines=len(rows))
        return _view(tx, actor, order_id)

    return uow.run(work)


def submit_sales_order(uow: UnitOfWork, actor: Actor, number: str) -> SalesOrderView:
    """Send a draft for approval; below floor price or over credit limit always needs a manager."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = _held(tx, actor, number, "submit")
        current = _lines(tx, order.id)
        reasons, summary = _approval_summary(tx, actor, order, current)
        outcome = approvals.submit_for_approval(tx, actor, DOC_TYPE, order.id, order.number, order.total,
                                                summary, force=bool(reasons))
        record(tx, actor, "sales.submit", DOC_TYPE, order.id, number=order.number, total=order.total,
               approval_required=outcome.required, reasons=reasons)
        if outcome.required:
            _set_status(tx, order, "pending_approval")
        else:
            _reserve(tx, actor, order, current)
        return replace(_view(tx, actor, order.id), approval_reasons=tuple(reasons))

    return uow.run(work)


def on_approved(tx: Tx, actor: Actor, doc_id: int) -> None:
    """The last approval level said yes: reserve the stock, or refuse (out_of_stock) leaving all as it was."""
    order = _locked_by_id(tx, doc_id)
    SalesOrder.LIFECYCLE.ensure("approve", order.number, order.status)
    _reserve(tx, actor, order)


def on_rejected(tx: Tx, actor: Actor, doc_id: int, reason: str) -> None:
    """The approver said no: the order is rejected with the reason."""
    order = _locked_by_id(tx, doc_id)
    SalesOrder.LIFECYCLE.ensure("reject", order.number, order.status)
    _set_status(tx, order, "rejected", reason=reason)
    record(tx, actor, "sales.reject", DOC_TYPE, order.id, number=order.number, reason=reason)


def ship_sales_order(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[SalesLineIn] | None = None
) -> SalesOrderView:
    """Ship reserved goods: everything outstanding, or the lines given; the ledger records cost of goods sold."""
    parsed = _parse(lines) if lines is not None else None

    def work(tx: Tx) -> SalesOrderView:
        order = _locked(tx, number)
        actor.require(Permission.SALES_SHIP, order.warehouse_id)
        SalesOrder.LIFECYCLE.ensure("ship", order.number, order.status)
        current = _lines(tx, order.id)
        if parsed is None:
            wanted = {ln.id: ln.reserved_qty for ln in current if ln.reserved_qty > 0}
        else:
            wanted = _allocate(tx, parsed, current, lambda ln: ln.reserved_qty, _over_shipment)
        document_id, document = open_document(tx, actor, "shipment", order.warehouse_id,
                                              source=(DOC_TYPE, order.id))
        by_id = {ln.id: ln for ln in current}
        specs = [MoveSpec(by_id[i].line_no, by_id[i].product_id, order.warehouse_id, qty=-q, reserved=-q,
                          source_line_id=i, label=by_id[i].sku) for i, q in wanted.items()]
        post_moves(tx, actor, document_id, specs)
        _write_lines(tx, [{"line_id": i, "shipped_qty": by_id[i].shipped_qty + q,
                           "reserved_qty": by_id[i].reserved_qty - q} for i, q in wanted.items()])
        done = all(ln.shipped_qty + wanted.get(ln.id, ZERO) == ln.qty for ln in current)
        status = "shipped" if done else "partially_shipped"
        _set_status(tx, order, status)
        record(tx, actor, "sales.ship", DOC_TYPE, order.id, number=order.number, shipment=document,
               status=status, lines={by_id[i].line_no: q for i, q in wanted.items()})
        return replace(_view(tx, actor, order.id), document=document)

    return uow.run(work)


ship_sales = ship_sales_order  # the name in the shared contract (DOCUMENTS.md)


def close_sales_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> SalesOrderView:
    """Close a shipped or partly shipped order; whatever is still reserved goes back to available."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = _held(tx, actor, number, "close")
        document = _release(tx, actor, order)
        _set_status(tx, order, "closed", reason=reason)
        record(tx, actor, "sales.close", DOC_TYPE, order.id, number=order.number, release=document,
               reason=reason)
        return replace(_view(tx, actor, order.id), document=document)

    return uow.run(work)


def cancel_sales_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> SalesOrderView:
    """Cancel an order before its first shipment: the reservation is released, a pending approval withdrawn."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        order = _held(tx, actor, number, "cancel")
        if order.status == "pending_approval":
            approvals.cancel_request(tx, DOC_TYPE, order.id)
        document = _release(tx, actor, order) if order.status == "approved" else None
        _set_status(tx, order, "cancelled", reason=reason)
        record(tx, actor, "sales.cancel", DOC_TYPE, order.id, number=order.number, release=document,
               reason=reason)
        return replace(_view(tx, actor, order.id), document=document)

    return uow.run(work)


def return_from_customer(
    uow: UnitOfWork, actor: Actor, so_number: str, lines: Sequence[SalesLineIn], reason: str
) -> SalesOrderView:
    """Take goods back into stock at the cost they left with, never more than was shipped and not returned."""
    actor.require(Permission.SALES_RETURN)
    reason = reason.strip()[:500]
    if not reason:
        raise ReasonRequired(action="sales_return")
    parsed = _parse(lines)

    def work(tx: Tx) -> SalesOrderView:
        order = _held(tx, actor, so_number, "return")
        current = _lines(tx, order.id)
        wanted = _allocate(tx, parsed, current, lambda ln: ln.shipped_qty - ln.returned_qty, _over_return)
        costs = _ledger_by_line(tx, order.id)
        document_id, document = open_document(tx, actor, "sales_return", order.warehouse_id, reason=reason,
                                              source=(DOC_TYPE, order.id))
        by_id = {ln.id: ln for ln in current}
        specs = [MoveSpec(by_id[i].line_no, by_id[i].product_id, order.warehouse_id, qty=q,
                          value=_return_value(tx, by_id[i], q, costs.get(i, {})), source_line_id=i,
                          label=by_id[i].sku) for i, q in wanted.items()]
        post_moves(tx, actor, document_id, specs)
        _write_lines(tx, [{"line_id": i, "returned_qty": by_id[i].returned_qty + q} for i, q in wanted.items()])
        record(tx, actor, "sales.return", DOC_TYPE, order.id, number=order.number, document=document,
               reason=reason, lines={by_id[i].line_no: q for i, q in wanted.items()})
        return replace(_view(tx, actor, order.id), document=document)

    return uow.run(work)


def get_sales_order(uow: UnitOfWork, actor: Actor, number: str) -> SalesOrderView:
    """One sales order, if the actor may see it."""

    def work(tx: Tx) -> SalesOrderView:
        row = tx.conn.execute(_ORDER_BY_NUMBER, {"number": number.strip().upper()}).one_or_none()
        if row is None:
            raise UnknownDocument(number=number[:40])
        order = _Order(**row._mapping)
        _require_sees(actor, order)
        return _view(tx, actor, order.id)

    return uow.read(work)


def list_sales_orders(
    uow: UnitOfWork, actor: Actor, status: str | None = None, customer: str | None = None, page: int = 1
) -> list[SalesOrderSummary]:
    """Sales orders the actor may see, newest first, a page at a time; sales staff see only their own."""
    if not (actor.can(Permission.SALES_VIEW_OWN) or actor.can(Permission.SALES_VIEW_ALL)):
        raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_OWN.value,
                               warehouse_id=None)
    if status is not None and status not in SO_STATUSES:
        raise InvalidState(reason="unknown_status", status=status[:40])

    def work(tx: Tx) -> list[SalesOrderSummary]:
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
        if status is not None:
            statement = statement.where(SalesOrder.status == status)
        if customer is not None:
            statement = statement.where(Customer.code == customer.strip().upper())
        rows = tx.session.execute(
            statement.order_by(SalesOrder.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
        return [SalesOrderSummary(**row._mapping) for row in rows]

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


def _parse(lines: Sequence[SalesLineIn] | None) -> list[EnteredLine]:
    return [entered(ln.item, ln.qty, ln.unit, ln.unit_price) for ln in bounded(lines, MAX_LINES)]


def _channel(channel: str) -> str:
    value = str(channel).strip().lower()
    if not CHANNEL_PATTERN.fullmatch(value):
        raise InvalidState(reason="unknown_channel", channel=value[:40])
    return value


def _customer(tx: Tx, actor: Actor, code: str) -> Any:
    customer = tx.conn.execute(_CUSTOMER_BY_CODE, {"code": str(code).strip().upper()}).one_or_none()
    if customer is None or not customer.active:
        raise UnknownPartner(kind="customer", code=str(code)[:40])
    if customer.salesperson_id != actor.employee_id and not actor.can(Permission.SALES_VIEW_ALL):
        raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_ALL.value,
                               customer=customer.code)
    return customer


def _priced(tx: Tx, parsed: Sequence[EnteredLine]) -> list[dict[str, Any]]:
    """Line rows in base units, priced at what was given or the product's sale price."""
    return [{"line_no": line_no, "product_id": ln.product_id, "qty": ln.base_qty, "unit_price": ln.unit_price,
             "amount": ln.amount, "reserved_qty": ZERO, "shipped_qty": ZERO, "returned_qty": ZERO}
            for line_no, ln in enumerate(priced_lines(tx, parsed), 1)]


def _approval_summary(
    tx: Tx, actor: Actor, order: _Order, lines: Sequence[_OrderLine]
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


def _reserve(tx: Tx, actor: Actor, order: _Order, current: Sequence[_OrderLine] | None = None) -> None:
    """Reserve every line in full and mark the order approved (`current`: its lines, if just read)."""
    current = _lines(tx, order.id) if current is None else current
    document_id, document = open_document(tx, actor, "so_reservation", order.warehouse_id,
                                          source=(DOC_TYPE, order.id))
    post_moves(tx, actor, document_id, [
        MoveSpec(ln.line_no, ln.product_id, order.warehouse_id, reserved=ln.qty, source_line_id=ln.id,
                 label=ln.sku) for ln in current])
    _write_lines(tx, [{"line_id": ln.id, "reserved_qty": ln.qty} for ln in current])
    _set_status(tx, order, "approved", approved=True)
    record(tx, actor, "sales.approve", DOC_TYPE, order.id, number=order.number, reservation=document)


def _release(tx: Tx, actor: Actor, order: _Order) -> str | None:
    held = [ln for ln in _lines(tx, order.id) if ln.reserved_qty > 0]
    if not held:
        return None
    document_id, document = open_document(tx, actor, "so_release", order.warehouse_id,
                                          source=(DOC_TYPE, order.id))
    post_moves(tx, actor, document_id, [
        MoveSpec(ln.line_no, ln.product_id, order.warehouse_id, reserved=-ln.reserved_qty, source_line_id=ln.id,
                 label=ln.sku) for ln in held])
    _write_lines(tx, [{"line_id": ln.id, "reserved_qty": ZERO} for ln in held])
    return document


def _lines(tx: Tx, order_id: int) -> list[_OrderLine]:
    return [_OrderLine(**row._mapping) for row in tx.conn.execute(_LINES_OF, {"order_id": order_id})]


def _write_lines(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Set line quantities with one executemany UPDATE whatever the number of lines."""
    if rows:
        tx.conn.execute(_WRITE_LINES, rows)


def _set_status(
    tx: Tx, order: _Order, status: str, *, reason: str | None = None, approved: bool = False
) -> None:
    """One UPDATE of the order's status (with its reason, approval or closing time when they change)."""
    values: dict[str, Any] = {"order_id": order.id, "status": status}
    if reason is not None:
        values["reason"] = reason.strip()[:500]
    if approved:
        values["approved_at"] = tx.now
    if status in ("closed", "cancelled", "rejected"):
        values["closed_at"] = tx.now
    tx.conn.execute(_UPDATE_ORDER, values)


def _allocate(
    tx: Tx, parsed: Sequence[EnteredLine], current: Sequence[_OrderLine], room: Any, refuse: Any
) -> dict[int, Decimal]:
    """Spread the quantities asked per product over the order's lines of that product, first line first."""
    asked: dict[int, Decimal] = {}
    labels: dict[int, str] = {}
    for ln in resolve_lines(tx, parsed):
        asked[ln.product.id] = asked.get(ln.product.id, ZERO) + ln.base_qty
        labels[ln.product.id] = ln.product.sku
    wanted: dict[int, Decimal] = {}
    for product_id, qty in asked.items():
        candidates = [line for line in current if line.product_id == product_id]
        if not candidates:
            raise InvalidQuantity(value=labels[product_id], reason="not_on_document")
        left = qty
        for line in candidates:
            take = min(left, room(line))
            if take > 0:
                wanted[line.id] = take
                left -= take
        if left > 0:
            refuse(labels[product_id], qty, qty - left)
    return wanted


def _over_shipment(item: str, requested: Decimal, outstanding: Decimal) -> None:
    raise InvalidQuantity(value=str(requested), reason="more_than_outstanding", outstanding=outstanding, item=item)


def _over_return(item: str, requested: Decimal, returnable: Decimal) -> None:
    raise OverReturn(item=item, requested=requested, returnable=returnable)


def _ledger_by_line(tx: Tx, order_id: int) -> dict[int, dict[str, tuple[Decimal, Decimal]]]:
    """Per order line and document kind: quantity and value the order's stock documents moved."""
    rows = tx.session.execute(
        select(StockMove.source_line_id, StockDocument.kind, func.sum(StockMove.qty).label("qty"),
               func.sum(StockMove.value).label("value"))
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .where(StockDocument.source_type == DOC_TYPE, StockDocument.source_id == order_id,
               StockDocument.kind.in_(("shipment", "sales_return")))
        .group_by(StockMove.source_line_id, StockDocument.kind)
    )
    moved: dict[int, dict[str, tuple[Decimal, Decimal]]] = {}
    for row in rows:
        moved.setdefault(row.source_line_id, {})[row.kind] = (row.qty, row.value)
    return moved


def _return_value(tx: Tx, line: _OrderLine, qty: Decimal, moved: dict[str, tuple[Decimal, Decimal]]) -> Decimal:
    """The cost the goods left with: the shipments' average unit cost; the exact remainder for the last units."""
    shipped_qty, shipped_value = moved.get("shipment", (ZERO, ZERO))
    returned_qty, returned_value = moved.get("sales_return", (ZERO, ZERO))
    if shipped_qty == 0:
        return ZERO
    if qty == -shipped_qty - returned_qty:
        return -shipped_value - returned_value
    return round_money(qty * shipped_value / shipped_qty, tx.money_places)


# Who may see and act


def _locked(tx: Tx, number: str) -> _Order:
    row = tx.conn.execute(_LOCK_BY_NUMBER, {"number": number.strip().upper()}).one_or_none()
    if row is None:
        raise UnknownDocument(number=number[:40])
    return _Order(**row._mapping)


def _locked_by_id(tx: Tx, order_id: int) -> _Order:
    row = tx.conn.execute(_LOCK_BY_ID, {"order_id": order_id}).one_or_none()
    if row is None:
        raise UnknownDocument(doc_type=DOC_TYPE, doc_id=order_id)
    return _Order(**row._mapping)


def _held(tx: Tx, actor: Actor, number: str, action: str) -> _Order:
    """The order locked for a change the actor may make on it in its current status."""
    order = _locked(tx, number)
    _require_sees(actor, order)
    SalesOrder.LIFECYCLE.ensure(action, order.number, order.status)
    return order


def _require_sees(actor: Actor, order: _Order) -> None:
    """Everyone with sales.view_all in its warehouse; with sales.view_own, its salesperson and the customer's."""
    if actor.can(Permission.SALES_VIEW_ALL, order.warehouse_id):
        return
    if actor.can(Permission.SALES_VIEW_OWN) and actor.employee_id in (order.salesperson_id,
                                                                      order.customer_salesperson_id):
        return
    raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_ALL.value, number=order.number)


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


# Views


def _view(tx: Tx, actor: Actor, order_id: int) -> SalesOrderView:
    sees_cost = actor.can(Permission.COST_VIEW)
    rows = tx.conn.execute(_VIEWS[sees_cost], {"order_id": order_id}).all()
    head = rows[0]
    lines = []
    for line in rows:
        cost = profit = None
        if sees_cost:
            cost = ZERO if line.ledger_value is None else -line.ledger_value
            revenue = round_money((line.shipped_qty - line.returned_qty) * line.unit_price, tx.money_places)
            profit = revenue - cost
        lines.append(SalesLineView(line.line_no, line.sku, line.name_zh, line.name_en, line.qty, line.unit_price,
                                   round_money(line.amount, tx.money_places), line.reserved_qty,
                                   line.shipped_qty, line.returned_qty, cost, profit))
    return SalesOrderView(
        number=head.number, status=head.status, channel=head.channel, customer=head.customer,
        customer_name=head.customer_name, warehouse=head.warehouse, salesperson=head.salesperson,
        total=round_money(head.total, tx.money_places), note=head.note, reason=head.reason,
        created_at=head.created_at, approved_at=head.approved_at, lines=tuple(lines),
        approval_request_id=head.request_id if head.status == "pending_approval" else None,
    )
