"""The document dialogues through the real Telegram stack, in 中文 and English: updates POSTed to our webhook as
Telegram posts them (messages, and callback queries carrying the inline keyboard's callback_data), replies read
from what python-telegram-bot sent to the fake Bot API; then the books are checked."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from decimal import Decimal as D

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.engine.replies import Attachment
from core.models import (
    ApprovalDecision,
    InboundFile,
    InboxMessage,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockDocument,
    StockLevel,
    StockMove,
    Stocktake,
    StocktakeLine,
    Warehouse,
)
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.employees import create_employee
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.purchasing.replenishment import set_reorder_rule
from core.sales.orders import create_sales_order, get_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.e2e.fake_telegram import message_update
from tests.e2e.telegram_chat import TelegramChat, TelegramStack, doc_no, reply_of
from tests.factories import Shop
from tests.integration.chat_shop import books_clean, on_hand, open_shop, rows

ZH, EN = "zh_CN", "en"
BOTH = pytest.mark.parametrize("lang", [ZH, EN])
POSTINGS = (StockDocument, StockMove, StockLevel)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """make_shop, suppliers ACME and NORTHWIND, customer ACME of sales-1, a NORTH worker, a second manager, stock
    in MAIN (RC-<year>-000001)."""
    shop = open_shop(uow, admin)
    create_employee(uow, admin, "warehouse-n", ["warehouse"], warehouses=["NORTH"])
    create_employee(uow, admin, "manager-2", ["manager"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3"),
                                       LineIn("LAMP", 4, "45")])
    return shop


@pytest.fixture
def tg(db_url: str, shop: Shop) -> Iterator[TelegramStack]:
    with TelegramStack(db_url) as stack:
        yield stack


def level(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> tuple[D, D]:
    """On hand and reserved, as the books hold them."""

    def work(tx: Tx) -> tuple[D, D]:
        found = tx.session.execute(
            select(StockLevel.on_hand, StockLevel.reserved).join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Product.sku == sku, Warehouse.code == warehouse)).one_or_none()
        return (D(0), D(0)) if found is None else (D(found.on_hand), D(found.reserved))

    return uow.read(work)


def count(uow: UnitOfWork, model: type) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(model)) or 0)


def button_under(chat: TelegramChat, text_part: str, label_part: str) -> str:
    """The data of a button on the reply that mentions `text_part` (one of several replies with buttons)."""
    for reply in reversed([reply_of(c) for c in chat.transcript()]):
        if text_part in reply.text:
            for row in reply.buttons:
                for b in row:
                    if label_part in b.label:
                        return b.data
    raise AssertionError(f"no {label_part!r} button under a reply with {text_part!r}")


# ---- sales ----------------------------------------------------------------------------------------------------------

@BOTH
def test_a_sales_order_made_with_buttons_is_approved_with_one_tap_and_shipped(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    seller = tg.person(uow, shop.admin, "sales-1", lang)
    assert seller.send("开单" if zh else "so") == [
        "新销售单。请输入客户名称或编码的一部分：" if zh else
        "New sales order. Type part of the customer's name or code:"]
    asked = seller.send("acme")[0]
    assert ("从哪个仓库发货" if zh else "Ship from which warehouse?") in asked
    assert seller.button("MAIN").startswith("so:") and seller.transcript()[-1].method == "sendMessage"
    seller.press(seller.button("MAIN"))
    lines = seller.send("RETRO-CLOCK 4 15")[0]
    assert ("1. RETRO-CLOCK 复古闹钟 × 4 @ 15.00 = ¥60.00" if zh else
            "1. RETRO-CLOCK Retro clock × 4 @ 15.00 = CN¥60.00") in lines
    seller.press(seller.button("完成" if zh else "Done"))
    submitted = seller.press(seller.button("提交" if zh else "Submit"))[0]
    number = doc_no("SO", 1)
    assert number in submitted
    assert ("等待经理审批（原因：低于最低售价）" if zh else "waits for a manager to approve it") in submitted
    assert get_sales_order(uow, shop.manager, number).status == "pending_approval"
    assert level(uow, "RETRO-CLOCK") == (D(30), D(0)), "nothing reserved before the approval"

    boss = tg.person(uow, shop.admin, "manager-1", lang)
    listed = boss.send("审批" if zh else "approvals")
    assert listed[0] == ("有 1 张单据等你审批：" if zh else "1 document(s) wait for your approval:")
    assert listed[1].startswith(f"销售单 {number}，金额 ¥60.00，提交人 sales-1" if zh else
                                f"Sales order {number}, amount CN¥60.00, by sales-1")
    assert boss.press(boss.button("同意" if zh else "Approve")) == [
        f"已同意 {number}。单据已审批生效。" if zh else f"Approved {number}. The document is now approved."]
    assert get_sales_order(uow, shop.manager, number).status == "approved"
    assert level(uow, "RETRO-CLOCK") == (D(30), D(4))

    worker = tg.person(uow, shop.admin, "warehouse-1", lang)
    assert "RETRO-CLOCK" in worker.send(f"发货 {number}" if zh else f"ship {number}")[0]
    first = worker.press(worker.button("逐行发货" if zh else "Line by line"))[0]
    assert first.startswith("第 1/1 行：RETRO-CLOCK" if zh else "Line 1/1: RETRO-CLOCK")
    before = rows(uow, *POSTINGS)
    assert worker.send("abc")[0].startswith("数量「abc」无效" if zh else 'The quantity "abc" is not valid')
    assert worker.send("5")[0] == ("RETRO-CLOCK 最多只能发 4，你输入了 5。" if zh else
                                   "At most 4 of RETRO-CLOCK can be shipped; you typed 5.")
    assert rows(uow, *POSTINGS) == before, "wrong quantities wrote nothing"
    shipped = worker.send("3")[0]
    assert re.fullmatch(rf"已发货：SH-\d{{4}}-\d{{6}}。销售单 {number} 现在是「部分发货」。" if zh else
                        rf"Shipped: SH-\d{{4}}-\d{{6}}. Sales order {number} is now partly shipped.", shipped), shipped
    assert level(uow, "RETRO-CLOCK") == (D(27), D(1))
    worker.send(f"发货 {number}" if zh else f"ship {number}")
    done = worker.press(worker.button("全部发货" if zh else "Ship all"))[0]
    assert done.endswith("现在是「已发货」。" if zh else "is now shipped.")
    assert get_sales_order(uow, shop.manager, number).status == "shipped"
    assert level(uow, "RETRO-CLOCK") == (D(26), D(0))
    assert books_clean(uow)


# ---- purchasing -----------------------------------------------------------------------------------------------------

@BOTH
def test_a_purchase_order_is_written_then_received_line_by_line_partly_and_with_a_rejection(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    buyer = tg.person(uow, shop.admin, "purchaser-1", lang)
    buyer.send("采购单" if zh else "po")
    assert buyer.send("acme") == ["找到 1 家供应商，请选择：" if zh else "1 supplier found; choose one:"]
    assert buyer.button("Acme 贸易") == "po:sACME"
    buyer.press("po:sACME")
    buyer.press(buyer.button("MAIN"))
    running = buyer.send("RETRO-CLOCK 2 箱 120\nTEA-CUP 10")[0]
    assert running.startswith("1. RETRO-CLOCK 复古闹钟 × 24 @ 10.00 = ¥240.00\n2. TEA-CUP 青花茶杯 × 10 @ 3.30 = ¥33.00"
                              if zh else "1. RETRO-CLOCK Retro clock × 24 @ 10.00 = CN¥240.00\n"
                              "2. TEA-CUP Blue tea cup × 10 @ 3.30 = CN¥33.00")
    before = rows(uow, PurchaseOrder, PurchaseOrderLine)
    for bad in ("abc", "1e309", "-5", "🙂"):
        assert buyer.send(f"LAMP {bad}")[0].startswith(
            f"数量「{bad}」无效" if zh else f'The quantity "{bad}" is not valid')
    assert buyer.send("NOPE-SKU 3")[0].startswith("找不到商品「NOPE-SKU」" if zh else 'No product "NOPE-SKU"')
    assert rows(uow, PurchaseOrder, PurchaseOrderLine) == before == (0, 0)
    assert buyer.press(buyer.button("完成" if zh else "Done", earlier=True))[0].startswith(
        "请确认采购单：" if zh else "Please confirm the purchase order:")
    done = buyer.press(buyer.button("提交" if zh else "Submit"))[0]
    number = doc_no("PO", 1)
    assert done == (f"采购单 {number} 已提交并批准（合计 ¥273.00），到货后可发送「收货 {number}」。" if zh else
                    f"Purchase order {number} submitted and approved (total CN¥273.00). When the goods arrive, "
                    f"send \"receive {number}\".")
    assert get_purchase_order(uow, shop.purchaser, number).status == "approved"

    worker = tg.person(uow, shop.admin, "warehouse-1", lang)
    assert worker.send("收货" if zh else "receive")[0].startswith(
        f"待收货的采购单：\n① {number}" if zh else f"Purchase orders waiting for goods:\n① {number}")
    intro, ask = worker.press(worker.button(number))
    assert "RETRO-CLOCK" in intro and "TEA-CUP" in intro
    assert ask.startswith("第 1/2 行 RETRO-CLOCK" if zh else "Line 1/2 RETRO-CLOCK")
    before = rows(uow, *POSTINGS)
    refused, again = worker.send("-2")
    assert refused.startswith(
        "数量「-2」无效：不能为负数" if zh else 'The quantity "-2" is not valid: it cannot be negative')
    assert again == ask
    assert worker.send("20")[0].startswith("RETRO-CLOCK 实收 20，还差 4" if zh else "RETRO-CLOCK: 20 received, 4 short")
    assert worker.send("2")[0].startswith("RETRO-CLOCK 拒收 2" if zh else "RETRO-CLOCK: 2 rejected")
    assert worker.send("x" * 300) == ["请用一句话写明拒收原因（1 到 200 个字）。" if zh else
                                      "Please give the reason in one sentence (1 to 200 characters)."]
    worker.send("外箱破损" if zh else "crushed box")
    summary = worker.press(worker.button("全部 10" if zh else "All 10"))[0]
    assert summary.startswith(f"请确认 {number} 的收货：\n"
                              "· RETRO-CLOCK 复古闹钟：实收 20（待收 24），拒收 2（外箱破损）"
                              if zh else f"Please confirm the receipt for {number}:\n"
                              "· RETRO-CLOCK Retro clock: 20 of 24 received, 2 rejected (crushed box)")
    assert rows(uow, *POSTINGS) == before, "nothing posted before the confirmation"
    posted = worker.press(worker.button("确认收货" if zh else "Post receipt"))[0]
    assert posted.startswith(f"已收货 {doc_no('GR', 1)}" if zh else f"Received {doc_no('GR', 1)}")
    assert ("部分收货" if zh else "partially received") in posted
    view = get_purchase_order(uow, shop.purchaser, number)
    assert view.status == "partially_received"
    assert [(ln.received_qty, ln.rejected_qty) for ln in view.lines] == [(D(20), D(2)), (D(10), D(0))]
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "TEA-CUP")) == (D(50), D(110))
    assert books_clean(uow)


# ---- warehouse ------------------------------------------------------------------------------------------------------

@BOTH
def test_a_transfer_is_dispatched_and_received_with_damage_at_the_other_warehouse(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    sender = tg.person(uow, shop.admin, "warehouse-1", lang)
    asked = sender.send("调拨" if zh else "transfer")[0]
    assert asked.startswith("从 MAIN 调到" if zh else "From MAIN to"), "MAIN is the one warehouse it sends from"
    sender.press(sender.button("NORTH"))
    listed = sender.send("RETRO-CLOCK 1 箱\nLAMP 10")[0]
    assert listed.startswith("MAIN → NORTH")
    sender.press(sender.button("完成" if zh else "Done"))
    before = rows(uow, *POSTINGS)
    refused, summary = sender.press(sender.button("发出" if zh else "Dispatch"))
    assert refused == ("库存不足：LAMP，可用 4，需要 10。没有任何内容被修改。" if zh else
                       "Not enough stock of LAMP: 4 available, 10 needed. Nothing was changed.")
    assert rows(uow, *POSTINGS) == before
    sender.press(sender.button("撤回上一行" if zh else "Remove last line"))
    sender.press(sender.button("完成" if zh else "Done"))
    number = doc_no("TR", 1)
    dispatched = sender.press(sender.button("发出" if zh else "Dispatch"))[0]
    assert dispatched.startswith(f"调拨单 {number} 已发出" if zh else f"Transfer {number} dispatched")
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "RETRO-CLOCK", "TRANSIT")) == (D(18), D(12))

    assert sender.send(f"收调拨 {number}" if zh else f"receivetransfer {number}") == [
        "你没有权限执行这个操作。" if zh else "You are not allowed to do that."], "only the receiving warehouse"
    receiver = tg.person(uow, shop.admin, "warehouse-n", lang)
    intro, ask = receiver.send(f"收调拨 {number}" if zh else f"receivetransfer {number}")
    assert "RETRO-CLOCK" in intro and ask.startswith("第 1/1 行 RETRO-CLOCK" if zh else "Line 1/1 RETRO-CLOCK")
    assert receiver.send("13")[0] == ("RETRO-CLOCK 只发出了 12，不能收 13。" if zh else
                                      "Only 12 of RETRO-CLOCK were sent, not 13.")
    receiver.send("10")
    receiver.send("1")
    summary = receiver.send("外箱压坏" if zh else "crushed")[0]
    assert number in summary
    received = receiver.press(receiver.button("确认收货" if zh else "Post receipt"))[0]
    assert received.startswith(f"调拨单 {number} 已收货" if zh else f"Transfer {number} received")
    assert (on_hand(uow, "RETRO-CLOCK", "NORTH"), on_hand(uow, "RETRO-CLOCK", "TRANSIT")) == (D(10), D(0))
    assert books_clean(uow)


@BOTH
def test_a_stocktake_is_counted_by_sku_and_barcode_then_posted(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    worker = tg.person(uow, shop.admin, "warehouse-1", lang)
    assert worker.send("盘点 NORTH" if zh else "count NORTH") == [
        "你没有权限执行这个操作。" if zh else "You are not allowed to do that."]
    started = worker.send("盘点" if zh else "count")[0]
    take = doc_no("SC", 1)
    assert take in started
    assert worker.send("RETRO-CLOCK 28") == [
        "已记录 RETRO-CLOCK：28。继续下一个。" if zh else "Counted RETRO-CLOCK: 28. Next one."]
    before = rows(uow, Stocktake, StocktakeLine, *POSTINGS)
    for bad in ("RETRO-CLOCK -1", "RETRO-CLOCK 1e309", "NOPE 3"):
        assert worker.send(bad)[0].startswith(("数量「" if zh else 'The quantity "') if "NOPE" not in bad else
                                              ("找不到商品「NOPE」" if zh else 'No product "NOPE"'))
    assert rows(uow, Stocktake, StocktakeLine, *POSTINGS) == before
    assert worker.send("6901234567890")[0].startswith("RETRO-CLOCK 复古闹钟" if zh else "RETRO-CLOCK Retro clock")
    worker.send("29")
    worker.send("LAMP 4")
    worker.send("TEA-CUP 100")
    variances = worker.press(worker.button("差异表" if zh else "Variances"))[0]
    assert ("RETRO-CLOCK 复古闹钟：账 30，盘 29，差 -1" if zh else
            "RETRO-CLOCK Retro clock: book 30, counted 29, variance -1") in variances
    assert on_hand(uow, "RETRO-CLOCK") == D(30), "nothing posted while counting"
    confirm = worker.send("提交" if zh else "submit")[0]
    assert confirm.startswith(f"提交盘点 {take}（MAIN）？\n已盘 3 种" if zh else
                              f"Submit stocktake {take} (MAIN)?\n3 products counted")
    assert on_hand(uow, "RETRO-CLOCK") == D(30), "nothing posted before the confirmation"
    posted = worker.press(worker.button("确认过账" if zh else "Post the count"))[0]
    assert take in posted and doc_no("ST", 1) in posted
    assert on_hand(uow, "RETRO-CLOCK") == D(29)
    assert books_clean(uow)


# ---- approvals and low stock ----------------------------------------------------------------------------------------

def below_floor_order(uow: UnitOfWork, shop: Shop, qty: int) -> str:
    """An order of sales-1 at 15 (floor 18), waiting for a manager."""
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", qty, "15")])
    order = submit_sales_order(uow, shop.sales, draft.number)
    assert order.status == "pending_approval"
    return order.number


@BOTH
def test_pending_approvals_are_approved_and_rejected_with_one_tap_each(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    first, second = below_floor_order(uow, shop, 4), below_floor_order(uow, shop, 6)
    boss = tg.person(uow, shop.admin, "manager-1", lang)
    listed = boss.send("审批" if zh else "approvals")
    assert listed[0] == ("有 2 张单据等你审批：" if zh else "2 document(s) wait for your approval:")
    assert [first in listed[1], second in listed[2]] == [True, True]
    assert all(len(r.buttons[0]) == 2 for r in boss.replies[1:]), "Approve and Reject under each document"
    assert boss.press(button_under(boss, first, "同意" if zh else "Approve")) == [
        f"已同意 {first}。单据已审批生效。" if zh else f"Approved {first}. The document is now approved."]
    assert level(uow, "RETRO-CLOCK") == (D(30), D(4))
    reject = button_under(boss, second, "驳回" if zh else "Reject")
    assert boss.press(reject) == [f"请输入驳回 {second} 的原因（发送「取消」放弃）：" if zh else
                                  f"Why do you reject {second}? Type the reason (or \"cancel\"):"]
    decided = count(uow, ApprovalDecision)
    assert boss.send("r" * 600)[0].startswith("原因太长" if zh else "The reason is too long")
    assert count(uow, ApprovalDecision) == decided
    reason = "价格太低" if zh else "Price far too low"
    assert boss.send(reason) == [f"已驳回 {second}，原因：{reason}。已通知提交人。" if zh else
                                 f"Rejected {second}: {reason}. The author is told."]
    assert boss.press(button_under(boss, second, "同意" if zh else "Approve")) == [
        f"这张单据（{second}）已经有人处理过了，无需再审批。" if zh else
        f"That document ({second}) was already decided; nothing to do."], "the older message's button, tapped late"
    assert [get_sales_order(uow, shop.manager, n).status for n in (first, second)] == ["approved", "rejected"]
    assert level(uow, "RETRO-CLOCK") == (D(30), D(4))
    assert count(uow, ApprovalDecision) == decided + 1, "a second tap on a decided document decides nothing"
    assert boss.send("审批" if zh else "approvals") == ["目前没有等你审批的单据。" if zh else
                                                        "Nothing is waiting for your approval."]


@BOTH
def test_the_low_stock_list_drafts_purchase_orders_with_one_tap(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    create_supplier(uow, shop.admin, NewSupplier("CLOCKCO", "Clock Company", lead_time_days=5))
    create_supplier(uow, shop.admin, NewSupplier("CUPCO", "Cup Works", lead_time_days=7))
    set_reorder_rule(uow, shop.admin, "RETRO-CLOCK", "MAIN", 40, 60, supplier="CLOCKCO", pack_size=12)
    set_reorder_rule(uow, shop.admin, "TEA-CUP", "MAIN", 150, 200, supplier="CUPCO")
    buyer = tg.person(uow, shop.admin, "purchaser-1", lang)
    listed = buyer.send("缺货" if zh else "lowstock")[0]
    assert listed.startswith("有 2 个商品低于最低库存：" if zh else "2 product(s) below their minimum stock:")
    assert ("建议订 36，供应商 CLOCKCO Clock Company" if zh else "Order 36 from CLOCKCO Clock Company") in listed
    assert count(uow, PurchaseOrder) == 0
    drafted = buyer.press(buyer.button("生成采购草稿" if zh else "Draft POs"))[0]
    assert drafted.startswith("已生成 2 张采购草稿：" if zh else "2 draft purchase orders:")
    numbers = re.findall(r"PO-\d{4}-\d{6}", drafted)
    assert sorted(numbers) == [doc_no("PO", 1), doc_no("PO", 2)]
    orders = {o.supplier_code: o for o in (get_purchase_order(uow, shop.admin, n) for n in numbers)}
    assert {c: (o.status, [ln.qty for ln in o.lines]) for c, o in orders.items()} == {
        "CLOCKCO": ("draft", [D(36)]), "CUPCO": ("draft", [D(100)])}
    assert count(uow, PurchaseOrder) == 2
    seller = tg.person(uow, shop.admin, "sales-1", lang)
    assert seller.press("ls:draft") == ["你没有权限执行这个操作。" if zh else "You are not allowed to do that."]
    assert count(uow, PurchaseOrder) == 2


# ---- quick entry ----------------------------------------------------------------------------------------------------

@BOTH
def test_quick_entry_receives_against_a_po_posts_receipts_and_issues_and_shows_stock(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 30, "10")])
    number = submit_purchase_order(uow, shop.purchaser, order.number).number
    worker = tg.person(uow, shop.admin, "warehouse-1", lang)
    assert worker.send(f"/in {number} RETRO-CLOCK 12") == [
        f"已收货 {doc_no('GR', 1)}：{number} RETRO-CLOCK +12，还差 18，现库存 42。\n"
        "采购单现在：部分收货。发错了？10 分钟内发送「撤销」。" if zh else
        f"Received {doc_no('GR', 1)}: {number} RETRO-CLOCK +12, 18 still to come, 42 on hand.\n"
        "The order is now partially received. A mistake? Send \"undo\" within 10 minutes."]
    assert worker.send(f"入库 {number} RETRO-CLOCK 18")[0].startswith(
        f"已收货 {doc_no('GR', 2)}" if zh else f"Received {doc_no('GR', 2)}")
    assert get_purchase_order(uow, shop.purchaser, number).status == "received"
    assert worker.send("/in@jxc_test_bot MAIN TEA-CUP 20 3.5")[0].startswith(
        f"已入库 {doc_no('RC', 2)}：MAIN TEA-CUP 青花茶杯 +20，现库存 120。" if zh else
        f"Received {doc_no('RC', 2)}: MAIN TEA-CUP Blue tea cup +20, now 120 on hand")
    assert worker.send("/out MAIN RETRO-CLOCK 5")[0].startswith(
        f"已出库 {doc_no('IS', 1)}：MAIN RETRO-CLOCK 复古闹钟 -5，现库存 55。" if zh else
        f"Issued {doc_no('IS', 1)}: MAIN RETRO-CLOCK Retro clock -5, now 55 on hand")
    before = rows(uow, *POSTINGS)
    assert worker.send("出库 MAIN LAMP 9")[0].startswith(
        "库存不足：LAMP，可用 4，需要 9。" if zh else "Not enough stock of LAMP: 4 available, 9 needed.")
    assert rows(uow, *POSTINGS) == before
    stock = worker.send("库存 RETRO-CLOCK")[0]
    assert "<pre>" in stock and ("MAIN    55" if zh else "MAIN              55") in stock
    assert ("MAIN   120" if zh else "MAIN             120") in worker.send("/stock@jxc_test_bot TEA-CUP")[0]
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "TEA-CUP")) == (D(55), D(120))
    assert books_clean(uow)


# ---- wrong input, duplicates ----------------------------------------------------------------------------------------

@BOTH
def test_wrong_input_in_free_text_steps_gets_the_expected_message_and_changes_nothing(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    north = create_purchase_order(uow, shop.purchaser, "ACME", "NORTH", [PurchaseLineIn("LAMP", 2)]).number
    submit_purchase_order(uow, shop.purchaser, north)
    worker = tg.person(uow, shop.admin, "warehouse-1", lang)
    tables = (*POSTINGS, PurchaseOrder, PurchaseOrderLine, Stocktake, StocktakeLine)
    before = rows(uow, *tables)
    denied = "你没有权限执行这个操作。" if zh else "You are not allowed to do that."
    assert worker.send(f"收货 {north}" if zh else f"receive {north}") == [denied], "someone else's warehouse"
    missing = doc_no("PO", 999_999)
    assert worker.send(f"收货 {missing}" if zh else f"receive {missing}") == [
        f"找不到单据「{missing}」，或你无权查看。" if zh else f"No document \"{missing}\", or you may not see it."]
    form = "请这样发送" if zh else "Send it like this"
    too_large = "数量「1e309」无效：太大了" if zh else 'The quantity "1e309" is not valid: it is too large'
    negative = "数量「-3」无效：不能为负数" if zh else 'The quantity "-3" is not valid: it cannot be negative'
    for bad, expected in (("abc", form), ("🙂", form), ("1e309", too_large), ("-3", negative)):
        assert worker.send(f"/in MAIN RETRO-CLOCK {bad}")[0].startswith(expected), bad
    assert worker.send("/in MAIN NOPE 3")[0].startswith("找不到商品「NOPE」" if zh else 'No product "NOPE"')
    assert worker.send(f"/in {north} LAMP 2")[0].startswith(denied)
    assert worker.send("/in MAIN " + "x" * 10_000 + " 3") == [
        "消息太长了（最多 4000 个字符）。" if zh else "That message is too long (at most 4000 characters)."]
    worker.send("盘点 MAIN" if zh else "count MAIN")
    assert worker.send("RETRO-CLOCK -1")[0].startswith(
        "数量「-1」无效：不能为负数" if zh else 'The quantity "-1" is not valid: it cannot be negative')
    assert worker.send("取消" if zh else "cancel") == ["已取消。" if zh else "Cancelled."]
    assert rows(uow, *tables)[:5] == before[:5], "no posting, no order"
    assert (on_hand(uow, "RETRO-CLOCK"), on_hand(uow, "LAMP", "NORTH")) == (D(30), D(0))
    assert books_clean(uow)


def test_an_update_delivered_twice_even_at_once_posts_once_and_is_answered_once(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    worker = tg.person(uow, shop.admin, "warehouse-1", EN)
    first = worker.send("in MAIN TEA-CUP 5", update_id=4_200_001)
    assert first[0].startswith(f"Received {doc_no('RC', 2)}: MAIN TEA-CUP Blue tea cup +5, now 105 on hand")
    assert worker.send("in MAIN TEA-CUP 5", update_id=4_200_001) == [], "Telegram's redelivery is ignored"
    assert on_hand(uow, "TEA-CUP") == D(105)

    update = message_update(4_200_002, worker.user_id, "out MAIN TEA-CUP 7")

    async def twice() -> list[int]:
        statuses = await asyncio.gather(tg.stack.post(update), tg.stack.post(update))
        await tg.stack.settle()
        return list(statuses)

    sent = len(worker.transcript())
    assert tg.run(twice()) == [200, 200]
    issued = [c.text for c in worker.transcript()[sent:]]
    assert len(issued) == 1 and issued[0].startswith(f"Issued {doc_no('IS', 1)}")
    assert on_hand(uow, "TEA-CUP") == D(98)
    assert count(uow, InboxMessage) == len(worker.transcript()), "one inbox row per distinct update"

    number = below_floor_order(uow, shop, 4)
    boss = tg.person(uow, shop.admin, "manager-1", EN)
    boss.send("approvals")
    approve = boss.button("Approve")
    assert boss.press(approve, update_id=4_200_003) == [f"Approved {number}. The document is now approved."]
    assert boss.press(approve, update_id=4_200_003) == [], "the redelivered tap is ignored, not refused"
    assert count(uow, ApprovalDecision) == 1
    assert level(uow, "RETRO-CLOCK") == (D(30), D(4))
    assert books_clean(uow)


# ---- importing a file sent in chat ----------------------------------------------------------------------------------

def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["SKU", "名称", "英文名", "进价", "售价", "最低价"]


@BOTH
def test_an_admin_imports_a_catalogue_from_excel_sent_over_telegram(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    boss = tg.person(uow, shop.admin, "system", lang)
    assert boss.send("导入 products" if zh else "import products") == [
        "请发送 products 文件（.xlsx 或 .csv，第 1 行为表头）。只有全部行都正确才会导入。" if zh else
        "Send the products file (.xlsx or .csv, header on line 1). Nothing is written unless every row is right."]
    products = count(uow, Product)
    bad = xlsx([HEADER,
                ["GOOD-ONE", "好商品", "Good one", 10, 20, 15],   # line 2: fine
                ["", "没有编码", "", 1, 2, 1],                    # 3: no SKU
                ["GOOD-ONE", "重复", "", 1, 2, 1],                # 4: twice in the file
                ["RETRO-CLOCK", "已有", "", 1, 2, 1],             # 5: exists
                ["BAD-NUMBER", "坏数字", "", "ten", 2, 1],        # 6: not a number
                ["NEGATIVE", "负价", "", -1, 2, 1],               # 7: negative
                ["FLOOR-HIGH", "底价高", "", 1, 20, 30]])         # 8: floor above the sale price
    refused = boss.send_file("catalogue-bad.xlsx", bad)
    assert len(refused) == 1
    assert refused[0].startswith("未导入：7 行中有 6 处问题。" if zh else "Nothing imported: 6 problem(s) in 7 rows.")
    line = "第 {} 行：{}" if zh else "line {}: {}"
    for n, problem in ((3, "sku missing"), (4, "sku duplicate_in_file"), (5, "sku exists"),
                       (6, "purchase_price bad_number"), (7, "purchase_price negative"),
                       (8, "floor_price floor_above_sale")):
        assert line.format(n, problem) in refused[0], (n, problem, refused[0])
    assert "第 2 行" not in refused[0] and "line 2:" not in refused[0]
    assert count(uow, Product) == products, "nothing written"
    downloads = [c for c in tg.fake.calls if c.method in ("getFile", "download")]
    assert [c.method for c in downloads] == ["getFile", "download"], "fetched through the Bot API's file URL"

    good = xlsx([HEADER, ["WALL-CLOCK", "挂钟", "Wall clock", 30, 68, 50],
                 ["DESK-FAN", "台扇", "Desk fan", "45.5", 99, 80]])
    assert boss.send_file("catalogue.xlsx", good) == ["已导入 2 条 products。" if zh else "Imported 2 products."]
    imported = uow.read(lambda tx: {p.sku: (p.name_zh, p.name_en, p.purchase_price, p.sale_price) for p in
                                    tx.session.scalars(select(Product).where(Product.sku.in_(["WALL-CLOCK",
                                                                                              "DESK-FAN"])))})
    assert imported == {"WALL-CLOCK": ("挂钟", "Wall clock", D(30), D(68)),
                        "DESK-FAN": ("台扇", "Desk fan", D("45.5"), D(99))}
    assert ("WALL-CLOCK 挂钟" if zh else "WALL-CLOCK Wall clock") in boss.send("库存 WALL-CLOCK")[0]


@BOTH
def test_a_catalogue_sent_with_the_caption_import_products_is_imported_at_once(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    boss = tg.person(uow, shop.admin, "system", lang)
    products = count(uow, Product)
    good = xlsx([HEADER, ["WALL-CLOCK", "挂钟", "Wall clock", 30, 68, 50]])
    caption = "导入 products" if zh else "import products"
    assert boss.send_file("catalogue.xlsx", good, caption=caption) == [
        "已导入 1 条 products。" if zh else "Imported 1 products."], "the file is not asked for again"
    assert count(uow, Product) == products + 1
    assert [c.method for c in tg.fake.calls if c.method in ("getFile", "download")] == ["getFile", "download"]
    assert ("WALL-CLOCK 挂钟" if zh else "WALL-CLOCK Wall clock") in boss.send("库存 WALL-CLOCK")[0]


def test_a_file_over_the_size_cap_is_refused_with_a_clear_message_and_nothing_imported(
    db_url: str, uow: UnitOfWork, shop: Shop
) -> None:
    with TelegramStack(db_url, max_file_bytes=20_000) as tg:
        boss = tg.person(uow, shop.admin, "system", EN)
        boss.send("import products")
        products = count(uow, Product)
        too_large = ('The file "{}" is too large to take in chat; nothing was imported. Split it into smaller files, '
                     "or have it imported on the server with jxc import.")
        big = xlsx([HEADER] + [[f"BIG-{n:05d}", "大批量商品", "Bulk item", 1, 2, 1] for n in range(2_000)])
        assert len(big) > 20_000
        assert boss.send_file("big.xlsx", big, declared=len(big))[0] == too_large.format("big.xlsx")
        assert not [c for c in tg.fake.calls if c.method in ("getFile", "download")], "not even downloaded"
        assert boss.send_file("quiet.xlsx", big, undeclared=True)[0] == too_large.format("quiet.xlsx")
        assert [c.method for c in tg.fake.calls if c.method in ("getFile", "download")] == ["getFile"], \
            "the size getFile gives is checked before the download"
        assert boss.replies[1].text.startswith("Send the products file"), "still waiting for a file"
        assert count(uow, Product) == products
        small = xlsx([HEADER, ["TINY-ONE", "小商品", "Tiny", 1, 2, 1]])
        assert boss.send_file("small.xlsx", small) == ["Imported 1 products."]
        assert count(uow, Product) == products + 1


def test_the_transcript_keeps_split_texts_photos_and_files_as_the_person_receives_them(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    worker = tg.person(uow, shop.admin, "warehouse-1")
    texts = worker.send("longtest")  # a test-only flow of the stack: 150 long lines with a button, a photo, a file
    assert len(texts) == 6 and all(len(t) <= 4096 for t in texts[:4])
    assert [r.buttons != () for r in worker.replies] == [False, False, False, True, False, False]
    photo, document = worker.replies[4:]
    assert photo.image is not None and document.file is not None
    assert (photo.text, photo.image.name, photo.image.content) == ("月报 chart", "chart.png", b"\x89PNG fake")
    assert (document.text, document.file) == (
        "对账单", Attachment("statement.csv", b"sku,qty\nRETRO-CLOCK,12\n", document.file.mime))
    assert worker.press(worker.button("OK")) == ["ok"]


def test_a_stranger_sending_a_file_gets_the_binding_prompt_and_the_file_is_neither_fetched_nor_stored(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    stranger = tg.chat()
    content = xlsx([HEADER, ["SNEAKY", "偷偷", "Sneaky", 1, 2, 1]])
    replies = stranger.send_file("catalogue.xlsx", content, caption="import products")
    assert len(replies) == 1 and replies[0].startswith("你还没有绑定员工账号")
    assert not [c for c in tg.fake.calls if c.method in ("getFile", "download")]
    stored = uow.read(lambda tx: [m.payload for m in tx.session.scalars(select(InboxMessage))])
    assert [p["file_name"] for p in stored] == ["catalogue.xlsx"]
    assert count(uow, InboundFile) == 0
    assert count(uow, Product) == 3


@BOTH
def test_a_file_sent_in_the_middle_of_other_dialogues_is_answered_and_changes_nothing(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    content = xlsx([HEADER, ["STRAY", "误发", "Stray", 1, 2, 1]])
    seller = tg.person(uow, shop.admin, "sales-1", lang)
    assert seller.send_file("stray.xlsx", content)[0].startswith("没听懂" if zh else "I did not understand")
    seller.send("开单 acme" if zh else "so acme")
    seller.press(seller.button("MAIN"))
    seller.send("TEA-CUP 2")
    buyer = tg.person(uow, shop.admin, "purchaser-1", lang)
    buyer.send("采购单 acme" if zh else "po acme")
    worker = tg.person(uow, shop.admin, "warehouse-1", lang)
    worker.send("盘点 MAIN" if zh else "count MAIN")
    before = rows(uow, *POSTINGS, PurchaseOrder, Product, StocktakeLine)
    assert seller.send_file("stray.xlsx", content)[0].endswith(
        "请继续输入一行，或点「完成」。" if zh else "Send another line, or tap Done."), "the step's prompt again"
    assert buyer.send_file("stray.xlsx", content) == [
        "新建采购单。供应商是哪家？请输入供应商名称或编码的一部分：" if zh else
        "New purchase order. Which supplier? Type part of its name or code:"]
    assert worker.send_file("stray.xlsx", content)[0].startswith(
        "请发送「SKU 数量 [单位]」" if zh else 'Send "SKU qty [unit]"')
    assert rows(uow, *POSTINGS, PurchaseOrder, Product, StocktakeLine) == before
    assert "2. LAMP" in seller.send("LAMP 1")[0], "the order goes on"
