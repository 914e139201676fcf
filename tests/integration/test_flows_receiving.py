"""Receiving purchase orders in chat, whole dialogues in 中文 and English: the orders waiting as cards, all as
expected in one tap, partial lines with rejects and their reason, and what is refused."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal as D

import pytest

from bot.app.api import AppApi
from core.errors import InvalidQuantity
from core.models import Notification, PurchaseOrder, PurchaseOrderLine, PurchaseReceiptLine, StockDocument, StockMove
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import TEXTS, books_clean, on_hand, open_shop, person, rows

ORDER_TABLES = (PurchaseOrder, PurchaseOrderLine)
RECEIPT_TABLES = (StockDocument, StockMove, PurchaseReceiptLine)
THREE_LINES = [PurchaseLineIn("RETRO-CLOCK", 24, "10"), PurchaseLineIn("TEA-CUP", 10, "3.3"),
               PurchaseLineIn("LAMP", 5, "40")]


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


def approved_order(shop: Shop, warehouse: str = "MAIN", lines: list[PurchaseLineIn] | None = None,
                   supplier: str = "ACME") -> str:
    order = create_purchase_order(shop.uow, shop.purchaser, supplier, warehouse, lines or THREE_LINES[:2])
    return submit_purchase_order(shop.uow, shop.purchaser, order.number).number


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_a_worker_picks_an_order_card_and_receives_line_by_line_with_a_rejection_in_chinese(
    uow: UnitOfWork, shop: Shop
) -> None:
    number = approved_order(shop, lines=THREE_LINES)
    chat = person(uow, shop.admin, "warehouse-1")
    assert chat.send("收货") == [
        f"待收货的采购单：\n① {number} · Acme 贸易\n   3 行 · 已批准 · 11-20 · MAIN\n点一张开始收货，或输入单号。"]
    assert [b.label for row in chat.replies[0].buttons for b in row] == [f"① 收货 {number}"]
    intro, ask = chat.press(chat.button(number))
    assert intro == (f"收货：{number}（Acme 贸易 → MAIN），待收：\n· RETRO-CLOCK 复古闹钟：订 24，已收 0，待收 24\n"
                     "· TEA-CUP 青花茶杯：订 10，已收 0，待收 10\n· LAMP 台灯：订 5，已收 0，待收 5")
    assert [b.label for row in chat.replies[0].buttons for b in row] == ["✓ 全部照单收齐（3 行）", "在页面里收货"]
    assert ask == "第 1/3 行 RETRO-CLOCK 复古闹钟（待收 24）：实收多少？点「全部」或输入数量（有拒收：「20 2 原因」）："
    assert chat.press(chat.button("全部 24"))[0].startswith("第 2/3 行 TEA-CUP"), "all of a line: no reject question"
    assert chat.send("8") == [
        "TEA-CUP 实收 8，还差 2。其中有拒收（送到但不入库）的吗？输入拒收数量；没送到就点「没有拒收」："]
    assert chat.send("2") == ["TEA-CUP 拒收 2，原因是什么？（例如：破损、型号不对）"]
    assert chat.send("外箱破损")[0].startswith("第 3/3 行 LAMP 台灯（待收 5）")
    assert chat.press(chat.button("全部 5")) == [
        f"请确认 {number} 的收货：\n· RETRO-CLOCK 复古闹钟：实收 24\n"
        "· TEA-CUP 青花茶杯：实收 8（待收 10），拒收 2（外箱破损）\n· LAMP 台灯：实收 5"]
    done = chat.press(chat.button("确认收货"))[0]
    assert re.fullmatch(r"已收货 GR-\d{4}-\d{6}：\n· RETRO-CLOCK 实收 24，已收齐，现库存 24\n"
                        r"· TEA-CUP 实收 8，拒收 2，还差 2，现库存 8\n· LAMP 实收 5，已收齐，现库存 5\n"
                        rf"采购单 {number} 现在：部分收货。收错了？10 分钟内发送「撤销」。", done)
    receipt = done.split()[1].rstrip("：")
    assert chat.button("打印") == f"pr:{receipt}", "the goods received note prints from the receipt"
    view = get_purchase_order(uow, shop.purchaser, number)
    assert view.status == "partially_received"
    assert [(ln.received_qty, ln.rejected_qty) for ln in view.lines] == [(D(24), D(0)), (D(8), D(2)), (D(5), D(0))]
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "TEA-CUP"), on_hand(uow, "LAMP")) == (D(24), D(8), D(5))
    assert chat.press(chat.button("其他待收")) == [
        f"待收货的采购单：\n① {number} · Acme 贸易\n   3 行 · 部分收货 · 11-20 · MAIN\n点一张开始收货，或输入单号。"]
    assert chat.button("收余下") == f"rc:v{number}"
    assert books_clean(uow)


def test_in_english_all_as_expected_is_one_tap_and_one_line_is_changed_in_one_message(
    uow: UnitOfWork, shop: Shop
) -> None:
    number = approved_order(shop, lines=THREE_LINES)
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send(f"receive {number}")
    assert chat.press(chat.button("All as expected")) == [
        f"Please confirm the receipt for {number}:\n· RETRO-CLOCK Retro clock: 24 received\n"
        "· TEA-CUP Blue tea cup: 10 received\n· LAMP Desk lamp: 5 received"]
    assert chat.press(chat.button("Change a line")) == [
        "Which line do you want to enter again? Tap it, or send its number or SKU:\n"
        "1. RETRO-CLOCK Retro clock\n2. TEA-CUP Blue tea cup\n3. LAMP Desk lamp"]
    assert chat.send("tea-cup")[0].startswith("Line 2/3 TEA-CUP Blue tea cup (10 outstanding)")
    assert chat.send("7 3 box crushed") == [
        f"Please confirm the receipt for {number}:\n· RETRO-CLOCK Retro clock: 24 received\n"
        "· TEA-CUP Blue tea cup: 7 of 10 received, 3 rejected (box crushed)\n· LAMP Desk lamp: 5 received"]
    done = chat.press(chat.button("Post"))[0]
    assert "· TEA-CUP 7 received, 3 rejected, 3 still to come, 7 on hand" in done
    assert "· LAMP 5 received, complete, 5 on hand" in done
    assert done.endswith(f"Purchase order {number} is now partially received. A mistake? Send \"undo\" within "
                         "10 minutes.")
    assert [(ln.received_qty, ln.rejected_qty) for ln in get_purchase_order(uow, shop.purchaser, number).lines] == [
        (D(24), D(0)), (D(7), D(3)), (D(5), D(0))]
    assert books_clean(uow)


def test_a_reject_without_its_reason_asks_for_it_and_a_skipped_line_is_named(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send(f"收货 {number}")
    assert chat.send("20 2") == ["RETRO-CLOCK 拒收 2，原因是什么？（例如：破损、型号不对）"]
    chat.send("外箱破损")
    assert chat.press(chat.button("跳过本行")) == [
        f"请确认 {number} 的收货：\n· RETRO-CLOCK 复古闹钟：实收 20（待收 24），拒收 2（外箱破损）\n"
        "这次不收：TEA-CUP（待收 10）"]
    assert chat.send("20 个")[0].startswith(f"请确认 {number} 的收货"), "the summary waits for a button"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_rejecting_more_than_is_still_to_receive_is_refused_and_changes_nothing(
    uow: UnitOfWork, shop: Shop, language: str
) -> None:
    number = approved_order(shop)
    receive_purchase(uow, shop.warehouse, number, [ReceiptLineIn("RETRO-CLOCK", 20)])
    chat = person(uow, shop.admin, "warehouse-1", language)
    chat.send(("收货 " if language == "zh_CN" else "receive ") + number)
    before = rows(uow, *RECEIPT_TABLES, *ORDER_TABLES)
    refused, again = chat.send("1 5 broken")
    assert refused == {
        "zh_CN": "数量「5」无效：RETRO-CLOCK 只剩 4 待收，拒收不能超过这个数。没有任何内容被修改。",
        "en": "The quantity \"5\" is not valid: RETRO-CLOCK has only 4 still to receive, and no more than that can "
              "be rejected. Nothing was changed."}[language]
    assert again.startswith({"zh_CN": "第 1/2 行 RETRO-CLOCK", "en": "Line 1/2 RETRO-CLOCK"}[language])
    chat.send("1")
    assert chat.send("4.5") == [{
        "zh_CN": "数量「4.5」无效：RETRO-CLOCK 只剩 4 待收，拒收不能超过这个数。没有任何内容被修改。\n"
                 "请输入拒收数量（例如 2），没有就点「没有拒收」或发送 0。",
        "en": "The quantity \"4.5\" is not valid: RETRO-CLOCK has only 4 still to receive, and no more than that can "
              "be rejected. Nothing was changed.\nSend the rejected quantity (for example 2), or press \"None "
              "rejected\" or send 0."}[language]]
    assert rows(uow, *RECEIPT_TABLES, *ORDER_TABLES) == before
    chat.send("3")
    chat.send("cracked")
    chat.press(chat.button({"zh_CN": "完成", "en": "Finish"}[language]))
    chat.press(chat.button({"zh_CN": "确认收货", "en": "Post"}[language]))
    assert get_purchase_order(uow, shop.purchaser, number).lines[0].rejected_qty == D(3)
    assert books_clean(uow)


def test_in_english_an_over_receipt_is_refused_then_the_rest_is_received(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send(f"receive {number.lower()}")
    assert chat.send("40")[0].startswith("Line 2/2 TEA-CUP"), "more than outstanding: no reject question"
    chat.press(chat.button("Skip"))
    before = rows(uow, *RECEIPT_TABLES)
    refused, again = chat.press(chat.button("Post"))
    assert refused == (f"Over-receipt on {number}: RETRO-CLOCK ordered 24, received before 0, now 40, at most 25.2; "
                       "that is beyond the tolerance and needs a manager, who has been told. Nothing was changed.")
    assert again.startswith("Line 1/2 RETRO-CLOCK Retro clock (24 outstanding)")
    assert rows(uow, *RECEIPT_TABLES) == before
    told = uow.read(lambda tx: tx.session.query(Notification.event_type).all())
    assert [t for (t,) in told if t == "over_receipt_needs_manager"] == ["over_receipt_needs_manager"]
    chat.press(chat.button("All 24"))
    chat.send("9")
    chat.send("1")
    assert chat.send("") == ["Please give the reason in one sentence (1 to 200 characters)."]
    chat.send("cracked")
    done = chat.press(chat.button("Post"))[0]
    assert done.endswith(f"Purchase order {number} is now partially received. A mistake? Send \"undo\" within "
                         "10 minutes.")
    assert "TEA-CUP 9 received, 1 rejected, 1 still to come, 9 on hand" in done
    assert books_clean(uow)


def test_receiving_explains_bad_quantities_and_refuses_other_warehouses_orders(uow: UnitOfWork, shop: Shop) -> None:
    north = approved_order(shop, "NORTH")
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1")
    assert north not in chat.send("收货")[0], "the list holds only this worker's warehouses"
    assert chat.send(f"收货 {north}") == ["你没有权限执行这个操作。"]
    assert chat.send("收货 PO-2026-999999") == ["找不到单据「PO-2026-999999」，或你无权查看。"]
    chat.send(f"收货 {number}")
    before = rows(uow, *RECEIPT_TABLES, *ORDER_TABLES)
    for bad, start in (("abc", "数量「abc」无效：请输入一个数字"), ("1e309", "数量「1e309」无效：太大了"),
                       ("-5", "数量「-5」无效：不能为负数"), ("🙂", "数量「🙂」无效：请输入一个数字")):
        refused, ask = chat.send(bad)
        assert refused.startswith(start)
        assert ask.startswith("第 1/2 行 RETRO-CLOCK")
    assert chat.send("3 个 坏了")[0] == "请输入实收数量，有拒收再加拒收数量和原因，例如「20」或「20 2 外箱破损」。"
    assert chat.send("x" * 10_000) == ["消息太长了（最多 4000 个字符）。"]
    chat.send("3")
    assert chat.send("abc")[0].startswith("数量「abc」无效")
    assert chat.send("abc")[0].endswith("请输入拒收数量（例如 2），没有就点「没有拒收」或发送 0。")
    chat.send("1")
    assert chat.send("x" * 300) == ["请用一句话写明拒收原因（1 到 200 个字）。"]
    assert rows(uow, *RECEIPT_TABLES, *ORDER_TABLES) == before
    chat.send("坏了")
    summary = chat.press(chat.button("完成"))[0]
    assert summary.startswith(f"请确认 {number} 的收货：\n· RETRO-CLOCK 复古闹钟：实收 3（待收 24），拒收 1（坏了）")


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_the_orders_waiting_come_five_cards_a_page_with_amounts_for_those_who_see_cost(
    uow: UnitOfWork, shop: Shop
) -> None:
    numbers = [approved_order(shop, lines=[PurchaseLineIn("LAMP", n, "40")], supplier="NORTHWIND")
               for n in range(1, 8)]
    receive_purchase(uow, shop.warehouse, numbers[0], [ReceiptLineIn("LAMP", 0, rejected=1, note="bent")])
    receive_purchase(uow, shop.warehouse, numbers[1], [ReceiptLineIn("LAMP", 2)])
    receive_purchase(uow, shop.warehouse, numbers[2], [ReceiptLineIn("LAMP", 1)])
    boss = person(uow, shop.admin, "manager-1", "en")
    first = boss.send("receive")[0]
    assert first.startswith(f"Purchase orders waiting for goods:\n① {numbers[6]} · Northwind Traders\n"
                            "   1 line · CN¥280.00 · approved · 11-20 · MAIN\n")
    assert f"⑤ {numbers[2]} · Northwind Traders\n   1 line · CN¥120.00 · partially received · 11-20 · MAIN" in first
    assert "⑥" not in first
    assert [b.label for row in boss.replies[0].buttons for b in row][4:] == [
        f"⑤ Receive the rest {numbers[2]}", "Next page"]
    assert boss.button("Next page") == "rc:p2"
    second = boss.press("rc:p2")
    assert second == [f"Purchase orders waiting for goods (page 2):\n① {numbers[0]} · Northwind Traders\n"
                      "   1 line · CN¥40.00 · approved · 11-20 · MAIN\nTap one to receive it, or type its number."]
    assert boss.button("Previous page") == "rc:p1"
    assert numbers[1] not in first + second[0], "received in full: no longer waiting"
    assert boss.press("rc:p3") == ["No more purchase orders waiting for goods."]
    worker = person(uow, shop.admin, "warehouse-1")
    assert "· 1 行 · 已批准 · 11-20 · MAIN" in worker.send("收货")[0].replace("   ", "· "), "no amounts without cost"


def test_the_receiving_page_goes_through_the_same_reject_cap_and_its_words(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    page = AppApi(uow, TEXTS)
    before = rows(uow, *RECEIPT_TABLES, *ORDER_TABLES)
    with pytest.raises(InvalidQuantity) as refused:
        asyncio.run(page.receive(shop.warehouse, {"number": number, "lines": [
            {"sku": "TEA-CUP", "received": "8", "rejected": "11", "note": "外箱破损"}]}))
    assert TEXTS.error("zh_CN", refused.value) == (
        "数量「11」无效：TEA-CUP 只剩 10 待收，拒收不能超过这个数。没有任何内容被修改。")
    assert rows(uow, *RECEIPT_TABLES, *ORDER_TABLES) == before
    done = asyncio.run(page.receive(shop.warehouse, {"number": number, "lines": [
        {"sku": "TEA-CUP", "received": "8", "rejected": "2", "note": "外箱破损"}]}))
    assert (done["status"], done["lines"][0]["rejected"]) == ("partially_received", "2")


def test_all_as_expected_pressed_midway_keeps_what_was_entered_and_fills_the_rest(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop, lines=THREE_LINES)
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send(f"收货 {number}")
    expected = chat.button("全部照单收齐")
    chat.send("20")
    assert chat.press(expected) == [
        f"请确认 {number} 的收货：\n· RETRO-CLOCK 复古闹钟：实收 20（待收 24）\n· TEA-CUP 青花茶杯：实收 10\n"
        "· LAMP 台灯：实收 5"], "a line half entered (waiting for its rejects) keeps what was typed"
    chat.press(chat.button("改一行"))
    chat.send("1")
    chat.send("22 2 外箱破损")
    assert chat.press(expected)[0].startswith(
        f"请确认 {number} 的收货：\n· RETRO-CLOCK 复古闹钟：实收 22（待收 24），拒收 2（外箱破损）\n"
        "· TEA-CUP 青花茶杯：实收 10"), "an entered line stays as entered"


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_the_receiving_page_lists_the_same_orders_with_lines_status_and_date(uow: UnitOfWork, shop: Shop) -> None:
    first = approved_order(shop, lines=THREE_LINES)
    second = approved_order(shop)
    receive_purchase(uow, shop.warehouse, first, [ReceiptLineIn("LAMP", 1)])
    listed = asyncio.run(AppApi(uow, TEXTS).orders(shop.warehouse, {}))["orders"]
    assert [(o["number"], o["supplier"], o["lines"], o["status"], o["date"]) for o in listed] == [
        (second, "Acme 贸易", 2, "approved", "11-20"), (first, "Acme 贸易", 3, "partially_received", "11-20")]


def test_the_pages_list_only_the_warehouses_a_worker_works_in(uow: UnitOfWork, shop: Shop) -> None:
    page = AppApi(uow, TEXTS)
    listed = {purpose: [w["code"] for w in asyncio.run(page.warehouses(shop.warehouse, {"for": purpose}))["warehouses"]]
              for purpose in ("", "count", "sales", "anything")}
    assert listed == {"": ["MAIN"], "count": ["MAIN"], "sales": [], "anything": ["MAIN"]}, "never NORTH's name"
    seller = asyncio.run(page.warehouses(shop.sales, {"for": "sales"}))["warehouses"]
    assert [w["code"] for w in seller] == ["MAIN", "NORTH"], "a salesperson sells from every warehouse"
