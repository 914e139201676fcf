"""Purchase orders through their whole life on each database: approval, receipts, over-receipt, returns."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from core.approvals.decisions import decide
from core.approvals.requests import pending_for, set_rule
from core.catalog.products import NewProduct, create_product
from core.errors import (
    DomainError,
    InvalidFilter,
    InvalidQuantity,
    InvalidState,
    NotOwnDocument,
    OutOfStock,
    OverReceipt,
    OverReturn,
    PermissionDenied,
)
from core.ledger.check import check_ledger
from core.models import (
    AuditLog,
    Notification,
    PurchaseOrder,
    PurchaseReceiptLine,
    StockDocument,
    StockMove,
)
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import (
    PurchaseLineIn,
    PurchaseOrderView,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    get_purchase_order,
    list_purchase_orders,
    on_approved,
    revise_purchase_draft,
    submit_purchase_order,
    withdraw_purchase_order,
)
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.stock.levels import find_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """The small shop with two suppliers."""
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易", contact="王经理", phone="13800000000"))
    create_supplier(uow, admin, NewSupplier("NORTHWIND", "Northwind Traders", credit_rating="A"))
    return shop


def clock_order(shop: Shop, qty: object = 10, price: object = "9.50", warehouse: str = "MAIN") -> PurchaseOrderView:
    return create_purchase_order(shop.uow, shop.purchaser, "ACME", warehouse,
                                 [PurchaseLineIn("RETRO-CLOCK", qty, price)])


def approved_order(shop: Shop, lines: list[PurchaseLineIn] | None = None) -> PurchaseOrderView:
    lines = lines or [PurchaseLineIn("RETRO-CLOCK", 10, "9.50"), PurchaseLineIn("LAMP", 4, "40")]
    draft = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", lines)
    return submit_purchase_order(shop.uow, shop.purchaser, draft.number)


def stock_of(shop: Shop, sku: str, warehouse: str = "MAIN") -> tuple[D, D | None]:
    """On hand and value of one product in one warehouse, as the admin reads them."""
    for product in find_stock(shop.uow, shop.admin, sku):
        for level in product.by_warehouse:
            if product.sku == sku and level.warehouse == warehouse:
                return level.on_hand, level.value
    return D(0), D(0)


def order_id(uow: UnitOfWork, number: str) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == number)))


def test_a_draft_order_is_numbered_and_priced_at_the_purchase_price_by_default(shop: Shop) -> None:
    draft = create_purchase_order(shop.uow, shop.purchaser, "acme", "MAIN", [
        PurchaseLineIn("RETRO-CLOCK", 2, unit="箱"), PurchaseLineIn("TEA-CUP", "7.5", "3.10"),
        PurchaseLineIn("LAMP", 1, "540", unit=None)], note="spring restock")
    assert re.fullmatch(r"PO-\d{4}-000001", draft.number)
    assert (draft.status, draft.supplier_code, draft.warehouse, draft.author) == (
        "draft", "ACME", "MAIN", "purchaser-1")
    assert [(ln.sku, ln.qty, ln.unit_price, ln.amount) for ln in draft.lines] == [
        ("RETRO-CLOCK", D(24), D(10), D(240)), ("TEA-CUP", D("7.5"), D("3.1"), D("23.25")),
        ("LAMP", D(1), D(540), D(540))]
    assert draft.total == D("803.25")
    again = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 1)])
    assert again.number.endswith("000002")
    assert stock_of(shop, "LAMP") == (D(0), D(0))


def test_a_pack_price_is_turned_into_a_price_per_base_unit(shop: Shop) -> None:
    draft = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN",
                                  [PurchaseLineIn("6901234567890", 3, "114", unit="box")])
    assert [(ln.sku, ln.qty, ln.unit_price, ln.amount) for ln in draft.lines] == [
        ("RETRO-CLOCK", D(36), D("9.5"), D(342))]


def test_submitting_without_an_approval_rule_approves_the_order_at_once(shop: Shop) -> None:
    approved = approved_order(shop)
    assert approved.status == "approved"
    assert approved.approved_at is not None
    assert pending_for(shop.uow, shop.manager) == []


def test_an_order_above_the_rule_waits_for_a_manager_who_approves_it(shop: Shop) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", 100, ["manager"])
    pending = approved_order(shop)
    assert pending.status == "pending_approval"
    [request] = pending_for(shop.uow, shop.manager)
    assert (request.number, request.amount) == (pending.number, D("255.00"))
    assert request.summary["supplier_code"] == "ACME"
    assert request.summary["lines"][0]["sku"] == "RETRO-CLOCK"
    with pytest.raises(InvalidState):
        receive_purchase(shop.uow, shop.warehouse, pending.number, [ReceiptLineIn("LAMP", 1)])
    decide(shop.uow, shop.manager, request.request_id, approve=True)
    approved = get_purchase_order(shop.uow, shop.purchaser, pending.number)
    assert approved.status == "approved"
    assert approved.approved_at is not None


def test_a_rejected_order_keeps_the_reason_and_can_no_longer_be_received(shop: Shop) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", 100, ["manager"])
    pending = approved_order(shop)
    [request] = pending_for(shop.uow, shop.manager)
    decide(shop.uow, shop.manager, request.request_id, approve=False, reason="too expensive")
    rejected = get_purchase_order(shop.uow, shop.purchaser, pending.number)
    assert (rejected.status, rejected.reason) == ("rejected", "too expensive")
    with pytest.raises(InvalidState) as refused:
        receive_purchase(shop.uow, shop.warehouse, pending.number, [ReceiptLineIn("LAMP", 1)])
    assert refused.value.params["status"] == "rejected"


def test_cancelling_a_pending_order_withdraws_its_approval_request(shop: Shop) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", 100, ["manager"])
    pending = approved_order(shop)
    cancelled = cancel_purchase_order(shop.uow, shop.purchaser, pending.number, reason="supplier closed")
    assert (cancelled.status, cancelled.reason) == ("cancelled", "supplier closed")
    assert pending_for(shop.uow, shop.manager) == []


def test_the_author_withdraws_a_pending_order_to_a_draft_and_its_approval_request_with_it(shop: Shop) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", 100, ["manager"])
    pending = approved_order(shop)
    with pytest.raises(NotOwnDocument) as refused:
        withdraw_purchase_order(shop.uow, shop.manager, pending.number)
    assert refused.value.params == {"number": pending.number, "action": "withdraw"}
    with pytest.raises(PermissionDenied):
        withdraw_purchase_order(shop.uow, shop.warehouse, pending.number)
    draft = withdraw_purchase_order(shop.uow, shop.purchaser, pending.number, reason="wrong lamp")
    assert (draft.status, draft.reason, draft.approved_at) == ("draft", "wrong lamp", None)
    assert pending_for(shop.uow, shop.manager) == []
    again = submit_purchase_order(shop.uow, shop.purchaser, draft.number)
    assert again.status == "pending_approval"
    [request] = pending_for(shop.uow, shop.manager)
    decide(shop.uow, shop.manager, request.request_id, approve=True)
    assert withdraw_purchase_order(shop.uow, shop.purchaser, draft.number).status == "draft", "approved, nothing in"


def test_an_order_that_goods_reached_cannot_be_withdrawn(shop: Shop) -> None:
    rejected_only = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, rejected_only.number,
                     [ReceiptLineIn("LAMP", 0, rejected=1, note="bent")])
    partly = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, partly.number, [ReceiptLineIn("LAMP", 1)])
    with pytest.raises(InvalidState) as refused:
        withdraw_purchase_order(shop.uow, shop.purchaser, rejected_only.number)
    assert refused.value.params == {"number": rejected_only.number, "status": "approved", "action": "withdraw",
                                    "reason": "goods_arrived"}
    with pytest.raises(InvalidState) as refused:
        withdraw_purchase_order(shop.uow, shop.purchaser, partly.number)
    assert refused.value.params["status"] == "partially_received"
    for number, status in ((rejected_only.number, "approved"), (partly.number, "partially_received")):
        assert get_purchase_order(shop.uow, shop.purchaser, number).status == status


def test_a_draft_is_revised_with_new_lines_and_supplier_and_only_while_a_draft(shop: Shop) -> None:
    draft = clock_order(shop)
    revised = revise_purchase_draft(shop.uow, shop.purchaser, draft.number,
                                    [PurchaseLineIn("LAMP", 2, "41"), PurchaseLineIn("TEA-CUP", 5)], "northwind")
    assert (revised.number, revised.status, revised.supplier_code, revised.total) == (
        draft.number, "draft", "NORTHWIND", D("98.50"))
    assert [(ln.line_no, ln.sku, ln.qty, ln.unit_price) for ln in revised.lines] == [
        (1, "LAMP", D(2), D(41)), (2, "TEA-CUP", D(5), D("3.3"))]
    with pytest.raises(InvalidQuantity):
        revise_purchase_draft(shop.uow, shop.purchaser, draft.number,
                              [PurchaseLineIn("LAMP", 1), PurchaseLineIn("lamp", 2)])
    with pytest.raises(PermissionDenied):
        revise_purchase_draft(shop.uow, shop.warehouse, draft.number, [PurchaseLineIn("LAMP", 1)])
    assert get_purchase_order(shop.uow, shop.purchaser, draft.number).total == D("98.50"), "refusals change nothing"
    submit_purchase_order(shop.uow, shop.purchaser, draft.number)
    with pytest.raises(InvalidState):
        revise_purchase_draft(shop.uow, shop.purchaser, draft.number, [PurchaseLineIn("LAMP", 1)])


def test_partial_receipts_with_rejections_stock_only_what_was_accepted(shop: Shop) -> None:
    order = approved_order(shop)
    first = receive_purchase(shop.uow, shop.warehouse, order.number, [
        ReceiptLineIn("RETRO-CLOCK", 6, rejected=1, note="one cracked face")], note="truck 1")
    assert re.fullmatch(r"GR-\d{4}-000001", first.receipt_number)
    assert first.status == "partially_received"
    [line] = first.lines
    assert (line.received, line.rejected, line.note, line.outstanding, line.on_hand) == (
        D(6), D(1), "one cracked face", D(4), D(6))
    assert first.value is None  # warehouse staff do not see cost
    assert stock_of(shop, "RETRO-CLOCK") == (D(6), D("57.00"))
    assert stock_of(shop, "LAMP") == (D(0), D(0))

    second = receive_purchase(shop.uow, shop.manager, order.number, [
        ReceiptLineIn("retro-clock", 4), ReceiptLineIn("LAMP", 3, rejected=1, note="dented")])
    assert second.status == "partially_received"
    assert second.value == D("158.00")
    assert stock_of(shop, "RETRO-CLOCK") == (D(10), D("95.00"))
    assert stock_of(shop, "LAMP") == (D(3), D("120.00"))

    last = receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 1)])
    assert last.status == "received"
    view = get_purchase_order(shop.uow, shop.purchaser, order.number)
    assert [(ln.sku, ln.received_qty, ln.rejected_qty, ln.outstanding) for ln in view.lines] == [
        ("RETRO-CLOCK", D(10), D(1), D(0)), ("LAMP", D(4), D(1), D(0))]
    assert stock_of(shop, "LAMP") == (D(4), D("160.00"))

    def books(tx: Tx) -> Any:
        receipts = tx.session.execute(
            select(StockDocument.number, StockDocument.kind, StockDocument.source_type, StockDocument.reason)
            .order_by(StockDocument.id)).all()
        moves = tx.session.execute(
            select(StockMove.qty, StockMove.unit_cost, StockMove.value, StockMove.source_line_id)
            .order_by(StockMove.id)).all()
        notes = tx.session.execute(
            select(PurchaseReceiptLine.received, PurchaseReceiptLine.rejected, PurchaseReceiptLine.note)
            .order_by(PurchaseReceiptLine.id)).all()
        return receipts, moves, notes

    receipts, moves, notes = shop.uow.read(books)
    assert [(r.kind, r.source_type) for r in receipts] == [("po_receipt", "purchase_order")] * 3
    assert receipts[0].reason == "truck 1"
    assert [(m.qty, m.unit_cost, m.value) for m in moves] == [
        (D(6), D("9.5"), D(57)), (D(4), D("9.5"), D(38)), (D(3), D(40), D(120)), (D(1), D(40), D(40))]
    assert all(m.source_line_id is not None for m in moves)
    assert notes == [(D(6), D(1), "one cracked face"), (D(4), D(0), ""), (D(3), D(1), "dented"),
                     (D(1), D(0), "")]
    assert shop.uow.read(check_ledger) == []


def test_no_more_can_be_rejected_than_is_still_to_receive_on_the_line(shop: Shop) -> None:
    order = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("RETRO-CLOCK", 6)])
    before = shop.uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(PurchaseReceiptLine)))
    for lines in ([ReceiptLineIn("RETRO-CLOCK", 1, rejected=5, note="bent")],
                  [ReceiptLineIn("RETRO-CLOCK", 0, rejected=3, note="a"), ReceiptLineIn("retro-clock", 0, rejected=2,
                                                                                        note="b")],
                  [ReceiptLineIn("LAMP", 4), ReceiptLineIn("RETRO-CLOCK", 0, rejected="4.0001", note="c")]):
        with pytest.raises(InvalidQuantity) as refused:
            receive_purchase(shop.uow, shop.warehouse, order.number, lines)
        assert refused.value.params["reason"] == "rejected_over_outstanding"
        assert (refused.value.params["sku"], refused.value.params["outstanding"]) == ("RETRO-CLOCK", "4")
    assert shop.uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(PurchaseReceiptLine))) == before
    assert stock_of(shop, "LAMP") == (D(0), D(0))
    done = receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("RETRO-CLOCK", 4, rejected=4,
                                                                                   note="replacements came")])
    assert [(ln.received, ln.rejected, ln.outstanding) for ln in done.lines] == [(D(4), D(4), D(0))]


def test_a_receipt_of_only_rejected_goods_stocks_nothing_and_keeps_the_order_open(shop: Shop) -> None:
    order = approved_order(shop)
    receipt = receive_purchase(shop.uow, shop.warehouse, order.number,
                               [ReceiptLineIn("LAMP", 0, rejected=4, note="all broken")])
    assert receipt.status == "approved"
    assert receipt.lines[0].rejected == D(4)
    assert stock_of(shop, "LAMP") == (D(0), D(0))
    assert cancel_purchase_order(shop.uow, shop.purchaser, order.number).status == "cancelled"


def test_an_over_receipt_by_warehouse_staff_is_refused_and_managers_are_told(shop: Shop) -> None:
    order = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("RETRO-CLOCK", 5)])
    within = receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", "4.2")])
    assert within.lines[0].received_qty == D("4.2")  # 5% over 4 is allowed

    def counts(tx: Tx) -> tuple[int, int, int]:
        return (tx.session.scalar(select(func.count(StockDocument.id))) or 0,
                tx.session.scalar(select(func.count(StockMove.id))) or 0,
                tx.session.scalar(select(func.count(PurchaseReceiptLine.id))) or 0)

    before = shop.uow.read(counts)
    with pytest.raises(OverReceipt) as refused:
        receive_purchase(shop.uow, shop.warehouse, order.number, [
            ReceiptLineIn("LAMP", 1), ReceiptLineIn("RETRO-CLOCK", 6)])
    assert refused.value.code == "over_receipt"
    over = [(ln["sku"], ln["ordered"], ln["received_before"], ln["receiving"], ln["limit"])
            for ln in refused.value.params["lines"]]
    assert over == [("RETRO-CLOCK", D(10), D(5), D(6), D("10.5")), ("LAMP", D(4), D("4.2"), D(1), D("4.2"))]
    assert shop.uow.read(counts) == before
    view = get_purchase_order(shop.uow, shop.purchaser, order.number)
    assert [ln.received_qty for ln in view.lines] == [D(5), D("4.2")]
    assert stock_of(shop, "RETRO-CLOCK") == (D(5), D("47.50"))
    notes = shop.uow.read(lambda tx: tx.session.execute(
        select(Notification.event_type, Notification.recipient_id, Notification.payload)).all())
    assert [(n.event_type, n.recipient_id) for n in notes] == [
        ("over_receipt_needs_manager", shop.manager.employee_id)]
    assert notes[0].payload["number"] == order.number
    assert notes[0].payload["by"] == "warehouse-1"

    allowed = receive_purchase(shop.uow, shop.manager, order.number, [ReceiptLineIn("RETRO-CLOCK", 6)])
    assert allowed.status == "received"
    assert stock_of(shop, "RETRO-CLOCK") == (D(11), D("104.50"))


def test_the_over_receipt_tolerance_is_a_parameter(shop: Shop) -> None:
    order = approved_order(shop)
    with pytest.raises(OverReceipt):
        receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", "4.1")],
                         tolerance_percent=0)
    assert receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 6)],
                            tolerance_percent=50).lines[0].received_qty == D(6)


def test_cancelling_after_the_first_receipt_is_refused(shop: Shop) -> None:
    order = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 1)])
    with pytest.raises(InvalidState) as refused:
        cancel_purchase_order(shop.uow, shop.purchaser, order.number)
    assert refused.value.params == {"number": order.number, "status": "partially_received", "action": "cancel"}
    closed = close_purchase_order(shop.uow, shop.purchaser, order.number, reason="rest discontinued")
    assert (closed.status, closed.reason) == ("closed", "rest discontinued")
    with pytest.raises(InvalidState):
        receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 1)])
    assert stock_of(shop, "LAMP") == (D(1), D("40.00"))


def test_returns_take_value_out_at_the_order_price_and_never_exceed_what_was_received(shop: Shop) -> None:
    order = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 4)])
    # a later receipt at another price moves the average away from the order's price
    other = create_purchase_order(shop.uow, shop.purchaser, "NORTHWIND", "MAIN", [PurchaseLineIn("LAMP", 4, "50")])
    submit_purchase_order(shop.uow, shop.purchaser, other.number)
    receive_purchase(shop.uow, shop.warehouse, other.number, [ReceiptLineIn("LAMP", 4)])
    assert stock_of(shop, "LAMP") == (D(8), D("360.00"))

    with pytest.raises(OverReturn) as refused:
        return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 5)], reason="faulty")
    assert (refused.value.params["returnable"], refused.value.params["requested"]) == (D(4), D(5))
    returned = return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 3)],
                                  reason="faulty switch")
    assert re.fullmatch(r"PR-\d{4}-000001", returned.return_number)
    assert [(ln.qty, ln.value, ln.returned_qty, ln.on_hand) for ln in returned.lines] == [
        (D(3), D("-120.00"), D(3), D(5))]
    assert stock_of(shop, "LAMP") == (D(5), D("240.00"))
    with pytest.raises(OverReturn):
        return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 2)], reason="faulty")
    with pytest.raises(OverReturn):
        return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("RETRO-CLOCK", 1)], reason="x")

    payable = shop.uow.read(lambda tx: tx.session.scalar(
        select(func.sum(StockMove.value)).join(StockDocument, StockDocument.id == StockMove.document_id)
        .where(StockDocument.source_type == "purchase_order", StockDocument.source_id == order_id(
            shop.uow, order.number))))
    assert payable == D("40.00")
    assert get_purchase_order(shop.uow, shop.purchaser, order.number).lines[1].returned_qty == D(3)
    assert shop.uow.read(check_ledger) == []


def test_a_return_of_goods_already_sold_is_refused_by_the_stock_rules(shop: Shop) -> None:
    from core.stock.moves import LineIn, issue_stock

    order = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 4)])
    issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("LAMP", 3)])
    with pytest.raises(OutOfStock):
        return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 2)], reason="faulty")
    returned = return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 1)],
                                  reason="faulty")
    assert returned.lines[0].value == D("-40.00")
    assert stock_of(shop, "LAMP") == (D(0), D("0.00"))


def test_a_return_needs_a_reason(shop: Shop) -> None:
    order = approved_order(shop)
    with pytest.raises(DomainError) as refused:
        return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 1)], reason=" ")
    assert refused.value.code == "reason_required"


# Every action from every status

ACTIONS = ("submit", "approve", "cancel", "receive", "close", "return", "withdraw", "revise")
ALLOWED = {
    "draft": {"submit", "cancel", "revise"},
    "pending_approval": {"approve", "cancel", "withdraw"},
    "approved": {"cancel", "receive", "withdraw"},
    "partially_received": {"receive", "close", "return"},
    "received": {"close", "return"},
    "closed": {"return"},
    "cancelled": set(),
    "rejected": set(),
}
RESULT = {"submit": "approved", "approve": "approved", "cancel": "cancelled", "close": "closed", "withdraw": "draft",
          "revise": "draft"}


def order_in(shop: Shop, status: str) -> str:
    """A purchase order (10 clocks) brought to `status` through the services."""
    big = status in ("pending_approval", "rejected")
    number = clock_order(shop, price="200" if big else "9.50").number
    if status == "draft":
        return number
    if status == "cancelled":
        cancel_purchase_order(shop.uow, shop.purchaser, number)
        return number
    submit_purchase_order(shop.uow, shop.purchaser, number)
    if status == "rejected":
        [request] = [p for p in pending_for(shop.uow, shop.manager) if p.number == number]
        decide(shop.uow, shop.manager, request.request_id, approve=False, reason="no budget")
    if status in ("partially_received", "closed"):
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("RETRO-CLOCK", 4)])
    if status == "received":
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("RETRO-CLOCK", 10)])
    if status == "closed":
        close_purchase_order(shop.uow, shop.purchaser, number)
    return number


def act(shop: Shop, action: str, number: str) -> str:
    """Do `action` to the order; the order's status afterwards."""
    uow, purchaser, manager = shop.uow, shop.purchaser, shop.manager
    if action == "submit":
        return submit_purchase_order(uow, purchaser, number).status
    if action == "approve":
        doc_id = order_id(uow, number)
        uow.run(lambda tx: on_approved(tx, manager, doc_id))
    if action == "cancel":
        return cancel_purchase_order(uow, purchaser, number).status
    if action == "receive":
        return receive_purchase(uow, shop.warehouse, number, [ReceiptLineIn("RETRO-CLOCK", 1)]).status
    if action == "close":
        return close_purchase_order(uow, purchaser, number).status
    if action == "return":
        return_to_supplier(uow, purchaser, number, [ReturnLineIn("RETRO-CLOCK", 1)], reason="check")
    if action == "withdraw":
        return withdraw_purchase_order(uow, purchaser, number).status
    if action == "revise":
        return revise_purchase_draft(uow, purchaser, number, [PurchaseLineIn("RETRO-CLOCK", 10, "9.50")]).status
    return get_purchase_order(uow, purchaser, number).status


