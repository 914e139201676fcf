"""A report's table in the browser chat on a 390 px phone, in Chinese and in English: a real HTML table with its
numbers to the right, inside its message, scrolling sideways on its own while the page does not."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.catalog.products import NewProduct, create_product
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_login_link
from core.people.employees import load_actor
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.test_web_chat_browser import browser, chromium, phone, say, serving
from tests.factories import make_shop

SHOTS = os.environ.get("JXC_SCREENSHOTS", "")  # a folder to keep the screenshots in, to look at them
LONG_NAMES = (("FLASK-500", "不锈钢真空保温杯 500ml 月光白", "Vacuum flask 500ml, moon white"),
              ("WOK-32", "麦饭石不粘炒锅 32cm 带锅盖", "Non-stick stone wok 32cm with lid"),
              ("PEN-BOX", "按动中性笔 0.5mm 黑色 12支装", "Retractable gel pens 0.5mm black, 12"))


@pytest.fixture
def sold(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    """The shop with three long-named products sold this month to one customer, shipped."""
    make_shop(uow, admin)
    for sku, zh, en in LONG_NAMES:
        create_product(uow, admin, NewProduct(sku, zh, en, purchase_price="20", sale_price="49.9", floor_price="30"))
    receive_stock(uow, admin, "MAIN", [LineIn(sku, 100, "20") for sku, _, _ in LONG_NAMES])
    create_customer(uow, admin, NewCustomer("C-BLUE", "蓝海百货", salesperson="sales-1"))
    seller, keeper = load_actor(uow, "sales-1"), load_actor(uow, "warehouse-1")
    for n, (sku, _, _) in enumerate(LONG_NAMES, start=1):
        order = create_sales_order(uow, seller, "C-BLUE", "MAIN", [SalesLineIn(sku, 3 * n)])
        ship_sales_order(uow, keeper, submit_sales_order(uow, seller, order.number).number)
    return uow


def tabled(page: Any, text: str) -> Any:
    """Send `text`; the message of the reply that carries a table."""
    say(page, text)
    found = page.locator(".msg.has-table").last
    found.locator(".table-box table").wait_for()
    return found


def table_of(reply: Any) -> dict[str, Any]:
    """What the reply's table shows: header, rows, totals, and how its numbers are aligned."""
    table = reply.locator(".table-box table")
    return {
        "header": table.locator("thead th").all_inner_texts(),
        "rows": [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()],
        "totals": table.locator("tfoot td").all_inner_texts(),
        "align": table.locator("tbody tr").first.locator("td").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c).textAlign)"),
    }


def fits_the_phone(page: Any, reply: Any) -> None:
    box = reply.locator(".table-box").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, "the table's box stays on the screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page itself never scrolls sideways"


def keep(page: Any, reply: Any, tmp_path: Path, name: str) -> None:
    """A screenshot with the reply's message at the top of the screen."""
    reply.evaluate("m => m.scrollIntoView({block: 'start'})")
    path = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=str(path / name))
    assert (path / name).stat().st_size > 10_000


def test_a_sales_report_is_an_html_table_on_a_phone_in_chinese_and_in_english(
    db_url: str, sold: UnitOfWork, admin: Actor, tmp_path: Path
) -> None:
    chromium()
    token = create_login_link(sold, admin, "manager-1").code
    with serving(db_url) as url, browser() as launched:
        page = phone(launched, url, token)
        reply = tabled(page, "报表 销售 本月 按商品")
        shown = table_of(reply)
        assert shown["header"] == ["商品", "商品名称", "数量", "销售额"]
        assert shown["rows"] == [["FLASK-500", "不锈钢真空保温杯 500ml 月光白", "3", "149.70"],
                                 ["PEN-BOX", "按动中性笔 0.5mm 黑色 12支装", "9", "449.10"],
                                 ["WOK-32", "麦饭石不粘炒锅 32cm 带锅盖", "6", "299.40"]]
        assert shown["totals"] == ["合计", "", "18", "898.20"]
        assert shown["align"] == ["left", "left", "right", "right"]
        assert reply.locator(".bubble").inner_text().startswith("📊 销售汇总")
        fits_the_phone(page, reply)
        scroller = reply.locator(".table-box")
        assert scroller.evaluate("b => b.scrollWidth <= b.clientWidth"), "names wrap: every column is on the screen"
        keep(page, reply, tmp_path, "report-table-zh.png")

        say(page, "language en")
        reply = tabled(page, "report sales this month by product")
        shown = table_of(reply)
        assert shown["header"] == ["Product", "Product name", "Qty", "Revenue"]
        assert shown["rows"][0] == ["FLASK-500", "Vacuum flask 500ml, moon white", "3", "149.70"], "English names"
        assert shown["totals"] == ["Total", "", "18", "898.20"]
        fits_the_phone(page, reply)
        keep(page, reply, tmp_path, "report-table-en.png")

        stock = tabled(page, "stock FLASK-500")
        assert table_of(stock)["rows"] == [["MAIN", "97", "20.00"]]
        assert not stock.locator(".table-box").evaluate("b => b.scrollWidth > b.clientWidth"), "a narrow one fits"
        keep(page, stock, tmp_path, "stock-table-en.png")
