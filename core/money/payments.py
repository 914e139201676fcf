"""Money received from customers and paid to suppliers, allocated to their open orders, and other income and
expenses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, bindparam, func, insert, select, type_coerce, update

from core.errors import InvalidState, OverAllocation, ReasonRequired, UnknownDocument
from core.ledger.numbering import next_number
from core.models import (
    Customer,
    MoneyEntry,
    OrderDeposit,
    Payment,
    PaymentAllocation,
    PurchaseOrder,
    SalesOrder,
    Supplier,
)
from core.money.billing import (
    ORDER_TYPES,
    PAYMENT_PREFIXES,
    OpenDocument,
    Partner,
    as_money,
    check_partner_kind,
    find_partner,
    money_sum,
    open_documents,
    partner_by_id,
)
from core.numbers import ZERO, parse_money, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

ENTRY_PREFIXES = {"in": "OI", "out": "EX"}
MAX_ALLOCATIONS = 500


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


def record_payment(
    uow: UnitOfWork, actor: Actor, partner_kind: str, partner: str, amount: object,
    allocations: Sequence[tuple[str, object]] | None = None, method: str = "bank", note: str = "",
) -> PaymentRecorded:
    """Record money received from a customer or paid to a supplier, allocated to the orders given (never more
    than is open on each) or, without allocations, to the oldest open orders first."""
    actor.require(Permission.MONEY_RECORD)
    check_partner_kind(partner_kind)
    total = parse_money(amount)
    if total == 0:
        raise InvalidState(reason="zero_amount")
    wanted = _parse_allocations(allocations)

    def work(tx: Tx) -> PaymentRecorded:
        who = find_partner(tx, partner_kind, partner, lock=True)
        documents = {d.number: d for d in open_documents(tx, who)}
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
        record(tx, actor, "money.payment", "payment", payment_id, number=number, partner_kind=partner_kind,
               partner=who.code, amount=total, allocations=[list(c) for c in chosen], method=method, note=note)
        return _recorded(tx, number, who, total, chosen)

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


def _order_ids(tx: Tx, who: Partner, numbers: list[str]) -> dict[str, int]:
    order = SalesOrder if who.kind == "customer" else PurchaseOrder
    return {n: i for n, i in tx.session.execute(select(order.number, order.id).where(order.number.in_(numbers)))}


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


@dataclass(frozen=True)
class UnallocatedPayment:
    """A payment with money not yet set against any order (deposits wait for their own order and are not here)."""

    number: str
    partner_kind: str
    partner: str
    amount: Decimal
    allocated: Decimal
    unallocated: Decimal
    method: str
    note: str
    created_at: datetime


def allocate_payment(
    uow: UnitOfWork, actor: Actor, number: str, allocations: Sequence[tuple[str, object]] | None = None,
) -> PaymentRecorded:
    """Set what is left of a payment against the orders given (never more than is open on each, nor than is
    left) or, without allocations, against the partner's oldest open orders first."""
    actor.require(Permission.MONEY_RECORD)
    wanted = _parse_allocations(allocations)

    def work(tx: Tx) -> PaymentRecorded:
        payment = tx.session.execute(select(Payment).where(Payment.number == number.strip().upper()[:30])
                                     .with_for_update()).scalar_one_or_none()
        if payment is None:
            raise UnknownDocument(number=number[:40])
        if payment.amount <= 0 or tx.session.scalar(select(OrderDeposit.id).where(
                OrderDeposit.payment_id == payment.id)) is not None:
            raise OverAllocation(reason="not_allocatable", number=payment.number)
        code = payment.customer_id if payment.partner_kind == "customer" else payment.supplier_id
        who = partner_by_id(tx, payment.partner_kind, code or 0)
        done = _allocated(tx, payment.id)
        left = payment.amount - sum(done.values(), ZERO)
        if left <= 0:
            raise OverAllocation(reason="nothing_left", number=payment.number)
        documents = {d.number: d for d in open_documents(tx, who)}
        chosen = _auto_allocate(documents, left) if wanted is None else _check_allocations(documents, wanted, left)
        if chosen:
            _add_to_payment(tx, payment.id, ORDER_TYPES[who.kind], _order_ids(tx, who, [n for n, _ in chosen]),
                            chosen, done)
        record(tx, actor, "money.allocate", "payment", payment.id, number=payment.number, partner=who.code,
               allocations=[list(c) for c in chosen])
        now = _allocated(tx, payment.id)
        numbers = _order_numbers(tx, who, list(now))
        return _recorded(tx, payment.number, who, payment.amount, sorted((numbers[i], a) for i, a in now.items()))

    return uow.run(work)


