"""The stock services end to end on each database: values, balances and the check."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import OutOfStock, PermissionDenied
from core.ledger.check import check_ledger
from core.permissions import Actor
from core.stock.moves import (
    LineIn,
    adjust_stock,
    dispatch_transfer,
    issue_stock,
    receive_stock,
    receive_transfer,
    release_stock,
    reserve_stock,
)
from core.uow import UnitOfWork
from tests.factories import make_shop


def test_receipts_average_and_issues_take_value_at_average(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    receive_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 10, "9.50")])
    posted = receive_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 2, "120", unit="箱")])
    assert posted.lines[0].qty == D(24)
    issued = issue_stock(uow, shop.manager, "MAIN", [LineIn("retro-clock", 3)])
    # 95 + 240 = 335 for 34 units: average 9.852941, 3 units = 29.56
    assert issued.lines[0].value == D("-29.56")
    assert issued.lines[0].on_hand == D(31)
    assert uow.read(check_ledger) == []


def test_transfer_moves_value_through_transit(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 3, "40"), LineIn("LAMP", 1, "50")])
    sent = dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("LAMP", 3)])
    assert [(ln.warehouse, ln.qty, ln.value) for ln in sent.lines] == [
        ("MAIN", D(-3), D("-127.50")), ("TRANSIT", D(3), D("127.50"))]
    part = receive_transfer(uow, admin, sent.number, [LineIn("LAMP", 1)])
    assert part.status == "partially_received"
    rest = receive_transfer(uow, admin, sent.number)
    assert rest.status == "received"
    assert [(ln.warehouse, ln.value) for ln in rest.lines] == [("TRANSIT", D("-85.00")), ("NORTH", D("85.00"))]
    assert uow.read(check_ledger) == []
    del shop


def test_reserved_stock_is_not_available_to_issue(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 5)])
    reservation = reserve_stock(uow, shop.sales, "MAIN", [LineIn("TEA-CUP", 4)])
    with pytest.raises(OutOfStock) as refused:
        issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 2)])
    assert refused.value.params["available"] == D(1)
    release_stock(uow, shop.sales, reservation.number)
    assert issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 2)]).lines[0].available == D(3)
    assert uow.read(check_ledger) == []


def test_warehouse_staff_act_only_in_their_warehouse(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    with pytest.raises(PermissionDenied):
        receive_stock(uow, shop.warehouse, "NORTH", [LineIn("LAMP", 1)])
    with pytest.raises(PermissionDenied):
        adjust_stock(uow, shop.finance, "MAIN", [LineIn("LAMP", 1)], reason="found")
    assert receive_stock(uow, shop.warehouse, "MAIN", [LineIn("LAMP", 1)]).lines[0].on_hand == D(1)
