"""Sales orders on each database: approval, reservation, shipments, returns, and who may see what."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import event, select

from core.approvals.decisions import decide
from core.approvals.requests import pending_for
from core.catalog.products import products_in, warehouse_in
from core.errors import (
    DomainError,
    InvalidFilter,
    InvalidState,
    OutOfStock,
    OverReturn,
    PermissionDenied,
    UnknownDocument,
    UnknownPartner,
)
from core.ledger.check import check_ledger
from core.models import ApprovalRequest, AuditLog, Customer, StockLevel, StockMove
from core.money.payments import record_payment
from core.money.statements import partner_balance
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.sales.orders import (
    cancel_sales_order,
    close_sales_order,
    create_sales_order,
    get_sales_order,
    list_sales_orders,
    open_receivable,
    submit_sales_order,
)
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.sales.views import SalesOrderView
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop


@dataclass(frozen=True)
class Sales:
    shop: Shop
    other: Actor


@pytest.fixture
def sales(uow: UnitOfWork, admin: Actor) -> Sales:
    """The small shop with stock in MAIN, a second salesperson, and customers owned by each."""
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("TIGHT", "Tight Budget Ltd", credit_limit="300",
                                            salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("BETA", "Beta Stores", salesperson="sales-2"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return Sales(shop, load_actor(uow, "sales-2"))


def level(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> tuple[D, D]:
    """On hand and reserved of a product in a warehouse, as the books hold them."""

    def work(tx: Tx) -> tuple[D, D]:
        product = products_in(tx, [sku])[sku].id
        row = tx.session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.product_id == product, StockLevel.warehouse_id == warehouse_in(tx, warehouse).id)).one()
        return row.on_hand, row.reserved

    return uow.read(work)


def order(s: Sales, *lines: SalesLineIn, customer: str = "ACME", channel: str = "chat") -> SalesOrderView:
    return create_sales_order(s.shop.uow, s.shop.sales, customer, "MAIN", list(lines), channel=channel)


def approved(s: Sales, *lines: SalesLineIn, customer: str = "ACME") -> SalesOrderView:
    return submit_sales_order(s.shop.uow, s.shop.sales, order(s, *lines, customer=customer).number)


def test_an_order_no_rule_covers_is_approved_at_submit_and_reserves_its_stock(uow: UnitOfWork, sales: Sales) -> None:
    draft = order(sales, SalesLineIn("RETRO-CLOCK", 5), SalesLineIn("TEA-CUP", 1, unit_price="9.5"),
                  channel="store")
    assert (draft.status, draft.channel, draft.number) == ("draft", "store", "SO-" + draft.number[3:])
    assert [(ln.sku, ln.qty, ln.unit_price, ln.amount) for ln in draft.lines] == [
        ("RETRO-CLOCK", D(5), D(25), D("125.00")), ("TEA-CUP", D(1), D("9.5"), D("9.50"))]
    assert draft.total == D("134.50")
    assert level(uow, "RETRO-CLOCK") == (D(20), D(0))
    submitted = submit_sales_order(uow, sales.shop.sales, draft.number)
    assert submitted.status == "approved" and submitted.approval_request_id is None
    assert [ln.reserved_qty for ln in submitted.lines] == [D(5), D(1)]
    assert level(uow, "RETRO-CLOCK") == (D(20), D(5))
    assert uow.read(check_ledger) == []


def test_an_order_in_pack_units_is_kept_in_base_units(uow: UnitOfWork, sales: Sales) -> None:
    draft = order(sales, SalesLineIn("RETRO-CLOCK", 1, unit_price="264", unit="箱"))
    assert [(ln.qty, ln.unit_price, ln.amount) for ln in draft.lines] == [(D(12), D(22), D("264.00"))]


def test_a_price_below_the_floor_needs_a_manager_before_stock_is_reserved(uow: UnitOfWork, sales: Sales) -> None:
    pending = approved(sales, SalesLineIn("RETRO-CLOCK", 4, unit_price="15"))
    assert pending.status == "pending_approval"
    assert pending.approval_reasons == ("below_floor_price",)
    assert pending.approval_request_id is not None
    assert level(uow, "RETRO-CLOCK") == (D(20), D(0))
    decide(uow, sales.shop.manager, pending.approval_request_id, approve=True)
    after = get_sales_order(uow, sales.shop.sales, pending.number)
    assert after.status == "approved" and after.approved_at is not None
    assert level(uow, "RETRO-CLOCK") == (D(20), D(4))


def test_a_customer_over_the_credit_limit_needs_approval(uow: UnitOfWork, sales: Sales) -> None:
    first = approved(sales, SalesLineIn("RETRO-CLOCK", 10), customer="TIGHT")
    assert first.status == "approved"
    ship_sales_order(uow, sales.shop.warehouse, first.number)
    # owes 250 of 300: another 75 would make 325
    second = approved(sales, SalesLineIn("RETRO-CLOCK", 3), customer="TIGHT")
    assert (second.status, second.approval_reasons) == ("pending_approval", ("over_credit_limit",))
    cancel_sales_order(uow, sales.shop.sales, second.number, reason="customer pays first")
    return_from_customer(uow, sales.shop.sales, first.number, [SalesLineIn("RETRO-CLOCK", 2)], reason="broken")
    # owes 200 after the return: 75 more fits in 300
    third = approved(sales, SalesLineIn("RETRO-CLOCK", 3), customer="TIGHT")
    assert (third.status, third.approval_reasons) == ("approved", ())


def test_payments_lower_what_the_customer_owes_as_the_money_module_counts_it(
    uow: UnitOfWork, sales: Sales
) -> None:
    first = approved(sales, SalesLineIn("TEA-CUP", 3, unit_price="8.335"), customer="TIGHT")
    ship_sales_order(uow, sales.shop.warehouse, first.number, [SalesLineIn("TEA-CUP", 1)])
    ship_sales_order(uow, sales.shop.warehouse, first.number, [SalesLineIn("TEA-CUP", 1)])
    ship_sales_order(uow, sales.shop.warehouse, first.number)
    big = approved(sales, SalesLineIn("RETRO-CLOCK", 10), customer="TIGHT")
    ship_sales_order(uow, sales.shop.warehouse, big.number)
    # three shipments of one cup at 8.335 bill 8.34 each: 25.02 + 250 = 275.02 owed; another 50 would pass 300
    assert approved(sales, SalesLineIn("RETRO-CLOCK", 2), customer="TIGHT").status == "pending_approval"
    record_payment(uow, sales.shop.finance, "customer", "TIGHT", "100")
    assert approved(sales, SalesLineIn("RETRO-CLOCK", 2), customer="TIGHT").status == "approved"
    balance = partner_balance(uow, sales.shop.finance, "customer", "TIGHT")
    owed = uow.read(lambda tx: open_receivable(tx, tx.session.scalar(select(Customer.id).where(
        Customer.code == "TIGHT"))))
    assert owed == balance.billed - balance.paid == D("175.02")


def test_the_approver_is_shown_why_and_what(uow: UnitOfWork, sales: Sales) -> None:
    shipped = approved(sales, SalesLineIn("RETRO-CLOCK", 10), customer="TIGHT")
    ship_sales_order(uow, sales.shop.warehouse, shipped.number)
    pending = approved(sales, SalesLineIn("RETRO-CLOCK", 2, unit_price="17.5"), SalesLineIn("TEA-CUP", 4),
                       customer="TIGHT")
    [request] = pending_for(uow, sales.shop.manager)
    assert (request.number, request.amount, request.levels) == (pending.number, D("67.00"), ("manager",))
    summary = request.summary
    assert (summary["customer"], summary["salesperson"], summary["reasons"]) == (
        "TIGHT", "sales-1", ["below_floor_price", "over_credit_limit"])
    assert (summary["below_floor"], summary["open_receivable"], summary["credit_limit"]) == (
        ["RETRO-CLOCK"], "250.00", "300.00")
    assert [line["sku"] for line in summary["lines"]] == ["RETRO-CLOCK", "TEA-CUP"]


def test_below_floor_and_over_credit_are_both_reported(uow: UnitOfWork, sales: Sales) -> None:
    pending = approved(sales, SalesLineIn("RETRO-CLOCK", 20, unit_price="17"), customer="TIGHT")
    assert pending.approval_reasons == ("below_floor_price", "over_credit_limit")


def test_approval_is_refused_when_the_stock_is_not_available_and_nothing_is_reserved(
    uow: UnitOfWork, sales: Sales
) -> None:
    pending = approved(sales, SalesLineIn("TEA-CUP", 10), SalesLineIn("RETRO-CLOCK", 21, unit_price="15"))
    assert pending.status == "pending_approval" and pending.approval_request_id is not None
    with pytest.raises(OutOfStock) as refused:
        decide(uow, sales.shop.manager, pending.approval_request_id, approve=True)
    assert refused.value.code == "out_of_stock"
    assert (refused.value.params["item"], refused.value.params["available"]) == ("RETRO-CLOCK", D(20))
    after = get_sales_order(uow, sales.shop.manager, pending.number)
    assert after.status == "pending_approval" and after.approval_request_id == pending.approval_request_id
    assert [ln.reserved_qty for ln in after.lines] == [D(0), D(0)]
    assert level(uow, "TEA-CUP") == (D(100), D(0))
    assert level(uow, "RETRO-CLOCK") == (D(20), D(0))
    assert uow.read(check_ledger) == []


def test_submitting_more_than_is_available_is_refused_and_the_order_stays_a_draft(
    uow: UnitOfWork, sales: Sales
) -> None:
    draft = order(sales, SalesLineIn("RETRO-CLOCK", 15))
    approved(sales, SalesLineIn("RETRO-CLOCK", 10))
    with pytest.raises(OutOfStock):
        submit_sales_order(uow, sales.shop.sales, draft.number)
    assert get_sales_order(uow, sales.shop.sales, draft.number).status == "draft"
    assert level(uow, "RETRO-CLOCK") == (D(20), D(10))


def test_a_rejected_order_keeps_the_reason_and_reserves_nothing(uow: UnitOfWork, sales: Sales) -> None:
    pending = approved(sales, SalesLineIn("LAMP", 1, unit_price="50"))
    assert pending.approval_request_id is not None
    decide(uow, sales.shop.manager, pending.approval_request_id, approve=False, reason="price too low")
    after = get_sales_order(uow, sales.shop.sales, pending.number)
    assert (after.status, after.reason) == ("rejected", "price too low")


def test_partial_shipments_take_cost_of_goods_sold_from_the_reservation(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("RETRO-CLOCK", 10), SalesLineIn("TEA-CUP", 20, unit_price="8"))
    first = ship_sales_order(uow, sales.shop.warehouse, so.number, [SalesLineIn("RETRO-CLOCK", 4)])
    assert first.status == "partially_shipped" and first.document is not None
    assert first.document.startswith("SH-")
    assert [(ln.shipped_qty, ln.reserved_qty) for ln in first.lines] == [(D(4), D(6)), (D(0), D(20))]
    assert level(uow, "RETRO-CLOCK") == (D(16), D(6))
    rest = ship_sales_order(uow, sales.shop.warehouse, so.number)
    assert rest.status == "shipped"
    assert [(ln.shipped_qty, ln.reserved_qty) for ln in rest.lines] == [(D(10), D(0)), (D(20), D(0))]
    assert level(uow, "TEA-CUP") == (D(80), D(0))
    seen_by_manager = get_sales_order(uow, sales.shop.manager, so.number)
    assert [(ln.cost, ln.profit) for ln in seen_by_manager.lines] == [(D("100.00"), D("150.00")),
                                                                        (D("66.00"), D("94.00"))]
    assert [(ln.cost, ln.profit) for ln in rest.lines] == [(None, None), (None, None)]
    seen_by_seller = get_sales_order(uow, sales.shop.sales, so.number)
    assert {(ln.cost, ln.profit) for ln in seen_by_seller.lines} == {(None, None)}
    sh_values = uow.read(lambda tx: sorted(tx.session.scalars(
        select(StockMove.value).where(StockMove.source_line_id.is_not(None), StockMove.qty < 0))))
    assert sh_values == [D("-66.00"), D("-60.00"), D("-40.00")]
    assert uow.read(check_ledger) == []


def test_shipping_more_than_is_outstanding_is_refused(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("RETRO-CLOCK", 3))
    with pytest.raises(DomainError) as refused:
        ship_sales_order(uow, sales.shop.warehouse, so.number, [SalesLineIn("RETRO-CLOCK", 4)])
    assert (refused.value.code, refused.value.params["reason"]) == ("invalid_quantity", "more_than_outstanding")
    with pytest.raises(DomainError) as not_on_order:
        ship_sales_order(uow, sales.shop.warehouse, so.number, [SalesLineIn("LAMP", 1)])
    assert not_on_order.value.params["reason"] == "not_on_document"
    assert level(uow, "RETRO-CLOCK") == (D(20), D(3))


def test_closing_a_partly_shipped_order_releases_what_is_still_reserved(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("RETRO-CLOCK", 10))
    ship_sales_order(uow, sales.shop.warehouse, so.number, [SalesLineIn("RETRO-CLOCK", 3)])
    closed = close_sales_order(uow, sales.shop.sales, so.number)
    assert closed.status == "closed" and closed.document is not None and closed.document.startswith("SL-")
    assert [(ln.shipped_qty, ln.reserved_qty) for ln in closed.lines] == [(D(3), D(0))]
    assert level(uow, "RETRO-CLOCK") == (D(17), D(0))
    assert uow.read(check_ledger) == []


def test_cancelling_an_approved_order_gives_the_stock_back(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("RETRO-CLOCK", 8))
    assert level(uow, "RETRO-CLOCK") == (D(20), D(8))
    cancelled = cancel_sales_order(uow, sales.shop.sales, so.number, reason="customer changed mind")
    assert (cancelled.status, cancelled.reason) == ("cancelled", "customer changed mind")
    assert level(uow, "RETRO-CLOCK") == (D(20), D(0))
    assert uow.read(check_ledger) == []


def test_cancelling_a_pending_order_withdraws_its_approval_request(uow: UnitOfWork, sales: Sales) -> None:
    pending = approved(sales, SalesLineIn("RETRO-CLOCK", 2, unit_price="1"))
    cancel_sales_order(uow, sales.shop.sales, pending.number)
    statuses = uow.read(lambda tx: list(tx.session.scalars(select(ApprovalRequest.status))))
    assert statuses == ["cancelled"]


def test_returns_come_back_at_the_cost_the_goods_left_with(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("RETRO-CLOCK", 6))
    ship_sales_order(uow, sales.shop.warehouse, so.number)
    receive_stock(uow, sales.shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 6, "16")])
    back = return_from_customer(uow, sales.shop.sales, so.number, [SalesLineIn("RETRO-CLOCK", 2)],
                                reason="scratched")
    assert back.document is not None and back.document.startswith("SR-")
    assert [(ln.shipped_qty, ln.returned_qty) for ln in back.lines] == [(D(6), D(2))]
    values = uow.read(lambda tx: list(tx.session.scalars(
        select(StockMove.value).where(StockMove.source_line_id.is_not(None)).order_by(StockMove.id))))
    assert values == [D(0), D("-60.00"), D("20.00")]
    with pytest.raises(OverReturn) as refused:
        return_from_customer(uow, sales.shop.sales, so.number, [SalesLineIn("RETRO-CLOCK", 5)], reason="all")
    assert (refused.value.code, refused.value.params["returnable"]) == ("over_return", D(4))
    return_from_customer(uow, sales.shop.sales, so.number, [SalesLineIn("RETRO-CLOCK", 4)], reason="all")
    view = get_sales_order(uow, sales.shop.manager, so.number)
    assert [(ln.cost, ln.profit) for ln in view.lines] == [(D("0.00"), D("0.00"))]
    assert uow.read(check_ledger) == []


def test_a_return_needs_a_reason(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("TEA-CUP", 3))
    ship_sales_order(uow, sales.shop.warehouse, so.number)
    with pytest.raises(DomainError) as refused:
        return_from_customer(uow, sales.shop.sales, so.number, [SalesLineIn("TEA-CUP", 1)], reason=" ")
    assert refused.value.code == "reason_required"


# Every status against every action: the table of what is allowed

ACTIONS: dict[str, Callable[[Sales, str], SalesOrderView]] = {
    "submit": lambda s, n: submit_sales_order(s.shop.uow, s.shop.sales, n),
    "ship": lambda s, n: ship_sales_order(s.shop.uow, s.shop.warehouse, n),
    "close": lambda s, n: close_sales_order(s.shop.uow, s.shop.sales, n),
    "cancel": lambda s, n: cancel_sales_order(s.shop.uow, s.shop.sales, n),
    "return": lambda s, n: return_from_customer(s.shop.uow, s.shop.sales, n, [SalesLineIn("TEA-CUP", 1)], "x"),
}
ALLOWED: dict[str, dict[str, str]] = {
    "submit": {"draft": "approved"},
    "ship": {"approved": "shipped", "partially_shipped": "shipped"},
    "close": {"partially_shipped": "closed", "shipped": "closed"},
    "cancel": {"draft": "cancelled", "pending_approval": "cancelled", "approved": "cancelled"},
    "return": {"partially_shipped": "partially_shipped", "shipped": "shipped", "closed": "closed"},
}


def order_in_every_status(s: Sales) -> dict[str, str]:
    """One order per status, each of two cups and a lamp (the lamp below its floor only when rejected)."""
    uow, seller, manager, keeper = s.shop.uow, s.shop.sales, s.shop.manager, s.shop.warehouse
    lines = [SalesLineIn("TEA-CUP", 2)]
    numbers = {"draft": order(s, *lines).number}
    pending = approved(s, SalesLineIn("TEA-CUP", 2, unit_price="1"))
    numbers["pending_approval"] = pending.number
    rejected = approved(s, SalesLineIn("TEA-CUP", 2, unit_price="1"))
    assert rejected.approval_request_id is not None
    decide(uow, manager, rejected.approval_request_id, approve=False, reason="no")
    numbers["rejected"] = rejected.number
    numbers["approved"] = approved(s, *lines).number
    partly = approved(s, *lines).number
    ship_sales_order(uow, keeper, partly, [SalesLineIn("TEA-CUP", 1)])
    numbers["partially_shipped"] = partly
    numbers["shipped"] = ship_sales_order(uow, keeper, approved(s, *lines).number).number
    closed = approved(s, *lines).number
    ship_sales_order(uow, keeper, closed)
    numbers["closed"] = close_sales_order(uow, seller, closed).number
    numbers["cancelled"] = cancel_sales_order(uow, seller, order(s, *lines).number).number
    assert {get_sales_order(uow, manager, n).status for n in numbers.values()} == set(numbers)
    return numbers


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_is_allowed_only_from_its_statuses(uow: UnitOfWork, sales: Sales, action: str) -> None:
    numbers = order_in_every_status(sales)
    for status, number in numbers.items():
        if status in ALLOWED[action]:
            assert ACTIONS[action](sales, number).status == ALLOWED[action][status], (action, status)
            continue
        with pytest.raises(InvalidState) as refused:
            ACTIONS[action](sales, number)
        assert refused.value.code == "invalid_state"
        assert (refused.value.params["status"], refused.value.params["action"]) == (status, action)
        assert get_sales_order(uow, sales.shop.manager, number).status == status
    assert uow.read(check_ledger) == []


# Who may see and do what


def test_a_salesperson_can_neither_read_nor_act_on_anothers_order(uow: UnitOfWork, sales: Sales) -> None:
    mine = approved(sales, SalesLineIn("TEA-CUP", 5))
    ship_sales_order(uow, sales.shop.warehouse, mine.number, [SalesLineIn("TEA-CUP", 2)])
    draft = order(sales, SalesLineIn("TEA-CUP", 1))
    attempts: list[tuple[str, Callable[[], Any]]] = [
        (mine.number.lower(), lambda: get_sales_order(uow, sales.other, mine.number.lower())),
        (draft.number, lambda: submit_sales_order(uow, sales.other, draft.number)),
        (draft.number, lambda: cancel_sales_order(uow, sales.other, draft.number)),
        (mine.number, lambda: close_sales_order(uow, sales.other, mine.number)),
        (mine.number, lambda: return_from_customer(uow, sales.other, mine.number, [SalesLineIn("TEA-CUP", 1)], "x")),
    ]
    for typed, attempt in attempts:  # another's order is answered exactly as a number that does not exist
        with pytest.raises(UnknownDocument) as refused:
            attempt()
        assert refused.value.params == {"number": typed}
    with pytest.raises(UnknownDocument) as unknown:
        get_sales_order(uow, sales.other, "so-1999-000001")
    assert unknown.value.params == {"number": "so-1999-000001"}
    for shipper in (sales.other, sales.shop.sales):  # shipping is no salesperson's, whoever's the order is
        with pytest.raises(PermissionDenied) as denied:
            ship_sales_order(uow, shipper, mine.number)
        assert denied.value.code == "permission_denied"
    with pytest.raises(UnknownPartner) as unknown:  # another's customer is answered as one that does not exist
        create_sales_order(uow, sales.other, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 1)])
    assert unknown.value.params == {"kind": "customer", "code": "ACME"}
    assert get_sales_order(uow, sales.shop.sales, draft.number).status == "draft"
    assert [o.number for o in list_sales_orders(uow, sales.other)] == []
    theirs = create_sales_order(uow, sales.other, "BETA", "MAIN", [SalesLineIn("TEA-CUP", 1)])
    assert [o.number for o in list_sales_orders(uow, sales.other)] == [theirs.number]
    assert [o.number for o in list_sales_orders(uow, sales.shop.sales)] == [draft.number, mine.number]
    assert len(list_sales_orders(uow, sales.shop.manager)) == 3


def test_warehouse_staff_ship_only_in_their_warehouses(uow: UnitOfWork, sales: Sales) -> None:
    receive_stock(uow, sales.shop.admin, "NORTH", [LineIn("LAMP", 2, "45")])
    north = create_sales_order(uow, sales.shop.sales, "ACME", "NORTH", [SalesLineIn("LAMP", 1)])
    submit_sales_order(uow, sales.shop.sales, north.number)
    with pytest.raises(PermissionDenied):
        ship_sales_order(uow, sales.shop.warehouse, north.number)
    with pytest.raises(UnknownDocument):  # an order of another warehouse is not theirs to see
        get_sales_order(uow, sales.shop.warehouse, north.number)
    assert list_sales_orders(uow, sales.shop.warehouse) == []
    assert ship_sales_order(uow, sales.shop.manager, north.number).status == "shipped"


def test_orders_are_listed_by_status_and_customer_newest_first(uow: UnitOfWork, sales: Sales) -> None:
    first = order(sales, SalesLineIn("TEA-CUP", 1))
    second = approved(sales, SalesLineIn("TEA-CUP", 1), customer="TIGHT")
    third = order(sales, SalesLineIn("TEA-CUP", 1), customer="TIGHT", channel="online")
    everything = list_sales_orders(uow, sales.shop.manager)
    assert [o.number for o in everything] == [third.number, second.number, first.number]
    assert [o.number for o in list_sales_orders(uow, sales.shop.manager, status="draft")] == [
        third.number, first.number]
    assert [(o.number, o.channel, o.customer) for o in list_sales_orders(uow, sales.shop.sales, customer="tight")
            ] == [(third.number, "online", "TIGHT"), (second.number, "chat", "TIGHT")]
    with pytest.raises(InvalidFilter):
        list_sales_orders(uow, sales.shop.manager, status="lost")
    with pytest.raises(InvalidState):
        order(sales, SalesLineIn("TEA-CUP", 1), channel="no such channel")


def test_every_change_is_audited(uow: UnitOfWork, sales: Sales) -> None:
    so = approved(sales, SalesLineIn("TEA-CUP", 3))
    ship_sales_order(uow, sales.shop.warehouse, so.number, [SalesLineIn("TEA-CUP", 2)])
    return_from_customer(uow, sales.shop.sales, so.number, [SalesLineIn("TEA-CUP", 1)], reason="chipped")
    close_sales_order(uow, sales.shop.sales, so.number)
    actions = uow.read(lambda tx: [a for a in tx.session.scalars(select(AuditLog.action).order_by(AuditLog.id))
                                   if a.startswith("sales.")])
    assert actions == ["sales.create", "sales.submit", "sales.approve", "sales.ship", "sales.return",
                       "sales.close"]


@contextmanager
def counting(uow: UnitOfWork) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(uow.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(uow.engine, "before_cursor_execute", count)


def test_the_number_of_statements_does_not_grow_with_the_lines(uow: UnitOfWork, sales: Sales) -> None:
    def life(lines: int) -> list[int]:
        items = [SalesLineIn("TEA-CUP", 1)] * lines
        counts = []
        with counting(uow) as statements:
            so = order(sales, *items)
            counts.append(len(statements))
            submit_sales_order(uow, sales.shop.sales, so.number)
            counts.append(len(statements))
            ship_sales_order(uow, sales.shop.warehouse, so.number, [SalesLineIn("TEA-CUP", lines - 1)])
            counts.append(len(statements))
            return_from_customer(uow, sales.shop.sales, so.number, [SalesLineIn("TEA-CUP", lines - 1)], "x")
            counts.append(len(statements))
            close_sales_order(uow, sales.shop.sales, so.number)
            counts.append(len(statements))
            cheap = approved(sales, *[SalesLineIn("TEA-CUP", 1, unit_price="1")] * lines)
            counts.append(len(statements))
            assert cheap.approval_request_id is not None
            decide(uow, sales.shop.manager, cheap.approval_request_id, approve=True)
            counts.append(len(statements))
            cancel_sales_order(uow, sales.shop.sales, cheap.number)
            counts.append(len(statements))
        return counts

    assert life(2) == life(12)
