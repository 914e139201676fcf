"""Managers in chat, whole dialogues through the engine: pending approvals (also from a notification) and low stock."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.catalog.products import products_in, warehouse_in
from core.ledger.check import check_ledger
from core.models import ApprovalDecision, ApprovalRequest, PurchaseOrder, SalesOrder, StockLevel
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import create_invite
from core.people.employees import create_employee
from core.permissions import Actor
from core.purchasing.orders import get_purchase_order
from core.purchasing.replenishment import set_reorder_rule
from core.sales.orders import create_sales_order, get_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.chat import Chat
from tests.factories import Shop, make_shop

TEXTS = Texts()


def chat_of(uow: UnitOfWork, admin: Actor, name: str, user_id: str, language: str = "zh_CN") -> Chat:
    """A chat bound to employee `name`, speaking `language`."""
    chat = Chat(Engine(uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock"), user_id=user_id,
                chat_id=user_id)
    chat.send(f"/start {create_invite(uow, admin, name).code}")
    if language == "en":
        chat.send("lang en")
    return chat


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """The small shop with stock in MAIN, a customer of sales-1, and a second manager."""
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "manager-2", ["manager"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


def level(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> tuple[D, D]:
    def work(tx: Tx) -> tuple[D, D]:
        product = products_in(tx, [sku])[sku].id
        row = tx.session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.product_id == product, StockLevel.warehouse_id == warehouse_in(tx, warehouse).id)).one()
        return row.on_hand, row.reserved

    return uow.read(work)


def decisions(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(ApprovalDecision)) or 0)


def below_floor_order(uow: UnitOfWork, author: Actor, qty: int = 4) -> tuple[str, int]:
    """An order at 15 (floor 18) submitted by `author`: it waits for a manager. Its number and request id."""
    draft = create_sales_order(uow, author, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", qty, "15")])
    order = submit_sales_order(uow, author, draft.number)
    assert order.status == "pending_approval" and order.approval_request_id is not None
    return order.number, order.approval_request_id


def test_a_manager_approves_a_salespersons_chat_order_and_the_stock_is_reserved(uow: UnitOfWork, shop: Shop) -> None:
    seller = chat_of(uow, shop.admin, "sales-1", "1001")
    seller.send("开单 ACME")
    seller.press(seller.button("MAIN"))
    seller.send("RETRO-CLOCK 4 15")
    seller.press(seller.button("完成"))
    reply = seller.press(seller.button("提交"))[0]
    assert "等待经理审批（原因：低于最低售价）" in reply
    number = re.search(r"SO-\d{4}-\d{6}", reply).group(0)  # type: ignore[union-attr]

    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    replies = boss.send("审批")
    assert replies[0] == "有 1 张单据等你审批："
    assert replies[1].startswith(f"销售单 {number}，金额 ¥60.00，提交人 sales-1")
    assert "客户：ACME Acme Trading" in replies[1]
    assert "· RETRO-CLOCK 复古闹钟 × 4 @ 15.00" in replies[1]
    assert "需要审批的原因：低于最低售价" in replies[1]
    assert boss.press(boss.button("同意")) == [f"已同意 {number}。单据已审批生效。"]
    assert get_sales_order(uow, shop.sales, number).status == "approved"
    assert level(uow, "RETRO-CLOCK") == (D(30), D(4))
    assert boss.send("审批") == ["目前没有等你审批的单据。"]
    assert uow.read(check_ledger) == []


def test_a_rejection_in_english_asks_for_a_reason_and_keeps_asking_until_it_is_usable(
    uow: UnitOfWork, shop: Shop
) -> None:
    number, _ = below_floor_order(uow, shop.sales)
    boss = chat_of(uow, shop.admin, "manager-1", "2001", "en")
    replies = boss.send("approvals")
    assert replies[0] == "1 document(s) wait for your approval:"
    assert "Why it needs approval: price below the floor price" in replies[1]
    assert boss.press(boss.button("Reject")) == [f"Why do you reject {number}? Type the reason (or \"cancel\"):"]
    before = decisions(uow)
    assert boss.send("r" * 10_000) == ["That message is too long (at most 4000 characters)."]
    assert boss.send("r" * 600) == ["The reason is too long (at most 500 characters); please send a shorter one:"]
    assert decisions(uow) == before
    assert boss.send("Price far too low 🙁") == [
        f"Rejected {number}: Price far too low 🙁. The author is told."]
    order = get_sales_order(uow, shop.sales, number)
    assert (order.status, order.reason) == ("rejected", "Price far too low 🙁")
    assert level(uow, "RETRO-CLOCK") == (D(30), D(0))
    assert decisions(uow) == before + 1


def test_nobody_approves_their_own_order_even_from_a_notification_button(uow: UnitOfWork, shop: Shop) -> None:
    number, request_id = below_floor_order(uow, shop.manager)
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    assert boss.send("审批") == ["目前没有等你审批的单据。"]
    before = decisions(uow)
    assert boss.press(f"ap:{request_id}:y") == [f"不能审批自己提交的单据（{number}），需要另一位审批人。"]
    assert decisions(uow) == before
    assert get_sales_order(uow, shop.manager, number).status == "pending_approval"

    other = chat_of(uow, shop.admin, "manager-2", "2002", "en")
    assert other.press(f"ap:{request_id}:y") == [f"Approved {number}. The document is now approved."]
    assert level(uow, "RETRO-CLOCK") == (D(30), D(4))
    assert boss.press(f"ap:{request_id}:y") == [f"不能审批自己提交的单据（{number}），需要另一位审批人。"]
    admin_chat = chat_of(uow, shop.admin, "system", "9001", "en")
    assert admin_chat.press(f"ap:{request_id}:n") == [f"That document ({number}) was already decided; nothing to do."]
    assert admin_chat.press(f"ap:{request_id}:y") == [f"That document ({number}) was already decided; nothing to do."]
    assert decisions(uow) == before + 1


def test_a_reject_button_on_a_notification_asks_the_reason_then_rejects(uow: UnitOfWork, shop: Shop) -> None:
    number, request_id = below_floor_order(uow, shop.sales)
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    assert boss.press(f"ap:{request_id}:n") == [f"请输入驳回 {number} 的原因（发送「取消」放弃）："]
    assert boss.send("取消") == ["已取消。"]
    assert get_sales_order(uow, shop.sales, number).status == "pending_approval"
    boss.press(f"ap:{request_id}:n")
    assert boss.send("价格太低") == [f"已驳回 {number}，原因：价格太低。已通知提交人。"]
    assert get_sales_order(uow, shop.sales, number).status == "rejected"


def test_sales_staff_cannot_decide_and_a_made_up_request_is_refused(uow: UnitOfWork, shop: Shop) -> None:
    _, request_id = below_floor_order(uow, shop.sales)
    create_employee(uow, shop.admin, "sales-2", ["sales"])
    seller = chat_of(uow, shop.admin, "sales-2", "1002")
    assert seller.send("审批") == ["目前没有等你审批的单据。"]
    before = decisions(uow)
    assert seller.press(f"ap:{request_id}:y") == ["你没有权限执行这个操作。"]
    assert seller.press("ap:999999:y") == ["找不到这个审批请求，可能已被撤回。"]
    assert decisions(uow) == before
    assert uow.read(lambda tx: tx.session.scalar(
        select(ApprovalRequest.status).where(ApprovalRequest.id == request_id))) == "pending"


@pytest.fixture
def low(uow: UnitOfWork, shop: Shop) -> Shop:
    """Reorder rules: clocks below their minimum from CLOCKCO, cups from CUPCO, lamps with no supplier."""
    create_supplier(uow, shop.admin, NewSupplier("CLOCKCO", "Clock Company", lead_time_days=5))
    create_supplier(uow, shop.admin, NewSupplier("CUPCO", "Cup Works", lead_time_days=7))
    set_reorder_rule(uow, shop.admin, "RETRO-CLOCK", "MAIN", 40, 60, supplier="CLOCKCO", pack_size=12)
    set_reorder_rule(uow, shop.admin, "TEA-CUP", "MAIN", 150, 200, supplier="CUPCO")
    return shop


def test_low_stock_in_chinese_drafts_purchase_orders_per_supplier(uow: UnitOfWork, low: Shop) -> None:
    buyer = chat_of(uow, low.admin, "purchaser-1", "4001")
    reply = buyer.send("缺货")[0]
    assert reply.startswith("有 2 个商品低于最低库存：")
    assert "RETRO-CLOCK 复古闹钟 @ MAIN：可用 30，最低 40" in reply
    assert "建议订 36，供应商 CLOCKCO Clock Company" in reply
    assert "补到最高 60，按每包 12 向上取整" in reply
    assert "建议订 100，供应商 CUPCO Cup Works" in reply
    before = uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(PurchaseOrder)))
    reply = buyer.press(buyer.button("生成采购草稿"))[0]
    numbers = re.findall(r"PO-\d{4}-\d{6}", reply)
    assert reply.startswith("已生成 2 张采购草稿：") and len(numbers) == 2
    assert "CLOCKCO Clock Company → MAIN，1 行" in reply
    lines = {get_purchase_order(uow, low.admin, n).supplier_code: get_purchase_order(uow, low.admin, n)
             for n in numbers}
    assert lines["CLOCKCO"].status == "draft" and lines["CLOCKCO"].lines[0].qty == D(36)
    assert lines["CUPCO"].lines[0].qty == D(100)
    assert uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(PurchaseOrder))) == before + 2
    reply = buyer.send("缺货")[0]
    assert "已有在途采购 36（其中 36 在还没提交的草稿里），够用了，不用再订。" in reply, "open drafts count as on order"


def test_low_stock_in_english_says_why_and_skips_products_without_a_supplier(uow: UnitOfWork, low: Shop) -> None:
    set_reorder_rule(uow, low.admin, "LAMP", "MAIN", 2, 5)
    boss = chat_of(uow, low.admin, "manager-1", "2001", "en")
    reply = boss.send("lowstock MAIN")[0]
    assert reply.startswith("3 product(s) below their minimum stock:")
    assert "LAMP Desk lamp @ MAIN: 0 available, minimum 2" in reply
    assert "Order 5 (no supplier set yet)" in reply
    assert "Order 36 from CLOCKCO Clock Company" in reply
    assert "Why: fill up to the maximum 60, rounded up to packs of 12." in reply
    reply = boss.press(boss.button("Draft POs"))[0]
    assert reply.startswith("2 draft purchase orders:")
    assert "Not ordered, no supplier: LAMP" in reply
    seller = chat_of(uow, low.admin, "sales-1", "1001", "en")
    assert seller.send("lowstock")[0].startswith('"Low stock, draft POs" is not something your role can do.')
    assert seller.press("ls:draft") == ["You are not allowed to do that."]


def test_an_order_approved_by_two_levels_reports_who_is_next(uow: UnitOfWork, shop: Shop) -> None:
    from core.approvals.requests import set_rule

    set_rule(uow, shop.admin, "sales_order", "0", ["manager", "admin"])
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 2)])
    number = submit_sales_order(uow, shop.sales, draft.number).number
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    boss.send("审批")
    assert boss.press(boss.button("同意")) == [f"已同意 {number}。下一级：等待管理员（老板）审批。"]
    owner = chat_of(uow, shop.admin, "system", "9001", "en")
    owner.send("approvals")
    assert owner.press(owner.button("Approve")) == [f"Approved {number}. The document is now approved."]
    assert level(uow, "TEA-CUP") == (D(100), D(2))
    assert uow.read(lambda tx: tx.session.scalar(select(SalesOrder.status).where(SalesOrder.number == number))) \
        == "approved"


def test_a_purchase_order_is_shown_with_its_supplier_and_approved_from_chat(uow: UnitOfWork, low: Shop) -> None:
    from core.approvals.requests import set_rule
    from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order

    set_rule(uow, low.admin, "purchase_order", "0", ["manager"])
    draft = create_purchase_order(uow, low.purchaser, "CLOCKCO", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 24, "9.5")])
    assert submit_purchase_order(uow, low.purchaser, draft.number).status == "pending_approval"
    boss = chat_of(uow, low.admin, "manager-1", "2001", "en")
    replies = boss.send("approvals")
    assert replies[1].startswith(f"Purchase order {draft.number}, amount CN¥228.00, by purchaser-1")
    assert "Supplier: CLOCKCO Clock Company" in replies[1] and "· RETRO-CLOCK Retro clock × 24 @ 9.50" in replies[1]
    assert boss.press(boss.button("Approve")) == [f"Approved {draft.number}. The document is now approved."]
    assert get_purchase_order(uow, low.admin, draft.number).status == "approved"


def test_an_order_over_the_credit_limit_says_so_to_the_seller_and_the_approver(uow: UnitOfWork, shop: Shop) -> None:
    create_customer(uow, shop.admin, NewCustomer("TIGHT", "Tight Budget Ltd", credit_limit="300",
                                                 salesperson="sales-1"))
    seller = chat_of(uow, shop.admin, "sales-1", "1001")
    seller.send("开单 tight")
    seller.press(seller.button("MAIN"))
    seller.send("RETRO-CLOCK 20")
    seller.press(seller.button("完成"))
    reply = seller.press(seller.button("提交"))[0]
    assert "等待经理审批（原因：超出客户信用额度）" in reply
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    item = boss.send("审批")[1]
    assert "需要审批的原因：超出客户信用额度" in item
    assert "信用额度 ¥300.00，未收款 ¥0.00" in item
    assert level(uow, "RETRO-CLOCK") == (D(30), D(0))
    boss.press(boss.button("同意"))
    assert level(uow, "RETRO-CLOCK") == (D(30), D(20))
