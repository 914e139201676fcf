"""Deposits (订金) on sales and purchase orders: recorded as payments of the order's partner, held until the order
bills (a shipment, a goods receipt) and then allocated to it; on a cancelled order what is left is refunded (a
payment back) or forfeited (a payment back and other income, or an expense), with a reason. Statements and ageing
show them as the payments they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from core.errors import InvalidState, ReasonRequired, UnknownDocument
from core.integration.outbox import employees_with_role, notify
from core.ledger.numbering import next_number
from core.models import MoneyEntry, OrderDeposit, Payment, PaymentAllocation, PurchaseOrder, SalesOrder
from core.money.billing import ORDER_TYPES, PAYMENT_PREFIXES, Partner, billing_rows, money_sum
from core.numbers import ZERO, parse_money, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

ACTIONS = ("refund", "forfeit")
CLOSED = ("cancelled", "rejected", "closed")
FORFEIT_CATEGORY = "forfeited_deposit"
_D, _PA = OrderDeposit.__table__.c, PaymentAllocation.__table__.c
_HELD = (select(_D.id, _D.payment_id, _D.amount, _D.allocated).where(
    _D.doc_type == bindparam("doc_type"), _D.doc_id == bindparam("doc_id"), _D.status == "held")
    .order_by(_D.id).with_for_update())


@dataclass(frozen=True)
class DepositView:
    """A deposit as people read it: its payment, how much is allocated to the order, and where it stands."""

    payment: str
    order: str
    amount: Decimal
    allocated: Decimal
    status: str
    reason: str
    at: datetime


def record_deposit(uow: UnitOfWork, actor: Actor, order_number: str, amount: object, method: str = "bank",
                   note: str = "") -> DepositView:
    """Record a deposit paid by the order's customer (SO-) or to its supplier (PO-); allocated at once to what the
    order has billed already."""
    actor.require(Permission.MONEY_RECORD)
    value = parse_money(amount)
    if value == 0:
        raise InvalidState(reason="zero_amount")

    def work(tx: Tx) -> DepositView:
        order, kind = _order(tx, order_number)
        if order.status in CLOSED:
            raise InvalidState(reason="deposit_closed_order", number=order.number, status=order.status)
        number = next_number(tx, PAYMENT_PREFIXES[kind])
        payment_id: int = tx.conn.execute(insert(Payment).returning(Payment.id), {
            "number": number, "partner_kind": kind, "amount": value, "method": method.strip()[:20] or "bank",
            "note": (note.strip() or f"deposit {order.number}")[:500], "employee_id": actor.employee_id,
            "created_at": tx.now, "customer_id": order.partner_id if kind == "customer" else None,
            "supplier_id": order.partner_id if kind == "supplier" else None}).scalar_one()
        tx.conn.execute(insert(OrderDeposit), {"payment_id": payment_id, "doc_type": ORDER_TYPES[kind],
                                               "doc_id": order.id, "amount": value, "allocated": ZERO,
                                               "status": "held", "reason": ""})
        record(tx, actor, "money.deposit", ORDER_TYPES[kind], order.id, number=order.number, payment=number,
               amount=value, method=method)
        allocate_deposits(tx, ORDER_TYPES[kind], order.id)
        return next(d for d in _deposits(tx, order.number, ORDER_TYPES[kind], order.id) if d.payment == number)

    return uow.run(work)


def allocate_deposits(tx: Tx, doc_type: str, order_id: int) -> None:
    """Allocate the order's held deposits, oldest first, to what it has billed and is not yet settled; run after
    a shipment or a goods receipt, a constant number of statements."""
    held = tx.conn.execute(_HELD, {"doc_type": doc_type, "doc_id": order_id}).all()
    if not held:
        return
    kind = "customer" if doc_type == "sales_order" else "supplier"
    billed = billing_rows(Partner(kind, _partner_of(tx, doc_type, order_id), "", ""), tx.money_places)
    owed = tx.session.scalar(select(money_sum(billed.c.amount)).where(billed.c.order_id == order_id)) or ZERO
    settled = tx.session.scalar(select(money_sum(PaymentAllocation.amount)).where(
        PaymentAllocation.doc_type == doc_type, PaymentAllocation.doc_id == order_id)) or ZERO
    room = owed - settled
    allocations, changes = [], []
    for deposit in held:
        part = min(deposit.amount - deposit.allocated, room)
        if part <= 0:
            break
        room -= part
        allocations.append({"payment_id": deposit.payment_id, "doc_type": doc_type, "doc_id": order_id,
                            "amount": part})
        done = deposit.allocated + part
        changes.append({"deposit_id": deposit.id, "allocated": done,
                        "status": "allocated" if done == deposit.amount else "held"})
    if allocations:
        _add_allocations(tx, allocations)
        tx.conn.execute(update(OrderDeposit).where(OrderDeposit.id == bindparam("deposit_id")).values(
            allocated=bindparam("allocated"), status=bindparam("status")), changes)


def settle_deposits(uow: UnitOfWork, actor: Actor, order_number: str, action: str, reason: str,
                    method: str = "bank") -> list[DepositView]:
    """On a cancelled (or rejected, closed) order: refund what is left of its deposits, or forfeit it (kept as
    other income from a customer, an expense to a supplier); a reason is required."""
    actor.require(Permission.MONEY_RECORD)
    if action not in ACTIONS:
        raise InvalidState(reason="deposit_action", action=action[:20], allowed=list(ACTIONS))
    if not reason.strip():
        raise ReasonRequired(action=f"deposit_{action}")

    def work(tx: Tx) -> list[DepositView]:
        order, kind = _order(tx, order_number)
        if order.status not in CLOSED:
            raise InvalidState(reason="deposit_open_order", number=order.number, status=order.status)
        doc_type = ORDER_TYPES[kind]
        held = tx.conn.execute(_HELD, {"doc_type": doc_type, "doc_id": order.id}).all()
        if not held:
            raise InvalidState(reason="no_deposit", number=order.number)
        for deposit in held:
            _settle(tx, actor, order, kind, deposit, action, reason.strip()[:500], method)
        record(tx, actor, f"money.deposit_{action}", doc_type, order.id, number=order.number, reason=reason,
               amount=sum((d.amount - d.allocated for d in held), ZERO))
        return _deposits(tx, order.number, doc_type, order.id)

    return uow.run(work)


def tell_deposits_held(tx: Tx, doc_type: str, order_id: int, number: str, status: str) -> Decimal:
    """An order ending (cancelled, rejected, closed) with deposits not billed: what is left, told once to the money
    staff (finance, else the admins) to refund or forfeit; zero, and nothing told, when nothing is left."""
    left = tx.conn.execute(select(money_sum(_D.amount - _D.allocated)).where(
        _D.doc_type == doc_type, _D.doc_id == order_id, _D.status == "held")).scalar() or ZERO
    if left <= 0:
        return ZERO
    amount = round_money(left, tx.money_places)
    recipients = employees_with_role(tx, "finance") or employees_with_role(tx, "admin")
    notify(tx, "deposit_held", recipients, {"number": number, "amount": amount, "status": status},
           f"deposit_held:{number}")
    return amount


def order_deposits(uow: UnitOfWork, actor: Actor, order_number: str) -> list[DepositView]:
    """The deposits of an order (money staff)."""
    actor.require(Permission.MONEY_VIEW)

    def work(tx: Tx) -> list[DepositView]:
        order, kind = _order(tx, order_number)
        return _deposits(tx, order.number, ORDER_TYPES[kind], order.id)

    return uow.read(work)


def _settle(tx: Tx, actor: Actor, order: Any, kind: str, deposit: Any, action: str, reason: str,
            method: str) -> None:
    left = deposit.amount - deposit.allocated
    number = next_number(tx, PAYMENT_PREFIXES[kind])
    back: int = tx.conn.execute(insert(Payment).returning(Payment.id), {
        "number": number, "partner_kind": kind, "amount": -left, "method": method.strip()[:20] or "bank",
        "note": f"deposit {action} {order.number}: {reason}"[:500], "employee_id": actor.employee_id,
        "created_at": tx.now, "customer_id": order.partner_id if kind == "customer" else None,
        "supplier_id": order.partner_id if kind == "supplier" else None}).scalar_one()
    if action == "forfeit":
        direction = "in" if kind == "customer" else "out"
        tx.conn.execute(insert(MoneyEntry), {
            "number": next_number(tx, "OI" if direction == "in" else "EX"), "direction": direction,
            "category": FORFEIT_CATEGORY, "amount": left, "method": method.strip()[:20] or "bank",
            "note": f"{order.number}: {reason}"[:500], "employee_id": actor.employee_id, "created_at": tx.now})
    tx.conn.execute(update(OrderDeposit).where(OrderDeposit.id == deposit.id).values(
        status="refunded" if action == "refund" else "forfeited", reason=reason, settlement_id=back,
        settled_at=tx.now))


def _add_allocations(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Allocation rows; a payment already allocated to the order (a deposit allocated in parts) grows instead."""
    existing = {r.payment_id: r.id for r in tx.conn.execute(
        select(_PA.id, _PA.payment_id).where(_PA.payment_id.in_([r["payment_id"] for r in rows]),
                                             _PA.doc_type == rows[0]["doc_type"], _PA.doc_id == rows[0]["doc_id"]))}
    new = [r for r in rows if r["payment_id"] not in existing]
    grown = [{"allocation_id": existing[r["payment_id"]], "more": r["amount"]} for r in rows
             if r["payment_id"] in existing]
    if new:
        tx.conn.execute(insert(PaymentAllocation), new)
    if grown:
        tx.conn.execute(update(PaymentAllocation).where(PaymentAllocation.id == bindparam("allocation_id"))
                        .values(amount=PaymentAllocation.amount + bindparam("more")), grown)


