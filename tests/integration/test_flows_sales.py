"""Sales staff in chat, whole dialogues through the engine: a new order, my orders, shipping, customers, suppliers."""

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
from core.models import Customer, SalesOrder, SalesOrderLine, StockDocument, StockLevel, StockMove
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import create_invite
from core.people.employees import create_employee
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order
from core.sales.orders import create_sales_order, get_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.chat import Chat
from tests.factories import Shop, make_shop

TEXTS = Texts()


def engine_on(uow: UnitOfWork) -> Engine:
    return Engine(uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock")


def chat_of(uow: UnitOfWork, admin: Actor, name: str, user_id: str, language: str = "zh_CN") -> Chat:
    """A chat bound to employee `name`, speaking `language`."""
    chat = Chat(engine_on(uow), user_id=user_id, chat_id=user_id)
    chat.send(f"/start {create_invite(uow, admin, name).code}")
    if language == "en":
        chat.send("lang en")
    return chat


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """The small shop, stock in MAIN, customers of two salespeople."""
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("ACORN", "Acorn Home", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("BETA", "Beta Stores", salesperson="sales-2"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


def level(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> tuple[D, D]:
    """On hand and reserved as the books hold them."""

    def work(tx: Tx) -> tuple[D, D]:
        product = products_in(tx, [sku])[sku].id
        row = tx.session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.product_id == product, StockLevel.warehouse_id == warehouse_in(tx, warehouse).id)).one()
        return row.on_hand, row.reserved

    return uow.read(work)


def rows(uow: UnitOfWork) -> tuple[int, ...]:
    """How many orders, order lines, stock documents and moves the books hold."""
    return uow.read(lambda tx: tuple(
        tx.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (SalesOrder, SalesOrderLine, StockDocument, StockMove)))


def ledger_clean(uow: UnitOfWork) -> bool:
    return uow.read(check_ledger) == []


def number_in(text: str) -> str:
    found = re.search(r"SO-\d{4}-\d{6}", text)
    assert found, text
    return found.group(0)


def test_a_salesperson_writes_an_order_in_chinese_and_the_stock_is_reserved(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    assert chat.send("开单") == ["新销售单。请输入客户名称或编码的一部分："]
    reply = chat.send("ac")[0]
    assert reply.startswith("找到 2 个客户")
    assert all(len(b.data.encode()) <= 64 for r in chat.replies for row in r.buttons for b in row)
    reply = chat.press(chat.button("Acme"))[0]
    assert "从哪个仓库发货" in reply
    assert chat.press(chat.button("MAIN"))[0].startswith("请输入一行")
    reply = chat.send("RETRO-CLOCK 2")[0]
    assert "1. RETRO-CLOCK 复古闹钟 × 2 @ 25.00 = ¥50.00" in reply
    assert "合计：¥50.00" in reply
    reply = chat.send("retro-clock 1 箱 240")[0]
    assert "2. RETRO-CLOCK 复古闹钟 × 12 @ 20.00 = ¥240.00" in reply
    assert "合计：¥290.00" in reply
    assert "低于最低售价" not in reply
    reply = chat.press(chat.button("完成"))[0]
    assert reply.startswith("请确认销售单：\n客户：ACME Acme Trading\n仓库：MAIN")
    assert "合计：¥290.00" in reply
    reply = chat.press(chat.button("提交"))[0]
    number = number_in(reply)
    assert reply.startswith(f"销售单 {number} 已审批，库存已预留。")
    order = get_sales_order(uow, shop.manager, number)
    assert (order.status, order.channel, order.total, order.salesperson) == ("approved", "test", D("290"), "sales-1")
    assert level(uow, "RETRO-CLOCK") == (D(30), D(14))
    assert ledger_clean(uow)
    assert chat.send("取消") == ["当前没有进行中的操作。"], "the order conversation ended with the submit"


def test_an_english_order_below_the_floor_price_waits_for_a_manager(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    reply = chat.send("so acme")[0]
    assert reply.startswith("Customer: ACME Acme Trading. Ship from which warehouse? Or send the first line (like")
    taken, reply = chat.send("RETRO-CLOCK 3 15")
    assert taken == "Shipping from MAIN (most of this product is available there).", \
        "the first line instead of a warehouse: the warehouse with most of it, one tap fewer"
    assert "1. RETRO-CLOCK Retro clock × 3 @ 15.00 = CN¥45.00" in reply
    assert "below the floor price 18.00: a manager must approve" in reply
    reply = chat.press(chat.button("Done"))[0]
    assert "1 line(s) below the floor price" in reply
    reply = chat.press(chat.button("Submit"))[0]
    number = number_in(reply)
    assert reply.startswith(f"Sales order {number} is submitted and waits for a manager to approve it "
                            "(price below the floor price).")
    assert get_sales_order(uow, shop.manager, number).status == "pending_approval"
    assert level(uow, "RETRO-CLOCK") == (D(30), D(0)), "nothing is reserved before the approval"
    assert ledger_clean(uow)


def test_a_first_line_for_a_product_nowhere_available_asks_for_the_warehouse_again(uow: UnitOfWork,
                                                                                    shop: Shop) -> None:
    receive_stock(uow, shop.admin, "NORTH", [LineIn("TEA-CUP", 200, "3.3")])
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    chat.send("开单 acme")
    assert chat.send("LAMP 2")[0].startswith("请点按钮选择仓库。"), "no lamp anywhere: the warehouse is asked"
    assert chat.send("NOPE-1 2")[0].startswith("请点按钮选择仓库。")
    taken, line = chat.send("TEA-CUP 10")
    assert taken == "从 NORTH 发货（这个商品在那里可用最多）。" and "1. TEA-CUP 青花茶杯 × 10" in line
    assert "仓库：NORTH" in chat.press(chat.button("完成"))[0]
    done = chat.press(chat.button("提交"))[0]
    assert get_sales_order(uow, shop.sales, number_in(done)).warehouse == "NORTH"


def test_bad_lines_are_explained_in_chinese_and_the_order_goes_on(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    chat.send("销售单 ACME")
    chat.press(chat.button("MAIN"))
    before = rows(uow)
    answers = {
        "RETRO-CLOCK abc": "数量「abc」无效",
        "RETRO-CLOCK 1e309": "数量「1e309」无效",
        "RETRO-CLOCK -3": "不能为负数",
        "RETRO-CLOCK 0": "不能为 0",
        "RETRO-CLOCK 😀": "数量「😀」无效",
        "RETRO-CLOCK 2 -1": "金额「-1」无效",
        "RETRO-CLOCK 2 盒": "没有这个包装单位",
        "NO-SUCH-THING 2": "找不到商品「NO-SUCH-THING」",
        "😀": "没看懂「😀」",
        "just some words here": "数量「some」无效",
    }
    for typed, expected in answers.items():
        reply = " ".join(chat.send(typed))
        assert expected in reply, (typed, reply)
        assert "格式：SKU 数量" in reply, "it says what it expects"
    assert chat.send("x" * 10_000) == ["消息太长了（最多 4000 个字符）。"]
    assert rows(uow) == before, "nothing was written"
    reply = chat.send("TEA-CUP 3")[0]
    assert "1. TEA-CUP 青花茶杯 × 3 @ 8.00 = ¥24.00" in reply, "the state was kept: the next good line is added"


def test_bad_lines_are_explained_in_english_too(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    chat.send("order ACME")
    chat.press(chat.button("MAIN"))
    before = rows(uow)
    answers = {
        "LAMP lots": 'The quantity "lots" is not valid',
        "LAMP 1e309": 'The quantity "1e309" is not valid',
        "LAMP -1": "it cannot be negative",
        "LAMP 🙂": 'The quantity "🙂" is not valid',
        "GHOST 1": 'No product "GHOST"',
        "🙂": 'I could not read "🙂"',
    }
    for typed, expected in answers.items():
        reply = " ".join(chat.send(typed))
        assert expected in reply, (typed, reply)
        assert "Format: SKU qty [price]" in reply
    assert chat.send("y" * 10_000) == ["That message is too long (at most 4000 characters)."]
    reply = chat.press("so:done")
    assert reply[0] == "The order has no lines yet."
    assert reply[1].startswith("Send a line: SKU qty [price]")
    assert rows(uow) == before


def test_a_salesperson_sees_only_their_own_customers(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    chat.send("开单")
    assert chat.send("BETA") == ["没有找到与「BETA」匹配的客户（你只能看到自己的客户）。请换个关键词再试："]
    beta = uow.read(lambda tx: tx.session.scalar(select(Customer.id).where(Customer.code == "BETA")))
    reply = chat.press(f"so:c{beta}")
    assert reply[0] == "找不到客户「BETA」。"
    assert reply[1] == "新销售单。请输入客户名称或编码的一部分：", "still at the customer step"
    assert "从哪个仓库发货" in chat.send("acme")[0]


def test_an_order_refused_at_submit_leaves_no_draft(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    chat.send("so acme")
    chat.press(chat.button("MAIN"))
    chat.send("LAMP 2")
    chat.press(chat.button("Done"))
    before = rows(uow)
    reply = chat.press(chat.button("Submit"))
    assert reply[0] == "Not enough stock of LAMP: 0 available, 2 needed. Nothing was changed."
    assert reply[1].startswith("The order was not submitted.")
    assert rows(uow) == before, "no draft order left behind"
    assert ledger_clean(uow)


def test_my_orders_lists_pages_and_shows_one_and_never_someone_elses(uow: UnitOfWork, shop: Shop) -> None:
    beta_order = create_sales_order(uow, shop.admin, "BETA", "MAIN", [SalesLineIn("TEA-CUP", 1)]).number
    numbers = [create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 1)]).number
               for _ in range(21)]
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    reply = chat.send("我的订单")[0]
    assert reply.startswith(f"销售单，最新的在前：\n① {numbers[-1]} · 草稿\n　 Acme Trading · ¥8.00 · ")
    assert reply.count("\n") == 10, "five cards of two lines under the title"
    assert numbers[-5] in reply and numbers[-6] not in reply and beta_order not in reply
    assert [[b.label for b in row] for row in chat.replies[0].buttons] == [
        ["① 详情", "② 详情", "③ 详情"], ["④ 详情", "⑤ 详情"], ["更多 ▸"]], "three rows of buttons, not six"
    for _ in range(4):
        reply = chat.press(chat.button("更多"))[0]
    assert reply.startswith("销售单（第 5 页）：\n① " + numbers[0]), "21 orders: the last page holds the first"
    assert "更多" not in str(chat.replies[0].buttons), "no more pages after the last"
    reply = chat.press(chat.button("① 详情"))[0]
    assert reply.startswith(f"{numbers[0]}（草稿）\n客户：ACME Acme Trading")
    assert chat.send(beta_order) == [f"找不到单据「{beta_order}」，或你无权查看。"], "another's answers as unknown"
    assert chat.send("SO-1999-000001") == ["找不到单据「SO-1999-000001」，或你无权查看。"]


def test_warehouse_staff_ship_line_by_line_then_the_rest_in_english(uow: UnitOfWork, shop: Shop) -> None:
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN",
                               [SalesLineIn("RETRO-CLOCK", 5), SalesLineIn("TEA-CUP", 10)])
    number = submit_sales_order(uow, shop.sales, draft.number).number
    worker = chat_of(uow, shop.admin, "warehouse-1", "3001")
    reply = worker.send(f"发货 {number}")[0]
    assert "RETRO-CLOCK 复古闹钟 × 5" in reply and "TEA-CUP 青花茶杯 × 10" in reply
    reply = worker.press(worker.button("逐行发货"))[0]
    assert reply.startswith("第 1/2 行：RETRO-CLOCK 复古闹钟，待发 5。")
    before = rows(uow)
    assert "数量「abc」无效" in worker.send("abc")[0]
    assert "数量「-2」无效：不能为负数" in worker.send("-2")[0]
    assert "数量「1e309」无效" in worker.send("1e309")[0]
    assert worker.send("6")[0] == "RETRO-CLOCK 最多只能发 5，你输入了 6。"
    assert rows(uow) == before
    assert worker.send("3")[0].startswith("第 2/2 行：TEA-CUP")
    reply = worker.press(worker.button("这行不发"))[0]
    assert re.fullmatch(rf"已发货：SH-\d{{4}}-\d{{6}}。销售单 {number} 现在是「部分发货」。", reply), reply
    assert level(uow, "RETRO-CLOCK") == (D(27), D(2))
    assert level(uow, "TEA-CUP") == (D(100), D(10))

    worker.send("lang en")
    reply = worker.send("orders")[0]
    assert f"① {number} · partly shipped\n    Acme Trading · CN¥205.00 · " in reply
    assert [b.label for b in worker.replies[0].buttons[0]] == ["① Details", "① Ship"]
    reply = worker.press(worker.button("① Details"))[0]
    assert "1. RETRO-CLOCK Retro clock × 5 @ 25.00 = CN¥125.00, 3 shipped, 2 reserved" in reply
    worker.press(worker.button("Ship"))
    reply = worker.press(worker.button("Ship all"))[0]
    assert reply.endswith(f"Sales order {number} is now shipped.")
    assert worker.button("Print") == f"pr:{number}", "the delivery note to go with the goods, one tap away"
    assert level(uow, "RETRO-CLOCK") == (D(25), D(0))
    assert level(uow, "TEA-CUP") == (D(90), D(0))
    assert worker.send(f"ship {number}") == [f"Sales order {number} is shipped and cannot be shipped."]
    assert ledger_clean(uow)


def test_a_salesperson_cannot_ship_and_is_told_so(uow: UnitOfWork, shop: Shop) -> None:
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 1)])
    number = submit_sales_order(uow, shop.sales, draft.number).number
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    assert chat.send(f"ship {number}") == ['"Ship a sales order" is not something your role can do. Tap "Help" to '
                                           'see what you can.']
    assert chat.button("Help") == "go:help"
    assert chat.press(f"od:v{number}")[0].startswith(f"{number} (approved)")
    pressable = [b.data for row in chat.replies[0].buttons for b in row]
    assert pressable == [f"pr:{number}"], "no Ship button for sales staff, only Print"
    assert level(uow, "TEA-CUP") == (D(100), D(1))


def test_customer_lookup_shows_recent_orders_in_both_languages(uow: UnitOfWork, shop: Shop) -> None:
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 2)])
    submit_sales_order(uow, shop.sales, draft.number)
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    reply = chat.send("客户 acme")[0]
    assert reply.startswith("客户 ACME Acme Trading")
    assert f"· {draft.number}" in reply and "¥16.00 已审批" in reply
    assert chat.send("客户 beta") == ["没有找到与「beta」匹配的客户（你只能看到自己的客户）。请换个关键词："]
    chat.send("lang en")
    assert chat.send("customer") == ["Type part of the customer's name or code:"]
    assert chat.send("zzz") == ['No customer matches "zzz" (you see only your own customers). Try another word:']
    assert chat.send("ac")[0] == "2 found, pick one:"
    reply = chat.press(chat.button("Acorn"))[0]
    assert reply.startswith("Customer ACORN Acorn Home") and "No orders yet." in reply