@pytest.mark.parametrize("status", list(ALLOWED))
def test_every_action_from_every_status_is_allowed_or_refused_with_invalid_state(shop: Shop, status: str) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", 1000, ["manager"])
    for action in ACTIONS:
        number = order_in(shop, status)
        assert get_purchase_order(shop.uow, shop.purchaser, number).status == status
        if action in ALLOWED[status]:
            after = act(shop, action, number)
            expected = RESULT.get(action, {"receive": "partially_received"}.get(action, status))
            assert after == expected, (status, action)
        else:
            with pytest.raises(InvalidState) as refused:
                act(shop, action, number)
            assert refused.value.code == "invalid_state"
            assert refused.value.params["status"] == status, (status, action)
            assert get_purchase_order(shop.uow, shop.purchaser, number).status == status
    assert shop.uow.read(check_ledger) == []


# Who may do what


def test_warehouse_staff_receive_and_read_only_in_their_warehouses_and_never_see_prices(shop: Shop) -> None:
    main = approved_order(shop)
    north = clock_order(shop, warehouse="NORTH")
    submit_purchase_order(shop.uow, shop.purchaser, north.number)
    with pytest.raises(PermissionDenied):
        receive_purchase(shop.uow, shop.warehouse, north.number, [ReceiptLineIn("RETRO-CLOCK", 1)])
    with pytest.raises(PermissionDenied):
        get_purchase_order(shop.uow, shop.warehouse, north.number)
    assert [o.number for o in list_purchase_orders(shop.uow, shop.warehouse)] == [main.number]
    seen = get_purchase_order(shop.uow, shop.warehouse, main.number)
    assert (seen.total, seen.lines[0].unit_price, seen.lines[0].amount) == (None, None, None)
    assert get_purchase_order(shop.uow, shop.finance, north.number).total == D("95.00")
    assert [o.number for o in list_purchase_orders(shop.uow, shop.finance)] == [north.number, main.number]


