"""What flows and channels read through core on each database: partners to pick from, where an approval request
stands, the small values a channel keeps, and what is below its minimum."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.approvals.decisions import decidable_number, decide
from core.approvals.progress import awaiting_approval, decided_requests, last_decision
from core.approvals.requests import pending_for, set_rule
from core.errors import AlreadyDecided, PermissionDenied, UnknownDocument
from core.integration.channel_values import channel_value, channel_values, forget_channel_value, keep_channel_value
from core.partners.choices import partner_choices, partner_code
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.replenishment import BelowMinimum, below_minimum, set_reorder_rule
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def test_partner_choices_carry_the_id_a_button_gives_back_and_only_whom_the_reader_sees(shop: Shop) -> None:
    create_customer(shop.uow, shop.admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(shop.uow, shop.admin, NewCustomer("ACORN", "Acorn Home", salesperson="sales-1"))
    create_customer(shop.uow, shop.admin, NewCustomer("ACE", "Ace Others"))
    create_supplier(shop.uow, shop.admin, NewSupplier("CLOCKCO", "Clock Company"))
    mine = partner_choices(shop.uow, shop.sales, "customer", "ac", 8)
    assert [(c.code, c.name) for c in mine] == [("ACME", "Acme Trading"), ("ACORN", "Acorn Home")]
    assert [partner_code(shop.uow, shop.sales, "customer", c.id) for c in mine] == ["ACME", "ACORN"]
    assert len(partner_choices(shop.uow, shop.manager, "customer", "ac", 2)) == 2
    [supplier] = partner_choices(shop.uow, shop.purchaser, "supplier", "clock", 8)
    assert partner_code(shop.uow, shop.purchaser, "supplier", supplier.id) == "CLOCKCO"
    assert partner_code(shop.uow, shop.purchaser, "supplier", supplier.id + 1000) is None
    assert partner_choices(shop.uow, shop.purchaser, "supplier", "nobody", 8) == ()
    with pytest.raises(PermissionDenied):
        partner_choices(shop.uow, shop.warehouse, "customer", "ac", 8)


def test_an_approval_request_says_who_is_to_decide_it_then_who_did(shop: Shop) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", "0", ["manager"])
    create_supplier(shop.uow, shop.admin, NewSupplier("CLOCKCO", "Clock Company"))
    draft = create_purchase_order(shop.uow, shop.purchaser, "CLOCKCO", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 10, "9")])
    number = submit_purchase_order(shop.uow, shop.purchaser, draft.number).number
    [pending] = pending_for(shop.uow, shop.manager)
    request_id = pending.request_id
    awaiting = awaiting_approval(shop.uow, "purchase_order", number)
    assert awaiting is not None and (awaiting.role, awaiting.names) == ("manager", ("manager-1",))
    assert decidable_number(shop.uow, shop.manager, request_id) == number
    assert decided_requests(shop.uow, [request_id]) == frozenset() and last_decision(shop.uow, request_id) is None

    decide(shop.uow, shop.manager, request_id, False, "too dear")
    assert awaiting_approval(shop.uow, "purchase_order", number) is None
    assert decided_requests(shop.uow, [request_id, request_id + 1]) == {request_id}
    decision = last_decision(shop.uow, request_id)
    assert decision is not None and (decision.employee, decision.decision) == ("manager-1", "reject")
    with pytest.raises(AlreadyDecided):
        decidable_number(shop.uow, shop.manager, request_id)
    with pytest.raises(UnknownDocument):
        decidable_number(shop.uow, shop.manager, request_id + 1000)


def test_a_channel_value_is_kept_replaced_listed_by_prefix_expires_and_is_forgotten(uow: UnitOfWork) -> None:
    keep_channel_value(uow, "wecom", "card:u1:1", '{"n": 1}', timedelta(hours=1))
    keep_channel_value(uow, "wecom", "card:u1:1", '{"n": 2}', timedelta(hours=1))
    keep_channel_value(uow, "wecom", "card:u1:2", "gone", timedelta(0))
    keep_channel_value(uow, "wecom", "card:u10:3", "other member", None)
    keep_channel_value(uow, "telegram", "card:u1:4", "other channel", None)
    assert channel_value(uow, "wecom", "card:u1:1") == '{"n": 2}'
    assert channel_value(uow, "wecom", "card:u1:2") is None, "expired"
    assert channel_values(uow, "wecom", "card:u1:") == ['{"n": 2}']
    assert channel_values(uow, "wecom", "card:u1%") == []
    forget_channel_value(uow, "wecom", "card:u1:1")
    assert channel_value(uow, "wecom", "card:u1:1") is None
    assert channel_value(uow, "wecom", "card:u10:3") == "other member"


def test_below_minimum_lists_active_products_under_their_rule_by_warehouse_and_sku(shop: Shop) -> None:
    assert shop.uow.read(below_minimum) == []
    set_reorder_rule(shop.uow, shop.purchaser, "TEA-CUP", "NORTH", "2.5", "20")
    set_reorder_rule(shop.uow, shop.purchaser, "RETRO-CLOCK", "MAIN", "5", "20")
    set_reorder_rule(shop.uow, shop.purchaser, "TEA-CUP", "MAIN", "0", "20")
    found = shop.uow.read(below_minimum)
    assert [(b.warehouse, b.sku) for b in found] == [("MAIN", "RETRO-CLOCK"), ("NORTH", "TEA-CUP")]
    assert found[1] == BelowMinimum("TEA-CUP", found[1].name_zh, found[1].name_en, "NORTH", D(0), D("2.5"))
