"""Someone who is none of a request's deciders learns nothing of it from its buttons: a reject button asks them for
no reason and names no order, before or after it is decided."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.approvals.decisions import decide
from core.approvals.requests import set_rule
from core.models import ApprovalRequest
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 10, "3.3")])
    set_rule(uow, admin, "sales_order", "0", ["manager"])
    return shop


def test_a_reject_button_pressed_by_a_non_approver_names_no_order(uow: UnitOfWork, shop: Shop) -> None:
    number = submit_sales_order(uow, shop.sales, create_sales_order(
        uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 2)]).number).number
    request_id = uow.read(lambda tx: tx.session.scalar(select(ApprovalRequest.id)))
    stranger = person(uow, shop.admin, "warehouse-1")
    assert stranger.press(f"ap:{request_id}:n") == ["你没有权限执行这个操作。"]
    english = person(uow, shop.admin, "purchaser-1", "en")
    assert english.press(f"ap:{request_id}:n") == ["You are not allowed to do that."]
    manager = person(uow, shop.admin, "manager-1")
    assert number in manager.press(f"ap:{request_id}:n")[0], "the approver is asked why"

    decide(uow, shop.manager, request_id, True)
    assert stranger.press(f"ap:{request_id}:n") == ["你没有权限执行这个操作。"], "nor once it is decided"
    assert number in manager.press(f"ap:{request_id}:n")[0], "the approver hears it was decided"
