"""Finding an item by what the person knows, in whole dialogues: a name that names several products gives pick
buttons (name, stock available, sale price) and a press takes the line on; a typo is taken or the nearest offered."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.catalog.listing import list_products
from core.catalog.products import NewProduct, create_product
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee
from core.permissions import Actor
from core.sales.entry import sale_items
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.integration.test_flows_sales import chat_of, level

CUPS = (
    NewProduct("BWB-500", "不锈钢保温杯500ml", "Steel thermos 500ml", purchase_price="20", sale_price="39"),
    NewProduct("BWB-KID", "儿童保温杯", "Kids thermos", purchase_price="15", sale_price="29"),
    NewProduct("BWB-CAR", "车载保温杯", "Car thermos", purchase_price="25", sale_price="49"),
    NewProduct("BWB-BIG", "保温杯 大号", "Large thermos", purchase_price="30", sale_price="59"),
    NewProduct("CQ-HOTPOT", "重庆火锅底料", "Chongqing hotpot base", purchase_price="8", sale_price="15"),
)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """The small shop with four thermos cups (three in stock) and a customer of sales-1."""
    shop = make_shop(uow, admin)
    for product in CUPS:
        create_product(uow, admin, product)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("BWB-500", 12, "20"), LineIn("BWB-KID", 5, "15"),
                                       LineIn("BWB-CAR", 7, "25"), LineIn("CQ-HOTPOT", 40, "8")])
    return shop


def test_a_name_of_four_cups_in_a_chinese_sales_order_offers_them_and_a_press_takes_the_line(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    chat.send("开单 ACME")
    chat.press(chat.button("MAIN"))
    reply = chat.send("保温杯 2")[0]
    assert reply.startswith("「保温杯」对应 4 个商品，请点选一个：\n")
    assert "BWB-KID 儿童保温杯" in reply and "BWB-500 不锈钢保温杯500ml" in reply
    labels = [b.label for b in chat.replies[0].buttons[0] + tuple(b for row in chat.replies[0].buttons[1:]
                                                                    for b in row)]
    assert "不锈钢保温杯500ml · 可用 12 个 · 39.00" in labels
    assert "保温杯 大号 · 可用 0 个 · 59.00" in labels
    assert not any("20.00" in label for label in labels), "a salesperson never sees a cost price"
    assert all(len(label) <= 40 for label in labels), "a button fits a phone screen"
    reply = chat.press(chat.button("不锈钢保温杯"))[0]
    assert "1. BWB-500 不锈钢保温杯500ml × 2 @ 39.00 = ¥78.00" in reply
    reply = chat.send("bwb 1")[0]
    assert reply.startswith("「bwb」对应 4 个商品"), "initials name the same four"
    reply = chat.press(chat.button("车载"))[0]
    assert "2. BWB-CAR 车载保温杯 × 1 @ 49.00 = ¥49.00" in reply
    assert "3. CQ-HOTPOT 重庆火锅底料 × 3" in chat.send("cqhg 3")[0], "one match is taken at once"
    assert "4. CQ-HOTPOT 重庆火锅底料 × 1" in chat.send("chongqing 1")[0]
    chat.press(chat.button("完成"))
    reply = chat.press(chat.button("提交"))[0]
    assert reply.startswith("销售单 SO-")
    assert level(uow, "BWB-500") == (D(12), D(2)) and level(uow, "BWB-CAR") == (D(7), D(1))


def test_an_english_order_takes_a_typo_and_offers_the_nearest_for_a_worse_one(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    chat.send("so acme")
    chat.press(chat.button("MAIN"))
    reply = chat.send("thermos 1")[0]
    assert reply.startswith('"thermos" names 4 products. Tap one:\n')
    assert "Kids thermos · 5 pcs · 29.00" in [b.label for row in chat.replies[0].buttons for b in row]
    assert "1. BWB-KID Kids thermos × 1 @ 29.00" in chat.press(chat.button("Kids thermos"))[0]
    assert "2. RETRO-CLOCK Retro clock × 2" in chat.send("retro-clok 2")[0], "a small typo is taken"
    reply = chat.send("chongqinghuoguodilao 1")[0]
    assert "3. CQ-HOTPOT Chongqing hotpot base × 1" in reply, "full pinyin"
    reply = chat.send("fuguonaozhon 1")[0]
    assert "4. RETRO-CLOCK Retro clock × 1" in reply, "pinyin with a letter missing"
    reply = chat.send("chongguohuo 1")[0]
    assert reply.startswith('No product "chongguohuo". The nearest:\nCQ-HOTPOT Chongqing hotpot base\n')
    assert "5. CQ-HOTPOT" in chat.press(chat.button("Chongqing hotpot"))[0]
    assert chat.send("zzzz 1")[0].startswith('No product "zzzz". Check the SKU or barcode')
    assert chat.replies[0].buttons == () or all(not b.data.startswith("pick:")
                                                for row in chat.replies[0].buttons for b in row)


def test_a_pick_pressed_after_the_order_ended_shows_the_card_and_changes_nothing(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    chat.send("开单 ACME")
    chat.press(chat.button("MAIN"))
    chat.send("保温杯 2")
    pick = chat.button("儿童保温杯")
    chat.send("取消")
    reply = chat.press(pick)[0]
    assert "BWB-KID" in reply and "儿童保温杯" in reply
    assert level(uow, "BWB-KID") == (D(5), D(0))


def test_stock_lookup_finds_by_pinyin_initials_and_a_typo(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    for query in ("库存 保温杯", "库存 bwb", "库存 baowenbei"):
        chat.send(query)
        opened = {b.data for row in chat.replies[0].buttons for b in row}
        assert opened == {f"go:item {sku}" for sku in ("BWB-500", "BWB-KID", "BWB-CAR", "BWB-BIG")}, query
    assert "CQ-HOTPOT 重庆火锅底料" in chat.send("库存 chongqnig")[0]


def test_a_customer_is_found_by_pinyin_initials_or_a_typo(uow: UnitOfWork, shop: Shop) -> None:
    create_customer(uow, shop.admin, NewCustomer("HXMY", "华夏贸易有限公司", salesperson="sales-1"))
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    for query in ("开单 huaxia", "开单 hxmy", "开单 华夏", "开单 huaxai maoyi"):
        reply = chat.send(query)[0]
        assert "HXMY" in reply or "华夏贸易有限公司" in reply, (query, reply)
        chat.send("取消")


@pytest.mark.parametrize("query", ["bwb", "baowenbei", "保温杯", "thermos"])
def test_the_product_list_and_the_order_page_find_what_the_chat_finds(uow: UnitOfWork, shop: Shop,
                                                                      query: str) -> None:
    """REST's product list and the Mini App's item search are the chat's search: pinyin, initials, English, a typo."""
    cups = {"BWB-500", "BWB-KID", "BWB-CAR", "BWB-BIG"}
    assert {p.sku for p in list_products(uow, shop.sales, query)} == cups, query
    items = sale_items(uow, shop.sales, "ACME", "MAIN", query)
    assert {i.sku for i in items} == cups, query
    assert next(i.available for i in items if i.sku == "BWB-500") == D(12)
    assert [p.sku for p in list_products(uow, shop.sales, "bwb-kid")] == ["BWB-KID"], "the exact SKU, any case"
    assert list_products(uow, shop.sales, "bwb", offset=2, limit=2) != list_products(uow, shop.sales, "bwb", limit=2)
    typo = {p.sku for p in list_products(uow, shop.sales, "baowenbie")}
    assert typo and typo <= cups, "a small typo finds a cup, as in chat"
