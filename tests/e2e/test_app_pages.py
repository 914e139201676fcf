"""The Mini App pages in real Chromium on a phone inside a stubbed Telegram client: a salesperson enters a 3-line
order, a warehouse worker receives a purchase order and counts stock with the camera; what they read, what the
books say, and how many taps it took. Screenshots at 390 px in both languages are kept in the test's folder."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import AuditLog
from core.people.accounts import set_language
from core.people.employees import load_actor
from core.permissions import Actor
from core.purchasing.orders import get_purchase_order
from core.sales.orders import list_sales_orders
from core.sales.price_lists import PriceRuleIn, add_price_rules, set_price_grade
from core.stock.levels import find_stock
from core.uow import UnitOfWork
from tests.e2e.app_driver import (
    CHROMIUM,
    SCANNED,
    UNKNOWN_CODE,
    AppShop,
    chromium,
    count_by_scanning,
    open_shop,
    phone,
    receive_order,
    sales_order,
    serving,
    write_y4m,
)

SALES_LINES = [("复古", "RETRO-CLOCK", "2"), ("tea", "TEA-CUP", "5"), ("LAMP", "LAMP", "1")]
SHOTS = Path(os.environ.get("JXC_SCREENSHOTS", "")) if os.environ.get("JXC_SCREENSHOTS") else None


@pytest.fixture
def app_shop(uow: UnitOfWork, admin: Actor) -> AppShop:
    if not Path(CHROMIUM).exists():
        if os.environ.get("JXC_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"JXC_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    return open_shop(uow, admin)


def shot(page: object, tmp_path: Path, name: str) -> None:
    folder = SHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"  # type: ignore[attr-defined]


def audit_channels(uow: UnitOfWork, action: str) -> list[str]:
    return uow.read(lambda tx: list(tx.session.scalars(select(AuditLog.channel).where(AuditLog.action == action))))


def test_a_salesperson_enters_a_three_line_order_in_the_mini_app_in_at_most_six_taps(
        db_url: str, app_shop: AppShop, uow: UnitOfWork, tmp_path: Path) -> None:
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "sales-1", "/app/sales")
        page = p.page
        assert page.locator("h1").inner_text() == "新销售单"
        page.locator("#warehouse option").first.wait_for(state="attached")
        p.type("#customer-q", "蓝海")
        p.tap('#customer-list button[data-code="C-BLUE"]', "customer")
        p.type("#item-q", "RETRO 20")
        choice = page.locator('#item-list button[data-sku="RETRO-CLOCK"]')
        assert "库存 12" in choice.inner_text() and "¥25.00" in choice.inner_text()
        p.tap('#item-list button[data-sku="RETRO-CLOCK"]')
        line = page.locator('#lines .line[data-sku="RETRO-CLOCK"]')
        line.locator(".warn").first.wait_for()
        assert "库存不足：MAIN 可用 12" in line.inner_text(), "short stock is said while typing"
        line.locator("input.qty").fill("2")
        line.locator("input.price").fill("15")
        page.locator('#lines .line[data-sku="RETRO-CLOCK"] .warn.bad').wait_for()
        assert "低于底价" in page.locator('#lines .line[data-sku="RETRO-CLOCK"]').inner_text()
        page.locator('#lines .line[data-sku="RETRO-CLOCK"] input.price').fill("")
        page.locator('#lines .line[data-sku="RETRO-CLOCK"] .delete').click()
        assert page.locator("#lines .line").count() == 0, "a line can be deleted"
        page.reload()
        p = phone(launched, url, "sales-1", "/app/sales")
        shot(p.page, tmp_path, "sales-empty-zh")
        said = sales_order(p, SALES_LINES)
        assert p.taps <= 6, p.log
        assert "已提交" in said and "SO-" in said
        orders = list_sales_orders(uow, load_actor(uow, "sales-1"))
        assert len(orders) == 1 and orders[0].customer == "C-BLUE"
        assert orders[0].total == Decimal("2") * 25 + Decimal("5") * 8 + 99
        assert audit_channels(uow, "sales.create") == ["telegram_app"]


def test_the_sales_page_is_in_english_for_an_english_reader_with_prices_stock_and_the_last_price(
        db_url: str, app_shop: AppShop, uow: UnitOfWork, tmp_path: Path) -> None:
    set_language(uow, load_actor(uow, "sales-1"), "en")
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "sales-1", "/app/sales")
        sales_order(p, SALES_LINES[:1])
        p.page.reload()
        p.page.locator("h1").filter(has_text="New sales order").wait_for()
        p.type("#customer-q", "C-BLUE")
        p.tap('#customer-list button[data-code="C-BLUE"]')
        p.type("#item-q", "clock 3")
        choice = p.page.locator('#item-list button[data-sku="RETRO-CLOCK"]')
        choice.wait_for()
        assert choice.inner_text().splitlines()[0] == "Retro clock × 3"
        p.tap('#item-list button[data-sku="RETRO-CLOCK"]')
        p.page.locator('#lines .line[data-sku="RETRO-CLOCK"] .amount').filter(has_text="75").wait_for()
        assert "last CN¥25.00" in p.page.locator('#lines .line[data-sku="RETRO-CLOCK"]').inner_text()
        p.page.locator('#lines .line[data-sku="RETRO-CLOCK"] .step.plus').click()
        p.page.locator("#total").filter(has_text="100").wait_for()
        assert p.page.locator("#submit").inner_text() == "Submit order"
        shot(p.page, tmp_path, "sales-lines-en")


def test_a_warehouse_worker_receives_a_purchase_order_with_one_partial_line_and_a_rejection(
        db_url: str, app_shop: AppShop, uow: UnitOfWork, tmp_path: Path) -> None:
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "warehouse-1", "/app/receive")
        said = receive_order(p, app_shop.po_number, "TEA-CUP", "20", "2", "外箱破损")
        assert "已入库" in said and "部分收货" in said
        assert p.taps <= 6, p.log
        order = get_purchase_order(uow, app_shop.shop.manager, app_shop.po_number)
        got = {ln.sku: (ln.received_qty, ln.rejected_qty) for ln in order.lines}
        assert got == {"RETRO-CLOCK": (10, 0), "TEA-CUP": (20, 2), "LAMP": (4, 0)}
        assert order.status == "partially_received"
        assert audit_channels(uow, "purchase.receive") == ["telegram_app"]
        p2 = phone(launched, url, "warehouse-1", f"/app/receive?po={app_shop.po_number}")
        p2.page.locator('#po-lines .line[data-sku="TEA-CUP"]').wait_for()
        assert p2.page.locator("#po-lines .line").count() == 1, "only what is still expected"
        assert "预期 4" in p2.page.locator('#po-lines .line[data-sku="TEA-CUP"]').inner_text()
        shot(p2.page, tmp_path, "receive-zh")


def test_a_warehouse_worker_counts_ten_items_by_scanning_with_the_camera(
        db_url: str, app_shop: AppShop, uow: UnitOfWork, tmp_path: Path) -> None:
    mug, pen = SCANNED[0].barcodes[0], SCANNED[1].barcodes[0]
    film = write_y4m(tmp_path / "shelf.y4m", [mug] * 5 + [pen] * 4 + [UNKNOWN_CODE])
    with serving(db_url) as url, chromium(camera=film) as launched:
        p = phone(launched, url, "warehouse-1", "/app/count")
        said = count_by_scanning(p, 10)
        page = p.page
        assert page.locator('#counted .line[data-sku="MUG-BWB"] .qty').inner_text() == "5"
        assert page.locator('#counted .line[data-sku="PEN-GEL"] .qty').inner_text() == "4"
        assert page.locator(f'#unknown .line[data-code="{UNKNOWN_CODE}"]').count() == 1
        assert "已过账" in said or "已提交审批" in said
        assert page.evaluate("window.__haptics.filter(k => k === 'success').length") >= 9
        assert page.evaluate("window.__haptics.filter(k => k === 'error').length") >= 1
        assert p.taps <= 4, p.log
        shot(page, tmp_path, "count-zh")
    worker = load_actor(uow, "warehouse-1")
    stock = {s.sku: s for s in find_stock(uow, worker, "MUG-BWB") + find_stock(uow, worker, "PEN-GEL")}
    assert set(stock) == {"MUG-BWB", "PEN-GEL"}
    assert audit_channels(uow, "stocktake.count") == ["telegram_app", "telegram_app"]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_page_fits_a_phone_in_the_readers_language(
        db_url: str, app_shop: AppShop, uow: UnitOfWork, tmp_path: Path, lang: str) -> None:
    for name in ("sales-1", "warehouse-1"):
        set_language(uow, load_actor(uow, name), lang)
    film = write_y4m(tmp_path / "shelf.y4m", [SCANNED[0].barcodes[0]] * 2 + [UNKNOWN_CODE])
    titles = {"zh_CN": ("新销售单", "采购收货", "扫码盘点", "jxc"), "en": ("New sales order", "Receive goods",
                                                                "Stocktake", "jxc")}[lang]
    with serving(db_url) as url, chromium(camera=film) as launched:
        home = phone(launched, url, "sales-1", "/app/")
        # the page opens in Telegram's language and reloads itself in the reader's: wait for that document
        home.page.locator(f'html[lang="{"zh-CN" if lang == "zh_CN" else "en"}"] meta[name="jxc-lang"][content="{lang}"]'
                          ).wait_for(state="attached")
        home.page.locator("h1").filter(has_text=titles[3]).wait_for()
        home.page.locator("nav.home a").first.wait_for()
        assert home.page.locator("nav.home a").count() == 5  # sales, receive, count, quotation, deposit
        shot(home.page, tmp_path, f"home-{lang}")

        sales = phone(launched, url, "sales-1", "/app/sales?customer=C-BLUE")
        sales.page.locator("h1").filter(has_text=titles[0]).wait_for()
        sales.page.locator("#customer-chosen:not([hidden])").wait_for()
        for typed in ("RETRO 20", "LAMP"):
            sales.type("#item-q", typed)
            sales.tap("#item-list button")
        sales.page.locator("#lines .line .warn").first.wait_for()
        sales.page.locator("#total").filter(has_text="599").wait_for()
        shot(sales.page, tmp_path, f"sales-{lang}")

        receive = phone(launched, url, "warehouse-1", f"/app/receive?po={app_shop.po_number}")
        receive.page.locator("h1").filter(has_text=titles[1]).wait_for()
        receive.tap("#all-expected")
        receive.type('#po-lines .line[data-sku="LAMP"] input.bad', "1")
        receive.page.locator('#po-lines .line[data-sku="LAMP"] input.note:not([hidden])').wait_for()
        shot(receive.page, tmp_path, f"receive-{lang}")

        count = phone(launched, url, "warehouse-1", "/app/count")
        count.page.locator("h1").filter(has_text=titles[2]).wait_for()
        count.page.locator("#warehouse option").first.wait_for(state="attached")
        shot(count.page, tmp_path, f"count-start-{lang}")
        count.tap("#start")
        count.page.locator("#unknown .line").first.wait_for(timeout=60_000)
        count.page.locator('#counted .line[data-sku="MUG-BWB"]').wait_for()
        shot(count.page, tmp_path, f"count-scanning-{lang}")
        for p in (home, sales, receive, count):
            assert p.errors == [], p.errors


def test_the_sales_page_proposes_the_customers_price_list_with_its_source(
        db_url: str, app_shop: AppShop, uow: UnitOfWork) -> None:
    set_price_grade(uow, app_shop.shop.manager, "C-BLUE", "VIP")
    add_price_rules(uow, app_shop.shop.manager, [PriceRuleIn("fixed", "22", grade="VIP", product="RETRO-CLOCK",
                                                             min_qty="3")])
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "sales-1", "/app/sales")
        p.page.locator("#warehouse option").first.wait_for(state="attached")  # the page is ready for typing
        p.type("#customer-q", "C-BLUE")
        p.tap('#customer-list button[data-code="C-BLUE"]')
        p.type("#item-q", "RETRO 3")
        choice = p.page.locator('#item-list button[data-sku="RETRO-CLOCK"]')
        choice.wait_for()
        assert "¥25.00 牌价" in choice.inner_text(), "one costs the list price"
        p.tap('#item-list button[data-sku="RETRO-CLOCK"]')
        line = p.page.locator('#lines .line[data-sku="RETRO-CLOCK"]')
        line.locator(".amount").filter(has_text="66").wait_for()
        assert "RETRO-CLOCK · VIP 价，3 件起" in line.locator(".source").inner_text()
        assert line.locator("input.price").get_attribute("placeholder") == "¥22.00"
        line.locator("input.qty").fill("2")
        line.locator(".amount").filter(has_text="50").wait_for()
        assert "RETRO-CLOCK · 牌价" in line.locator(".source").inner_text()
        line.locator("input.qty").fill("3")
        line.locator(".amount").filter(has_text="66").wait_for()
        p.tap("#submit", "submit")
        p.page.locator("#notice.ok").wait_for()
    orders = list_sales_orders(uow, load_actor(uow, "sales-1"))
    assert [(o.customer, o.total) for o in orders] == [("C-BLUE", Decimal("66.00"))]