def test_only_purchasers_and_managers_create_and_sales_staff_do_not_see_purchases(shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        create_purchase_order(shop.uow, shop.warehouse, "ACME", "MAIN", [PurchaseLineIn("LAMP", 1)])
    with pytest.raises(PermissionDenied):
        create_purchase_order(shop.uow, shop.finance, "ACME", "MAIN", [PurchaseLineIn("LAMP", 1)])
    order = approved_order(shop)
    with pytest.raises(PermissionDenied):
        get_purchase_order(shop.uow, shop.sales, order.number)
    with pytest.raises(PermissionDenied):
        receive_purchase(shop.uow, shop.purchaser, order.number, [ReceiptLineIn("LAMP", 1)])
    with pytest.raises(PermissionDenied):
        return_to_supplier(shop.uow, shop.warehouse, order.number, [ReturnLineIn("LAMP", 1)], reason="x")


def test_lists_are_newest_first_filtered_and_paginated(shop: Shop) -> None:
    numbers = [clock_order(shop, qty=n + 1).number for n in range(23)]
    submit_purchase_order(shop.uow, shop.purchaser, numbers[0])
    create_purchase_order(shop.uow, shop.purchaser, "NORTHWIND", "MAIN", [PurchaseLineIn("LAMP", 1)])
    first = list_purchase_orders(shop.uow, shop.purchaser, supplier="ACME")
    second = list_purchase_orders(shop.uow, shop.purchaser, supplier="ACME", page=2)
    assert [o.number for o in first + second] == numbers[::-1]
    assert len(first) == 20
    assert [o.number for o in list_purchase_orders(shop.uow, shop.purchaser, status="approved")] == [numbers[0]]
    assert [o.supplier_code for o in list_purchase_orders(shop.uow, shop.purchaser, supplier="NORTHWIND")] == [
        "NORTHWIND"]
    both = list_purchase_orders(shop.uow, shop.purchaser, status=("approved", "draft"), page_size=3)
    assert [(o.number, o.status, o.line_count) for o in both][1:] == [(numbers[-1], "draft", 1),
                                                                      (numbers[-2], "draft", 1)]
    assert len(list_purchase_orders(shop.uow, shop.purchaser, status=("approved", "draft"), page=9, page_size=3)) == 0
    with pytest.raises(InvalidFilter):
        list_purchase_orders(shop.uow, shop.purchaser, status=("approved", "nonsense"))


def test_every_change_to_an_order_is_audited(shop: Shop) -> None:
    order = approved_order(shop)
    receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 4)])
    return_to_supplier(shop.uow, shop.purchaser, order.number, [ReturnLineIn("LAMP", 1)], reason="bent")
    close_purchase_order(shop.uow, shop.manager, order.number)
    doc_id = order_id(shop.uow, order.number)
    rows = shop.uow.read(lambda tx: tx.session.execute(
        select(AuditLog.action, AuditLog.employee_id).where(AuditLog.entity == "purchase_order",
                                                            AuditLog.entity_id == doc_id)
        .order_by(AuditLog.id)).all())
    assert [tuple(r) for r in rows] == [
        ("purchase.create", shop.purchaser.employee_id), ("purchase.submit", shop.purchaser.employee_id),
        ("purchase.receive", shop.warehouse.employee_id), ("purchase.return", shop.purchaser.employee_id),
        ("purchase.close", shop.manager.employee_id)]


