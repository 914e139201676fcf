"""What a partner owes, partner statements with a running balance, cash flow and gross profit, all aggregated in
SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)

from core.errors import InvalidFilter
from core.models import (
    Customer,
    Employee,
    MoneyEntry,
    OrderDeposit,
    Payment,
    Product,
    PurchaseOrder,
    Qty,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockMove,
)
from core.money.billing import (
    BILLING_KINDS,
    ORDER_TYPES,
    OpenDocument,
    Partner,
    as_money,
    billing_rows,
    check_partner_kind,
    find_partner,
    money_sum,
    net_line_amount,
    open_documents,
    partner_payments,
)
from core.numbers import ZERO, round_money
from core.permissions import Actor, Permission
from core.reporting.periods import Period
from core.uow import Tx, UnitOfWork

GROUPS = ("line", "product", "customer", "salesperson")


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
class StatementEntry:
    at: datetime
    kind: str
    number: str
    reference: str
    amount: Decimal
    balance: Decimal
    tax: Decimal | None = None  # the VAT in a document's amount; None for a payment


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


def partner_balance(uow: UnitOfWork, actor: Actor, partner_kind: str, partner: str) -> PartnerBalance:
    """What a customer owes us (or we owe a supplier): billed less paid, and the open amount per order."""
    actor.require(Permission.MONEY_VIEW)
    check_partner_kind(partner_kind)

    def work(tx: Tx) -> PartnerBalance:
        who = find_partner(tx, partner_kind, partner)
        documents = open_documents(tx, who)
        payments = partner_payments(who)
        paid = tx.session.scalar(select(money_sum(payments.c.amount)).select_from(payments)) or ZERO
        allocated = sum((d.allocated for d in documents), ZERO)
        billed = sum((d.billed for d in documents), ZERO)
        places = tx.money_places
        return PartnerBalance(partner_kind, who.code, who.name, round_money(billed, places), round_money(paid, places),
                              round_money(paid - allocated, places),
                              tuple(replace(d, billed=round_money(d.billed, places),
                                            allocated=round_money(d.allocated, places),
                                            open=round_money(d.open, places)) for d in documents if d.open != 0))

    return uow.read(work)


def statement(
    uow: UnitOfWork, actor: Actor, partner_kind: str, partner: str, date_from: date, date_to: date,
    *, timezone: str = "UTC",
) -> Statement:
    """Opening balance, every shipment/receipt, return and payment of the period with a running balance, closing."""
    actor.require(Permission.MONEY_VIEW)
    check_partner_kind(partner_kind)
    start, end = _period(date_from, date_to, timezone)

    def work(tx: Tx) -> Statement:
        who = find_partner(tx, partner_kind, partner)
        entries = _entries(who, tx.money_places)
        opening = tx.session.scalar(
            select(money_sum(entries.c.amount)).where(entries.c.at < start)) or ZERO
        running = func.sum(entries.c.amount).over(order_by=(entries.c.at, entries.c.seq, entries.c.number))
        rows = tx.session.execute(
            select(entries.c.at, entries.c.seq, entries.c.kind, entries.c.number, entries.c.reference,
                   entries.c.amount, entries.c.tax, as_money(running).label("running"))
            .where(entries.c.at >= start, entries.c.at < end)
            .order_by(entries.c.at, entries.c.seq, entries.c.number)
        )
        places = tx.money_places
        lines = tuple(StatementEntry(r.at, r.kind, r.number, r.reference, round_money(r.amount, places),
                                     round_money(opening + r.running, places),
                                     None if r.seq else round_money(r.tax, places)) for r in rows)
        closing = lines[-1].balance if lines else round_money(opening, places)
        return Statement(partner_kind, who.code, who.name, date_from, date_to, round_money(opening, places), lines,
                         closing)

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
            select(flows.c.direction, flows.c.category, money_sum(flows.c.amount).label("amount"))
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
        raise InvalidFilter(reason="group_by", value=group_by[:20], allowed=list(GROUPS))
    start, end = _period(date_from, date_to, timezone)

    def work(tx: Tx) -> GrossProfit:
        key, label = _profit_key(group_by)
        statement = (
            select(key.label("key"), label.label("label"),
                   type_coerce(func.sum(-type_coerce(StockMove.qty, BigInteger)), Qty()).label("qty"),
                   money_sum(-net_line_amount(StockMove.qty, SalesOrderLine, SalesOrder, tx.money_places))
                   .label("revenue"),
                   money_sum(-type_coerce(StockMove.value, BigInteger)).label("cost"))
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


def _entries(who: Partner, places: int) -> Subquery:
    """Statement rows: one per billing document (with the VAT in it) and one per payment, a deposit (订金) naming
    its order, amounts signed as owed."""
    billed = billing_rows(who, places)
    documents = (
        select(billed.c.at, literal(0).label("seq"), billed.c.kind, billed.c.document_number.label("number"),
               billed.c.order_number.label("reference"), money_sum(billed.c.amount).label("amount"),
               money_sum(billed.c.tax).label("tax"))
        .group_by(billed.c.at, billed.c.kind, billed.c.document_number, billed.c.order_number)
    )
    payments = partner_payments(who)
    order: Any = SalesOrder if who.kind == "customer" else PurchaseOrder
    paid = (
        select(payments.c.created_at, literal(1), case((OrderDeposit.payment_id == payments.c.id, "deposit"),
                                                       (OrderDeposit.id.is_not(None), "deposit_settled"),
                                                       else_="payment"),
               payments.c.number, func.coalesce(order.number, payments.c.method),
               as_money(-type_coerce(payments.c.amount, BigInteger)), as_money(literal(0)))
        .select_from(payments)
        .outerjoin(OrderDeposit, or_(OrderDeposit.payment_id == payments.c.id,
                                 OrderDeposit.settlement_id == payments.c.id))
        .outerjoin(order, and_(order.id == OrderDeposit.doc_id, OrderDeposit.doc_type == ORDER_TYPES[who.kind]))
    )
    return union_all(documents, paid).subquery()


def _period(date_from: date, date_to: date, timezone: str) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the company's time zone."""
    if date_to < date_from:
        raise InvalidFilter(reason="period", date_from=date_from.isoformat(), date_to=date_to.isoformat())
    return Period(date_from, date_to).held().bounds(timezone)


def _profit_key(group_by: str) -> tuple[Any, Any]:
    if group_by == "product":
        return Product.sku, Product.name_zh
    if group_by == "customer":
        return Customer.code, Customer.name
    if group_by == "salesperson":
        return Employee.name, Employee.name
    return SalesOrder.number + literal("/") + cast(SalesOrderLine.line_no, String), Product.sku
