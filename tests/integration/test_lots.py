"""Lots and serial numbers through the ledger: first-expired-first-out, per-lot levels and `jxc check` per lot."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.catalog.products import NewProduct, create_product
from core.errors import LotRefused, OutOfStock, ReasonRequired
from core.ledger.check import check_ledger
from core.models import Lot, LotLevel, StockMove
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.lots import list_lots, set_tracking
from core.stock.moves import LineIn, dispatch_transfer, issue_stock, receive_stock, receive_transfer
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


def lots_on_hand(uow: UnitOfWork, sku: str) -> dict[tuple[str, str], D]:
    return {(s.lot, s.warehouse): s.on_hand for s in list_lots(uow, load_actor(uow, "system"), sku)}


def milk(uow: UnitOfWork, admin: Actor) -> None:
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4",
                                          tracking="lot", shelf_life_days=30, alert_days=5))


def test_fefo_issue_skips_the_expired_lot_and_crosses_lot_boundaries(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    milk(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "1.00", lot="A", expiry="2026-11-18"),
                                       LineIn("MILK", 10, "2.00", lot="B", expiry="2026-11-25"),
                                       LineIn("MILK", 10, "3.00", lot="C", expiry="2026-12-10")])
    issued = issue_stock(uow, admin, "MAIN", [LineIn("MILK", 12)])
    # 54.00 for 24 units: average 2.25; 12 out = 10 of B and 2 of C (A is expired), 27.00 at cost
    assert [(ln.qty, ln.value) for ln in issued.lines] == [(D(-10), D("-22.50")), (D(-2), D("-4.50"))]
    assert lots_on_hand(uow, "MILK") == {("A", "MAIN"): D(4), ("C", "MAIN"): D(8)}
    with pytest.raises(OutOfStock) as refused:
        issue_stock(uow, admin, "MAIN", [LineIn("MILK", 9)])
    assert refused.value.params["available"] == D(8)
    with pytest.raises(LotRefused) as expired:
        issue_stock(uow, shop.warehouse, "MAIN", [LineIn("MILK", 1, lot="A")], reason="customer insists")
    assert (expired.value.params["reason"], expired.value.params["expiry"]) == ("expired", "2026-11-18")
    with pytest.raises(ReasonRequired):
        issue_stock(uow, shop.manager, "MAIN", [LineIn("MILK", 1, lot="A")])
    written_off = issue_stock(uow, shop.manager, "MAIN", [LineIn("MILK", 4, lot="A")], reason="expired")
    assert written_off.lines[0].value == D("-9.00")
    assert uow.read(check_ledger) == []


def test_a_transfer_carries_its_lots_through_transit(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    milk(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 3, "2", lot="B", expiry="2026-11-25"),
                                       LineIn("MILK", 5, "4", lot="C", expiry="2026-12-10")])
    sent = dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("MILK", 4)])
    assert [(ln.warehouse, ln.qty) for ln in sent.lines] == [
        ("MAIN", D(-3)), ("MAIN", D(-1)), ("TRANSIT", D(3)), ("TRANSIT", D(1))]
    receive_transfer(uow, admin, sent.number)
    assert lots_on_hand(uow, "MILK") == {("B", "NORTH"): D(3), ("C", "MAIN"): D(4), ("C", "NORTH"): D(1)}
    assert uow.read(check_ledger) == []


def test_stock_of_a_product_that_becomes_tracked_sits_in_the_no_lot_position(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 6, "3")])
    set_tracking(uow, admin, "TEA-CUP", "lot")
    assert uow.read(check_ledger) == []
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 2, "3", lot="T1", expiry="2027-01-01")])
    issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 7)])
    assert lots_on_hand(uow, "TEA-CUP") == {("", "MAIN"): D(1)}
    assert uow.read(check_ledger) == []
    with pytest.raises(LotRefused):
        set_tracking(uow, admin, "TEA-CUP", "none")


def test_a_serial_is_never_held_twice(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("PHONE", 1, lot="SN1"), LineIn("PHONE", 1, lot="SN2")])
    with pytest.raises(LotRefused) as twice:
        receive_stock(uow, admin, "NORTH", [LineIn("PHONE", 1, lot="SN1")])
    assert twice.value.params["reason"] == "serial_twice"
    with pytest.raises(LotRefused):
        receive_stock(uow, admin, "MAIN", [LineIn("PHONE", 2, lot="SN3")])

    def rows(tx: Tx) -> list[tuple[str, D]]:
        return [(r.code, r.on_hand) for r in tx.session.execute(
            select(Lot.code, LotLevel.on_hand).join(LotLevel, LotLevel.lot_id == Lot.id).order_by(Lot.code))]

    assert uow.read(rows) == [("SN1", D(1)), ("SN2", D(1))]
    assert uow.read(lambda tx: tx.session.scalar(select(StockMove.lot_id).where(StockMove.qty > 0).limit(1)))
    assert uow.read(check_ledger) == []
