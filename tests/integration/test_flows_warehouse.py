"""Warehouse staff in chat: transfers out, transfers received with discrepancies, stocktake counting."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from core.catalog.products import create_warehouse
from core.models import StockDocument, StockLevel, StockMove, Stocktake, StocktakeLine, TransferDiscrepancy
from core.people.employees import create_employee
from core.permissions import Actor
from core.stock.moves import LineIn, dispatch_transfer, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, doc_no
from tests.integration.chat_shop import BAD_QUANTITIES, books_clean, on_hand, open_shop, person, rows

POSTING_TABLES = (StockDocument, StockMove, StockLevel, TransferDiscrepancy)
COUNT_FORM = ("请发送「SKU 数量 [单位]」，例如「RETRO-CLOCK 16」；或者扫条码后再发数量。"
              "发送「差异」查看差异，「提交」完成盘点。")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_employee(uow, admin, "warehouse-n", ["warehouse"], warehouses=["NORTH"])
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("LAMP", 4, "45")])
    return shop


def test_a_transfer_is_dispatched_in_chinese_after_a_refusal_for_lack_of_stock(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    assert chat.send("调拨") == ["从 MAIN 调到哪个仓库？请点选或输入仓库编码："], \
        "the one warehouse this worker works in is the source without a question"
    with pytest.raises(AssertionError):
        chat.button("MAIN")  # not to itself
    assert chat.send("MAIN")[0].startswith("没有仓库「MAIN」（也不能调给 MAIN 自己）。")
    chat.press(chat.button("NORTH"))
    assert chat.send("RETRO-CLOCK 1 箱\nLAMP 10") == [
        "MAIN → NORTH：\n1. RETRO-CLOCK 复古闹钟 × 12\n2. LAMP 台灯 × 10\n继续输入，或点「完成」。"]
    chat.send("完成")
    before = rows(uow, *POSTING_TABLES)
    refused, summary = chat.press(chat.button("发出"))
    assert refused == "库存不足：LAMP，可用 4，需要 10。没有任何内容被修改。"
    assert summary.startswith("请确认调拨 MAIN → NORTH：")
    assert rows(uow, *POSTING_TABLES) == before
    chat.press(chat.button("撤回上一行"))
    chat.press(chat.button("完成"))
    done = chat.press(chat.button("发出"))[0]
    assert done == (f"调拨单 {doc_no('TR', 1)} 已发出，货在途中（MAIN → NORTH，1 行）。已通知 NORTH 的仓库同事，"
                    f"收货时发送「收调拨 {doc_no('TR', 1)}」。")
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "RETRO-CLOCK", "TRANSIT")) == (D(18), D(12))
    assert books_clean(uow)


def test_a_transfer_is_dispatched_in_english_with_both_warehouses_given(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "manager-1", "en")
    assert chat.send("transfer main north")[0].startswith('MAIN → NORTH. Send the lines, one per line as "SKU qty')
    for bad in BAD_QUANTITIES:
        assert chat.send(f"LAMP {bad}")[0].endswith('Send "SKU qty [unit]", for example "RETRO-CLOCK 10"; send "done" '
                                                    'when finished.')
    assert chat.send("NOPE 2")[0].startswith('No product "NOPE".')
    assert chat.send("LAMP 2") == ["MAIN → NORTH:\n1. LAMP Desk lamp × 2\nSend more, or press \"Done\"."]
    chat.send("done")
    done = chat.press(chat.button("Dispatch"))[0]
    assert done == (f"Transfer {doc_no('TR', 1)} dispatched; the goods are in transit (MAIN → NORTH, 1 line). "
                    f"NORTH staff have been told; they send \"receivetransfer {doc_no('TR', 1)}\" on arrival.")
    assert on_hand(uow, "LAMP", "TRANSIT") == D(2)


def test_the_receiving_warehouse_records_damage_and_shortage_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 12), LineIn("LAMP", 2)])
    main = person(uow, shop.admin, "warehouse-1")
    assert main.send(f"收调拨 {sent.number}") == ["你没有权限执行这个操作。"], "only the receiving warehouse"
    chat = person(uow, shop.admin, "warehouse-n")
    intro, ask = chat.send(f"收调拨 {sent.number}")
    assert intro == f"收调拨 {sent.number}（MAIN → NORTH），在途：\n· RETRO-CLOCK 复古闹钟 × 12\n· LAMP 台灯 × 2"
    assert ask == "第 1/2 行 RETRO-CLOCK 复古闹钟（发出 12）：完好收到多少？点「全部」或输入数量："
    before = rows(uow, *POSTING_TABLES)
    for bad in BAD_QUANTITIES:
        assert chat.send(bad)[1] == ask
    assert chat.send("13")[0] == "RETRO-CLOCK 只发出了 12，不能收 13。"
    assert chat.send("10") == [
        "RETRO-CLOCK 完好收到 10，少了 2。其中破损多少？输入数量，或点「没有破损」（其余算短少）："]
    assert chat.send("3") == ["请输入破损数量（0 到 2），没有就点「没有破损」。"]
    assert chat.send("1") == ["RETRO-CLOCK：破损 1，短少 1。请写一句说明（例如：外箱压坏）："]
    assert chat.send("x" * 201) == ["请用一句话说明（1 到 200 个字）。"]
    assert rows(uow, *POSTING_TABLES) == before
    chat.send("外箱压坏")
    assert chat.press(chat.button("全部 2")) == [
        f"请确认 {sent.number} 的收货：\n· RETRO-CLOCK：完好 10，破损 1，说明：外箱压坏\n· LAMP：完好 2"]
    done = chat.press(chat.button("确认收货"))[0]
    assert re.fullmatch(rf"调拨单 {sent.number} 已收货（入库 TI-\d{{4}}-\d{{6}} 到 NORTH）。\n"
                        r"· RETRO-CLOCK：发出 12，收到 10，破损 1，短少 1\n差异已记入 AJ-\d{4}-\d{6}。", done)
    assert (on_hand(uow, "RETRO-CLOCK", "NORTH"), on_hand(uow, "LAMP", "NORTH")) == (D(10), D(2))
    assert (on_hand(uow, "RETRO-CLOCK", "TRANSIT"), on_hand(uow, "LAMP", "TRANSIT")) == (D(0), D(0))
    assert books_clean(uow)


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")  # its literal example numbers say 2026
def test_a_transfer_is_received_in_full_in_english(uow: UnitOfWork, shop: Shop) -> None:
    sent = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 5), LineIn("LAMP", 1)])
    chat = person(uow, shop.admin, "warehouse-n", "en")
    assert chat.send("receivetransfer") == ["Send the transfer number, for example TR-2026-000003:"]
    assert chat.send("TR-2026-999999") == ["No document \"TR-2026-999999\", or you may not see it.\n"
                                           "Send the transfer number, for example TR-2026-000003:"]
    chat.send(sent.number.lower())
    chat.press(chat.button("The rest arrived in full"))
    assert chat.press(chat.button("Post")) == [f"Transfer {sent.number} received ({doc_no('TI', 1)} into NORTH)."]
    assert on_hand(uow, "RETRO-CLOCK", "NORTH") == D(5)
    assert chat.send(f"receivetransfer {sent.number}") == [
        f"Transfer {sent.number} is received; nothing is in transit."]
    assert books_clean(uow)


def test_a_stocktake_is_counted_by_sku_and_by_scan_and_posted_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    started = chat.send("盘点")[0]
    assert started.startswith(f"已开始盘点 {doc_no('SC', 1)}（MAIN，账上 2 种商品）。"), "one warehouse: no choice"
    assert chat.send("RETRO-CLOCK 28") == ["已记录 RETRO-CLOCK：28。继续下一个。"]
    assert chat.send("6901234567890") == ["RETRO-CLOCK 复古闹钟：盘到多少？请发送数量："]
    assert chat.send("29") == ["已记录 RETRO-CLOCK：29（重盘，已替换上次数量）。继续下一个。"]
    assert chat.send("LAMP 4") == ["已记录 LAMP：4。继续下一个。"]
    variances = chat.press(chat.button("差异表"))
    assert variances == [f"{doc_no('SC', 1)}（MAIN）已盘 2 种，未盘 0 种。\n"
                         "· RETRO-CLOCK 复古闹钟：账 30，盘 29，差 -1"]
    assert chat.send("盘点 MAIN")[0].startswith(f"继续盘点 {doc_no('SC', 1)}（MAIN）。请发送「SKU 数量」或扫条码；")
    assert chat.send("提交") == [f"提交盘点 {doc_no('SC', 1)}（MAIN）？\n已盘 2 种，其中 1 种与账面不同。\n"
                                "过账后调整库存（超过审批额度的先送经理审批）。"]
    assert on_hand(uow, "RETRO-CLOCK") == D(30), "nothing is posted before the confirmation"
    assert chat.press(chat.button("确认过账")) == [f"盘点 {doc_no('SC', 1)} 已过账，调整单 {doc_no('ST', 1)}。"]
    assert on_hand(uow, "RETRO-CLOCK") == D(29)
    assert books_clean(uow)


def test_a_stocktake_says_what_was_not_counted_and_posts_only_once_confirmed_in_chinese(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send("盘点")
    chat.send("LAMP 3")
    before = rows(uow, *POSTING_TABLES)
    assert chat.press(chat.button("提交盘点")) == [
        f"提交盘点 {doc_no('SC', 1)}（MAIN）？\n已盘 1 种，其中 1 种与账面不同。\n"
        "未盘 1 种：保持账面数量不变。\n过账后调整库存（超过审批额度的先送经理审批）。"]
    assert chat.press(chat.button("继续盘点")) == [f"继续盘点 {doc_no('SC', 1)}：发送「SKU 数量」或扫下一个。"]
    assert chat.send("确认")[0].startswith("找不到商品「确认」"), "a typed 确认 confirms only right after the question"
    assert rows(uow, *POSTING_TABLES) == before
    chat.send("提交")
    assert chat.send("确认") == [f"盘点 {doc_no('SC', 1)} 已过账，调整单 {doc_no('ST', 1)}。"]
    assert (on_hand(uow, "LAMP"), on_hand(uow, "RETRO-CLOCK")) == (D(3), D(30)), "the uncounted clock is unchanged"
    assert books_clean(uow)


def test_a_confirmation_pressed_after_more_counting_asks_again_with_the_new_figures(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send("count")
    chat.send("LAMP 3")
    chat.send("submit")
    confirm = chat.button("Post the count")
    chat.send("RETRO-CLOCK 30")
    assert chat.press(confirm) == [
        f"Submit stocktake {doc_no('SC', 1)} (MAIN)?\n2 products counted; 1 differs from the books.\n"
        "Posting adjusts the stock (above the approval threshold it goes to a manager first)."]
    assert on_hand(uow, "LAMP") == D(4)
    chat.press(chat.button("Variances"))
    assert on_hand(uow, "LAMP") == D(4)
    assert chat.press(confirm)[0].startswith(f"Stocktake {doc_no('SC', 1)} posted"), "looking changed nothing"
    assert on_hand(uow, "LAMP") == D(3)


def test_in_english_a_manager_sees_values_and_a_large_variance_waits_for_approval(uow: UnitOfWork, shop: Shop) -> None:
    receive_stock(uow, shop.admin, "MAIN", [LineIn("LAMP", 30, "45")])
    manager = person(uow, shop.admin, "manager-1", "en")
    assert manager.send("count")[0].startswith("Count which warehouse?"), "two warehouses: a choice"
    manager.press(manager.button("MAIN"))
    manager.send("LAMP 4")
    assert manager.send("variances") == [
        f"{doc_no('SC', 1)} (MAIN): 1 counted, 1 not counted.\n"
        "· LAMP Desk lamp: book 34, counted 4, variance -30 (-CN¥1,350.00)\nGains CN¥0.00, losses -CN¥1,350.00."]
    assert manager.send("submit") == [
        f"Submit stocktake {doc_no('SC', 1)} (MAIN)?\n1 product counted; 1 differs from the books.\n"
        "1 product not counted: it stays as the books say, unchanged.\nGains CN¥0.00, losses -CN¥1,350.00.\n"
        "Posting adjusts the stock (above the approval threshold it goes to a manager first)."]
    manager.press(manager.button("Keep counting"))
    worker = person(uow, shop.admin, "warehouse-1", "en")
    assert worker.send("count main")[0].startswith(f"Continuing stocktake {doc_no('SC', 1)} (MAIN).")
    assert worker.send("submit")[0].startswith(f"Submit stocktake {doc_no('SC', 1)} (MAIN)?")
    assert worker.press(worker.button("Post the count")) == [
        f"Stocktake {doc_no('SC', 1)} submitted; it is above the approval threshold and waits for a manager "
        "(manager-1). You will be told the outcome."]
    assert manager.send("count MAIN") == [
        f"{doc_no('SC', 1)} was submitted and is waiting for approval; counting is closed."]
    assert on_hand(uow, "LAMP") == D(34)


def test_submitting_a_count_with_nothing_counted_is_refused_before_any_confirmation(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send("盘点")
    refused = chat.send("提交")[0]
    assert refused.endswith(COUNT_FORM)
    assert "确认过账" not in str(chat.replies[0].buttons)


def test_counting_explains_bad_input_and_writes_nothing(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    assert chat.send("盘点 NORTH") == ["你没有权限执行这个操作。"]
    chat.send("盘点 MAIN")
    before = rows(uow, Stocktake, StocktakeLine, *POSTING_TABLES)
    counted = uow.read(lambda tx: tx.session.query(StocktakeLine).filter(
        StocktakeLine.counted_qty.is_not(None)).count())
    assert chat.send("RETRO-CLOCK abc") == [COUNT_FORM]
    assert chat.send("RETRO-CLOCK 1e309") == ["数量「1e309」无效：太大了。没有任何内容被修改。\n" + COUNT_FORM]
    assert chat.send("RETRO-CLOCK -1") == ["数量「-1」无效：不能为负数。没有任何内容被修改。\n" + COUNT_FORM]
    assert chat.send("🙂")[0].startswith("找不到商品「🙂」。")
    assert chat.send("NOPE 3")[0].startswith("找不到商品「NOPE」。")
    assert chat.send("x" * 10_000) == ["消息太长了（最多 4000 个字符）。"]
    chat.send("LAMP")
    assert chat.send("abc") == ["数量「abc」无效：请输入一个数字，例如 12 或 2.5。没有任何内容被修改。\n" + COUNT_FORM]
    assert rows(uow, Stocktake, StocktakeLine, *POSTING_TABLES) == before
    assert uow.read(lambda tx: tx.session.query(StocktakeLine).filter(
        StocktakeLine.counted_qty.is_not(None)).count()) == counted == 0
    assert chat.send("3") == ["已记录 LAMP：3。继续下一个。"], "the scanned product is still waiting for its count"


def test_warehouse_buttons_name_a_warehouse_in_the_readers_language(uow: UnitOfWork, shop: Shop) -> None:
    create_warehouse(uow, shop.admin, "EAST", "东仓", name_en="East")
    english = person(uow, shop.admin, "manager-1", "en")
    english.send("transfer MAIN")
    assert english.button("EAST East") == "tf:tEAST"
    assert english.button("NORTH 北仓 North") == "tf:tNORTH", "no English name: the one name it has"
    create_employee(uow, shop.admin, "manager-2", ["manager"])
    chinese = person(uow, shop.admin, "manager-2")
    chinese.send("调拨 MAIN")
    assert chinese.button("EAST 东仓") == "tf:tEAST"
