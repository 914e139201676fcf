"""Purchasers in chat: a purchase order, drafts from 缺货 opened, changed and submitted, and a submitted order
withdrawn, whole dialogues in 中文 and English (receiving is in test_flows_receiving)."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.approvals.requests import pending_for, set_rule
from core.models import AuditLog, PurchaseOrder, PurchaseOrderLine
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.replenishment import set_reorder_rule
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import BAD_QUANTITIES, open_shop, person, rows

ORDER_TABLES = (PurchaseOrder, PurchaseOrderLine)
LINE_FORM = "请按「SKU 数量 [单位] [单价]」输入，例如「RETRO-CLOCK 30」或「RETRO-CLOCK 2 箱 120」；输完发送「完成」。"


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


def test_a_purchaser_writes_an_order_in_chinese_and_it_is_approved_at_once(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "purchaser-1")
    assert chat.send("采购单") == ["新建采购单。供应商是哪家？请输入供应商名称或编码的一部分："]
    assert chat.send("acme") == ["找到 1 家供应商，请选择："]
    assert chat.button("Acme 贸易") == "po:sACME"
    assert chat.press("po:sACME") == ["供应商：Acme 贸易。送到哪个仓库？请点选或输入仓库编码："]
    assert "送到 MAIN" in chat.press(chat.button("MAIN"))[0]
    running = chat.send("RETRO-CLOCK 2 箱 120\nTEA-CUP 10")[0]
    assert running == ("1. RETRO-CLOCK 复古闹钟 × 24 @ 10.00 = ¥240.00\n2. TEA-CUP 青花茶杯 × 10 @ 3.30 = ¥33.00\n"
                       "合计：¥273.00（2 行）。继续输入（再输同一商品即改数量，数量 0 删除），或点「完成」。")
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
    assert chat.send("LAMP 4 45.5")[0].endswith(
        'Total: CN¥182.00 (1 line). Send more (an item again changes it, quantity 0 removes it), or press "Done".')
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
    assert chat.send("retro-clock 2")[0] == (
        "1. RETRO-CLOCK 复古闹钟 × 2 @ 10.00 = ¥20.00（已改）\n"
        "合计：¥20.00（1 行）。继续输入（再输同一商品即改数量，数量 0 删除），或点「完成」。"), "typed again: changed"
    assert chat.send("LAMP 0")[0].startswith("数量「LAMP」无效：单据上没有这个商品。")
    assert chat.send("RETRO-CLOCK 0")[0].startswith("合计：¥0.00（0 行）"), "quantity 0 removes the line"
    assert rows(uow, *ORDER_TABLES) == (0, 0)




# Drafts from 缺货 (or withdrawn): opened, changed, submitted


@pytest.fixture
def low(uow: UnitOfWork, shop: Shop) -> Shop:
    """Clocks and cups below their minimum in MAIN, both from ACME."""
    set_reorder_rule(uow, shop.admin, "RETRO-CLOCK", "MAIN", 40, 60, supplier="ACME", pack_size=12)
    set_reorder_rule(uow, shop.admin, "TEA-CUP", "MAIN", 150, 200, supplier="ACME")
    return shop


def audit_actions(uow: UnitOfWork, number: str) -> list[str]:
    return uow.read(lambda tx: list(tx.session.scalars(
        select(AuditLog.action).join(PurchaseOrder, PurchaseOrder.id == AuditLog.entity_id)
        .where(AuditLog.entity == "purchase_order", PurchaseOrder.number == number).order_by(AuditLog.id))))


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_a_purchaser_opens_a_shortage_draft_changes_it_and_submits_it_in_chinese(uow: UnitOfWork, low: Shop) -> None:
    chat = person(uow, low.admin, "purchaser-1")
    chat.send("缺货")
    drafted = chat.press(chat.button("生成采购草稿"))[0]
    [number] = re.findall(r"PO-\d{4}-\d{6}", drafted)
    assert drafted == (f"已生成 1 张采购草稿：\n① {number} ACME Acme 贸易 → MAIN，2 行，¥1,260.00\n"
                       "草稿提交后才真正下单：打开一张，核对、修改后提交。")
    assert chat.button("打开") == f"go:po {number}"
    again = chat.send("缺货")[0]
    assert "已有在途采购 60（其中 60 在还没提交的草稿里），够用了，不用再订。" in again
    assert again.endswith("草稿算作在途，但提交后才真正下单：点「待提交的草稿」。")
    assert chat.button("待提交的草稿") == "go:po drafts"
    assert chat.send("采购单") == [
        "新建采购单。供应商是哪家？请输入供应商名称或编码的一部分：\n\n或者继续一张还没提交的草稿：\n"
        f"① {number} · Acme 贸易\n   2 行 · ¥1,260.00 · 草稿 · 11-20 · MAIN"]
    assert chat.press(chat.button(f"① 打开 {number}")) == [
        f"草稿 {number}（缺货生成），还没提交：\n供应商：Acme 贸易（ACME）\n仓库：MAIN\n"
        "1. RETRO-CLOCK 复古闹钟 × 60 @ 10.00 = ¥600.00\n2. TEA-CUP 青花茶杯 × 200 @ 3.30 = ¥660.00\n合计：¥1,260.00"]
    chat.press(chat.button("改明细"))
    assert chat.send("TEA-CUP 120")[0].startswith(
        "1. RETRO-CLOCK 复古闹钟 × 60 @ 10.00 = ¥600.00\n2. TEA-CUP 青花茶杯 × 120 @ 3.30 = ¥396.00（已改）\n")
    chat.send("LAMP 2 45")
    assert chat.press(chat.button("✗ 1")) == [
        "1. TEA-CUP 青花茶杯 × 120 @ 3.30 = ¥396.00（已改）\n2. LAMP 台灯 × 2 @ 45.00 = ¥90.00\n"
        "合计：¥486.00（2 行）。继续输入（再输同一商品即改数量，数量 0 删除），或点「完成」。"]
    chat.press(chat.button("完成"))
    assert chat.press(chat.button("换供应商")) == ["换成哪家供应商？请输入供应商名称或编码的一部分："]
    chat.send("north")
    summary = chat.press(chat.button("NORTHWIND"))[0]
    assert summary.startswith(f"草稿 {number}（缺货生成），还没提交：\n供应商：Northwind Traders（NORTHWIND）")
    assert get_purchase_order(uow, low.purchaser, number).lines[0].sku == "RETRO-CLOCK", "nothing saved before submit"
    done = chat.press(chat.button("提交"))[0]
    assert done == f"采购单 {number} 已提交并批准（合计 ¥486.00），到货后可发送「收货 {number}」。"
    view = get_purchase_order(uow, low.purchaser, number)
    assert (view.status, view.supplier_code, view.total) == ("approved", "NORTHWIND", D("486.00"))
    assert [(ln.sku, ln.qty, ln.unit_price) for ln in view.lines] == [("TEA-CUP", D(120), D("3.3")),
                                                                       ("LAMP", D(2), D(45))]
    assert audit_actions(uow, number) == ["purchase.create", "purchase.revise", "purchase.submit"]
    after = chat.send("缺货")[0]
    assert "还没提交的草稿" not in after and "建议订 60，供应商 ACME Acme 贸易" in after, "the clocks were taken off"


def test_in_english_a_draft_is_kept_unchanged_or_discarded_after_a_confirmation(uow: UnitOfWork, low: Shop) -> None:
    chat = person(uow, low.admin, "purchaser-1", "en")
    chat.send("lowstock")
    [number] = re.findall(r"PO-\d{4}-\d{6}", chat.press(chat.button("Draft POs"))[0])
    assert chat.press(chat.button("Open")) == [
        f"Draft {number} (from low stock), not yet submitted:\nSupplier: Acme 贸易 (ACME)\nWarehouse: MAIN\n"
        "1. RETRO-CLOCK Retro clock × 60 @ 10.00 = CN¥600.00\n2. TEA-CUP Blue tea cup × 200 @ 3.30 = CN¥660.00\n"
        "Total: CN¥1,260.00"]
    chat.press(chat.button("Change lines"))
    assert chat.send("TEA-CUP 0")[0].startswith("1. RETRO-CLOCK Retro clock × 60 @ 10.00 = CN¥600.00\nTotal: CN¥600.00")
    chat.press(chat.button("Done"))
    assert chat.press(chat.button("Keep as draft")) == [
        f"Draft {number} is unchanged and stays a draft. Send \"po {number}\" to carry on."]
    assert len(get_purchase_order(uow, low.purchaser, number).lines) == 2
    assert chat.send("po drafts")[0].startswith(f"Draft purchase orders, not yet submitted:\n① {number} · Acme 贸易")
    chat.press(chat.button("Open"))
    assert chat.press(chat.button("Discard draft")) == [
        f"Discard draft {number}? It will be cancelled and no longer counts as on order."]
    assert chat.press(chat.button("Back"))[0].startswith(f"Draft {number} (from low stock)")
    chat.press(chat.button("Discard draft"))
    assert chat.press(chat.button("Yes, discard it")) == [f"Draft {number} discarded (cancelled)."]
    assert get_purchase_order(uow, low.purchaser, number).status == "cancelled"
    assert chat.send("po drafts") == ["There are no draft purchase orders."]
    assert "Order 60 from ACME" in chat.send("lowstock")[0]


# Withdrawing a submitted order


def test_the_author_withdraws_a_pending_order_in_chinese_changes_it_and_submits_again(
    uow: UnitOfWork, shop: Shop
) -> None:
    set_rule(uow, shop.admin, "purchase_order", 100, ["manager"])
    chat = person(uow, shop.admin, "purchaser-1")
    chat.send("采购单 acme")
    chat.press("po:sACME")
    chat.press(chat.button("MAIN"))
    chat.send("LAMP 4")
    chat.send("完成")
    submitted = chat.press(chat.button("提交"))[0]
    [number] = re.findall(r"PO-\d{4}-\d{6}", submitted)
    assert chat.button("撤回修改") == f"go:withdraw {number}"
    boss = person(uow, shop.admin, "manager-1")
    assert boss.send(f"撤回 {number}") == [f"{number} 不是你开的单，只有开单人可以撤回。"]
    assert boss.send(f"采购单 {number}") == [
        f"采购单 {number} 当前「待审批」，不是草稿，不能在这里修改。开单人可以先撤回成草稿。"]
    assert chat.press(chat.button("撤回修改")) == [f"采购单 {number} 已撤回，回到草稿（¥180.00）。修改好后重新提交。"]
    assert pending_for(uow, shop.manager) == [], "the approval request is withdrawn"
    opened = chat.press(chat.button("打开"))[0]
    assert opened.startswith(f"草稿 {number}，还没提交：\n供应商：Acme 贸易（ACME）")
    chat.press(chat.button("改明细"))
    chat.send("LAMP 2")
    chat.press(chat.button("完成"))
    assert chat.press(chat.button("提交")) == [
        f"采购单 {number} 已提交并批准（合计 ¥90.00），到货后可发送「收货 {number}」。"]
    assert audit_actions(uow, number) == ["purchase.create", "purchase.submit", "purchase.withdraw",
                                          "purchase.revise", "purchase.submit"]


def test_in_english_an_order_with_goods_received_cannot_be_withdrawn(uow: UnitOfWork, shop: Shop) -> None:
    order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 4, "40")])
    number = submit_purchase_order(uow, shop.purchaser, order.number).number
    receive_purchase(uow, shop.warehouse, number, [ReceiptLineIn("LAMP", 1)])
    chat = person(uow, shop.admin, "purchaser-1", "en")
    assert chat.send("withdraw")[0].startswith("Withdraw which purchase order? Send its number, for example PO-")
    before = rows(uow, *ORDER_TABLES)
    assert chat.send(number) == [
        f"Purchase order {number} is partially received: it can be withdrawn only while it waits for approval, or "
        "once approved before any goods arrive. Nothing was changed."]
    assert get_purchase_order(uow, shop.purchaser, number).status == "partially_received"
    assert rows(uow, *ORDER_TABLES) == before
    rejected_only = submit_purchase_order(uow, shop.purchaser, create_purchase_order(
        uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 4, "40")]).number).number
    receive_purchase(uow, shop.warehouse, rejected_only, [ReceiptLineIn("LAMP", 0, rejected=1, note="bent")])
    assert chat.send(f"withdraw {rejected_only}") == [
        f"Purchase order {rejected_only} has had goods delivered (received or rejected), so it cannot be withdrawn. "
        "Nothing was changed."]
    assert chat.send("withdraw PO-2026-999999") == ["No document \"PO-2026-999999\", or you may not see it."]
