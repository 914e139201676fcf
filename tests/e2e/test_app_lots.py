"""Receiving tracked goods on the Mini App page in real Chromium on a phone: several lots with their expiry or
production date on one line, serials one by one (typed or scanned, a duplicate refused), GS1 labels read by the
camera or typed fill product, lot, expiry and serial; what the person reads and what the books say."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from core.catalog.products import NewProduct, create_product
from core.ledger.check import check_ledger
from core.people.accounts import set_language
from core.people.employees import load_actor
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.sales.orders import get_sales_order
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.app_driver import CHROMIUM, AppShop, chromium, open_shop, phone, serving, write_y4m
from tests.e2e.test_app_pages import audit_channels, shot

MILK_GTIN, PHONE_GTIN = "06901234567892", "06901234567908"


@pytest.fixture
def tracked_po(uow: UnitOfWork, admin: Actor) -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("JXC_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"JXC_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    shop: AppShop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4",
                                          tracking="lot", shelf_life_days=30, alert_days=7, barcodes=(MILK_GTIN,)))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial",
                                          barcodes=(PHONE_GTIN,)))
    draft = create_purchase_order(uow, shop.shop.purchaser, "ACME", "MAIN", [
        PurchaseLineIn("MILK", 30, "2"), PurchaseLineIn("PHONE", 3, "900"), PurchaseLineIn("LAMP", 1, "40")])
    return submit_purchase_order(uow, shop.shop.purchaser, draft.number).number


def lots(uow: UnitOfWork, sku: str) -> list[tuple[str, date | None, D]]:
    return [(s.lot, s.expiry, s.on_hand) for s in list_lots(uow, load_actor(uow, "manager-1"), sku)]


def test_a_worker_receives_lots_and_serials_by_typing_and_scanning_gs1_labels(
        db_url: str, tracked_po: str, uow: UnitOfWork, tmp_path: Path) -> None:
    film = write_y4m(tmp_path / "labels.y4m", [f"(01){PHONE_GTIN}(21)SN-3", f"(01){MILK_GTIN}(17)270131(10)L3"])
    with serving(db_url) as url, chromium(camera=film) as launched:
        p = phone(launched, url, "warehouse-1", f"/app/receive?po={tracked_po}")
        page = p.page
        milk, handset = '#po-lines .line[data-sku="MILK"]', '#po-lines .line[data-sku="PHONE"]'
        page.locator(milk).wait_for()
        assert "按批次" in page.locator(milk).inner_text() and "序列号 0 / 3" in page.locator(handset).inner_text()
        p.type(f"{milk} .lotrow >> nth=0 >> input.got", "10")
        p.tap("#submit", "receive without the lot")
        page.locator("#notice.error").filter(has_text="请填写 MILK 的批次号").wait_for()
        p.type(f"{milk} .lotrow >> nth=0 >> input.lot", "L1")
        p.type(f"{milk} .lotrow >> nth=0 >> input.date", "2026-12-31")
        for serial in ("SN-1", "SN-2", "SN-1"):
            p.type(f"{handset} input.serial", serial)
            page.keyboard.press("Enter")
        page.locator("#notice.error").filter(has_text="序列号 SN-1 已在 PHONE 的清单里").wait_for()
        assert page.locator(f"{handset} .chips li").count() == 2, "a serial given twice is refused"
        p.tap("#scan-label", "scan labels")
        page.locator(f'{handset} .chips li[data-serial="SN-3"]').wait_for(timeout=90_000)
        page.locator(f'{milk} .lotrow[data-lot="L3"]').wait_for(timeout=90_000)
        p.tap("#scan-label", "stop scanning")
        assert page.locator(f"{milk} .lotrow >> nth=1 >> input.got").input_value() == "20", "the rest of the line"
        assert page.locator(f"{milk} .lotrow >> nth=1 >> input.date").input_value() == "2027-01-31"
        assert "序列号 3 / 3" in page.locator(handset).inner_text()
        p.tap(f"{milk} .add-lot", "another lot")
        p.type(f"{milk} .lotrow >> nth=2 >> input.lot", f"(01){MILK_GTIN}(11)261201(10)L2")
        page.keyboard.press("Tab")
        page.locator(f'{milk} .lotrow[data-lot="L2"]').wait_for()
        assert page.locator(f"{milk} .lotrow >> nth=2 >> select.kind").input_value() == "produced"
        p.type(f"{milk} .lotrow >> nth=1 >> input.got", "15")
        p.type(f"{milk} .lotrow >> nth=2 >> input.got", "5")
        p.type('#po-lines .line[data-sku="LAMP"] input.got', "1")
        page.locator(f"{milk} .total").filter(has_text="实收 30").wait_for()
        shot(page, tmp_path, "receive-lots-zh")
        p.tap("#submit", "receive")
        page.locator("#notice.ok").filter(has_text="已入库").wait_for()
        assert "已入库" in page.locator("#notice").inner_text() and "已收齐" in page.locator("#notice").inner_text()
    assert lots(uow, "MILK") == [("L1", date(2026, 12, 31), D(10)), ("L2", date(2026, 12, 31), D(5)),
                                 ("L3", date(2027, 1, 31), D(15))]
    assert [lot for lot, _, _ in lots(uow, "PHONE")] == ["SN-1", "SN-2", "SN-3"]
    order = get_purchase_order(uow, load_actor(uow, "manager-1"), tracked_po)
    assert order.status == "received"
    assert audit_channels(uow, "purchase.receive") == ["telegram_app"]
    assert uow.read(check_ledger) == []


def test_the_receiving_page_asks_lots_and_serials_in_english(
        db_url: str, tracked_po: str, uow: UnitOfWork, tmp_path: Path) -> None:
    set_language(uow, load_actor(uow, "warehouse-1"), "en")
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "warehouse-1", f"/app/receive?po={tracked_po}&lang=en", locale="en-US")
        page = p.page
        milk, handset = '#po-lines .line[data-sku="MILK"]', '#po-lines .line[data-sku="PHONE"]'
        page.locator(milk).wait_for()
        assert "by lot" in page.locator(milk).inner_text() and "0 of 3 serials" in page.locator(handset).inner_text()
        p.type(f"{milk} .lotrow >> nth=0 >> input.lot", "L9")
        p.type(f"{milk} .lotrow >> nth=0 >> input.got", "30")
        p.type(f"{handset} input.serial", "SN-9")
        page.keyboard.press("Enter")
        p.type(f"{handset} input.serial", "SN-9")
        page.keyboard.press("Enter")
        page.locator("#notice.error").filter(has_text="Serial SN-9 is already listed for PHONE").wait_for()
        shot(page, tmp_path, "receive-lots-en")
        p.tap("#submit", "receive")
        page.locator("#notice.ok").filter(has_text="is in stock").wait_for()
        assert "partly received" in page.locator("#notice").inner_text(), "the other serials are still expected"
    assert lots(uow, "MILK") == [("L9", None, D(30))]
    assert [lot for lot, _, _ in lots(uow, "PHONE")] == ["SN-9"]


def test_a_salesperson_chooses_the_lot_of_a_tracked_line_on_the_sales_page(
        db_url: str, tracked_po: str, uow: UnitOfWork, admin: Actor, tmp_path: Path) -> None:
    today = date.today()
    soon, later = today + timedelta(days=3), today + timedelta(days=40)
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "2", lot="OLD", expiry=str(today - timedelta(days=2))),
                                       LineIn("MILK", 6, "2", lot="SOON", expiry=str(soon)),
                                       LineIn("MILK", 10, "2", lot="LATER", expiry=str(later))])
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "sales-1", "/app/sales")
        page = p.page
        page.locator("#warehouse option").first.wait_for(state="attached")
        p.type("#customer-q", "蓝海")
        p.tap('#customer-list button[data-code="C-BLUE"]', "customer")
        p.type("#item-q", "MILK 3")
        p.tap('#item-list button[data-sku="MILK"]', "item")
        choice = page.locator('#lines .line[data-sku="MILK"] select.lot')
        choice.wait_for()
        assert choice.locator("option").all_inner_texts() == [
            "自动（先到期先出）", f"SOON · 到期 {soon} · 可用 6 · 临期", f"LATER · 到期 {later} · 可用 10"]
        choice.select_option("LATER")
        page.locator("#total").filter(has_text="¥").wait_for()
        shot(page, tmp_path, "sales-lot-zh")
        p.tap("#submit", "submit")
        page.locator("#notice.ok").wait_for()
        number = page.locator("#notice").inner_text().split()[0]
    order = get_sales_order(uow, load_actor(uow, "manager-1"), number)
    assert [(ln.sku, ln.lot) for ln in order.lines] == [("MILK", "LATER")] and order.near_expiry == ()
    assert {s.lot: s.reserved for s in list_lots(uow, admin, "MILK")} == {"OLD": 0, "SOON": 0, "LATER": 3}
