"""Prices and quotations through the real Telegram stack, in 中文 and English: a manager keeps the price list in
chat, a salesperson sees each line's price source, writes a quotation and turns it into an order with one tap on
its inline button; then the books are checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal as D

import pytest

from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.orders import get_sales_order
from core.sales.quotations import get_quotation
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.telegram_chat import TelegramStack
from tests.factories import Shop
from tests.integration.chat_shop import open_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("DEALER", "经销商甲", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


@pytest.fixture
def tg(db_url: str, shop: Shop) -> Iterator[TelegramStack]:
    with TelegramStack(db_url) as stack:
        yield stack


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_quotation_at_the_dealers_prices_becomes_an_order_with_one_tap(
        tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str) -> None:
    zh = lang == "zh_CN"
    boss = tg.person(uow, shop.admin, "manager-1", lang)
    boss.send("价格 等级 DEALER 经销商" if zh else "prices grade DEALER 经销商")
    added = boss.send("价格 经销商 RETRO-CLOCK 20 10起" if zh else "prices 经销商 RETRO-CLOCK 20 from 10")[0]
    assert added.endswith("经销商 · RETRO-CLOCK · 20.00 · 10 件起" if zh else "经销商 · RETRO-CLOCK · 20.00 · from 10")
    seller = tg.person(uow, shop.admin, "sales-1", lang)
    seller.send("报价 dealer" if zh else "quote dealer")
    seller.press(seller.button("MAIN"))
    line = seller.send("RETRO-CLOCK 12")[0]
    said = "经销商 价，10 件起 · 此客户未买过" if zh else "经销商 price, from 10 · never bought by this customer"
    assert said in line
    seller.press(seller.button("完成" if zh else "Done"))
    made = seller.press(seller.button("提交" if zh else "Submit"))[0]
    number = re.findall(r"QT-\d{4}-\d{6}", made)[0]
    assert number.startswith("QT-") and ("¥240.00" in made)
    ordered = seller.press(seller.button("转为销售单" if zh else "Make it an order"))[0]
    order_number = re.findall(r"SO-\d{4}-\d{6}", ordered)[0]
    assert order_number.startswith("SO-") and ("已审批" if zh else "approved") in ordered
    order = get_sales_order(uow, shop.manager, order_number)
    assert (order.status, order.total, order.lines[0].unit_price) == ("approved", D("240.00"), D(20))
    assert get_quotation(uow, shop.manager, number).order_number == order_number
    again = seller.send("报价单" if zh else "quotes")[0]
    none = "没有有效的报价单。发送「报价」新建一张。" if zh else 'No open quotations. Send "quote" to write one.'
    assert again == none
