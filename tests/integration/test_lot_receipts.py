"""Receiving a purchase order by lot, expiry and serial number: typed or scanned from a GS1 label."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_product
from core.errors import LotRefused
from core.ledger.check import check_ledger
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.stock.lots import list_lots
from core.stock.reversal import reverse_document
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot",
                                          shelf_life_days=30, barcodes=("06901234567892",)))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    return shop


def order(shop: Shop, *lines: PurchaseLineIn) -> str:
    draft = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", list(lines))
    return submit_purchase_order(shop.uow, shop.purchaser, draft.number).number


def lots(shop: Shop, sku: str) -> list[tuple[str, date | None, D]]:
    return [(s.lot, s.expiry, s.on_hand) for s in list_lots(shop.uow, shop.admin, sku)]


def test_one_line_arrives_in_several_lots_with_rejects_per_lot_over_two_receipts(shop: Shop) -> None:
    number = order(shop, PurchaseLineIn("MILK", 30, "2.00"))
    first = receive_purchase(shop.uow, shop.warehouse, number, [
        ReceiptLineIn("MILK", 8, 2, lot="L1", expiry="2026-12-01"),
        ReceiptLineIn("MILK", 5, lot="L2", produced="2026-11-10")])
    assert first.status == "partially_received"
    assert (first.lines[0].received, first.lines[0].rejected, first.lines[0].lots) == (D(13), D(2), ("L1", "L2"))
    # the scan carries GTIN, lot L3 and expiry 2026-12-31
    receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("(01)06901234567892(17)261231(10)L3", 15)])
    assert lots(shop, "MILK") == [("L1", date(2026, 12, 1), D(8)), ("L2", date(2026, 12, 10), D(5)),
                                  ("L3", date(2026, 12, 31), D(15))]
    assert shop.uow.read(check_ledger) == []


def test_a_tracked_product_needs_its_lot_and_an_untracked_one_refuses_it(shop: Shop) -> None:
    number = order(shop, PurchaseLineIn("MILK", 5), PurchaseLineIn("LAMP", 1))
    with pytest.raises(LotRefused) as missing:
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("MILK", 5)])
    assert missing.value.params["reason"] == "lot_required"
    with pytest.raises(LotRefused) as untracked:
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("LAMP", 1, lot="X")])
    assert untracked.value.params["reason"] == "not_tracked"
    with pytest.raises(LotRefused) as differs:
        receive_purchase(shop.uow, shop.warehouse, number, [
            ReceiptLineIn("MILK", 2, lot="L1", expiry="2026-12-01"),
            ReceiptLineIn("MILK", 2, lot="L1", expiry="2026-12-02")])
    assert differs.value.params["reason"] in ("expiry_differs",)
    assert lots(shop, "MILK") == []


def test_serials_are_one_per_unit_and_a_duplicate_is_refused(shop: Shop) -> None:
    number = order(shop, PurchaseLineIn("PHONE", 4, "900"))
    with pytest.raises(LotRefused) as count:
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("PHONE", 2, serials=("S1",))])
    assert count.value.params["reason"] == "serial_count"
    with pytest.raises(LotRefused) as twice:
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("PHONE", 2, serials=("S1", "S1"))])
    assert twice.value.params["reason"] == "duplicate_serial"
    receipt = receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("PHONE", 2, 1, serials=("S1", "S2"))])
    assert receipt.lines[0].lots == ("S1", "S2")
    with pytest.raises(LotRefused) as again:
        receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("PHONE", 1, serials=("S2",))])
    assert again.value.params["reason"] == "serial_twice"
    assert [(lot, qty) for lot, _, qty in lots(shop, "PHONE")] == [("S1", D(1)), ("S2", D(1))]
    reverse_document(shop.uow, shop.warehouse, receipt.receipt_number)
    assert lots(shop, "PHONE") == []
    assert shop.uow.read(check_ledger) == []


def test_a_return_to_the_supplier_takes_the_expired_lot_first_and_counts_every_lot(shop: Shop) -> None:
    number = order(shop, PurchaseLineIn("MILK", 10, "2.00"))
    receive_purchase(shop.uow, shop.warehouse, number, [ReceiptLineIn("MILK", 4, lot="OLD", expiry="2026-11-01"),
                                                         ReceiptLineIn("MILK", 6, lot="NEW", expiry="2027-01-01")])
    back = return_to_supplier(shop.uow, shop.purchaser, number, [ReturnLineIn("MILK", 5)], reason="expired")
    assert (back.lines[0].qty, back.lines[0].value, back.value) == (D(5), D("-10.00"), D("-10.00"))
    assert lots(shop, "MILK") == [("NEW", date(2027, 1, 1), D(5))]
    assert shop.uow.read(check_ledger) == []
