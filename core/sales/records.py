"""A sales order's rows as its changes read and write them: the head (locked), its lines, status and line writes,
who may see and act on it, and spreading asked quantities over its lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select, update

from core.catalog.lines import EnteredLine, bounded, entered
from core.catalog.resolve import resolve_lines
from core.errors import InvalidQuantity, UnknownDocument
from core.models import Customer, Product, SalesOrder, SalesOrderLine
from core.money.deposits import CLOSED, tell_deposits_held
from core.numbers import ZERO
from core.permissions import Actor, Permission
from core.uow import Tx

DOC_TYPE = "sales_order"
MAX_LINES = 2000
LINES: Table = SalesOrderLine.__table__  # type: ignore[assignment]
ORDERS: Table = SalesOrder.__table__  # type: ignore[assignment]
_SO, _L, _CU, _P = ORDERS.c, LINES.c, Customer.__table__.c, Product.__table__.c


@dataclass(frozen=True)
class SalesLineIn:
    """A line as a person or system gives it: SKU or barcode, quantity, optional price and pack unit."""

    item: str
    qty: object
    unit_price: object = None
    unit: str | None = None
    lot: str | None = None  # shipping a tracked product: this lot (else first-expired-first-out)
    serials: tuple[str, ...] = ()  # or these serial numbers, one per unit


@dataclass(frozen=True)
class OrderLine:
    """An order line as changes need it, with its product's SKU and floor price."""

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
    lot_id: int | None = None  # the lot the line names (reserved and shipped from it); None: first-expired-first-out


@dataclass(frozen=True)
class OrderHead:
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
ORDER_BY_NUMBER = _ORDER_HEAD.where(_SO.number == bindparam("number"))
_LOCK_BY_NUMBER = ORDER_BY_NUMBER.with_for_update(of=ORDERS)
_LOCK_BY_ID = _ORDER_HEAD.where(_SO.id == bindparam("order_id")).with_for_update(of=ORDERS)
_UPDATE_ORDER = update(ORDERS).where(_SO.id == bindparam("order_id"))  # SET: the columns given
_WRITE_LINES = update(LINES).where(_L.id == bindparam("line_id"))  # SET: the columns given, executemany
_LINES_OF = (
    select(_L.id, _L.line_no, _L.product_id, _P.sku, _L.qty, _L.unit_price, _L.reserved_qty, _L.shipped_qty,
           _L.returned_qty, _P.floor_price, _L.lot_id)
    .join_from(LINES, Product.__table__, _P.id == _L.product_id)
    .where(_L.order_id == bindparam("order_id")).order_by(_L.line_no)
)


def parse_lines(lines: Sequence[SalesLineIn] | None) -> list[EnteredLine]:
    """The lines as entered, checked and bounded (at most MAX_LINES)."""
    return [entered(ln.item, ln.qty, ln.unit, ln.unit_price) for ln in bounded(lines, MAX_LINES)]


def lines_of(tx: Tx, order_id: int) -> list[OrderLine]:
    """The order's lines in line order."""
    return [OrderLine(**row._mapping) for row in tx.conn.execute(_LINES_OF, {"order_id": order_id})]


def write_lines(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Set line quantities with one executemany UPDATE whatever the number of lines."""
    if rows:
        tx.conn.execute(_WRITE_LINES, rows)


def set_status(
    tx: Tx, order: OrderHead, status: str, *, reason: str | None = None, approved: bool = False
) -> None:
    """One UPDATE of the order's status (with its reason, approval or closing time when they change)."""
    values: dict[str, Any] = {"order_id": order.id, "status": status}
    if reason is not None:
        values["reason"] = reason.strip()[:500]
    if approved:
        values["approved_at"] = tx.now
    if status in CLOSED:
        values["closed_at"] = tx.now
    tx.conn.execute(_UPDATE_ORDER, values)
    if status in CLOSED:
        tell_deposits_held(tx, "sales_order", order.id, order.number, status)


def allocate(
    tx: Tx, parsed: Sequence[EnteredLine], current: Sequence[OrderLine], room: Any, refuse: Any
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


# Who may see and act


def locked(tx: Tx, number: str) -> OrderHead:
    """The order of that number, locked for a change."""
    row = tx.conn.execute(_LOCK_BY_NUMBER, {"number": number.strip().upper()}).one_or_none()
    if row is None:
        raise UnknownDocument(number=number[:40])
    return OrderHead(**row._mapping)


def locked_by_id(tx: Tx, order_id: int) -> OrderHead:
    """The order of that id, locked for a change (approvals know orders by id)."""
    row = tx.conn.execute(_LOCK_BY_ID, {"order_id": order_id}).one_or_none()
    if row is None:
        raise UnknownDocument(doc_type=DOC_TYPE, doc_id=order_id)
    return OrderHead(**row._mapping)


def held(tx: Tx, actor: Actor, number: str, action: str) -> OrderHead:
    """The order locked for a change the actor may make on it in its current status."""
    order = locked(tx, number)
    require_sees(actor, order, number)
    SalesOrder.LIFECYCLE.ensure(action, order.number, order.status)
    return order


def require_sees(actor: Actor, order: OrderHead, typed: str) -> None:
    """Everyone with sales.view_all in its warehouse; with sales.view_own, its salesperson and the customer's.
    Anyone else is answered exactly as for an unknown number (`typed`, as given), so numbers cannot be probed."""
    if actor.can(Permission.SALES_VIEW_ALL, order.warehouse_id):
        return
    if actor.can(Permission.SALES_VIEW_OWN) and actor.employee_id in (order.salesperson_id,
                                                                      order.customer_salesperson_id):
        return
    raise UnknownDocument(number=typed[:40])
