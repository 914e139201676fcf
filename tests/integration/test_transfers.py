"""Transfer receipts with discrepancies on each database: transit empties, write-offs carry the note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import InvalidQuantity, InvalidState, PermissionDenied, UnknownDocument
from core.ledger.check import check_ledger
from core.models import Notification, StockDocument, StockMove, TransferDiscrepancy
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.stock.levels import find_stock, stock_summary
from core.stock.moves import LineIn, dispatch_transfer, receive_stock, receive_transfer
from core.stock.transfers import (
    TransferReceiptIn,
    receive_transfer_with_discrepancies,
    transfer_discrepancies,
)
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


def shop_with_north_staff(uow: UnitOfWork, admin: Actor) -> tuple[Shop, Actor]:
    """MAIN holds 10 clocks at 10 and 4 lamps (3 at 40, 1 at 50); north-1 works in NORTH."""
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "north-1", ["warehouse"], warehouses=["NORTH"])
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 10, "10"), LineIn("LAMP", 3, "40"),
                                       LineIn("LAMP", 1, "50")])
    return shop, load_actor(uow, "north-1")


def stock_of(uow: UnitOfWork, sku: str, warehouse: str) -> tuple[D, D | None]:
    admin = load_actor(uow, "system")
    found = next((w for w in find_stock(uow, admin, sku)[0].by_warehouse if w.warehouse == warehouse), None)
    return (D(0), D(0)) if found is None else (found.on_hand, found.value)


def transit_value(uow: UnitOfWork) -> D | None:
    return next(s.value for s in stock_summary(uow, load_actor(uow, "system")) if s.code == "TRANSIT")


def test_dispatch_tells_the_receiving_warehouse_staff(uow: UnitOfWork, admin: Actor) -> None:
    shop, north = shop_with_north_staff(uow, admin)
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("LAMP", 2)])
    notes = uow.read(lambda tx: tx.session.execute(
        select(Notification.event_type, Notification.recipient_id, Notification.payload)).all())
    assert [tuple(n) for n in notes] == [
        ("transfer_awaiting_receipt", north.employee_id,
         {"number": sent.number, "from": "MAIN", "to": "NORTH", "lines": 1})]


def test_without_staff_in_the_receiving_warehouse_the_managers_are_told(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "NORTH", [LineIn("LAMP", 1, "45")])
    dispatch_transfer(uow, admin, "NORTH", "MAIN", [LineIn("LAMP", 1)])
    recipients = uow.read(lambda tx: list(tx.session.scalars(select(Notification.recipient_id))))
    assert recipients == [shop.warehouse.employee_id]
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 1, "3")])
    dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("TEA-CUP", 1)])
    recipients = uow.read(lambda tx: list(tx.session.scalars(
        select(Notification.recipient_id).order_by(Notification.id))))
    assert recipients == [shop.warehouse.employee_id, shop.manager.employee_id]


def test_short_and_damaged_goods_are_written_off_from_transit_with_the_note(
        uow: UnitOfWork, admin: Actor) -> None:
    shop, north = shop_with_north_staff(uow, admin)
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 10), LineIn("LAMP", 3)])
    # lamps leave MAIN at the average (120 + 50) / 4 = 42.50: 127.50 in transit
    receipt = receive_transfer_with_discrepancies(uow, north, sent.number, [
        TransferReceiptIn("RETRO-CLOCK", 7, damaged=1, note="one glass cracked"),
        TransferReceiptIn("LAMP", 2, note="one missing from the box")])
    assert receipt.status == "received"
    assert receipt.receipt_number and receipt.receipt_number.startswith("TI-")
    assert receipt.writeoff_number and receipt.writeoff_number.startswith("AJ-")
    assert [(ln.sku, ln.sent, ln.received, ln.damaged, ln.short, ln.value_written_off) for ln in receipt.lines] == [
        ("RETRO-CLOCK", D(10), D(7), D(1), D(2), None), ("LAMP", D(3), D(2), D(0), D(1), None)]
    # 7 of 10 clocks worth 100.00 arrive: 70.00; 2 of 3 lamps worth 127.50: 85.00, 42.50 written off
    assert stock_of(uow, "RETRO-CLOCK", "NORTH") == (D(7), D("70.00"))
    assert stock_of(uow, "LAMP", "NORTH") == (D(2), D("85.00"))
    assert transit_value(uow) == D("0.00")
    writeoff = uow.read(lambda tx: tx.session.execute(
        select(StockDocument.kind, StockDocument.reason, StockMove.line_no, StockMove.qty, StockMove.value)
        .join(StockMove, StockMove.document_id == StockDocument.id)
        .where(StockDocument.number == receipt.writeoff_number).order_by(StockMove.line_no)).all())
    assert [tuple(w)[2:] for w in writeoff] == [(1, D(-3), D("-30.00")), (2, D(-1), D("-42.50"))]
    assert writeoff[0].kind == "adjustment"
    assert "one glass cracked" in writeoff[0].reason and "one missing from the box" in writeoff[0].reason
    recorded = uow.read(lambda tx: tx.session.execute(
        select(TransferDiscrepancy.line_no, TransferDiscrepancy.damaged_qty, TransferDiscrepancy.short_qty,
               TransferDiscrepancy.value_written_off, TransferDiscrepancy.note)
        .order_by(TransferDiscrepancy.line_no)).all())
    assert [tuple(r) for r in recorded] == [
        (1, D(1), D(2), D("30.00"), "one glass cracked"), (2, D(0), D(1), D("42.50"), "one missing from the box")]
    week = (datetime.now(UTC) - timedelta(days=7), datetime.now(UTC) + timedelta(days=1))
    report = transfer_discrepancies(uow, shop.manager, *week, warehouse="north")
    assert [(d.transfer, d.from_warehouse, d.to_warehouse, d.sku, d.damaged, d.short, d.value_written_off,
             d.writeoff) for d in report] == [
        (sent.number, "MAIN", "NORTH", "RETRO-CLOCK", D(1), D(2), D("30.00"), receipt.writeoff_number),
        (sent.number, "MAIN", "NORTH", "LAMP", D(0), D(1), D("42.50"), receipt.writeoff_number)]
    assert [d.value_written_off for d in transfer_discrepancies(uow, north, *week)] == [None, None]
    assert transfer_discrepancies(uow, shop.manager, *week, warehouse="MAIN") == []
    assert uow.read(check_ledger) == []


def test_lines_not_mentioned_arrive_in_full_and_nothing_is_written_off(uow: UnitOfWork, admin: Actor) -> None:
    shop, north = shop_with_north_staff(uow, admin)
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 4), LineIn("LAMP", 1)])
    receipt = receive_transfer_with_discrepancies(uow, north, sent.number)
    assert (receipt.writeoff_number, receipt.status) == (None, "received")
    assert stock_of(uow, "RETRO-CLOCK", "NORTH") == (D(4), D("40.00"))
    assert uow.read(lambda tx: tx.session.scalar(select(TransferDiscrepancy.id))) is None
    assert transit_value(uow) == D("0.00")


def test_the_rest_of_a_partly_received_transfer_is_settled(uow: UnitOfWork, admin: Actor) -> None:
    shop, north = shop_with_north_staff(uow, admin)
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("LAMP", 3)])
    receive_transfer(uow, north, sent.number, [LineIn("LAMP", 1)])
    receipt = receive_transfer_with_discrepancies(uow, north, sent.number, [TransferReceiptIn("LAMP", 0, 2)])
    # 127.50 sent; 1 lamp received earlier at 42.50; the 2 damaged take the remaining 85.00
    assert [(ln.sent, ln.received, ln.damaged, ln.short) for ln in receipt.lines] == [(D(2), D(0), D(2), D(0))]
    assert receipt.receipt_number is None
    assert stock_of(uow, "LAMP", "NORTH") == (D(1), D("42.50"))
    assert transit_value(uow) == D("0.00")
    assert uow.read(check_ledger) == []


def test_only_the_receiving_warehouse_staff_confirm(uow: UnitOfWork, admin: Actor) -> None:
    shop, north = shop_with_north_staff(uow, admin)
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("LAMP", 1)])
    for outsider in (shop.warehouse, shop.manager, admin, shop.finance):
        with pytest.raises(PermissionDenied) as denied:
            receive_transfer_with_discrepancies(uow, outsider, sent.number)
        assert denied.value.code == "permission_denied"
    assert stock_of(uow, "LAMP", "NORTH") == (D(0), D(0))
    receive_transfer_with_discrepancies(uow, north, sent.number)
    assert stock_of(uow, "LAMP", "NORTH")[0] == D(1)


def test_impossible_receipts_are_refused_with_their_codes(uow: UnitOfWork, admin: Actor) -> None:
    shop, north = shop_with_north_staff(uow, admin)
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("LAMP", 2)])
    with pytest.raises(InvalidQuantity) as too_many:
        receive_transfer_with_discrepancies(uow, north, sent.number, [TransferReceiptIn("LAMP", 2, damaged=1)])
    assert too_many.value.params["reason"] == "more_than_outstanding"
    with pytest.raises(InvalidQuantity) as stranger:
        receive_transfer_with_discrepancies(uow, north, sent.number, [TransferReceiptIn("TEA-CUP", 1)])
    assert stranger.value.params["reason"] == "not_on_document"
    with pytest.raises(InvalidQuantity) as twice:
        receive_transfer_with_discrepancies(uow, north, sent.number, [TransferReceiptIn("LAMP", 1),
                                                                      TransferReceiptIn("lamp", 1)])
    assert twice.value.params["reason"] == "duplicate_line"
    with pytest.raises(UnknownDocument):
        receive_transfer_with_discrepancies(uow, north, "TR-2026-999999")
    receive_transfer_with_discrepancies(uow, north, sent.number, [TransferReceiptIn("LAMP", 1)])
    with pytest.raises(InvalidState) as closed:
        receive_transfer_with_discrepancies(uow, north, sent.number)
    assert (closed.value.code, closed.value.params["status"]) == ("invalid_state", "received")
    with pytest.raises(InvalidState):
        receive_transfer(uow, north, sent.number)
    assert transit_value(uow) == D("0.00")
