"""Money: receivables and payables from the stock ledger, payments against them, other income and expenses,
statements, cash flow and gross profit, all aggregated in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from core.errors import InvalidPartner, InvalidState, OverAllocation, ReasonRequired, UnknownDocument, UnknownPartner
from core.ledger.numbering import next_number
from core.models import (
    Customer,
    Employee,
    Money,
    MoneyEntry,
    Payment,
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
from core.numbers import ZERO, parse_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

PAYMENT_PREFIXES = {"customer": "CR", "supplier": "SP"}
ENTRY_PREFIXES = {"in": "OI", "out": "EX"}
ORDER_TYPES = {"customer": "sales_order", "supplier": "purchase_order"}
BILLING_KINDS = {"customer": ("shipment", "sales_return"), "supplier": ("po_receipt", "purchase_return")}
GROUPS = ("line", "product", "customer", "salesperson")
MAX_ALLOCATIONS = 500


@dataclass(frozen=True)
class OpenDocument:
    """An order's billed amount (shipped or received, less returns), what payments settled, and what is open."""

    number: str
    billed: Decimal
    allocated: Decimal
    open: Decimal
    since: datetime


@dataclass(frozen=True)
class PartnerBalance:
    partner_kind: str
    code: str
    name: str
    billed: Decimal
    paid: Decimal
    unallocated: Decimal
    documents: tuple[OpenDocument, ...]

    @property
    def balance(self) -> Decimal:
        return self.billed - self.paid


@dataclass(frozen=True)
class PaymentRecorded:
    number: str
    partner_kind: str
    partner: str
    amount: Decimal
    allocations: tuple[tuple[str, Decimal], ...]
    unallocated: Decimal


@dataclass(frozen=True)
class EntryRecorded:
    number: str
    direction: str
    category: str
    amount: Decimal


@dataclass(frozen=True)
class StatementEntry:
    at: datetime
    kind: str
    number: str
    reference: str
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    partner_kind: str
    code: str
    name: str
    date_from: date
    date_to: date
    opening: Decimal
    entries: tuple[StatementEntry, ...]
    closing: Decimal


@dataclass(frozen=True)
class CashLine:
    direction: str
    category: str
    amount: Decimal


@dataclass(frozen=True)
class CashFlow:
    date_from: date
    date_to: date
    lines: tuple[CashLine, ...]
    cash_in: Decimal
    cash_out: Decimal

    @property
    def net(self) -> Decimal:
        return self.cash_in - self.cash_out


@dataclass(frozen=True)
class ProfitRow:
    key: str
    label: str
    qty: Decimal
    revenue: Decimal
    cost: Decimal

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost


@dataclass(frozen=True)
class GrossProfit:
    group_by: str
    date_from: date
    date_to: date
    rows: tuple[ProfitRow, ...]

    @property
    def revenue(self) -> Decimal:
        return sum((r.revenue for r in self.rows), ZERO)

    @property
    def cost(self) -> Decimal:
        return sum((r.cost for r in self.rows), ZERO)

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost


@dataclass(frozen=True)
class _Partner:
    kind: str
    id: int
    code: str
    name: str


