"""Withdrawing a submitted sales order on each database: its author only, until it is approved, audited, the
approval cancelled and the approvers' cards told."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.approvals.decisions import decide
from core.approvals.requests import pending_for
from core.errors import AlreadyDecided, InvalidState, NotOwnDocument, PermissionDenied, UnknownDocument
from core.ledger.check import check_ledger
from core.models import ApprovalRequest, AuditLog, Notification
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.sales.orders import create_sales_order, get_sales_order, submit_sales_order, withdraw_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10")])
    return shop


def pending(shop: Shop) -> str:
    """An order below the floor price, submitted by sales-1: it waits for a manager."""
    draft = create_sales_order(shop.uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 2, "15")])
    order = submit_sales_order(shop.uow, shop.sales, draft.number)
    assert order.status == "pending_approval"
    return order.number


def test_the_author_withdraws_a_waiting_order_and_it_is_a_draft_again(uow: UnitOfWork, shop: Shop) -> None:
    number = pending(shop)
    assert [p.number for p in pending_for(uow, shop.manager)] == [number]
    order = withdraw_sales_order(uow, shop.sales, number)
    assert (order.status, order.approval_request_id) == ("draft", None)
    assert pending_for(uow, shop.manager) == [], "the manager has nothing left to decide"
    assert uow.read(lambda tx: tx.session.scalar(select(ApprovalRequest.status))) == "cancelled"
    actions = uow.read(lambda tx: list(tx.session.scalars(select(AuditLog.action).order_by(AuditLog.id))))
    assert actions[-2:] == ["approval.withdraw", "sales.withdraw"]
    assert uow.read(check_ledger) == []
    again = submit_sales_order(uow, shop.sales, number)
    assert again.status == "pending_approval", "a withdrawn order can be submitted again"


def test_the_managers_card_is_closed_as_withdrawn(uow: UnitOfWork, shop: Shop) -> None:
    number = pending(shop)
    withdraw_sales_order(uow, shop.sales, number)
    closed = uow.read(lambda tx: [(n.recipient_id, n.payload["decision"], n.payload["decided_by"]) for n in
                                  tx.session.scalars(select(Notification).where(
                                      Notification.event_type == "approval_decided"))])
    asked = uow.read(lambda tx: set(tx.session.scalars(select(Notification.recipient_id).where(
        Notification.event_type == "approval_requested"))))
    assert asked and {r for r, _, _ in closed} == asked
    assert {(d, who) for _, d, who in closed} == {("withdraw", "sales-1")}


def test_nobody_else_may_withdraw_it_not_even_a_manager(uow: UnitOfWork, shop: Shop) -> None:
    number = pending(shop)
    with pytest.raises(NotOwnDocument):
        withdraw_sales_order(uow, shop.manager, number)
    with pytest.raises(UnknownDocument):  # another salesperson's order answers as an unknown number
        withdraw_sales_order(uow, load_actor(uow, "sales-2"), number)
    with pytest.raises(PermissionDenied):
        withdraw_sales_order(uow, shop.warehouse, number)
    assert get_sales_order(uow, shop.manager, number).status == "pending_approval"


def test_an_approved_order_cannot_be_withdrawn_nor_decided_after_withdrawal(uow: UnitOfWork, shop: Shop) -> None:
    number = pending(shop)
    request = get_sales_order(uow, shop.sales, number).approval_request_id
    assert request is not None
    decide(uow, shop.manager, request, approve=True)
    with pytest.raises(InvalidState) as refused:
        withdraw_sales_order(uow, shop.sales, number)
    assert refused.value.params["reason"] == "withdraw_too_late"
    assert get_sales_order(uow, shop.sales, number).status == "approved"

    other = pending(shop)
    second = get_sales_order(uow, shop.sales, other).approval_request_id
    assert second is not None
    withdraw_sales_order(uow, shop.sales, other)
    with pytest.raises(AlreadyDecided):
        decide(uow, shop.manager, second, approve=True)
    with pytest.raises(InvalidState):
        withdraw_sales_order(uow, shop.sales, other)  # a draft is not waiting for anyone
    assert get_sales_order(uow, shop.sales, other).total == D("30.00")