# Statements per document


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for_life(shop: Shop, engine: Engine, skus: list[str]) -> list[int]:
    """Statements run by create, revise, submit, receive (all but one unit each, rejecting one) and return."""
    steps: list[Callable[[str], object]] = [
        lambda n: revise_purchase_draft(shop.uow, shop.purchaser, n, [PurchaseLineIn(s, 3, "2.5") for s in skus],
                                        supplier="NORTHWIND"),
        lambda n: submit_purchase_order(shop.uow, shop.purchaser, n),
        lambda n: receive_purchase(shop.uow, shop.warehouse, n,
                                   [ReceiptLineIn(s, 2, rejected=1, note="bent") for s in skus]),
        lambda n: return_to_supplier(shop.uow, shop.purchaser, n, [ReturnLineIn(s, 1) for s in skus],
                                     reason="faulty"),
        lambda n: get_purchase_order(shop.uow, shop.purchaser, n),
    ]
    with counting(engine) as statements:
        number = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN",
                                       [PurchaseLineIn(s, 3, "2.5") for s in skus]).number
    counts = [len(statements)]
    for step in steps:
        with counting(engine) as statements:
            step(number)
        counts.append(len(statements))
    return counts


def test_a_document_takes_the_same_number_of_statements_whatever_its_line_count(
    shop: Shop, engine: Engine
) -> None:
    skus = [f"PART-{n:03d}" for n in range(40)]
    for sku in skus:
        create_product(shop.uow, shop.admin, NewProduct(sku, f"零件 {sku}", purchase_price="2"))
    assert statements_for_life(shop, engine, skus[:1]) == statements_for_life(shop, engine, skus)
    assert stock_of(shop, "PART-039") == (D(1), D("2.50"))


