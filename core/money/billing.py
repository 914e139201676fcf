"""What the stock ledger bills each customer and supplier (qty x order price, plus VAT where prices exclude it,
returns and undos deducted), what they paid, and what is open per order: the SQL the payments, statements and
reports share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Subquery, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import aliased

from core.errors import InvalidPartner, UnknownPartner
from core.models import (
    Customer,
    Money,
    Payment,
    PaymentAllocation,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockMove,
    Supplier,
)
from core.numbers import ZERO
from core.uow import Tx

PAYMENT_PREFIXES = {"customer": "CR", "supplier": "SP"}
ORDER_TYPES = {"customer": "sales_order", "supplier": "purchase_order"}
BILLING_KINDS = {"customer": ("shipment", "sales_return"), "supplier": ("po_receipt", "purchase_return")}


@dataclass(frozen=True)
class OpenDocument:
    """An order's billed amount (shipped or received, less returns), what payments settled, and what is open."""

    number: str
    billed: Decimal
    allocated: Decimal
    open: Decimal
    since: datetime


@dataclass(frozen=True)
class Partner:
    """A customer or supplier found by code: its kind, id, code and name."""

    kind: str
    id: int
    code: str
    name: str


def open_balance(tx: Tx, partner_kind: str, partner_id: int) -> Decimal:
    """What the partner owes (customer) or is owed (supplier) now, for other services' checks (credit limit)."""
    check_partner_kind(partner_kind)
    who = Partner(partner_kind, partner_id, "", "")
    billed = billing_rows(who, tx.money_places)
    payments = partner_payments(who)
    owed = tx.session.scalar(select(money_sum(billed.c.amount))) or ZERO
    paid = tx.session.scalar(select(money_sum(payments.c.amount))) or ZERO
    return owed - paid


