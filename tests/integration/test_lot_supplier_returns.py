"""Returns to the supplier go back out of the lots received on that purchase order (not first-expired-first-out
over every lot), a named lot or serial must be one received on it, and the books stay proven per lot."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_product
from core.errors import LotRefused, OverReturn
from core.ledger.check import check_ledger
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.stock.lots import list_lots
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot"))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    return shop


def order(shop: Shop, *lines: PurchaseLineIn) -> str:
    draft = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", list(lines))
    return submit_purchase_order(shop.uow, shop.purchaser, draft.number).number


def lots(shop: Shop, sku: str) -> dict[str, D]:
    return {s.lot: s.on_hand for s in list_lots(shop.uow, shop.admin, sku, "MAIN")}


def test_a_return_goes_out_of_the_orders_own_lots_earliest_expiry_first(shop: Shop) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("MILK", 10, "2", lot="OTHER", expiry="2026-11-22")])
    number = order(shop, PurchaseLineIn("MILK", 15, "2.00"))
    receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("MILK", 10, lot="A", expiry="2026-12-10"),
                                                         ReceiptLineIn("MILK", 5, lot="B", expiry="2026-11-25")])
    back = return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("MILK", 6)], reason="damaged")
    assert (back.lines[0].qty, back.value) == (D(6), D("-12.00"))
    assert lots(shop, "MILK") == {"OTHER": D(10), "A": D(9)}, "B then one of A: never the other order's lot"
    with pytest.raises(LotRefused) as refused:
        return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("MILK", 1, lot="OTHER")], reason="x")
    assert (refused.value.params["reason"], refused.value.params["lot"]) == ("not_received", "OTHER")
    named = return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("MILK", 2, lot="A")], reason="x")
    assert named.lines[0].returned_qty == D(8)
    assert lots(shop, "MILK") == {"OTHER": D(10), "A": D(7)}
    assert shop.uow.read(check_ledger) == []


def test_what_left_the_orders_lots_otherwise_cannot_go_back_from_another_lot(shop: Shop) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("MILK", 10, "2", lot="OTHER", expiry="2027-01-01")])
    number = order(shop, PurchaseLineIn("MILK", 5, "2.00"))
    receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("MILK", 5, lot="A", expiry="2026-12-10")])
    issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("MILK", 4, lot="A")])
    with pytest.raises(OverReturn) as refused:
        return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("MILK", 2)], reason="late")
    assert refused.value.params["returnable"] == D(1)
    return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("MILK", 1)], reason="late")
    assert lots(shop, "MILK") == {"OTHER": D(10)}
    assert shop.uow.read(check_ledger) == []


def test_a_serial_returned_must_be_one_received_on_the_order(shop: Shop) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("PHONE", 1, "900", lot="SN9")])
    number = order(shop, PurchaseLineIn("PHONE", 2, "900"), PurchaseLineIn("LAMP", 1, "45"))
    receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("PHONE", 2, serials=("SN1", "SN2")),
                                                         ReceiptLineIn("LAMP", 1)])
    for lines, reason in (([ReturnLineIn("PHONE", 1, serials=("SN9",))], "not_received"),
                          ([ReturnLineIn("PHONE", 2, serials=("SN1",))], "serial_count"),
                          ([ReturnLineIn("PHONE", 2, serials=("SN1", "SN1"))], "duplicate_serial"),
                          ([ReturnLineIn("LAMP", 1, lot="X")], "not_tracked")):
        with pytest.raises(LotRefused) as refused:
            return_to_supplier(shop.uow, shop.purchaser, number, lines, reason="faulty")
        assert refused.value.params["reason"] == reason
    back = return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("PHONE", 1, serials=("SN2",))],
                              reason="faulty")
    assert back.value == D("-900.00")
    assert lots(shop, "PHONE") == {"SN1": D(1), "SN9": D(1)}
    with pytest.raises(OverReturn):
        return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("PHONE", 1, serials=("SN2",))],
                           reason="faulty")
    assert shop.uow.read(check_ledger) == []