def unallocated_payments(
    uow: UnitOfWork, actor: Actor, partner_kind: str | None = None, partner: str | None = None, page: int = 1,
    *, page_size: int = 20,
) -> list[UnallocatedPayment]:
    """Payments with money not yet set against an order, oldest first, of one partner kind (and partner) when
    given (money staff)."""
    actor.require(Permission.MONEY_VIEW)
    if partner_kind is not None:
        check_partner_kind(partner_kind)
    size = min(max(page_size, 1), 100)

    def work(tx: Tx) -> list[UnallocatedPayment]:
        allocated = (select(PaymentAllocation.payment_id, money_sum(PaymentAllocation.amount).label("done"))
                     .group_by(PaymentAllocation.payment_id).subquery())
        raw_done = func.coalesce(type_coerce(allocated.c.done, BigInteger), 0)
        done = as_money(raw_done)
        code = func.coalesce(Customer.code, Supplier.code)
        statement = (
            select(Payment.number, Payment.partner_kind, code.label("partner"), Payment.amount,
                   done.label("allocated"), Payment.method, Payment.note, Payment.created_at)
            .outerjoin(allocated, allocated.c.payment_id == Payment.id)
            .outerjoin(Customer, Customer.id == Payment.customer_id)
            .outerjoin(Supplier, Supplier.id == Payment.supplier_id)
            .where(type_coerce(Payment.amount, BigInteger) > raw_done,
                   ~select(OrderDeposit.id).where(OrderDeposit.payment_id == Payment.id).exists())
            .order_by(Payment.created_at, Payment.id).limit(size).offset((max(page, 1) - 1) * size))
        if partner_kind is not None:
            statement = statement.where(Payment.partner_kind == partner_kind)
            if partner is not None:
                who = find_partner(tx, partner_kind, partner)
                column = Payment.customer_id if who.kind == "customer" else Payment.supplier_id
                statement = statement.where(column == who.id)
        places = tx.money_places
        return [UnallocatedPayment(r.number, r.partner_kind, r.partner, round_money(r.amount, places),
                                   round_money(r.allocated, places), round_money(r.amount - r.allocated, places),
                                   r.method, r.note, r.created_at)
                for r in tx.session.execute(statement)]

    return uow.read(work)


def _allocated(tx: Tx, payment_id: int) -> dict[int, Decimal]:
    """What a payment settles per order id."""
    return {r.doc_id: r.amount for r in tx.session.execute(
        select(PaymentAllocation.doc_id, PaymentAllocation.amount).where(PaymentAllocation.payment_id == payment_id))}


def _recorded(tx: Tx, number: str, who: Partner, amount: Decimal, allocations: list[tuple[str, Decimal]]
              ) -> PaymentRecorded:
    """What a payment settles now, in money places."""
    places = tx.money_places
    left = amount - sum((a for _, a in allocations), ZERO)
    return PaymentRecorded(number, who.kind, who.code, round_money(amount, places),
                           tuple((n, round_money(a, places)) for n, a in allocations), round_money(left, places))


def _add_to_payment(tx: Tx, payment_id: int, doc_type: str, ids: dict[str, int], chosen: list[tuple[str, Decimal]],
                    done: dict[int, Decimal]) -> None:
    """Allocation rows of one payment; an order it already settles in part grows instead (one row per order)."""
    new = [{"payment_id": payment_id, "doc_type": doc_type, "doc_id": ids[n], "amount": a}
           for n, a in chosen if ids[n] not in done]
    grown = [{"doc": ids[n], "more": a} for n, a in chosen if ids[n] in done]
    if new:
        tx.conn.execute(insert(PaymentAllocation), new)
    if grown:
        tx.conn.execute(update(PaymentAllocation).where(
            PaymentAllocation.payment_id == payment_id, PaymentAllocation.doc_type == doc_type,
            PaymentAllocation.doc_id == bindparam("doc")).values(amount=PaymentAllocation.amount + bindparam("more")),
            grown)


def _order_numbers(tx: Tx, who: Partner, ids: list[int]) -> dict[int, str]:
    order = SalesOrder if who.kind == "customer" else PurchaseOrder
    return {i: n for i, n in tx.session.execute(select(order.id, order.number).where(order.id.in_(ids)))}