def _order(tx: Tx, number: str) -> tuple[Any, str]:
    """The sales (SO-) or purchase (PO-) order of that number with its partner, and the partner's kind."""
    given = number.strip().upper()
    if given.startswith("SO-"):
        row = tx.conn.execute(select(SalesOrder.id, SalesOrder.number, SalesOrder.status,
                                     SalesOrder.customer_id.label("partner_id"))
                              .where(SalesOrder.number == given)).one_or_none()
        kind = "customer"
    else:
        row = tx.conn.execute(select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status,
                                     PurchaseOrder.supplier_id.label("partner_id"))
                              .where(PurchaseOrder.number == given)).one_or_none()
        kind = "supplier"
    if row is None:
        raise UnknownDocument(number=number[:40])
    return row, kind


def _partner_of(tx: Tx, doc_type: str, order_id: int) -> int:
    order: Any = SalesOrder if doc_type == "sales_order" else PurchaseOrder
    column = order.customer_id if doc_type == "sales_order" else order.supplier_id
    return int(tx.conn.execute(select(column).where(order.id == order_id)).scalar_one())


def _deposits(tx: Tx, number: str, doc_type: str, order_id: int) -> list[DepositView]:
    rows = tx.conn.execute(select(Payment.number, OrderDeposit.amount, OrderDeposit.allocated, OrderDeposit.status,
                                  OrderDeposit.reason, Payment.created_at)
                           .join(Payment, Payment.id == OrderDeposit.payment_id)
                           .where(OrderDeposit.doc_type == doc_type, OrderDeposit.doc_id == order_id)
                           .order_by(OrderDeposit.id))
    places = tx.money_places
    return [DepositView(r.number, number, round_money(r.amount, places), round_money(r.allocated, places), r.status,
                        r.reason, r.created_at) for r in rows]