def record_payment(
    uow: UnitOfWork, actor: Actor, partner_kind: str, partner: str, amount: object,
    allocations: Sequence[tuple[str, object]] | None = None, method: str = "bank", note: str = "",
) -> PaymentRecorded:
    """Record money received from a customer or paid to a supplier, allocated to the orders given (never more
    than is open on each) or, without allocations, to the oldest open orders first."""
    actor.require(Permission.MONEY_RECORD)
    _check_kind(partner_kind)
    total = parse_money(amount)
    if total == 0:
        raise InvalidState(reason="zero_amount")
    wanted = _parse_allocations(allocations)

    def work(tx: Tx) -> PaymentRecorded:
        who = _partner(tx, partner_kind, partner, lock=True)
        documents = {d.number: d for d in _open_documents(tx, who)}
        chosen = _auto_allocate(documents, total) if wanted is None else _check_allocations(
            documents, wanted, total)
        number = next_number(tx, PAYMENT_PREFIXES[partner_kind])
        payment_id: int = tx.session.execute(insert(Payment).values(
            number=number, partner_kind=partner_kind, amount=total, method=method.strip()[:20] or "bank",
            note=note.strip()[:500], employee_id=actor.employee_id, created_at=tx.now,
            **{f"{partner_kind}_id": who.id}).returning(Payment.id)).scalar_one()
        if chosen:
            ids = _order_ids(tx, who, [n for n, _ in chosen])
            tx.session.execute(insert(PaymentAllocation), [
                {"payment_id": payment_id, "doc_type": ORDER_TYPES[partner_kind], "doc_id": ids[n], "amount": a}
                for n, a in chosen])
        unallocated = total - sum((a for _, a in chosen), ZERO)
        record(tx, actor, "money.payment", "payment", payment_id, number=number, partner_kind=partner_kind,
               partner=who.code, amount=total, allocations=[list(c) for c in chosen], method=method, note=note)
        return PaymentRecorded(number, partner_kind, who.code, total, tuple(chosen), unallocated)

    return uow.run(work)


def record_expense(
    uow: UnitOfWork, actor: Actor, category: str, amount: object, note: str = "", method: str = "bank"
) -> EntryRecorded:
    """Record money paid out other than to a supplier: freight, rent, wages..."""
    return _record_entry(uow, actor, "out", category, amount, note, method)


def record_income(
    uow: UnitOfWork, actor: Actor, category: str, amount: object, note: str = "", method: str = "bank"
) -> EntryRecorded:
    """Record money received other than from a customer: interest, scrap sales..."""
    return _record_entry(uow, actor, "in", category, amount, note, method)


def partner_balance(uow: UnitOfWork, actor: Actor, partner_kind: str, partner: str) -> PartnerBalance:
    """What a customer owes us (or we owe a supplier): billed less paid, and the open amount per order."""
    actor.require(Permission.MONEY_VIEW)
    _check_kind(partner_kind)

    def work(tx: Tx) -> PartnerBalance:
        who = _partner(tx, partner_kind, partner)
        documents = _open_documents(tx, who)
        payments = _payments(who)
        paid = tx.session.scalar(select(_money_sum(payments.c.amount)).select_from(payments)) or ZERO
        allocated = sum((d.allocated for d in documents), ZERO)
        billed = sum((d.billed for d in documents), ZERO)
        return PartnerBalance(partner_kind, who.code, who.name, billed, paid, paid - allocated,
                              tuple(d for d in documents if d.open != 0))

    return uow.read(work)


def statement(
    uow: UnitOfWork, actor: Actor, partner_kind: str, partner: str, date_from: date, date_to: date,
    *, timezone: str = "UTC",
) -> Statement:
    """Opening balance, every shipment/receipt, return and payment of the period with a running balance, closing."""
    actor.require(Permission.MONEY_VIEW)
    _check_kind(partner_kind)
    start, end = _period(date_from, date_to, timezone)

    def work(tx: Tx) -> Statement:
        who = _partner(tx, partner_kind, partner)
        entries = _entries(who, tx.money_places)
        opening = tx.session.scalar(
            select(_money_sum(entries.c.amount)).where(entries.c.at < start)) or ZERO
        running = func.sum(entries.c.amount).over(order_by=(entries.c.at, entries.c.seq, entries.c.number))
        rows = tx.session.execute(
            select(entries.c.at, entries.c.kind, entries.c.number, entries.c.reference, entries.c.amount,
                   _as_money(running).label("running"))
            .where(entries.c.at >= start, entries.c.at < end)
            .order_by(entries.c.at, entries.c.seq, entries.c.number)
        )
        lines = tuple(StatementEntry(r.at, r.kind, r.number, r.reference, r.amount, opening + r.running)
                      for r in rows)
        closing = lines[-1].balance if lines else opening
        return Statement(partner_kind, who.code, who.name, date_from, date_to, opening, lines, closing)

    return uow.read(work)


