"""Quotations (报价单): lines priced for a customer like a sales order, valid until a day, turned into a sales order
at the quoted prices while valid (an expired one refused), cancelled, read and listed; a clean read model for
printing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from core.catalog.products import warehouse_in
from core.errors import InvalidQuotation, InvalidState, PermissionDenied, UnknownDocument
from core.ledger.numbering import next_number
from core.models import Customer, Employee, Product, Quotation, QuotationLine, Warehouse
from core.numbers import document_total, round_money
from core.partners.customers import customer_in
from core.people.audit import record
from core.permissions import Actor, Permission
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.price_rules import today
from core.sales.pricing import priced_lines
from core.sales.records import SalesLineIn, parse_lines
from core.sales.views import SalesOrderView
from core.uow import Tx, UnitOfWork

DOC_TYPE = "quotation"
VALID_DAYS = 14
MAX_VALID_DAYS = 366
PAGE_SIZE = 20
_Q, _QL = Quotation.__table__.c, QuotationLine.__table__.c
_HEAD = (select(_Q.id, _Q.number, _Q.status, _Q.valid_until, _Q.total, _Q.tax_total, _Q.note, _Q.order_number,
                _Q.created_at,
                _Q.salesperson_id, _Q.warehouse_id, Customer.code.label("customer"),
                Customer.name.label("customer_name"), Customer.salesperson_id.label("customer_salesperson_id"),
                Warehouse.code.label("warehouse"), Employee.name.label("salesperson"))
         .join_from(Quotation.__table__, Customer.__table__, Customer.id == _Q.customer_id)
         .join(Warehouse.__table__, Warehouse.id == _Q.warehouse_id)
         .join(Employee.__table__, Employee.id == _Q.salesperson_id))
_BY_NUMBER = _HEAD.where(_Q.number == bindparam("number"))
_LINES = (select(_QL.line_no, Product.sku, Product.name_zh, Product.name_en, Product.base_unit.label("unit"), _QL.qty,
                 _QL.unit_price, _QL.amount, _QL.tax_rate, _QL.tax_amount)
          .join_from(QuotationLine.__table__, Product.__table__, Product.id == _QL.product_id)
          .where(_QL.quotation_id == bindparam("quotation_id")).order_by(_QL.line_no))


@dataclass(frozen=True)
class QuotationLineView:
    """A quoted line in base units at its price per base unit."""

    line_no: int
    sku: str
    name_zh: str
    name_en: str
    unit: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class QuotationView:
    """A quotation as people read and print it: whom for, until when, its lines and total, and the order it
    became (if it did). `valid` is false once its last day has passed or it is no longer open."""

    number: str
    status: str
    customer: str
    customer_name: str
    warehouse: str
    salesperson: str
    valid_until: date
    valid: bool
    total: Decimal
    tax_total: Decimal
    note: str
    order_number: str | None
    created_at: datetime
    lines: tuple[QuotationLineView, ...]


@dataclass(frozen=True)
class QuotationSummary:
    """A quotation in a list: number, customer, total, until when."""

    number: str
    status: str
    customer: str
    customer_name: str
    total: Decimal
    valid_until: date
    valid: bool
    created_at: datetime


def create_quotation(uow: UnitOfWork, actor: Actor, customer: str, warehouse: str, lines: Sequence[SalesLineIn],
                     valid_until: object = None, note: str = "") -> QuotationView:
    """Price the lines for the customer as a sales order would (its price list) and write the quotation, valid
    until the day given (by default two weeks)."""
    actor.require(Permission.SALES_CREATE)
    parsed = parse_lines(lines)
    note = note.strip()[:500]

    def work(tx: Tx) -> QuotationView:
        buyer = customer_in(tx, actor, customer)
        source = warehouse_in(tx, warehouse)
        until = _valid_until(tx, valid_until)
        priced = priced_lines(tx, parsed, buyer.id)
        total = document_total((p.tax.gross for p in priced), tx.money_places)
        tax_total = document_total((p.tax.tax for p in priced), tx.money_places)
        number = next_number(tx, "QT")
        quotation_id: int = tx.conn.execute(insert(Quotation).returning(Quotation.id), {
            "number": number, "customer_id": buyer.id, "warehouse_id": source.id,
            "salesperson_id": actor.employee_id, "status": "open", "valid_until": until, "total": total,
            "tax_total": tax_total, "note": note, "created_at": tx.now}).scalar_one()
        tx.conn.execute(insert(QuotationLine), [
            {"quotation_id": quotation_id, "line_no": n, "product_id": p.product_id, "qty": p.base_qty,
             "unit_price": p.unit_price, "amount": p.amount, "tax_rate": p.tax.rate, "tax_amount": p.tax.tax,
             "price_rule_id": p.price_source.rule_id} for n, p in enumerate(priced, 1)])
        record(tx, actor, "quotation.create", DOC_TYPE, quotation_id, number=number, customer=buyer.code,
               total=total, lines=len(priced), valid_until=until.isoformat())
        return _view(tx, actor, number)

    return uow.run(work)


def get_quotation(uow: UnitOfWork, actor: Actor, number: str) -> QuotationView:
    """One quotation, if the actor may see it."""
    _require_reads(actor)
    return uow.read(lambda tx: _view(tx, actor, number))


def list_quotations(uow: UnitOfWork, actor: Actor, customer: str | None = None, *, open_only: bool = True,
                    page: int = 1) -> list[QuotationSummary]:
    """The quotations the actor may see (a customer's, when given), newest first; by default only the open ones
    still valid."""
    _require_reads(actor)
    page = max(page, 1)

    def work(tx: Tx) -> list[QuotationSummary]:
        statement = _HEAD
        if not actor.can(Permission.SALES_VIEW_ALL):
            statement = statement.where((_Q.salesperson_id == actor.employee_id)
                                        | (Customer.salesperson_id == actor.employee_id))
        if customer:
            statement = statement.where(Customer.code == customer.strip().upper())
        day = today(tx)
        if open_only:
            statement = statement.where(_Q.status == "open", _Q.valid_until >= day)
        rows = tx.conn.execute(statement.order_by(_Q.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
        return [QuotationSummary(r.number, r.status, r.customer, r.customer_name,
                                 round_money(r.total, tx.money_places), r.valid_until,
                                 r.status == "open" and r.valid_until >= day, r.created_at) for r in rows]

    return uow.read(work)


def order_quotation(uow: UnitOfWork, actor: Actor, number: str, channel: str = "chat") -> SalesOrderView:
    """Turn a valid quotation into a sales order at its prices and submit it (the floor and approval rules apply
    as to any order); an expired, ordered or cancelled one is refused."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> SalesOrderView:
        head = _held(tx, actor, number, "order")
        if head.valid_until < today(tx):
            raise InvalidState(reason="quotation_expired", number=head.number, valid_until=head.valid_until)
        lines = [SalesLineIn(ln.sku, ln.qty, ln.unit_price) for ln in _lines(tx, head.id)]
        draft = create_sales_order(uow, actor, head.customer, head.warehouse, lines, channel=channel,
                                   note=f"{head.number} {head.note}".strip())
        order = submit_sales_order(uow, actor, draft.number)
        tx.conn.execute(update(Quotation).where(Quotation.id == head.id).values(status="ordered",
                                                                                order_number=order.number))
        record(tx, actor, "quotation.order", DOC_TYPE, head.id, number=head.number, order=order.number)
        return order

    return uow.run(work)


def cancel_quotation(uow: UnitOfWork, actor: Actor, number: str) -> QuotationView:
    """Withdraw an open quotation."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> QuotationView:
        head = _held(tx, actor, number, "cancel")
        tx.conn.execute(update(Quotation).where(Quotation.id == head.id).values(status="cancelled"))
        record(tx, actor, "quotation.cancel", DOC_TYPE, head.id, number=head.number)
        return _view(tx, actor, number)

    return uow.run(work)


def seen_quotation(tx: Tx, actor: Actor, number: str) -> Any:
    """The quotation's head (id, number, status, valid_until, totals, customer, salesperson...) when the actor may
    see it; UnknownDocument or PermissionDenied otherwise."""
    _require_reads(actor)
    return _head(tx, actor, number)


def _require_reads(actor: Actor) -> None:
    if not (actor.can(Permission.SALES_VIEW_OWN) or actor.can(Permission.SALES_VIEW_ALL)):
        raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_OWN.value)


def _valid_until(tx: Tx, value: object) -> date:
    day = today(tx)
    if value is None or value == "":
        return day + timedelta(days=VALID_DAYS)
    try:
        until = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidQuotation(reason="valid_until", value=str(value)[:40]) from None
    if not day <= until <= day + timedelta(days=MAX_VALID_DAYS):
        raise InvalidQuotation(reason="valid_until", value=until.isoformat(), maximum=MAX_VALID_DAYS)
    return until


def _head(tx: Tx, actor: Actor, number: str, *, lock: bool = False) -> Any:
    statement = _BY_NUMBER.with_for_update(of=Quotation.__table__) if lock else _BY_NUMBER
    head = tx.conn.execute(statement, {"number": number.strip().upper()}).one_or_none()
    if head is None:
        raise UnknownDocument(number=number[:40])
    if not (actor.can(Permission.SALES_VIEW_ALL, head.warehouse_id) or actor.employee_id in (
            head.salesperson_id, head.customer_salesperson_id)):
        raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_ALL.value, number=head.number)
    return head


def _held(tx: Tx, actor: Actor, number: str, action: str) -> Any:
    head = _head(tx, actor, number, lock=True)
    if head.status not in Quotation.LIFECYCLE.statuses(action):
        raise InvalidState(reason="quotation_closed", number=head.number, status=head.status,
                           order=head.order_number or "")
    return head


def _lines(tx: Tx, quotation_id: int) -> list[QuotationLineView]:
    return [QuotationLineView(**{**r._mapping, "amount": round_money(r.amount, tx.money_places),
                                 "tax_rate": r.tax_rate.normalize(),
                                 "tax_amount": round_money(r.tax_amount, tx.money_places)})
            for r in tx.conn.execute(_LINES, {"quotation_id": quotation_id})]


def _view(tx: Tx, actor: Actor, number: str) -> QuotationView:
    head = _head(tx, actor, number)
    valid = head.status == "open" and head.valid_until >= today(tx)
    return QuotationView(head.number, head.status, head.customer, head.customer_name, head.warehouse,
                         head.salesperson, head.valid_until, valid, round_money(head.total, tx.money_places),
                         round_money(head.tax_total, tx.money_places), head.note, head.order_number,
                         head.created_at, tuple(_lines(tx, head.id)))