def test_supplier_lookup_shows_orders_to_a_purchaser_and_is_refused_to_sales(uow: UnitOfWork, shop: Shop) -> None:
    create_supplier(uow, shop.admin, NewSupplier("CLOCKCO", "Clock Company", lead_time_days=5))
    po = create_purchase_order(uow, shop.purchaser, "CLOCKCO", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 10, "9")])
    buyer = chat_of(uow, shop.admin, "purchaser-1", "4001")
    reply = buyer.send("供应商 clock")[0]
    assert reply.startswith("供应商 CLOCKCO Clock Company（信用 B）")
    assert f"· {po.number}" in reply and "¥90.00 草稿" in reply
    buyer.send("language en")
    reply = buyer.send("supplier clockco")[0]
    assert "Delivers in 5 days" in reply and f"· {po.number}" in reply
    assert buyer.send("supplier nobody") == ['No supplier matches "nobody". Try another word:']
    seller = chat_of(uow, shop.admin, "sales-1", "1001")
    assert seller.send("供应商 clock") == ["你没有权限执行这个操作。"]


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")  # its literal example numbers say 2026
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_free_text_step_answers_nonsense_in_the_readers_language_and_waits(
    uow: UnitOfWork, shop: Shop, language: str
) -> None:
    zh = language == "zh_CN"
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 4)])
    number = submit_sales_order(uow, shop.sales, draft.number).number
    before = rows(uow)
    seller = chat_of(uow, shop.admin, "sales-1", "1001", language)
    seller.send("开单" if zh else "so")
    for nonsense in ("😀", "1e309", "-1", "' OR 1=1 --"):
        expected = (f"没有找到与「{nonsense}」匹配的客户" if zh else f'No customer matches "{nonsense}"')
        assert seller.send(nonsense)[0].startswith(expected)
    assert seller.send("z" * 10_000)[0].startswith("消息太长了" if zh else "That message is too long")
    assert "ACME" in seller.send("acme")[0], "still at the customer step"
    seller.send("取消")
    seller.send("客户" if zh else "customer")
    assert seller.send("😀")[0].startswith("没有找到与「😀」匹配的客户" if zh else 'No customer matches "😀"')
    assert seller.send("acme")[0].startswith("客户 ACME" if zh else "Customer ACME")

    worker = chat_of(uow, shop.admin, "warehouse-1", "3001", language)
    worker.send("发货" if zh else "ship")
    for nonsense in ("😀", "SO-1999-000009"):
        reply = worker.send(nonsense)
        assert reply[0] == (f"找不到单据「{nonsense}」，或你无权查看。" if zh else
                            f'No document "{nonsense}", or you may not see it.')
        assert reply[1] == ("要发货的销售单号是？（例如 SO-2026-000001）" if zh else
                            "Which sales order to ship? (for example SO-2026-000001)")
    worker.send(number)
    worker.press(worker.button("逐行发货" if zh else "Line by line"))
    for nonsense in ("😀", "four", "1e309", "-4", "0.00001"):
        reply = worker.send(nonsense)
        assert reply[0].startswith(f"数量「{nonsense}」无效" if zh else f'The quantity "{nonsense}" is not valid')
        assert reply[1].startswith("第 1/1 行：TEA-CUP" if zh else "Line 1/1: TEA-CUP")
    assert worker.send("z" * 10_000)[0].startswith("消息太长了" if zh else "That message is too long")
    assert rows(uow) == before, "nothing was written"
    assert worker.send("4")[0].endswith("现在是「已发货」。" if zh else "is now shipped.")
    assert level(uow, "TEA-CUP") == (D(96), D(0))
    assert ledger_clean(uow)
