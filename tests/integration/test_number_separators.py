"""A comma in a number typed in chat only ever groups thousands: "1,5" is refused with what is expected, never
read as 15, in quantities and prices, in 中文 and English."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.models import PurchaseOrder, StockDocument, StockMove
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import Shop, doc_no
from tests.integration.chat_shop import books_clean, on_hand, open_shop, person, rows

IN_FORM = ("请这样发送：\n入库 PO-单号 SKU 数量（按采购单收货），例如：入库 PO-2026-000012 RETRO-CLOCK 30\n"
           "入库 仓库 SKU 数量 [单位] [单价]（直接入库），例如：入库 MAIN RETRO-CLOCK 30")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")  # the form's example number says 2026
def test_a_comma_that_does_not_group_thousands_is_refused_in_chat_and_posts_nothing(
        uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    before = rows(uow, StockDocument, StockMove)
    assert chat.send("入库 MAIN RETRO-CLOCK 1,5") == [
        "数量「1,5」无效：逗号只能作千位分隔（如 1,500），小数请用小数点（如 1.5）。没有任何内容被修改。\n" + IN_FORM]
    assert chat.send("入库 MAIN RETRO-CLOCK 1，5")[0].startswith("数量「1，5」无效：逗号只能作千位分隔")
    assert chat.send("入库 MAIN TEA-CUP 2 3,30")[0].startswith(
        "金额「3,30」无效：逗号只能作千位分隔（如 1,500），小数请用小数点（如 19.90）。")
    assert rows(uow, StockDocument, StockMove) == before
    assert on_hand(uow, "RETRO-CLOCK") == D(0)

    assert chat.send("入库 MAIN TEA-CUP 1,500 1,250.5")[0].startswith(
        f"已入库 {doc_no('RC', 1)}：MAIN TEA-CUP 青花茶杯 +1,500，")
    assert on_hand(uow, "TEA-CUP") == D(1500)
    assert books_clean(uow)


def test_a_misplaced_comma_in_an_english_purchase_line_is_refused(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "purchaser-1", "en")
    chat.send("po acme")
    chat.press(chat.button("ACME"))
    assert "deliver to MAIN" in chat.press(chat.button("MAIN"))[0]
    before = rows(uow, PurchaseOrder)
    replies = chat.send("LAMP 2,5 45")
    assert replies[0].startswith('The quantity "2,5" is not valid: a comma may only group thousands (1,500); '
                                 "a fraction takes a point (1.5). Nothing was changed."), replies
    assert rows(uow, PurchaseOrder) == before
