"""Purchasers and receivers in chat: a purchase order and a receipt, whole dialogues in 中文 and English."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from core.approvals.requests import set_rule
from core.models import Notification, PurchaseOrder, PurchaseOrderLine, PurchaseReceiptLine, StockDocument, StockMove
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import BAD_QUANTITIES, books_clean, on_hand, open_shop, person, rows

ORDER_TABLES = (PurchaseOrder, PurchaseOrderLine)
RECEIPT_TABLES = (StockDocument, StockMove, PurchaseReceiptLine)
LINE_FORM = "请按「SKU 数量 [单位] [单价]」输入，例如「RETRO-CLOCK 30」或「RETRO-CLOCK 2 箱 120」；输完发送「完成」。"


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


def approved_order(shop: Shop, warehouse: str = "MAIN") -> str:
    order = create_purchase_order(shop.uow, shop.purchaser, "ACME", warehouse,
                                  [PurchaseLineIn("RETRO-CLOCK", 24, "10"), PurchaseLineIn("TEA-CUP", 10, "3.3")])
    return submit_purchase_order(shop.uow, shop.purchaser, order.number).number


def test_a_purchaser_writes_an_order_in_chinese_and_it_is_approved_at_once(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "purchaser-1")
    assert chat.send("采购单") == ["新建采购单。供应商是哪家？请输入供应商名称或编码的一部分："]
    assert chat.send("acme") == ["找到 1 家供应商，请选择："]
    assert chat.button("Acme 贸易") == "po:sACME"
    assert chat.press("po:sACME") == ["供应商：Acme 贸易。送到哪个仓库？请点选或输入仓库编码："]
    assert "送到 MAIN" in chat.press(chat.button("MAIN"))[0]
    running = chat.send("RETRO-CLOCK 2 箱 120\nTEA-CUP 10")[0]
    assert running == ("1. RETRO-CLOCK 复古闹钟 × 24 @ 10.00 = ¥240.00\n2. TEA-CUP 青花茶杯 × 10 @ 3.30 = ¥33.00\n"
                       "合计：¥273.00（2 行）。继续输入，或点「完成」。")
    assert "LAMP" in chat.send("LAMP 1 50")[0]
    assert "合计：¥273.00" in chat.press(chat.button("撤回上一行"))[0]
    summary = chat.send("完成")[0]
    assert summary.startswith("请确认采购单：\n供应商：Acme 贸易（ACME）\n仓库：MAIN")
    assert summary.endswith("合计：¥273.00")
    done = chat.press(chat.button("提交"))[0]
    number = re.search(r"PO-\d{4}-\d{6}", done)
    assert number is not None
    assert done == f"采购单 {number[0]} 已提交并批准（合计 ¥273.00），到货后可发送「收货 {number[0]}」。"
    view = get_purchase_order(uow, shop.purchaser, number[0])
    assert (view.status, view.total, view.warehouse) == ("approved", D("273.00"), "MAIN")
    assert [(ln.sku, ln.qty, ln.unit_price) for ln in view.lines] == [
        ("RETRO-CLOCK", D(24), D(10)), ("TEA-CUP", D(10), D("3.3"))]


def test_in_english_an_order_above_the_rule_waits_for_a_manager(uow: UnitOfWork, shop: Shop) -> None:
    set_rule(uow, shop.admin, "purchase_order", 100, ["manager"])
    chat = person(uow, shop.admin, "purchaser-1", "en")
    assert chat.send("po north") == ["1 supplier found; choose one:"]
    chat.press(chat.button("NORTHWIND"))
    assert "No warehouse \"MARS\"" in chat.send("MARS")[0]
    assert chat.send("north")[0].startswith("Supplier Northwind Traders, deliver to NORTH.")
    assert chat.send("LAMP 4 45.5")[0].endswith("Total: CN¥182.00 (1 line). Send more, or press \"Done\".")
    assert chat.send("done")[0].startswith("Please confirm the purchase order:")
    done = chat.press(chat.button("Submit"))[0]
    assert re.fullmatch(r"Purchase order PO-\d{4}-\d{6} submitted \(total CN¥182.00\), status: pending approval\. "
                        r"Waiting for approval by a manager \(manager-1\); you will be told the outcome\.", done)
    assert uow.read(lambda tx: tx.session.query(PurchaseOrder.status).scalar()) == "pending_approval"


def test_every_free_text_step_of_an_order_explains_bad_input_and_keeps_the_order(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "purchaser-1")
    chat.send("采购单")
    assert chat.send("zzz") == ["没有找到与「zzz」匹配的供应商。请换个关键词再试："]
    assert chat.send("🙂") == ["没有找到与「🙂」匹配的供应商。请换个关键词再试："]
    chat.send("ACME")
    chat.press(chat.button("ACME"))
    assert chat.send("NOPE")[0].startswith("没有可用的仓库「NOPE」。")
    chat.send("MAIN")
    before = rows(uow, *ORDER_TABLES)
    expected = {
        "abc": "数量「abc」无效：请输入一个数字，例如 12 或 2.5。",
        "1e309": "数量「1e309」无效：太大了。",
        "-5": "数量「-5」无效：不能为负数。",
        "🙂": "数量「🙂」无效：请输入一个数字",
    }
    for bad in BAD_QUANTITIES:
        reply = chat.send(f"RETRO-CLOCK {bad}")[0]
        assert reply.endswith(LINE_FORM)
        assert reply.startswith(expected[bad])
    assert chat.send("🙂") == [LINE_FORM]
    assert chat.send("x" * 10_000) == ["消息太长了（最多 4000 个字符）。"]
    assert chat.send("NOPE-SKU 3")[0].startswith("找不到商品「NOPE-SKU」。")
    assert chat.send("RETRO-CLOCK 2 盒")[0].startswith("数量「盒」无效：没有这个包装单位。")
    assert chat.send("RETRO-CLOCK 1 2 3")[0].startswith("请按「SKU")
    assert chat.send("完成") == ["还没有任何明细。请输入「SKU 数量 [单位] [单价]」："]
    assert rows(uow, *ORDER_TABLES) == before == (0, 0)
    assert "合计：¥10.00（1 行）" in chat.send("RETRO-CLOCK 1")[0], "the order is still being written"
    assert chat.send("retro-clock 2")[0].startswith("RETRO-CLOCK 已经在单上了")


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")  # its literal example numbers say 2026
def test_a_warehouse_worker_receives_line_by_line_with_a_rejection_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1")
    assert chat.send("收货") == ["收哪张采购单？请点选，或输入单号（例如 PO-2026-000012）："]
    intro, ask = chat.press(chat.button(number))
    assert intro == (f"收货：{number}（Acme 贸易 → MAIN），待收：\n· RETRO-CLOCK 复古闹钟：订 24，已收 0，待收 24\n"
                     "· TEA-CUP 青花茶杯：订 10，已收 0，待收 10")
    assert ask == "第 1/2 行 RETRO-CLOCK 复古闹钟（待收 24）：实收多少？点「全部」或输入数量："
    assert chat.send("20") == ["RETRO-CLOCK 实收 20。另有拒收（不入库）的吗？输入拒收数量，或点「没有拒收」："]
    assert chat.send("2") == ["RETRO-CLOCK 拒收 2，原因是什么？（例如：破损、型号不对）"]
    assert chat.send("外箱破损") == ["第 2/2 行 TEA-CUP 青花茶杯（待收 10）：实收多少？点「全部」或输入数量："]
    chat.press(chat.button("全部 10"))
    assert chat.press(chat.button("没有拒收")) == [
        f"请确认 {number} 的收货：\n· RETRO-CLOCK：实收 20，拒收 2（外箱破损）\n· TEA-CUP：实收 10"]
    done = chat.press(chat.button("确认收货"))[0]
    assert re.fullmatch(r"已收货 GR-\d{4}-\d{6}：\n· RETRO-CLOCK 实收 20，拒收 2，还差 4，现库存 20\n"
                        r"· TEA-CUP 实收 10，还差 0，现库存 10\n"
                        rf"采购单 {number} 现在：部分收货。收错了？10 分钟内发送「撤销」。", done)
    view = get_purchase_order(uow, shop.purchaser, number)
    assert view.status == "partially_received"
    assert [(ln.received_qty, ln.rejected_qty) for ln in view.lines] == [(D(20), D(2)), (D(10), D(0))]
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "TEA-CUP")) == (D(20), D(10))
    assert books_clean(uow)


def test_in_english_an_over_receipt_is_refused_then_the_rest_is_received(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send(f"receive {number.lower()}")
    assert chat.send("40") == [
        "RETRO-CLOCK: 40 received. Any rejected (not taken into stock)? Send the rejected quantity, "
        "or press \"None rejected\":"]
    chat.press(chat.button("None rejected"))
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
    chat.press(chat.button("None rejected"))
    chat.press(chat.button("All 10"))
    chat.send("1")
    assert chat.send("") == ["Please give the reason in one sentence (1 to 200 characters)."]
    chat.send("cracked")
    done = chat.press(chat.button("Post"))[0]
    assert done.endswith(f"Purchase order {number} is now received. A mistake? Send \"undo\" within 10 minutes.")
    assert "TEA-CUP 10 received, 1 rejected, 0 still to come, 10 on hand" in done
    assert get_purchase_order(uow, shop.purchaser, number).status == "received"
    assert books_clean(uow)


def test_receiving_explains_bad_quantities_and_refuses_other_warehouses_orders(uow: UnitOfWork, shop: Shop) -> None:
    north = approved_order(shop, "NORTH")
    number = approved_order(shop)
    chat = person(uow, shop.admin, "warehouse-1")
    assert chat.send(f"收货 {north}") == ["你没有权限执行这个操作。"]
    assert chat.send("收货 PO-2026-999999") == ["找不到单据「PO-2026-999999」，或你无权查看。"]
    chat.send(f"收货 {number}")
    before = rows(uow, *RECEIPT_TABLES, *ORDER_TABLES)
    for bad, start in (("abc", "数量「abc」无效：请输入一个数字"), ("1e309", "数量「1e309」无效：太大了"),
                       ("-5", "数量「-5」无效：不能为负数"), ("🙂", "数量「🙂」无效：请输入一个数字")):
        refused, ask = chat.send(bad)
        assert refused.startswith(start)
        assert ask.startswith("第 1/2 行 RETRO-CLOCK")
    assert chat.send("x" * 10_000) == ["消息太长了（最多 4000 个字符）。"]
    chat.send("3")
    assert chat.send("abc")[0].startswith("数量「abc」无效")
    assert chat.send("abc")[0].endswith("请输入拒收数量（例如 2），没有就点「没有拒收」或发送 0。")
    chat.send("1")
    assert chat.send("x" * 300) == ["请用一句话写明拒收原因（1 到 200 个字）。"]
    assert rows(uow, *RECEIPT_TABLES, *ORDER_TABLES) == before
    chat.send("坏了")
    summary = chat.press(chat.button("完成"))[0]
    assert summary.startswith(f"请确认 {number} 的收货：\n· RETRO-CLOCK：实收 3，拒收 1（坏了）")