def test_an_order_needing_two_levels_is_approved_only_after_the_owner(shop: Shop) -> None:
    set_rule(shop.uow, shop.admin, "purchase_order", 100, ["manager", "admin"])
    pending = approved_order(shop)
    [request] = pending_for(shop.uow, shop.manager)
    decide(shop.uow, shop.manager, request.request_id, approve=True)
    assert get_purchase_order(shop.uow, shop.purchaser, pending.number).status == "pending_approval"
    decide(shop.uow, shop.admin, request.request_id, approve=True)
    assert get_purchase_order(shop.uow, shop.purchaser, pending.number).status == "approved"


def test_two_workers_receiving_the_whole_order_at_once_stock_it_only_once(shop: Shop) -> None:
    order = approved_order(shop)
    start = threading.Barrier(4)

    def deliver(_: int) -> str:
        start.wait(timeout=30)
        try:
            return receive_purchase(shop.uow, shop.warehouse, order.number, [ReceiptLineIn("LAMP", 4)]).status
        except OverReceipt as refused:
            return refused.code

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(deliver, range(4)))
    assert outcomes == ["over_receipt"] * 3 + ["partially_received"]
    assert stock_of(shop, "LAMP") == (D(4), D("160.00"))
    assert shop.uow.read(check_ledger) == []