def cash_flow(
    uow: UnitOfWork, actor: Actor, date_from: date, date_to: date, *, timezone: str = "UTC"
) -> CashFlow:
    """Cash in and out of a period by category: customer payments, supplier payments, other income, expenses."""
    actor.require(Permission.MONEY_VIEW)
    start, end = _period(date_from, date_to, timezone)

    def work(tx: Tx) -> CashFlow:
        flows = union_all(
            select(case((Payment.partner_kind == "customer", "in"), else_="out").label("direction"),
                   (Payment.partner_kind + literal("_payment")).label("category"), Payment.amount,
                   Payment.created_at.label("at")),
            select(MoneyEntry.direction, MoneyEntry.category, MoneyEntry.amount, MoneyEntry.created_at),
        ).subquery()
        rows = tx.session.execute(
            select(flows.c.direction, flows.c.category, _money_sum(flows.c.amount).label("amount"))
            .where(flows.c.at >= start, flows.c.at < end)
            .group_by(flows.c.direction, flows.c.category)
            .order_by(flows.c.direction, flows.c.category)
        )
        lines = tuple(CashLine(r.direction, r.category, r.amount) for r in rows)
        cash_in = sum((ln.amount for ln in lines if ln.direction == "in"), ZERO)
        cash_out = sum((ln.amount for ln in lines if ln.direction == "out"), ZERO)
        return CashFlow(date_from, date_to, lines, cash_in, cash_out)

    return uow.read(work)


