"""Quick entry (入库 / in, 出库 / out) and undo (撤销 / undo) in chat, in 中文 and English, with the books after."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine as SqlEngine

from core.models import PurchaseReceiptLine, StockDocument, StockLevel, StockMove
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, doc_no
from tests.integration.chat_shop import books_clean, later, on_hand, open_shop, person, rows

POSTING_TABLES = (StockDocument, StockMove, StockLevel, PurchaseReceiptLine)
IN_FORM = ("请这样发送：\n入库 PO-单号 SKU 数量（按采购单收货），例如：入库 PO-2026-000012 RETRO-CLOCK 30\n"
           "入库 仓库 SKU 数量 [单位] [单价]（直接入库），例如：入库 MAIN RETRO-CLOCK 30")
OUT_FORM_EN = "Send it like this: out WAREHOUSE SKU qty [unit], for example: out MAIN RETRO-CLOCK 3"


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


def approved_order(shop: Shop) -> str:
    order = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 30, "10")])
    return submit_purchase_order(shop.uow, shop.purchaser, order.number).number


def test_quick_receipt_issue_and_po_line_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1")
    assert chat.send("入库 MAIN RETRO-CLOCK 2 箱 120") == [
        f"已入库 {doc_no('RC', 1)}：MAIN RETRO-CLOCK 复古闹钟 +24，现库存 24。\n发错了？10 分钟内发送「撤销」。"]
    assert chat.send("出库 main retro-clock 3") == [
        f"已出库 {doc_no('IS', 1)}：MAIN RETRO-CLOCK 复古闹钟 -3，现库存 21。\n发错了？10 分钟内发送「撤销」。"]
    assert chat.send(f"/in {number} RETRO-CLOCK 12") == [
        f"已收货 {doc_no('GR', 1)}：{number} RETRO-CLOCK +12，还差 18，现库存 33。\n"
        "采购单现在：部分收货。发错了？10 分钟内发送「撤销」。"]
    chat.send("库存 RETRO-CLOCK")
    stock = chat.replies[0].table
    assert stock is not None and stock.rows[0][:2] == ("MAIN", "33")
    assert get_purchase_order(uow, shop.purchaser, number).lines[0].received_qty == D(12)
    assert books_clean(uow)


def test_quick_entry_in_english_with_a_pack_unit_and_an_issue_refused_for_lack_of_stock(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = person(uow, shop.admin, "manager-1", "en")
    assert chat.send("/in MAIN RETRO-CLOCK 1 box 120") == [
        f"Received {doc_no('RC', 1)}: MAIN RETRO-CLOCK Retro clock +12, now 12 on hand, value CN¥120.00.\n"
        "A mistake? Send \"undo\" within 10 minutes."]
    before = rows(uow, *POSTING_TABLES)
    assert chat.send("/out MAIN RETRO-CLOCK 13") == [
        "Not enough stock of RETRO-CLOCK: 12 available, 13 needed. Nothing was changed.\n" + OUT_FORM_EN]
    assert rows(uow, *POSTING_TABLES) == before
    assert chat.send("out MAIN RETRO-CLOCK 1 box")[0].startswith(
        f"Issued {doc_no('IS', 1)}: MAIN RETRO-CLOCK Retro clock -12, now 0 on hand, value -CN¥120.00.")
    assert on_hand(uow, "RETRO-CLOCK") == D(0)
    assert books_clean(uow)


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")  # its literal example numbers say 2026
def test_bad_quick_entries_say_the_expected_form_and_write_nothing(uow: UnitOfWork, shop: Shop) -> None:
    receive_stock(uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 5)])
    north = create_purchase_order(uow, shop.purchaser, "ACME", "NORTH", [PurchaseLineIn("LAMP", 2)]).number
    submit_purchase_order(uow, shop.purchaser, north)
    chat = person(uow, shop.admin, "warehouse-1")
    before = rows(uow, *POSTING_TABLES)
    assert chat.send("入库") == [IN_FORM]
    assert chat.send("/in MAIN RETRO-CLOCK") == [IN_FORM]
    assert chat.send("/in MAIN RETRO-CLOCK abc") == [IN_FORM]
    assert chat.send("/in MAIN RETRO-CLOCK 1e309") == ["数量「1e309」无效：太大了。没有任何内容被修改。\n" + IN_FORM]
    assert chat.send("/in MAIN RETRO-CLOCK -3") == ["数量「-3」无效：不能为负数。没有任何内容被修改。\n" + IN_FORM]
    assert chat.send("/in MAIN 🙂 3") == ["找不到商品「🙂」。请检查 SKU 或条码，或发送「库存 关键词」搜索。\n"
                                          + IN_FORM]
    assert chat.send("/in MAIN NOPE 3")[0].startswith("找不到商品「NOPE」。")
    assert chat.send("/in NOWHERE RETRO-CLOCK 3") == ["找不到仓库「NOWHERE」。\n" + IN_FORM]
    assert chat.send("/in NORTH RETRO-CLOCK 3") == ["你没有权限执行这个操作。\n" + IN_FORM]
    assert chat.send(f"/in {north} LAMP 2") == ["你没有权限执行这个操作。\n" + IN_FORM]
    assert chat.send("/in PO-2026-999999 LAMP 2")[0].startswith("找不到单据「PO-2026-999999」")
    assert chat.send("/in MAIN RETRO-CLOCK 3 箱 9 9") == [IN_FORM]
    assert chat.send("/in MAIN " + "x" * 10_000 + " 3") == ["消息太长了（最多 4000 个字符）。"]
    assert chat.send("出库 MAIN RETRO-CLOCK 9")[0].startswith("库存不足：RETRO-CLOCK，可用 5，需要 9。")
    assert chat.send("出库 MAIN RETRO-CLOCK 1 箱 2")[0].startswith("请这样发送：出库 仓库 SKU 数量 [单位]")
    assert rows(uow, *POSTING_TABLES) == before
    assert books_clean(uow)


def test_undo_takes_back_my_last_posting_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send("入库 MAIN TEA-CUP 40")
    chat.send("出库 MAIN TEA-CUP 15")
    confirm = chat.send("撤销")[0]
    assert confirm.startswith(f"要撤销你的出库单 {doc_no('IS', 1)}吗？\n· MAIN TEA-CUP 青花茶杯 -15\n"
                              "撤销会生成一张冲销单，")
    assert chat.press(chat.button("不撤销")) == [f"好的，{doc_no('IS', 1)} 保持不变。"]
    assert on_hand(uow, "TEA-CUP") == D(25)
    chat.send("撤销")
    assert chat.press(chat.button("确认撤销")) == [
        f"已撤销 {doc_no('IS', 1)}，冲销单 {doc_no('RV', 1)}：\n· MAIN TEA-CUP +15，现库存 40"]
    chat.send("撤销")
    assert chat.send("是") == [f"已撤销 {doc_no('RC', 1)}，冲销单 {doc_no('RV', 2)}：\n· MAIN TEA-CUP -40，现库存 0"]
    assert chat.send("撤销") == ["最近 10 分钟内你没有可撤销的单据。"]
    assert on_hand(uow, "TEA-CUP") == D(0)
    assert books_clean(uow)


def test_undo_of_a_po_receipt_in_english_puts_the_order_back(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send(f"in {number} RETRO-CLOCK 30")
    assert get_purchase_order(uow, shop.purchaser, number).status == "received"
    confirm = chat.send("undo")[0]
    assert confirm.startswith(f"Undo your goods receipt {doc_no('GR', 1)} (purchase order {number})?\n"
                              "· MAIN RETRO-CLOCK Retro clock +30\nUndoing posts a reversing document; possible until ")
    assert chat.press(chat.button("Undo it")) == [
        f"Undone {doc_no('GR', 1)} with {doc_no('RV', 1)}:\n· MAIN RETRO-CLOCK -30, now 0 on hand\n"
        f"Purchase order {number} is now approved."]
    view = get_purchase_order(uow, shop.purchaser, number)
    assert (view.status, view.lines[0].received_qty) == ("approved", D(0))
    assert books_clean(uow)


def test_undo_refuses_others_documents_used_goods_and_old_postings(
    engine: SqlEngine, uow: UnitOfWork, shop: Shop
) -> None:
    mine = person(uow, shop.admin, "warehouse-1")
    mine.send("入库 MAIN LAMP 5")
    manager = person(uow, shop.admin, "manager-1", "en")
    before = rows(uow, *POSTING_TABLES)
    assert manager.send(f"undo {doc_no('RC', 1)}") == [
        f"{doc_no('RC', 1)} was not posted by you; you can only undo your own postings."]
    assert manager.send("undo RC-2099-000001") == ["No document \"RC-2099-000001\", or you may not see it."]
    assert manager.send("undo") == ["You have posted nothing in the last 10 minutes that could be undone."]
    mine.send("撤销")
    shop_issue = manager.send("/out MAIN LAMP 2")[0]
    assert shop_issue.startswith(f"Issued {doc_no('IS', 1)}")
    before = rows(uow, *POSTING_TABLES)
    assert mine.press(mine.button("确认撤销")) == [
        f"{doc_no('RC', 1)} 不能撤销：LAMP 的货已经用掉了一部分（现可用 3，撤销需要 5）。没有任何内容被修改。"]
    assert rows(uow, *POSTING_TABLES) == before
    eleven = later(manager, engine, lambda: datetime.now(UTC) + timedelta(minutes=11))
    assert eleven.send("undo") == ["You have posted nothing in the last 10 minutes that could be undone."]
    assert eleven.send(f"undo {re.search(r'IS-[0-9-]+', shop_issue)[0]}") == [  # type: ignore[index]
        f"{doc_no('IS', 1)} is older than 10 minutes and can no longer be undone. "
        "Correct it with a new document (for example an adjustment)."]
    assert rows(uow, *POSTING_TABLES) == before
    assert books_clean(uow)


def test_help_lists_the_commands_each_role_may_use(uow: UnitOfWork, shop: Shop) -> None:
    worker = person(uow, shop.admin, "warehouse-1")
    assert "· 仓库：发货、收货、入库、出库、调拨、盘点、追溯" in worker.send("帮助")[0]
    uses = worker.send("帮助 仓库")[0]
    assert "· 入库 PO-单号 SKU 数量 / 入库 仓库 SKU 数量：快速入库" in uses and "· 撤销：" in uses
    assert "采购单" not in worker.send("帮助 采购")[0], "purchasing is not a warehouse worker's: the menu"
    buyer = person(uow, shop.admin, "purchaser-1", "en")
    assert "Warehouse" not in buyer.send("help")[0]
    uses = buyer.send("help purchasing")[0]
    assert '· po [supplier]: new purchase order, for example "po acme"' in uses and "· undo:" in uses
    assert "receive [PO-NUMBER]" not in uses


def test_help_fits_one_wecom_message_for_everyone_in_both_languages(uow: UnitOfWork, shop: Shop) -> None:
    owner = person(uow, shop.admin, "system")
    for language in ("zh", "en"):
        owner.send(f"lang {language}")
        texts = [owner.send("help")[0]]
        labels = [b.data for row in owner.replies[0].buttons for b in row]
        assert labels == ["hp:sales", "hp:warehouse", "hp:purchasing", "hp:approvals", "hp:reports", "hp:admin"]
        texts += [owner.press(data)[0] for data in labels]
        assert max(len(text.encode()) for text in texts) < 2048, "WeCom cuts a text message at 2048 bytes"
        assert len(set(texts)) == len(texts), "each kind of work has its own uses"


def test_a_product_not_on_the_order_is_named_as_such(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1", "en")
    before = rows(uow, *POSTING_TABLES)
    assert chat.send(f"in {number} LAMP 2")[0].startswith(
        'The quantity "LAMP" is not valid: that product is not on the document. Nothing was changed.')
    assert rows(uow, *POSTING_TABLES) == before