def line_amount(qty: Any, price: Any, places: int) -> Any:
    """sign(qty) x round_half_up(|qty| x price, places) in money units of 10^-4, as a raw 64-bit integer.

    Quantities are stored in 10^-4 and prices in 10^-6 units; the product is split so that the arithmetic is
    exact and identical on SQLite and PostgreSQL for amounts below 10^12 and quantities below 9 x 10^8 per row."""
    q = type_coerce(qty, BigInteger)
    p = type_coerce(price, BigInteger)
    whole = func.abs(q) * (p // 1_000_000)
    fraction = func.abs(q) * (p % 1_000_000)
    step = 10 ** (4 - places)
    half = 10 ** (10 - places) // 2
    rounded = whole // step + ((whole % step) * 1_000_000 + fraction + half) // (2 * half)
    return case((q < 0, -rounded), else_=rounded) * step


def row_tax(amount: Any, rate: Any, included: Any, places: int) -> Any:
    """The VAT of a raw money amount (10^-4 units, from `line_amount`) at a stored rate (percent in 10^-4 units):
    amount x rate / (100 + rate) when the prices include it, amount x rate / 100 when not, rounded half up to money
    places as `core.sales.tax.line_tax` rounds a line, signed as the amount; a raw 64-bit integer.

    The amount is split into whole units and a remainder so that no product passes 2^63 for amounts below 10^12."""
    a = type_coerce(func.abs(amount), BigInteger)
    r = type_coerce(rate, BigInteger)
    divisor = case((included, 1_000_000 + r), else_=1_000_000)
    high = (a // 10_000) * r
    rest = (high % divisor) * 10_000 + (a % 10_000) * r
    exact = (high // divisor) * 10_000 + rest // divisor
    step = 10 ** (4 - places)
    up = case((2 * ((exact % step) * divisor + rest % divisor) >= step * divisor, step), else_=0)
    rounded = (exact // step) * step + up
    return case((r == 0, 0), (amount < 0, -rounded), else_=rounded)


def gross_amount(amount: Any, rate: Any, included: Any, places: int) -> Any:
    """What a raw amount bills with VAT: itself when prices include VAT, else itself plus its VAT (raw)."""
    return amount + case((included, 0), else_=row_tax(amount, rate, included, places))


def net_amount(amount: Any, rate: Any, included: Any, places: int) -> Any:
    """A raw amount net of VAT: itself less its VAT when prices include VAT, else itself (raw)."""
    return amount - case((included, row_tax(amount, rate, included, places)), else_=0)


def net_line_amount(qty: Any, line: Any, order: Any, places: int) -> Any:
    """qty x the line's price net of its VAT (the order's prices with or without it), raw: revenue and cost."""
    return net_amount(line_amount(qty, line.unit_price, places), line.tax_rate, order.tax_included, places)


def as_money(raw: Any) -> ColumnElement[Decimal]:
    """A raw integer column read as money (10^-4 units)."""
    return type_coerce(raw, Money())


def money_sum(column: Any) -> ColumnElement[Decimal]:
    """The sum of a money column, 0 when there are no rows."""
    return as_money(func.coalesce(func.sum(type_coerce(column, BigInteger)), 0))


def billing_rows(who: Partner, places: int) -> Subquery:
    """One row per ledger row that bills the partner: amount = qty x order price, with its VAT when the order's
    prices exclude it (rounded per row), and tax the VAT in that amount, signed as owed."""
    if who.kind == "customer":
        line: Any = SalesOrderLine
        order: Any = SalesOrder
        partner_column, sign = SalesOrder.customer_id, -1
    else:
        line, order, partner_column, sign = PurchaseOrderLine, PurchaseOrder, PurchaseOrder.supplier_id, 1
    net = line_amount(StockMove.qty, line.unit_price, places)
    amount = gross_amount(net, line.tax_rate, order.tax_included, places)
    tax = row_tax(net, line.tax_rate, order.tax_included, places)
    return (
        select(order.id.label("order_id"), order.number.label("order_number"),
               StockDocument.id.label("document_id"), StockDocument.number.label("document_number"),
               StockDocument.kind.label("kind"), StockDocument.created_at.label("at"),
               as_money(-amount if sign < 0 else amount).label("amount"),
               as_money(-tax if sign < 0 else tax).label("tax"))
        .select_from(StockMove)
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .join(line, line.id == StockMove.source_line_id)
        .join(order, order.id == line.order_id)
        .where(partner_column == who.id, bills(who.kind), StockMove.qty != 0)
        .subquery()
    )


def bills(kind: str) -> ColumnElement[bool]:
    """Billing documents of the partner kind, and their reversals (undo, RV-), which bill minus what they undid."""
    undone = aliased(StockDocument)
    billing = select(undone.id).where(undone.kind.in_(BILLING_KINDS[kind]), undone.source_type == ORDER_TYPES[kind])
    return or_(
        and_(StockDocument.kind.in_(BILLING_KINDS[kind]), StockDocument.source_type == ORDER_TYPES[kind]),
        and_(StockDocument.kind == "reversal", StockDocument.source_type == "stock_document",
             StockDocument.source_id.in_(billing)),
    )


def partner_payments(who: Partner) -> Subquery:
    """The partner's payments, as a subquery."""
    column = Payment.customer_id if who.kind == "customer" else Payment.supplier_id
    return select(Payment).where(Payment.partner_kind == who.kind, column == who.id).subquery()


def open_documents(tx: Tx, who: Partner) -> list[OpenDocument]:
    """Per order of the partner: billed, allocated and open, oldest first (one statement)."""
    billed = billing_rows(who, tx.money_places)
    per_order = (
        select(billed.c.order_id, billed.c.order_number, money_sum(billed.c.amount).label("billed"),
               func.min(billed.c.at).label("since"))
        .group_by(billed.c.order_id, billed.c.order_number).subquery()
    )
    allocated = (
        select(PaymentAllocation.doc_id, money_sum(PaymentAllocation.amount).label("allocated"))
        .where(PaymentAllocation.doc_type == ORDER_TYPES[who.kind]).group_by(PaymentAllocation.doc_id).subquery()
    )
    settled = as_money(func.coalesce(type_coerce(allocated.c.allocated, BigInteger), 0))
    rows = tx.session.execute(
        select(per_order.c.order_number, per_order.c.billed, settled.label("allocated"), per_order.c.since)
        .outerjoin(allocated, allocated.c.doc_id == per_order.c.order_id)
        .order_by(per_order.c.since, per_order.c.order_id)
    )
    return [OpenDocument(r.order_number, r.billed, r.allocated, r.billed - r.allocated, r.since) for r in rows]


def find_partner(tx: Tx, kind: str, code: str, *, lock: bool = False) -> Partner:
    """The customer or supplier with this code (any case), its row locked when asked; UnknownPartner."""
    table = Customer if kind == "customer" else Supplier
    statement = select(table.id, table.code, table.name).where(func.upper(table.code) == code.strip().upper())
    row = tx.session.execute(statement.with_for_update() if lock else statement).one_or_none()
    if row is None:
        raise UnknownPartner(kind=kind, partner=code[:40])
    return Partner(kind, row.id, row.code, row.name)


def partner_by_id(tx: Tx, kind: str, partner_id: int) -> Partner:
    """The customer or supplier of that id; UnknownPartner."""
    table = Customer if kind == "customer" else Supplier
    row = tx.session.execute(select(table.id, table.code, table.name).where(table.id == partner_id)).one_or_none()
    if row is None:
        raise UnknownPartner(kind=kind, partner=str(partner_id))
    return Partner(kind, row.id, row.code, row.name)


def check_partner_kind(kind: str) -> None:
    """Refuse a partner kind other than customer or supplier."""
    if kind not in PAYMENT_PREFIXES:
        raise InvalidPartner(kind=kind[:20], reason="partner_kind")