def gross_profit(
    uow: UnitOfWork, actor: Actor, date_from: date, date_to: date, group_by: str = "line",
    *, timezone: str = "UTC",
) -> GrossProfit:
    """Revenue (shipped qty x order price) against cost (the value the shipment took out of stock), returns
    deducted, per sales line, product, customer or salesperson."""
    actor.require(Permission.PROFIT_VIEW)
    if group_by not in GROUPS:
        raise InvalidState(reason="group_by", value=group_by[:20], allowed=list(GROUPS))
    start, end = _period(date_from, date_to, timezone)

    def work(tx: Tx) -> GrossProfit:
        key, label = _profit_key(group_by)
        statement = (
            select(key.label("key"), label.label("label"),
                   type_coerce(func.sum(-type_coerce(StockMove.qty, BigInteger)), Qty()).label("qty"),
                   _money_sum(-line_amount(StockMove.qty, SalesOrderLine.unit_price, tx.money_places))
                   .label("revenue"),
                   _money_sum(-type_coerce(StockMove.value, BigInteger)).label("cost"))
            .select_from(StockMove)
            .join(StockDocument, StockDocument.id == StockMove.document_id)
            .join(SalesOrderLine, SalesOrderLine.id == StockMove.source_line_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Product, Product.id == StockMove.product_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .join(Employee, Employee.id == SalesOrder.salesperson_id)
            .where(StockDocument.kind.in_(BILLING_KINDS["customer"]), StockDocument.source_type == "sales_order",
                   StockMove.qty != 0, StockDocument.created_at >= start, StockDocument.created_at < end)
            .group_by(key, label)
            .order_by(key)
        )
        rows = tuple(ProfitRow(str(r.key), r.label, r.qty, r.revenue, r.cost)
                     for r in tx.session.execute(statement))
        return GrossProfit(group_by, date_from, date_to, rows)

    return uow.read(work)


# Inside the transaction


def open_balance(tx: Tx, partner_kind: str, partner_id: int) -> Decimal:
    """What the partner owes (customer) or is owed (supplier) now, for other services' checks (credit limit)."""
    _check_kind(partner_kind)
    who = _Partner(partner_kind, partner_id, "", "")
    billed = _billed(who, tx.money_places)
    payments = _payments(who)
    owed = tx.session.scalar(select(_money_sum(billed.c.amount))) or ZERO
    paid = tx.session.scalar(select(_money_sum(payments.c.amount))) or ZERO
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


def _as_money(raw: Any) -> ColumnElement[Decimal]:
    return type_coerce(raw, Money())


def _money_sum(column: Any) -> ColumnElement[Decimal]:
    return _as_money(func.coalesce(func.sum(type_coerce(column, BigInteger)), 0))


def _billed(who: _Partner, places: int) -> Subquery:
    """One row per ledger row that bills the partner: amount = qty x order price, signed as owed."""
    if who.kind == "customer":
        line: Any = SalesOrderLine
        order: Any = SalesOrder
        partner_column, sign = SalesOrder.customer_id, -1
    else:
        line, order, partner_column, sign = PurchaseOrderLine, PurchaseOrder, PurchaseOrder.supplier_id, 1
    amount = line_amount(StockMove.qty, line.unit_price, places)
    return (
        select(order.id.label("order_id"), order.number.label("order_number"),
               StockDocument.id.label("document_id"), StockDocument.number.label("document_number"),
               StockDocument.kind.label("kind"), StockDocument.created_at.label("at"),
               _as_money(-amount if sign < 0 else amount).label("amount"))
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


def _payments(who: _Partner) -> Subquery:
    column = Payment.customer_id if who.kind == "customer" else Payment.supplier_id
    return select(Payment).where(Payment.partner_kind == who.kind, column == who.id).subquery()


def _open_documents(tx: Tx, who: _Partner) -> list[OpenDocument]:
    """Per order of the partner: billed, allocated and open, oldest first (one statement)."""
    billed = _billed(who, tx.money_places)
    per_order = (
        select(billed.c.order_id, billed.c.order_number, _money_sum(billed.c.amount).label("billed"),
               func.min(billed.c.at).label("since"))
        .group_by(billed.c.order_id, billed.c.order_number).subquery()
    )
    allocated = (
        select(PaymentAllocation.doc_id, _money_sum(PaymentAllocation.amount).label("allocated"))
        .where(PaymentAllocation.doc_type == ORDER_TYPES[who.kind]).group_by(PaymentAllocation.doc_id).subquery()
    )
    settled = _as_money(func.coalesce(type_coerce(allocated.c.allocated, BigInteger), 0))
    rows = tx.session.execute(
        select(per_order.c.order_number, per_order.c.billed, settled.label("allocated"), per_order.c.since)
        .outerjoin(allocated, allocated.c.doc_id == per_order.c.order_id)
        .order_by(per_order.c.since, per_order.c.order_id)
    )
    return [OpenDocument(r.order_number, r.billed, r.allocated, r.billed - r.allocated, r.since) for r in rows]


def _entries(who: _Partner, places: int) -> Subquery:
    """Statement rows: one per billing document and one per payment, amounts signed as owed."""
    billed = _billed(who, places)
    documents = (
        select(billed.c.at, literal(0).label("seq"), billed.c.kind, billed.c.document_number.label("number"),
               billed.c.order_number.label("reference"), _money_sum(billed.c.amount).label("amount"))
        .group_by(billed.c.at, billed.c.kind, billed.c.document_number, billed.c.order_number)
    )
    payments = _payments(who)
    paid = select(payments.c.created_at, literal(1), literal("payment"), payments.c.number,
                  payments.c.method, _as_money(-type_coerce(payments.c.amount, BigInteger)))
    return union_all(documents, paid).subquery()


def _auto_allocate(documents: dict[str, OpenDocument], total: Decimal) -> list[tuple[str, Decimal]]:
    chosen = []
    left = total
    for document in documents.values():
        if left <= 0:
            break
        if document.open > 0:
            part = min(document.open, left)
            chosen.append((document.number, part))
            left -= part
    return chosen


def _check_allocations(
    documents: dict[str, OpenDocument], wanted: list[tuple[str, Decimal]], total: Decimal
) -> list[tuple[str, Decimal]]:
    chosen = []
    for number, amount in wanted:
        document = documents.get(number)
        if document is None:
            raise UnknownDocument(number=number, reason="not_billed_to_partner")
        if amount > document.open:
            raise OverAllocation(number=number, open=document.open, requested=amount)
        chosen.append((document.number, amount))
    if sum((a for _, a in chosen), ZERO) > total:
        raise OverAllocation(reason="more_than_payment", amount=total,
                             requested=sum((a for _, a in chosen), ZERO))
    return chosen


def _order_ids(tx: Tx, who: _Partner, numbers: list[str]) -> dict[str, int]:
    order = SalesOrder if who.kind == "customer" else PurchaseOrder
    return {n: i for n, i in tx.session.execute(select(order.number, order.id).where(order.number.in_(numbers)))}


def _partner(tx: Tx, kind: str, code: str, *, lock: bool = False) -> _Partner:
    table = Customer if kind == "customer" else Supplier
    statement = select(table.id, table.code, table.name).where(func.upper(table.code) == code.strip().upper())
    row = tx.session.execute(statement.with_for_update() if lock else statement).one_or_none()
    if row is None:
        raise UnknownPartner(kind=kind, partner=code[:40])
    return _Partner(kind, row.id, row.code, row.name)


def _record_entry(
    uow: UnitOfWork, actor: Actor, direction: str, category: str, amount: object, note: str, method: str
) -> EntryRecorded:
    actor.require(Permission.MONEY_RECORD)
    name = category.strip().lower()[:30]
    if not name:
        raise ReasonRequired(action="money_category")
    value = parse_money(amount)
    if value == 0:
        raise InvalidState(reason="zero_amount")

    def work(tx: Tx) -> EntryRecorded:
        number = next_number(tx, ENTRY_PREFIXES[direction])
        entry_id: int = tx.session.execute(insert(MoneyEntry).values(
            number=number, direction=direction, category=name, amount=value, method=method.strip()[:20] or "bank",
            note=note.strip()[:500], employee_id=actor.employee_id, created_at=tx.now,
        ).returning(MoneyEntry.id)).scalar_one()
        record(tx, actor, "money.income" if direction == "in" else "money.expense", "money_entry", entry_id,
               number=number, category=name, amount=value, note=note)
        return EntryRecorded(number, direction, name, value)

    return uow.run(work)


def _parse_allocations(allocations: Sequence[tuple[str, object]] | None) -> list[tuple[str, Decimal]] | None:
    if allocations is None:
        return None
    if len(allocations) > MAX_ALLOCATIONS:
        raise InvalidState(reason="too_many_allocations")
    parsed = [(str(number).strip().upper(), parse_money(amount)) for number, amount in allocations]
    numbers = [n for n, _ in parsed]
    if len(set(numbers)) != len(numbers):
        raise OverAllocation(reason="duplicate_document")
    if any(a == 0 for _, a in parsed):
        raise InvalidState(reason="zero_amount")
    return parsed


def _check_kind(kind: str) -> None:
    if kind not in PAYMENT_PREFIXES:
        raise InvalidPartner(kind=kind[:20], reason="partner_kind")


def _period(date_from: date, date_to: date, timezone: str) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the company's time zone."""
    if date_to < date_from:
        raise InvalidState(reason="period", date_from=date_from.isoformat(), date_to=date_to.isoformat())
    zone = ZoneInfo(timezone)
    return (datetime.combine(date_from, time.min, zone), datetime.combine(date_to + timedelta(days=1), time.min, zone))


def _profit_key(group_by: str) -> tuple[Any, Any]:
    if group_by == "product":
        return Product.sku, Product.name_zh
    if group_by == "customer":
        return Customer.code, Customer.name
    if group_by == "salesperson":
        return Employee.name, Employee.name
    return SalesOrder.number + literal("/") + cast(SalesOrderLine.line_no, String), Product.sku
