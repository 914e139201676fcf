"""A golden lot scenario worked by hand: three lots received at different costs, first-expired-first-out across
lot boundaries through a sales order, a return back into its lot, an expired lot never picked, an expiry write-off.
Every figure below is written out, not computed."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.catalog.products import NewProduct, create_product
from core.errors import OutOfStock
from core.ledger.check import check_ledger
from core.models import Lot, LotLevel, StockDocument, StockLevel, StockMove
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, adjust_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


def lots(tx: Tx) -> dict[str, tuple[D, D]]:
    """On hand and reserved per lot in MAIN."""
    return {r.code: (r.on_hand, r.reserved) for r in tx.session.execute(
        select(Lot.code, LotLevel.on_hand, LotLevel.reserved).join(LotLevel, LotLevel.lot_id == Lot.id)
        .where(LotLevel.on_hand != 0))}


def level(tx: Tx) -> tuple[D, D, D]:
    row = tx.session.execute(select(StockLevel.on_hand, StockLevel.value, StockLevel.avg_cost)).one()
    return row.on_hand, row.value, row.avg_cost


def cogs(tx: Tx) -> D:
    """Cost of goods sold net of returns: minus the value of shipment and sales return rows."""
    value = tx.session.scalar(select(func.sum(StockMove.value)).join(StockDocument)
                              .where(StockDocument.kind.in_(("shipment", "sales_return"))))
    return -D(value or 0)


def test_golden_lots(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4",
                                          tracking="lot", alert_days=7))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "1.00", lot="A", expiry="2026-11-18"),
                                       LineIn("MILK", 10, "2.00", lot="B", expiry="2026-11-25"),
                                       LineIn("MILK", 10, "3.00", lot="C", expiry="2026-12-10")])
    assert uow.read(level) == (D(24), D("54.00"), D("2.250000"))

    # 12 reserved first-expired-first-out: all of B, 2 of C; A expired two days ago is never picked
    first = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("MILK", 12, "4")])
    submit_sales_order(uow, shop.sales, first.number)
    assert uow.read(lots) == {"A": (D(4), D(0)), "B": (D(10), D(10)), "C": (D(10), D(2))}
    ship_sales_order(uow, shop.warehouse, first.number)
    assert uow.read(lots) == {"A": (D(4), D(0)), "C": (D(8), D(0))}
    assert uow.read(cogs) == D("27.00")  # 10 x 2.25 + 2 x 2.25
    assert uow.read(level) == (D(12), D("27.00"), D("2.250000"))

    # 3 come back into B, the lot they left from, at the cost they left with: 3 x 27.00 / 12 = 6.75
    return_from_customer(uow, shop.sales, first.number, [SalesLineIn("MILK", 3)], reason="box dented")
    assert uow.read(lots) == {"A": (D(4), D(0)), "B": (D(3), D(0)), "C": (D(8), D(0))}
    assert uow.read(level) == (D(15), D("33.75"), D("2.250000"))
    assert uow.read(cogs) == D("20.25")

    # 9 more: B's 3 then 6 of C; asking for 3 more than C holds is refused although A still holds 4
    second = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("MILK", 9, "4")])
    submit_sales_order(uow, shop.sales, second.number)
    ship_sales_order(uow, shop.warehouse, second.number)
    assert uow.read(lots) == {"A": (D(4), D(0)), "C": (D(2), D(0))}
    assert uow.read(cogs) == D("40.50")  # 20.25 + 9 x 2.25
    third = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("MILK", 3, "4")])
    with pytest.raises(OutOfStock) as refused:
        submit_sales_order(uow, shop.sales, third.number)
    assert (refused.value.params["available"], refused.value.params["requested"]) == (D(2), D(3))

    # the expired lot written off with a reason: 4 x 2.25 = 9.00 out of the books, C's 2 left at 4.50
    written_off = adjust_stock(uow, shop.manager, "MAIN", [LineIn("MILK", -4, lot="A")], reason="expired")
    assert written_off.lines[0].value == D("-9.00")
    assert uow.read(lots) == {"C": (D(2), D(0))}
    assert uow.read(level) == (D(2), D("4.50"), D("2.250000"))
    assert uow.read(check_ledger) == []
