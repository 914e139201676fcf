"""A recall in one message: `追溯 LOT` / `trace LOT` answers with the supplier, the customers and quantities, and
the whole trace as an .xlsx; a serial's sale (to whom, when, on which order); the same trace as data over REST."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from core.catalog.products import NewProduct, create_product
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.stock.trace import trace_lot
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return recall_scenario(uow, admin)


def recall_scenario(uow: UnitOfWork, admin: Actor) -> Shop:
    """10 of lot L7 and two phones received from ACME; 6 of L7 to SHOP-A (1 back), 3 to SHOP-B; one phone sold."""
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot"))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    for code, name in (("SHOP-A", "A 超市"), ("SHOP-B", "B 便利店")):
        create_customer(uow, admin, NewCustomer(code, name, salesperson="sales-1"))
    order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN",
                                  [PurchaseLineIn("MILK", 10, "2"), PurchaseLineIn("PHONE", 2, "900")])
    submit_purchase_order(uow, shop.purchaser, order.number)
    receive_purchase(uow, shop.warehouse, order.number, [
        ReceiptLineIn("MILK", 10, lot="L7", expiry="2027-01-31"), ReceiptLineIn("PHONE", 2, serials=("SN-1", "SN-2"))])
    for customer, lines in (("SHOP-A", [SalesLineIn("MILK", 6, "4"), SalesLineIn("PHONE", 1, "1500")]),
                            ("SHOP-B", [SalesLineIn("MILK", 3, "4")])):
        sale = create_sales_order(uow, shop.sales, customer, "MAIN", lines)
        submit_sales_order(uow, shop.sales, sale.number)
        ship_sales_order(uow, shop.warehouse, sale.number)
    return_from_customer(uow, shop.sales, "SO-2026-000001", [SalesLineIn("MILK", 1)], reason="leaking")
    return shop


def test_trace_lot_answers_a_recall_in_one_message_with_a_spreadsheet(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "manager-1")
    [text] = chat.send("追溯 L7")
    assert text == ("批次 L7 追溯 · MILK 牛奶 · 有效期至 2027-01-31\n现库存：2\n来自：ACME Acme 贸易（10，11-20）\n"
                    "发往 2 个客户：\n· SHOP-A A 超市：5，最近 11-20\n· SHOP-B B 便利店：3，最近 11-20\n"
                    "共 4 笔出入库，明细见附件表格。")
    attached = chat.replies[0].file
    assert attached is not None and attached.name == "trace-MILK-L7.xlsx"
    sheets = load_workbook(io.BytesIO(attached.content))
    rows = list(sheets["moves"].iter_rows(values_only=True))
    assert rows[0] == ("日期", "单据", "类型", "订单", "仓库", "数量", "供应商 / 客户")
    assert [(r[2], r[3], r[5], r[6]) for r in rows[1:]] == [
        ("采购收货", "PO-2026-000001", 10, "ACME Acme 贸易"), ("发货", "SO-2026-000001", -6, "SHOP-A A 超市"),
        ("发货", "SO-2026-000002", -3, "SHOP-B B 便利店"), ("客户退货", "SO-2026-000001", 1, "SHOP-A A 超市")]
    assert list(sheets["customers"].iter_rows(values_only=True))[1:][0][:2] == ("SHOP-A A 超市", 5)


def test_a_serial_shows_whom_it_was_sold_to_in_english(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "manager-1", "en")
    [text] = chat.send("trace SN-1")
    assert "Sold to 1 customer:\n· SHOP-A A 超市: 1, last 11-20" in text
    assert "Sold on 11-20 on order SO-2026-000001." in text
    assert chat.send("trace NOPE") == ["No lot or serial number NOPE is known. Send another one (or the SKU and "
                                       "the lot):"]


def test_the_trace_as_data_over_rest(uow: UnitOfWork, shop: Shop) -> None:
    t = tokens(shop)
    assert trace_lot(uow, shop.admin, "PHONE", "SN-2").on_hand == D(1)

    async def scenario() -> None:
        async with serve(uow) as api:
            got = await api.get("/lots/MILK/L7/trace", t["warehouse"])
            assert got.status == 200, got.body
            assert [(c["code"], c["qty"]) for c in got.body["customers"]] == [
                ("SHOP-A", "5.0000"), ("SHOP-B", "3.0000")]
            assert got.body["suppliers"][0]["code"] == "ACME" and len(got.body["moves"]) == 4
            assert (await api.get("/lots/NOPE/L7/trace", t["warehouse"])).status == 404

    asyncio.run(scenario())
