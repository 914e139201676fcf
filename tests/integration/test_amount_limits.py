"""A line or a running total beyond what the books hold (amounts below 10^12) is refused in chat as it is typed,
with its own words in 中文 and English, and the lines already entered stay."""

from __future__ import annotations

import pytest

from core.models import PurchaseOrder, SalesOrder
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person, rows


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("BIG", "Big Buyer", salesperson="sales-1"))
    return shop


def test_a_purchase_line_and_a_running_total_too_large_for_the_books_are_refused_as_typed(
        uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "purchaser-1")
    chat.send("采购单 acme")
    chat.press(chat.button("ACME"))
    chat.press(chat.button("MAIN"))
    assert chat.send("LAMP 999999999999 999999")[0].startswith(
        "LAMP 这一行金额为 ¥999,998,999,999,000,001.00，超出了账簿能记录的金额（须小于 ¥1,000,000,000,000.00）。")
    assert "合计：¥600,000,000,000.00（1 行）" in chat.send("LAMP 600000 1000000")[0]
    refused = chat.send("TEA-CUP 600000 1000000")[0]
    assert refused.startswith("合计金额为 ¥1,200,000,000,000.00，超出了账簿能记录的金额")
    summary = chat.send("完成")[0]
    assert "LAMP" in summary and "TEA-CUP" not in summary and summary.endswith("合计：¥600,000,000,000.00")
    chat.press(chat.button("提交"))
    assert rows(uow, PurchaseOrder) == (1,)


def test_a_sales_line_too_large_for_the_books_is_refused_in_english_and_the_order_keeps_its_lines(
        uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "sales-1", "en")
    chat.send("so big")
    chat.press(chat.button("MAIN"))
    assert chat.send("LAMP 500000 1000000")[0].endswith("Are you sure?"), "an absurd quantity is asked about first"
    assert "Total: CN¥500,000,000,000.00" in chat.press(chat.button("Yes"))[0]
    refused = chat.send("TEA-CUP 500000 1000000")
    assert refused[0] == ("The total CN¥1,000,000,000,000.00 is too large: an order's total must stay below "
                          "CN¥1,000,000,000,000.00. Nothing was changed.")
    huge = chat.send("LAMP 999999999999 999999")[0]
    assert huge.startswith("The line LAMP comes to CN¥999,998,999,999,000,001.00")
    assert rows(uow, SalesOrder) == (0,)
