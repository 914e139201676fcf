"""Undo in the books: a reversing document mirrors the author's recent posting, or is refused with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, func, select

from core.errors import AlreadyReversed, NotOwnDocument, NotReversible, UndoStockUsed, UndoWindowPassed
from core.ledger.check import check_ledger
from core.models import StockDocument, StockLevel, StockMove
from core.money.statements import partner_balance
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.stock.moves import LineIn, adjust_stock, dispatch_transfer, issue_stock, receive_stock, reserve_stock
from core.stock.reversal import last_posting, reverse_document, undo_preview
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def level(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> tuple[D, D, D]:
    """On hand, value and average cost of one product in one warehouse."""
    from core.models import Product, Warehouse

    def work(tx: Tx) -> tuple[D, D, D]:
        row = tx.session.execute(
            select(StockLevel.on_hand, StockLevel.value, StockLevel.avg_cost)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.sku == sku, Warehouse.code == warehouse)).one()
        return row.on_hand, row.value, row.avg_cost

    return uow.read(work)


def counts(uow: UnitOfWork) -> tuple[int, int]:
    return uow.read(lambda tx: (tx.session.scalar(select(func.count()).select_from(StockDocument)) or 0,
                                tx.session.scalar(select(func.count()).select_from(StockMove)) or 0))


def later(minutes: int) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + timedelta(minutes=minutes)


def test_a_receipt_undone_leaves_the_books_as_before(uow: UnitOfWork, shop: Shop) -> None:
    earlier = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 5, "20")])
    before = level(uow, "RETRO-CLOCK")
    posted = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 10, "9.5"), LineIn("LAMP", 2, "40")])
    assert last_posting(uow, shop.warehouse) == posted.number
    undone = reverse_document(uow, shop.warehouse, posted.number)
    assert undone.number.startswith("RV-") and undone.original == posted.number
    assert [(ln.sku, ln.qty, ln.value) for ln in undone.lines] == [
        ("RETRO-CLOCK", D(-10), None), ("LAMP", D(-2), None)], "warehouse staff never see cost"
    assert level(uow, "RETRO-CLOCK") == before
    assert level(uow, "LAMP")[:2] == (D(0), D(0))
    moves = uow.read(lambda tx: tx.session.execute(
        select(StockMove.value).join(StockDocument, StockDocument.id == StockMove.document_id)
        .where(StockDocument.number.in_([posted.number, undone.number])).order_by(StockMove.id)).scalars().all())
    assert moves[2:] == [-v for v in moves[:2]] == [D("-95.00"), D("-80.00")]
    reversal = uow.read(lambda tx: tx.session.execute(select(StockDocument.kind, StockDocument.source_type)
                                                      .where(StockDocument.number == undone.number)).one())
    assert tuple(reversal) == ("reversal", "stock_document")
    assert last_posting(uow, shop.warehouse) == earlier.number, "undo again takes back the one before"
    assert uow.read(check_ledger) == []


def test_an_issue_and_an_adjustment_are_undone_at_exactly_their_values(uow: UnitOfWork, shop: Shop) -> None:
    receive_stock(uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 3, "3"), LineIn("TEA-CUP", 4, "4")])
    issued = issue_stock(uow, shop.manager, "MAIN", [LineIn("TEA-CUP", 2)])
    undone = reverse_document(uow, shop.manager, issued.number)
    assert undone.lines[0].qty == D(2) and undone.lines[0].value == -issued.lines[0].value
    assert level(uow, "TEA-CUP") == (D(7), D("25.00"), D("3.571429"))
    adjusted = adjust_stock(uow, shop.warehouse, "MAIN", [LineIn("TEA-CUP", -1)], "broken")
    reverse_document(uow, shop.warehouse, adjusted.number.lower())
    assert level(uow, "TEA-CUP")[:2] == (D(7), D("25.00"))
    assert uow.read(check_ledger) == []


def test_undo_is_refused_after_the_window_for_others_twice_and_for_transfers(
    engine: Engine, uow: UnitOfWork, shop: Shop
) -> None:
    mine = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("LAMP", 4, "45")])
    with pytest.raises(NotOwnDocument):
        reverse_document(uow, shop.manager, mine.number)
    with pytest.raises(UndoWindowPassed) as late:
        reverse_document(UnitOfWork(engine, clock=later(11)), shop.warehouse, mine.number)
    assert late.value.params == {"number": mine.number, "minutes": 10}
    assert last_posting(UnitOfWork(engine, clock=later(11)), shop.warehouse) is None
    receive_stock(uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5)])
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("TEA-CUP", 1)])
    with pytest.raises(NotReversible):
        undo_preview(uow, shop.warehouse, sent.number)
    before = counts(uow)
    reverse_document(uow, shop.warehouse, mine.number, window=timedelta(minutes=30))
    with pytest.raises(AlreadyReversed) as twice:
        reverse_document(uow, shop.warehouse, mine.number)
    assert twice.value.params["reversal"].startswith("RV-")
    assert counts(uow)[0] == before[0] + 1
    assert uow.read(check_ledger) == []


def test_a_receipt_whose_goods_were_issued_cannot_be_undone(uow: UnitOfWork, shop: Shop) -> None:
    posted = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 10, "10")])
    issue_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 4)])
    before, books = counts(uow), level(uow, "RETRO-CLOCK")
    with pytest.raises(UndoStockUsed) as refused:
        reverse_document(uow, shop.warehouse, posted.number)
    assert refused.value.params["item"] == "RETRO-CLOCK"
    assert refused.value.params["available"] == D(6) and refused.value.params["requested"] == D(10)
    assert counts(uow) == before and level(uow, "RETRO-CLOCK") == books
    assert uow.read(check_ledger) == []


def test_a_receipt_is_refused_when_undoing_it_would_leave_value_without_goods(uow: UnitOfWork, shop: Shop) -> None:
    receive_stock(uow, shop.admin, "MAIN", [LineIn("LAMP", 10, "10")])
    dear = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("LAMP", 10, "20")])
    issue_stock(uow, shop.admin, "MAIN", [LineIn("LAMP", 10)])
    with pytest.raises(UndoStockUsed) as refused:
        reverse_document(uow, shop.warehouse, dear.number)
    assert refused.value.params["reason"] == "value"
    assert uow.read(check_ledger) == []


def test_a_purchase_receipt_undone_gives_the_order_its_quantities_and_status_back(
    uow: UnitOfWork, shop: Shop
) -> None:
    create_supplier(uow, shop.admin, NewSupplier("ACME", "Acme 贸易"))
    order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN",
                                  [PurchaseLineIn("RETRO-CLOCK", 10, "9.5"), PurchaseLineIn("LAMP", 2, "40")])
    submit_purchase_order(uow, shop.purchaser, order.number)
    first = receive_purchase(uow, shop.warehouse, order.number, [ReceiptLineIn("RETRO-CLOCK", 4)])
    second = receive_purchase(uow, shop.warehouse, order.number,
                              [ReceiptLineIn("RETRO-CLOCK", 6, 1, "dented"), ReceiptLineIn("LAMP", 2)])
    assert second.status == "received"
    undone = reverse_document(uow, shop.warehouse, second.receipt_number)
    assert (undone.order_number, undone.order_status) == (order.number, "partially_received")
    view = get_purchase_order(uow, shop.purchaser, order.number)
    assert [(ln.sku, ln.received_qty, ln.rejected_qty) for ln in view.lines] == [
        ("RETRO-CLOCK", D(4), D(0)), ("LAMP", D(0), D(0))]
    assert level(uow, "RETRO-CLOCK") == (D(4), D("38.00"), D("9.5"))
    assert partner_balance(uow, shop.admin, "supplier", "ACME").billed == D("38.00")
    reverse_document(uow, shop.warehouse, first.receipt_number)
    assert get_purchase_order(uow, shop.purchaser, order.number).status == "approved"
    assert partner_balance(uow, shop.admin, "supplier", "ACME").billed == D("0.00")
    again = receive_purchase(uow, shop.warehouse, order.number, [ReceiptLineIn("RETRO-CLOCK", 10)])
    assert again.status == "partially_received"
    assert uow.read(check_ledger) == []


def test_reservations_are_not_what_undo_offers(uow: UnitOfWork, shop: Shop) -> None:
    posted = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("TEA-CUP", 9)])
    reserve_stock(uow, shop.warehouse, "MAIN", [LineIn("TEA-CUP", 2)])
    assert last_posting(uow, shop.warehouse) == posted.number
    with pytest.raises(UndoStockUsed):
        reverse_document(uow, shop.warehouse, posted.number)


def test_a_refused_undo_inside_a_chat_update_leaves_no_document_behind(uow: UnitOfWork, shop: Shop) -> None:
    posted = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("LAMP", 3)])
    issue_stock(uow, shop.warehouse, "MAIN", [LineIn("LAMP", 1)])
    before = counts(uow)

    def update(tx: Tx) -> str:
        with pytest.raises(UndoStockUsed):
            reverse_document(uow, shop.warehouse, posted.number)
        return reverse_document(uow, shop.warehouse, last_posting(uow, shop.warehouse) or "").number

    assert uow.run(update).endswith("-000001"), "the refused attempt took no number"
    assert counts(uow) == (before[0] + 1, before[1] + 1)
    assert uow.read(check_ledger) == []
