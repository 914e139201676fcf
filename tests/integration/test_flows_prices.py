"""Price lists in chat: a manager sets grades and rules in one line each, removes one by its button; a salesperson
sees each order line's price with where it comes from and what the customer paid last."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from core.catalog.products import NewProduct, create_category, create_product
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.price_lists import list_price_rules
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.integration.test_flows_sales import chat_of


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_category(uow, admin, "CUPS", "杯具", "Cups")
    create_product(uow, admin, NewProduct("MUG", "马克杯", "Mug", category="CUPS", purchase_price="8",
                                          sale_price="20", floor_price="9"))
    for code in ("VIPCO", "PLAIN"):
        create_customer(uow, admin, NewCustomer(code, code.title() + " Ltd", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("MUG", 100, "8")])
    return shop


def test_a_manager_keeps_the_price_list_in_chat(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    assert boss.send("价格")[0].startswith("价目表（管理员、经理）：")
    assert boss.send("价格 等级 vipco VIP") == ["客户 VIPCO 的价格等级现在是 VIP。"]
    added = boss.send("价格 VIP MUG 15 10起")[0]
    assert added.startswith("已添加价格规则：\n#") and added.endswith(" VIP · MUG · 15.00 · 10 件起")
    assert boss.send("价格 VIP CUPS 90% 2026-01-01 ~ 2099-12-31")[0].endswith(
        " VIP · 分类 CUPS · 牌价的 90% · 2026-01-01~2099-12-31")
    assert boss.send("价格 全部 全部 成本+50%")[0].endswith(" 所有客户 · 全部商品 · 成本加 50%")
    listed = boss.send("价格 VIP")[0]
    assert listed.startswith("「VIP」的价格规则（2 条）：\n#2 VIP · 分类 CUPS · 牌价的 90%")
    assert boss.send("价格 VIP MUG 便宜") == ["金额「便宜」无效：请输入一个不小于 0 的数字，例如 19.90。"]
    assert boss.send("价格 VIP MUG 12 from 100 ~2026-12-31")[0].endswith(" VIP · MUG · 12.00 · 100 件起 · ~2026-12-31")
    assert boss.send("价格 VIP MUG 11 200件起")[0].endswith(" VIP · MUG · 11.00 · 200 件起")
    assert boss.send("价格 VIP NOTHING 3")[0] == "没有商品「NOTHING」。"
    assert boss.send("价格 VIP MUG 3 明天")[0].startswith("价格规则的格式是：")
    first = list_price_rules(uow, shop.manager, of="VIP")[-1]
    boss.send("价格 VIP")
    assert boss.press(boss.button(f"删除 #{first.id}")) == [f"已删除第 {first.id} 号价格规则。"]
    assert len(list_price_rules(uow, shop.manager, of="VIP")) == 3
    seller = chat_of(uow, shop.admin, "sales-1", "2002")
    assert seller.send("价格 VIP") == ["「价格」不是你的角色能做的。点「帮助」看看你可以做什么。"]
    assert "价格 VIP" not in seller.send("帮助 审批")[0] and "价格 VIP" in boss.send("帮助 审批")[0]


def test_each_order_line_says_where_its_price_comes_from_and_the_last_price_paid(uow: UnitOfWork,
                                                                                 shop: Shop) -> None:
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    boss.send("价格 等级 VIPCO VIP")
    boss.send("价格 VIP MUG 15 10起")
    seller = chat_of(uow, shop.admin, "sales-1", "2002")
    seller.send("开单 vipco")
    seller.press(seller.button("MAIN"))
    reply = seller.send("MUG 9")[0]
    assert "1. MUG 马克杯 × 9 @ 20.00 = ¥180.00\n   牌价 · 此客户未买过" in reply
    reply = seller.send("MUG 10")[0]
    assert "2. MUG 马克杯 × 10 @ 15.00 = ¥150.00\n   VIP 价，10 件起 · 此客户未买过" in reply
    reply = seller.send("MUG 12 16.5")[0]
    assert "3. MUG 马克杯 × 12 @ 16.50 = ¥198.00\n   手填价 (价目表 15.00) · 此客户未买过" in reply
    seller.press(seller.button("完成"))
    assert "已审批" in seller.press(seller.button("提交"))[0]
    seller.send("开单 vipco")
    seller.press(seller.button("MAIN"))
    day = format_datetime(datetime.now(ZoneInfo("Asia/Shanghai")), "MM-dd", locale="zh_CN")  # the company's day
    assert f"VIP 价，10 件起 · 上次成交 16.50（{day}）" in seller.send("MUG 10")[0]
    english = chat_of(uow, shop.admin, "sales-1", "2003", language="en")
    english.send("so plain")
    english.press(english.button("MAIN"))
    assert "1. MUG Mug × 10 @ 20.00 = CN¥200.00\n   list price · never bought by this customer" in english.send(
        "MUG 10")[0]
    english.send("x")
    boss.send("价格 PLAIN 全部 90%")
    english.send("so vipco")
    english.press(english.button("MAIN"))
    assert f"VIP price, from 10 · last paid 16.50 ({day})" in english.send("MUG 10")[0]


def test_a_quotation_in_chat_becomes_an_order_with_one_tap(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    boss.send("价格 等级 VIPCO VIP")
    boss.send("价格 VIP MUG 15 10起")
    seller = chat_of(uow, shop.admin, "sales-1", "2002")
    assert seller.send("报价") == ["新报价单。请输入客户名称或编码的一部分："]
    seller.send("vipco")
    seller.press(seller.button("MAIN"))
    assert "1. MUG 马克杯 × 10 @ 15.00 = ¥150.00\n   VIP 价，10 件起" in seller.send("MUG 10")[0]
    confirm = seller.press(seller.button("完成"))[0]
    assert confirm.startswith("请确认报价单：\n客户：VIPCO Vipco Ltd")
    assert "1. MUG 马克杯 × 10 @ 15.00 = ¥150.00（VIP 价，10 件起）" in confirm
    made = seller.press(seller.button("提交"))[0]
    number = made.split()[1]
    assert made.startswith(f"报价单 {number} 已生成：VIPCO Vipco Ltd，合计 ¥150.00，1 行，有效期至 ")
    boss.send("价格 VIPCO MUG 18")  # the price list changes; the quotation keeps its price
    listed = seller.send("报价单 vipco")[0]
    assert listed.startswith("客户 VIPCO 的有效报价单（1 张）：\n" + number)
    ordered = seller.press(seller.button(f"下单 {number}"))[0]
    assert ordered.startswith("销售单 SO-") and "已审批" in ordered and "合计 ¥150.00" in ordered
    assert seller.send("报价单") == ["没有有效的报价单。发送「报价」新建一张。"]
    assert seller.press(f"qt:o{number}") == [f"报价单 {number} 已转为销售单 {ordered.split()[1]}，不能再下单或作废。"]


def test_a_quotation_in_english_is_cancelled(uow: UnitOfWork, shop: Shop) -> None:
    seller = chat_of(uow, shop.admin, "sales-1", "2003", language="en")
    seller.send("quote plain")
    seller.press(seller.button("MAIN"))
    seller.send("MUG 3")
    assert seller.press(seller.button("Done"))[0].startswith("Please confirm the quotation:")
    made = seller.press(seller.button("Submit"))[0]
    assert "total CN¥60.00, 1 line(s), valid until" in made
    number = made.split()[1]
    assert seller.press(seller.button("Cancel it")) == [f"Quotation {number} cancelled."]
    assert seller.send("quotes") == ['No open quotations. Send "quote" to write one.']
    assert chat_of(uow, shop.admin, "warehouse-1", "2004").send("报价") == [
        "「报价」不是你的角色能做的。点「帮助」看看你可以做什么。"]


def test_a_vat_rate_set_in_chat_shows_as_the_tax_in_the_order_total(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    assert boss.send("价格 税率 mug 13%") == ["mug 的税率现在是 13%。"]
    assert boss.send("价格 税率 CUPS 200")[0] == "税率「200」无效：应是 0 到 100 之间的百分比，例如 13 或 9。"
    seller = chat_of(uow, shop.admin, "sales-1", "2002")
    seller.send("开单 plain")
    seller.press(seller.button("MAIN"))
    assert "合计：¥200.00（其中税额 ¥23.01）" in seller.send("MUG 10")[0]  # 200 x 13 / 113 = 23.0088...
    assert "合计：¥200.00（其中税额 ¥23.01）" in seller.press(seller.button("完成"))[0]
    assert seller.send("价格 税率 MUG 6") == ["「价格」不是你的角色能做的。点「帮助」看看你可以做什么。"]
    assert boss.send("价格 税率 MUG") == ["MUG 不再有自己的税率：按分类或默认税率计税。"]


def test_deposits_in_chat_recorded_listed_and_refunded(uow: UnitOfWork, shop: Shop) -> None:
    from core.sales.orders import cancel_sales_order, create_sales_order, submit_sales_order
    from core.sales.records import SalesLineIn

    order = submit_sales_order(uow, shop.sales, create_sales_order(uow, shop.sales, "PLAIN", "MAIN", [
        SalesLineIn("MUG", 5)]).number).number
    money = chat_of(uow, shop.admin, "finance-1", "2005")
    assert money.send("订金")[0].startswith("订金（财务、经理）：")
    recorded = money.send(f"订金 {order.lower()} 60 现金")[0]
    assert recorded.startswith("已记订金 CR-") and recorded.endswith(f"：{order} ¥60.00，发货时冲抵货款。")
    assert "，已冲抵 ¥0.00，未冲抵完" in money.send(f"订金 {order}")[0]
    assert "只有取消" in money.send(f"订金 退还 {order} 客户取消")[0]
    cancel_sales_order(uow, shop.sales, order, "客户取消")
    settled = money.send(f"订金 退还 {order} 客户取消 原路退回")[0]
    assert settled.startswith(f"{order} 的订金已退还：") and "已退还（客户取消 原路退回）" in settled
    seller = chat_of(uow, shop.admin, "sales-1", "2006", language="en")
    assert seller.send(f"deposit {order} 10")[0].startswith('"Deposits on orders: record, refund, forfeit')
