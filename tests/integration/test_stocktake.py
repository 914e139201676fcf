"""Stocktakes on each database: snapshot, counting, variances with value, approval above a threshold, posting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from core.approvals.decisions import decide
from core.catalog.products import NewProduct, create_category, create_product
from core.errors import DomainError, EmptyDocument, InvalidQuantity, InvalidState, PermissionDenied
from core.ledger.check import check_ledger
from core.models import ApprovalRequest, StockDocument, StockMove
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.stock.levels import find_stock
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.stock.stocktake import (
    cancel_stocktake,
    count_item,
    start_stocktake,
    stocktake_variances,
    submit_stocktake,
)
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


def stocked_shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """MAIN holds 20 clocks at 10, 100 cups at 3.30 and 4 lamps at 45."""
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10"), LineIn("TEA-CUP", 100, "3.30"),
                                       LineIn("LAMP", 4, "45")])
    return shop


def on_hand(uow: UnitOfWork, actor: Actor, sku: str, warehouse: str = "MAIN") -> D:
    stock = find_stock(uow, actor, sku)[0]
    return next((w.on_hand for w in stock.by_warehouse if w.warehouse == warehouse), D(0))


def test_counts_by_sku_and_barcode_show_variances_and_small_ones_post_at_once(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    assert (sheet.status, sheet.lines) == ("counting", 3)
    count_item(uow, shop.warehouse, sheet.number, "6901234567890", 19)
    first = count_item(uow, shop.warehouse, sheet.number, "tea-cup", 90)
    recount = count_item(uow, shop.warehouse, sheet.number, "TEA-CUP", 97)
    assert (first.recount, recount.recount, recount.counted) == (False, True, D(97))

    seen_by_counter = stocktake_variances(uow, shop.warehouse, sheet.number)
    assert [(ln.sku, ln.expected, ln.counted, ln.variance, ln.value) for ln in seen_by_counter.lines] == [
        ("LAMP", D(4), None, D(0), None),
        ("RETRO-CLOCK", D(20), D(19), D(-1), None),
        ("TEA-CUP", D(100), D(97), D(-3), None)]
    seen_by_manager = stocktake_variances(uow, shop.manager, sheet.number)
    # -1 clock at 10.00 and -3 cups at 3.30 = -9.90; the lamp was not counted and stays as it is
    assert [ln.value for ln in seen_by_manager.lines] == [D("0.00"), D("-10.00"), D("-9.90")]
    assert (seen_by_manager.loss_value, seen_by_manager.gain_value, seen_by_manager.uncounted_lines) == (
        D("-19.90"), D(0), 1)

    outcome = submit_stocktake(uow, shop.warehouse, sheet.number)
    assert outcome.status == "posted" and outcome.document_number is not None
    assert outcome.document_number.startswith("ST-")
    assert outcome.variance_value is None  # the counter may not see cost
    assert [on_hand(uow, admin, s) for s in ("RETRO-CLOCK", "TEA-CUP", "LAMP")] == [D(19), D(97), D(4)]
    moves = uow.read(lambda tx: tx.session.execute(
        select(StockMove.line_no, StockMove.qty, StockMove.value).join(StockDocument)
        .where(StockDocument.number == outcome.document_number).order_by(StockMove.line_no)).all())
    assert [tuple(m) for m in moves] == [(2, D(-1), D("-10.00")), (3, D(-3), D("-9.90"))]
    assert uow.read(check_ledger) == []


def test_moves_after_the_count_are_kept_when_the_adjustment_posts(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    count_item(uow, shop.warehouse, sheet.number, "RETRO-CLOCK", 18)
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 5)])
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 1, "10")])
    submit_stocktake(uow, shop.warehouse, sheet.number)
    # counted 18 of a book 20: -2; then 5 out and 1 in since the count: 18 - 5 + 1 = 14
    assert on_hand(uow, admin, "RETRO-CLOCK") == D(14)
    assert uow.read(check_ledger) == []


def test_a_count_after_moves_compares_with_the_book_at_count_time(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 1)])
    count_item(uow, shop.warehouse, sheet.number, "LAMP", 3)
    report = stocktake_variances(uow, shop.manager, sheet.number)
    lamp = next(ln for ln in report.lines if ln.sku == "LAMP")
    assert (lamp.expected, lamp.book, lamp.counted, lamp.variance) == (D(4), D(3), D(3), D(0))
    submit_stocktake(uow, shop.warehouse, sheet.number)
    assert on_hand(uow, admin, "LAMP") == D(3)


def test_a_large_variance_waits_for_a_manager_and_posts_on_approval(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    count_item(uow, shop.warehouse, sheet.number, "LAMP", 30)
    # +26 lamps at the average 45.00 = 1170.00 > 1000
    outcome = submit_stocktake(uow, shop.warehouse, sheet.number)
    assert (outcome.status, outcome.document_number) == ("pending_approval", None)
    assert outcome.approval_request_id is not None
    assert on_hand(uow, admin, "LAMP") == D(4)
    request = uow.read(lambda tx: tx.session.execute(
        select(ApprovalRequest.doc_type, ApprovalRequest.number, ApprovalRequest.amount)
        .where(ApprovalRequest.id == outcome.approval_request_id)).one())
    assert tuple(request) == ("stocktake", sheet.number, D("1170.00"))
    with pytest.raises(InvalidState):
        count_item(uow, shop.warehouse, sheet.number, "LAMP", 4)

    decide(uow, shop.manager, outcome.approval_request_id, approve=True)
    assert on_hand(uow, admin, "LAMP") == D(30)
    assert stocktake_variances(uow, shop.manager, sheet.number).status == "posted"
    with pytest.raises(InvalidState) as again:
        submit_stocktake(uow, shop.warehouse, sheet.number)
    assert again.value.code == "invalid_state" and again.value.params["status"] == "posted"
    assert uow.read(check_ledger) == []


def test_a_rejected_stocktake_posts_nothing_and_is_closed(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    count_item(uow, shop.warehouse, sheet.number, "TEA-CUP", 0)
    outcome = submit_stocktake(uow, shop.warehouse, sheet.number, threshold="100")
    assert outcome.status == "pending_approval" and outcome.approval_request_id is not None
    decide(uow, shop.manager, outcome.approval_request_id, approve=False, reason="count again tomorrow")
    assert stocktake_variances(uow, shop.manager, sheet.number).status == "rejected"
    assert on_hand(uow, admin, "TEA-CUP") == D(100)
    with pytest.raises(InvalidState):
        cancel_stocktake(uow, shop.warehouse, sheet.number, reason="too late")
    assert start_stocktake(uow, shop.warehouse, "MAIN").status == "counting"


def test_cancelling_a_pending_stocktake_withdraws_its_approval_request(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    count_item(uow, shop.warehouse, sheet.number, "LAMP", 100)
    outcome = submit_stocktake(uow, shop.warehouse, sheet.number)
    cancel_stocktake(uow, shop.warehouse, sheet.number, reason="wrong shelf")
    status = uow.read(lambda tx: tx.session.scalar(
        select(ApprovalRequest.status).where(ApprovalRequest.id == outcome.approval_request_id)))
    assert status == "cancelled"
    with pytest.raises(DomainError):
        decide(uow, shop.manager, outcome.approval_request_id or 0, approve=True)
    assert on_hand(uow, admin, "LAMP") == D(4)


def test_a_category_sheet_covers_only_that_category_and_takes_found_goods(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_category(uow, admin, "KITCHEN", "厨房")
    create_category(uow, admin, "CUPS", "杯子", parent="KITCHEN")
    create_product(uow, admin, NewProduct("MUG", "马克杯", "Mug", category="CUPS", purchase_price="6"))
    create_product(uow, admin, NewProduct("PAN", "平底锅", "Pan", category="KITCHEN", purchase_price="30"))
    receive_stock(uow, admin, "MAIN", [LineIn("PAN", 2, "28"), LineIn("LAMP", 5, "45")])
    sheet = start_stocktake(uow, shop.warehouse, "MAIN", "kitchen")
    assert sheet.lines == 1
    with pytest.raises(InvalidQuantity) as outside:
        count_item(uow, shop.warehouse, sheet.number, "LAMP", 5)
    assert outside.value.params["reason"] == "not_in_stocktake_scope"
    count_item(uow, shop.warehouse, sheet.number, "MUG", 3)
    count_item(uow, shop.warehouse, sheet.number, "PAN", 2)
    report = stocktake_variances(uow, shop.manager, sheet.number)
    # 3 mugs never stocked here enter at the purchase price 6.00
    assert [(ln.sku, ln.expected, ln.variance, ln.value) for ln in report.lines] == [
        ("PAN", D(2), D(0), D("0.00")), ("MUG", D(0), D(3), D("18.00"))]
    with pytest.raises(InvalidState) as overlap:
        start_stocktake(uow, shop.warehouse, "MAIN")
    assert overlap.value.params["reason"] == "stocktake_open"
    submit_stocktake(uow, shop.warehouse, sheet.number)
    mug = find_stock(uow, admin, "MUG")[0].by_warehouse[0]
    assert (mug.on_hand, mug.value) == (D(3), D("18.00"))
    assert uow.read(check_ledger) == []


def test_uncounted_products_can_be_treated_as_gone(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    sheet = start_stocktake(uow, shop.manager, "MAIN", uncounted="zero")
    count_item(uow, shop.manager, sheet.number, "RETRO-CLOCK", 20)
    count_item(uow, shop.manager, sheet.number, "LAMP", 4)
    report = stocktake_variances(uow, shop.manager, sheet.number)
    # 100 uncounted cups at 3.30 are written off: 330.00
    assert report.loss_value == D("-330.00")
    assert (report.uncounted_lines, report.uncounted_policy) == (1, "zero"), "what a confirmation tells the counter"
    kept = start_stocktake(uow, shop.manager, "NORTH")
    assert stocktake_variances(uow, shop.manager, kept.number).uncounted_policy == "unchanged"
    submit_stocktake(uow, shop.manager, sheet.number)
    assert on_hand(uow, admin, "TEA-CUP") == D(0)
    assert uow.read(check_ledger) == []


def test_illegal_steps_are_refused_with_their_codes(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    with pytest.raises(PermissionDenied):
        start_stocktake(uow, shop.warehouse, "NORTH")
    with pytest.raises(PermissionDenied):
        start_stocktake(uow, shop.sales, "MAIN")
    sheet = start_stocktake(uow, shop.warehouse, "MAIN")
    with pytest.raises(EmptyDocument) as empty:
        submit_stocktake(uow, shop.warehouse, sheet.number)
    assert empty.value.code == "empty_document"
    with pytest.raises(InvalidQuantity) as negative:
        count_item(uow, shop.warehouse, sheet.number, "LAMP", -1)
    assert negative.value.code == "invalid_quantity"
    create_employee(uow, admin, "north-1", ["warehouse"], warehouses=["NORTH"])
    with pytest.raises(PermissionDenied) as elsewhere:
        count_item(uow, load_actor(uow, "north-1"), sheet.number, "LAMP", 4)
    assert elsewhere.value.code == "permission_denied"
    count_item(uow, shop.warehouse, sheet.number, "LAMP", 4)
    cancelled = cancel_stocktake(uow, shop.warehouse, sheet.number, reason="started by mistake")
    assert cancelled.status == "cancelled"
    for step in (lambda: count_item(uow, shop.warehouse, sheet.number, "LAMP", 4),
                 lambda: submit_stocktake(uow, shop.warehouse, sheet.number),
                 lambda: cancel_stocktake(uow, shop.warehouse, sheet.number, reason="again")):
        with pytest.raises(InvalidState) as refused:
            step()
        assert refused.value.params["status"] == "cancelled"
    with pytest.raises(DomainError) as unknown:
        count_item(uow, shop.warehouse, "SC-2026-999999", "LAMP", 1)
    assert unknown.value.code == "unknown_document"


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


def test_statements_per_stocktake_do_not_grow_with_its_lines(engine: Engine, uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    for n in range(25):
        create_product(uow, admin, NewProduct(f"BOLT-{n:02d}", f"螺栓{n}", purchase_price="1"))
    used: list[int] = []
    for size, warehouse in ((3, "MAIN"), (25, "NORTH")):
        receive_stock(uow, admin, warehouse, [LineIn(f"BOLT-{n:02d}", 10, "1") for n in range(size)])
        with counting(engine) as statements:
            sheet = start_stocktake(uow, shop.manager, warehouse, uncounted="zero").number
            count_item(uow, shop.manager, sheet, "BOLT-00", 9)
            submit_stocktake(uow, shop.manager, sheet)
        used.append(len(statements))
    assert used[0] == used[1]
    assert uow.read(check_ledger) == []
    # every other bolt was written off: the posting carried 3 and 25 lines
    assert [w.on_hand for w in find_stock(uow, admin, "BOLT-24")[0].by_warehouse] == [D(0)]
