"""Receiving tracked products in chat: the lot and expiry asked only for them, typed or scanned from a GS1 label,
serial numbers one per unit (a duplicate refused), in 中文 and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_product
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.stock.lots import list_lots
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import books_clean, open_shop, person

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot",
                                          barcodes=("06901234567892",)))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [
        PurchaseLineIn("TEA-CUP", 5, "3.3"), PurchaseLineIn("MILK", 10, "2"), PurchaseLineIn("PHONE", 2, "900")])
    submit_purchase_order(uow, shop.purchaser, order.number)
    return shop


def lots(shop: Shop, sku: str) -> list[tuple[str, date | None, D]]:
    return [(s.lot, s.expiry, s.on_hand) for s in list_lots(shop.uow, shop.admin, sku)]


def test_the_lot_is_asked_only_for_tracked_lines_and_read_from_a_gs1_scan_in_chinese(
        uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send("收货 PO-2026-000001")
    assert chat.send("5")[0].startswith("第 2/3 行 MILK 牛奶"), "an untracked line: no lot question"
    assert chat.send("10") == [
        "MILK 按批次管理：这 10 件是哪个批次？扫描标签，或输入批号和有效期（例如「L2301 2026-12-31」）："]
    assert chat.send("(01)06901234567892(17)270131(10)L7")[0].startswith("第 3/3 行 PHONE 手机")
    assert chat.send("2") == ["PHONE 按序列号管理：请再扫描或输入 2 个序列号："]
    assert chat.send("SN-1") == ["PHONE 按序列号管理：请再扫描或输入 1 个序列号（已有：SN-1）："]
    refused = chat.send("SN-1")[0]
    assert refused.startswith("序列号 SN-1 在本次收货中重复出现。")
    summary = chat.send("SN-2")[0]
    assert "· MILK 牛奶：实收 10 批次 L7，有效期至 2027-01-31" in summary
    assert "· PHONE 手机：实收 2 序列号 SN-1、SN-2" in summary
    assert chat.press(chat.button("确认收货"))[0].startswith("已收货 GR-")
    assert lots(shop, "MILK") == [("L7", date(2027, 1, 31), D(10))]
    assert [lot for lot, _, _ in lots(shop, "PHONE")] == ["SN-1", "SN-2"]
    assert books_clean(uow)


def test_all_as_expected_still_asks_each_tracked_lines_lot_in_english(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send("receive PO-2026-000001")
    asked = chat.press(chat.button("All as expected"))
    assert asked == ['MILK is tracked by lot: which lot are these 10? Scan the label, or send the lot and its expiry '
                     '(for example "L2301 2026-12-31"):']
    assert "not a date" in chat.send("B9 31/01/2027")[0]
    assert chat.send("B9 2027-01-31") == ["PHONE is tracked by serial number: scan or send 2 more serial numbers:"]
    summary = chat.send("IMEI-1, IMEI-2")[0]
    assert "MILK Milk: 10 received lot B9, expires 2027-01-31" in summary
    assert "PHONE Phone: 2 received serials IMEI-1, IMEI-2" in summary
    chat.press(chat.button("Post"))
    assert lots(shop, "MILK") == [("B9", date(2027, 1, 31), D(10))]
    assert books_clean(uow)
