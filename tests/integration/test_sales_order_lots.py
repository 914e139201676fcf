"""A sales order line may name its lot (reserved and shipped from it, released back into it); otherwise the
order is picked first-expired-first-out, and an order that picked a lot within its alert lead time says so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_product
from core.errors import LotRefused
from core.ledger.check import check_ledger
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import load_actor
from core.permissions import Actor
from core.sales.orders import close_sales_order, create_sales_order, get_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.sales.views import NearExpiry
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4",
                                          tracking="lot", shelf_life_days=30, alert_days=5))
    create_customer(uow, admin, NewCustomer("C-BLUE", "蓝海百货", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "2", lot="OLD", expiry="2026-11-18"),
                                       LineIn("MILK", 6, "2", lot="SOON", expiry="2026-11-23"),
                                       LineIn("MILK", 10, "2", lot="LATER", expiry="2026-12-20")])
    return shop


def held(uow: UnitOfWork) -> dict[str, tuple[D, D]]:
    return {s.lot: (s.on_hand, s.reserved) for s in list_lots(uow, load_actor(uow, "system"), "MILK")}


def order(shop: Shop, *lines: SalesLineIn) -> str:
    draft = create_sales_order(shop.uow, shop.sales, "C-BLUE", "MAIN", list(lines))
    return submit_sales_order(shop.uow, shop.sales, draft.number).number


def test_a_line_naming_its_lot_is_reserved_shipped_and_released_from_that_lot(shop: Shop) -> None:
    named = order(shop, SalesLineIn("MILK", 3, lot="LATER"))
    view = get_sales_order(shop.uow, shop.sales, named)
    assert (view.status, view.lines[0].lot, view.near_expiry) == ("approved", "LATER", ())
    assert held(shop.uow)["LATER"] == (D(10), D(3)) and held(shop.uow)["SOON"] == (D(6), D(0))
    shipped = ship_sales_order(shop.uow, shop.warehouse, named, [SalesLineIn("MILK", 2)])
    assert shipped.near_expiry == ()
    assert held(shop.uow)["LATER"] == (D(8), D(1)) and held(shop.uow)["SOON"] == (D(6), D(0))
    close_sales_order(shop.uow, shop.manager, named, "the rest is not wanted")
    assert held(shop.uow)["LATER"] == (D(8), D(0))
    assert shop.uow.read(check_ledger) == []


def test_an_order_picked_first_expired_first_out_within_the_alert_lead_time_is_flagged(shop: Shop) -> None:
    fefo = order(shop, SalesLineIn("MILK", 8))
    view = get_sales_order(shop.uow, shop.sales, fefo)
    assert view.lines[0].lot is None
    assert view.near_expiry == (NearExpiry("MILK", "SOON", date(2026, 11, 23), False),), "the expired lot is skipped"
    assert held(shop.uow) == {"OLD": (D(4), D(0)), "SOON": (D(6), D(6)), "LATER": (D(10), D(2))}
    shipped = ship_sales_order(shop.uow, shop.warehouse, fefo)
    assert [n.lot for n in shipped.near_expiry] == ["SOON"]
    assert held(shop.uow) == {"OLD": (D(4), D(0)), "LATER": (D(8), D(0))}
    assert shop.uow.read(check_ledger) == []


def test_a_named_lot_must_be_a_lot_of_a_tracked_product_and_not_expired(shop: Shop) -> None:
    with pytest.raises(LotRefused) as unknown:
        create_sales_order(shop.uow, shop.sales, "C-BLUE", "MAIN", [SalesLineIn("MILK", 1, lot="NOPE")])
    assert unknown.value.params["reason"] == "unknown_lot"
    with pytest.raises(LotRefused) as untracked:
        create_sales_order(shop.uow, shop.sales, "C-BLUE", "MAIN", [SalesLineIn("LAMP", 1, lot="LATER")])
    assert untracked.value.params["reason"] == "not_tracked"
    with pytest.raises(LotRefused) as expired:
        create_sales_order(shop.uow, shop.sales, "C-BLUE", "MAIN", [SalesLineIn("MILK", 1, lot="OLD")])
    assert expired.value.params["reason"] == "expired"
    released = create_sales_order(shop.uow, shop.manager, "C-BLUE", "MAIN", [SalesLineIn("MILK", 1, lot="OLD")])
    assert released.lines[0].lot == "OLD"
    assert held(shop.uow)["OLD"] == (D(4), D(0)), "a draft holds nothing"
