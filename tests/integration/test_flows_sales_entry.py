"""Sales dialogues in both languages: lines changed and deleted before submitting, stock and absurd quantities told
as a line is entered, price places, withdrawing a waiting order, the orders waiting to ship and my orders as cards."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.engine.engine import Engine
from bot.flows import COMMANDS, default_flows
from core.approvals.requests import pending_for
from core.catalog.products import create_warehouse
from core.config import BookRules, Config, ConfigError, book_rules
from core.people.employees import create_employee
from core.sales.orders import create_sales_order, get_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import Shop
from tests.integration.test_flows_sales import TEXTS, chat_of, ledger_clean, level, number_in, rows
from tests.integration.test_flows_sales import shop as shop  # the fixture

LANGS = ["zh_CN", "en"]


def words(language: str, zh: str, en: str) -> str:
    return zh if language == "zh_CN" else en


def new_order(chat: Chat, language: str) -> None:
    """开单 for ACME from MAIN: at the lines step."""
    chat.send(words(language, "开单 ACME", "so acme"))
    chat.press(chat.button("MAIN"))


def labels(chat: Chat) -> list[str]:
    return [b.label for r in chat.replies for row in r.buttons for b in row]


@pytest.mark.parametrize("language", LANGS)
def test_a_line_is_changed_and_deleted_before_submitting(uow: UnitOfWork, shop: Shop, language: str) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", language)
    new_order(chat, language)
    chat.send("RETRO-CLOCK 2")
    chat.send("TEA-CUP 3")
    assert labels(chat) == words(language, "完成|↩ 删掉上一行|✎ 改一行|取消",
                                 "Done|↩ Remove last line|✎ Change a line|Cancel").split("|")
    assert chat.press("so:e")[0] == words(language, "改哪一行？", "Which line?")
    assert labels(chat)[:2] == ["1. RETRO-CLOCK × 2", "2. TEA-CUP × 3"]
    reply = chat.press(chat.button("2. TEA-CUP"))[0]
    assert reply.startswith(words(language, "第 2 行：TEA-CUP 青花茶杯 × 3 @ 8.00。\n输入新的数量",
                                  "Line 2: TEA-CUP Blue tea cup × 3 @ 8.00.\nSend the new quantity"))
    reply = chat.send("5")[0]
    assert words(language, "2. TEA-CUP 青花茶杯 × 5 @ 8.00 = ¥40.00", "2. TEA-CUP Blue tea cup × 5 @ 8.00 = CN¥40.00") \
        in reply, "a bare number changes the quantity"
    chat.press("so:e")
    chat.press(chat.button("1. RETRO-CLOCK"))
    reply = chat.send("RETRO-CLOCK 4 26")[0]
    assert reply.index("1. RETRO-CLOCK") < reply.index("2. TEA-CUP"), "the changed line keeps its place"
    assert "× 4 @ 26.00" in reply
    reply = chat.press(chat.button(words(language, "删掉上一行", "Remove last line")))[0]
    assert reply.startswith(words(language, "已删除第 2 行：TEA-CUP × 5。", "Deleted line 2: TEA-CUP × 5."))
    assert "TEA-CUP" not in reply.split("\n", 1)[1]
    chat.send("LAMP 1")
    chat.press("so:e")
    chat.press(chat.button("2. LAMP"))
    reply = chat.press(chat.button(words(language, "删除这一行", "Delete this line")))[0]
    assert reply.startswith(words(language, "已删除第 2 行：LAMP × 1。", "Deleted line 2: LAMP × 1."))
    before = rows(uow)
    chat.press(chat.button(words(language, "完成", "Done")))
    reply = chat.press(chat.button(words(language, "提交", "Submit")))[0]
    order = get_sales_order(uow, shop.manager, number_in(reply))
    assert [(ln.sku, ln.qty, ln.unit_price) for ln in order.lines] == [("RETRO-CLOCK", D(4), D(26))]
    assert rows(uow)[:2] == (before[0] + 1, before[1] + 1), "one order of one line"
    assert ledger_clean(uow)


def test_the_only_line_is_changed_at_once_and_deleting_it_leaves_an_empty_order(uow: UnitOfWork, shop: Shop) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    new_order(chat, "zh_CN")
    chat.send("TEA-CUP 3")
    assert chat.press("so:e")[0].startswith("第 1 行：TEA-CUP"), "one line: nothing to choose"
    reply = chat.press("so:d1")[0]
    assert reply.endswith("还没有商品行。请输入一行，例如「RETRO-CLOCK 2」。")
    assert labels(chat) == ["取消"]
    assert chat.press("so:u")[0].endswith("还没有商品行。请输入一行，例如「RETRO-CLOCK 2」。"), "nothing to remove"
    assert chat.press("so:d7")[0].endswith("还没有商品行。请输入一行，例如「RETRO-CLOCK 2」。")


@pytest.mark.parametrize("language", LANGS)
def test_short_stock_is_told_when_the_line_is_entered(uow: UnitOfWork, shop: Shop, language: str) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", language)
    new_order(chat, language)
    reply = chat.send("TEA-CUP 150")[0]
    assert words(language, "⚠ 库存不足：可用 100，本单需要 150。现在提交会被拒绝。",
                 "⚠ Short of stock: 100 available, 150 on this order. Submitting now would be refused.") in reply
    reply = chat.send("TEA-CUP 10")[0]
    assert reply.count("⚠") == 1 and words(language, "本单需要 160", "160 on this order") in reply, \
        "said once for the product, with the whole order's quantity"
    reply = chat.send("RETRO-CLOCK 2 15")[0]  # below the floor: a manager will have to approve the order
    assert words(language, "提交后要经理审批，而且到货后才能批准。",
                 "It will wait for a manager, who can approve it only once the stock is in.") in reply
    reply = chat.press(chat.button(words(language, "完成", "Done")))[0]
    assert words(language, "有 1 行库存不足：经理要等到货后才能批准。",
                 "1 line(s) short of stock: a manager can approve only once the stock is in.") in reply
    assert level(uow, "TEA-CUP") == (D(100), D(0)), "nothing written or reserved while entering"


def test_a_warehouse_that_may_go_below_zero_says_so(uow: UnitOfWork, shop: Shop) -> None:
    create_warehouse(uow, shop.admin, "LOOSE", "Loose stock", allow_negative=True)
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    chat.send("so acme")
    chat.press(chat.button("LOOSE"))
    assert "⚠ Short of stock: 0 available, 2 on this order. This warehouse may go below zero: you can submit." in (
        chat.send("TEA-CUP 2")[0])


@pytest.mark.parametrize("language", LANGS)
def test_an_absurd_quantity_is_asked_about_and_declined_or_confirmed(
    uow: UnitOfWork, shop: Shop, language: str
) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", language)
    new_order(chat, language)
    chat.send("RETRO-CLOCK 2")
    reply = chat.send("RETRO-CLOCK 400")[0]
    assert reply == words(
        language, "RETRO-CLOCK 复古闹钟 × 400？\n"
        "这是这个商品以往最多库存或单笔订单（30）的 10 倍以上。确定要这么多吗？",
        "RETRO-CLOCK Retro clock × 400?\n"
        "That is more than 10 times the most of it ever held or ordered at once (30). Are you sure?")
    assert labels(chat) == words(language, "是，就要 400|不，重新输入", "Yes, 400|No, type it again").split("|")
    assert chat.press(chat.button(words(language, "不", "No"))) == [
        words(language, "好的，这一行没有加上。", "All right, that line was not added."),
        words(language, "请输入一行", "Send a line") + chat.replies[1].text[len(words(language, "请输入一行",
                                                                                     "Send a line")):]]
    chat.send("RETRO-CLOCK 300")  # 10 times 30: not above it
    assert "× 300 @" in chat.replies[0].text, "at the multiple it is taken without asking"
    chat.send("RETRO-CLOCK 4000")
    reply = chat.press(chat.button(words(language, "是", "Yes")))[0]
    assert "3. RETRO-CLOCK" in reply and "× 4,000 @" in reply
    chat.send("TEA-CUP 5000")
    reply = chat.send("TEA-CUP 6")[0]
    assert "TEA-CUP" in reply and "× 6 @" in reply and "5,000" not in reply, "typing another line declines it"


@pytest.mark.parametrize("language", LANGS)
def test_ninety_nine_billion_units_are_never_taken_silently(uow: UnitOfWork, shop: Shop, language: str) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", language)
    new_order(chat, language)
    before = rows(uow)
    reply = chat.send("RETRO-CLOCK 99999999999")
    assert reply[0] == words(
        language, "RETRO-CLOCK 这一行金额为 ¥2,499,999,999,975.00，"
        "超出了账簿能记录的金额（须小于 ¥1,000,000,000,000.00）。请检查数量和单价，或拆成几张单。没有任何内容被修改。",
        "The line RETRO-CLOCK comes to CN¥2,499,999,999,975.00: the books hold amounts below "
        "CN¥1,000,000,000,000.00. Check the quantity and the price, or split it into several orders. "
        "Nothing was changed.")
    reply = chat.send("RETRO-CLOCK 99999999999 0.001")
    assert words(language, "小数位太多", "too many decimal places") in reply[0]
    reply = chat.send("RETRO-CLOCK 99999999999 0")
    sure = words(language, "确定要这么多吗？", "Are you sure?")
    assert reply[0].startswith("RETRO-CLOCK") and reply[0].endswith(sure), "priced at 0: asked, not refused"
    assert rows(uow) == before


def test_the_absurd_multiple_comes_from_the_books_rules(uow: UnitOfWork, shop: Shop) -> None:
    relaxed = UnitOfWork(uow.engine, rules=BookRules(absurd_quantity_multiple=D(100)))
    chat = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    chat.engine = Engine(relaxed, TEXTS, default_flows(), COMMANDS, fallback_flow="stock")
    new_order(chat, "en")
    assert "1. RETRO-CLOCK Retro clock × 400 @" in chat.send("RETRO-CLOCK 400")[0]
    assert chat.send("RETRO-CLOCK 3001")[0].endswith("Are you sure?"), "above 100 times 30"
    assert book_rules(Config(sections={"books": {}})).absurd_quantity_multiple == D(10)
    assert book_rules(Config(sections={"books": {"absurd_quantity_multiple": "2.5"}})).absurd_quantity_multiple \
        == D("2.5")
    for bad in ("0.5", "-1", "many", True):
        with pytest.raises(ConfigError, match="absurd_quantity_multiple"):
            book_rules(Config(sections={"books": {"absurd_quantity_multiple": bad}}))


@pytest.mark.parametrize("language", LANGS)
def test_a_price_with_more_places_than_money_is_refused(uow: UnitOfWork, shop: Shop, language: str) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", language)
    new_order(chat, language)
    chat.send("TEA-CUP 1")
    reply = chat.send("TEA-CUP 2 8.125")
    assert reply[0] == words(language, "单价「8.125」的小数位太多：金额最多 2 位小数，例如 19.90。没有任何内容被修改。",
                             'The price "8.125" has too many decimal places: money has at most 2, such as 19.90. '
                             "Nothing was changed.")
    assert reply[1].startswith(words(language, "格式：SKU 数量", "Format: SKU qty"))
    assert labels(chat)[:1] == [words(language, "完成", "Done")], "the order's keys stay at hand"
    reply = chat.send("TEA-CUP 2 8.13")[0]
    assert "2. TEA-CUP" in reply and "@ 8.13 = " in reply


@pytest.mark.parametrize("language", LANGS)
def test_the_author_withdraws_a_waiting_order_in_chat(uow: UnitOfWork, shop: Shop, language: str) -> None:
    chat = chat_of(uow, shop.admin, "sales-1", "1001", language)
    new_order(chat, language)
    chat.send("RETRO-CLOCK 2 15")
    chat.press(chat.button(words(language, "完成", "Done")))
    reply = chat.press(chat.button(words(language, "提交", "Submit")))[0]
    number = number_in(reply)
    assert labels(chat) == [words(language, "撤回", "Withdraw")]
    reply = chat.press(chat.button(words(language, "撤回", "Withdraw")))[0]
    assert reply == words(language, f"已撤回销售单 {number}，现在是草稿：没有人需要审批它，也没有预留库存。\n"
                                    "可以重新提交，或作废这张单。",
                          f"Sales order {number} is withdrawn and a draft again: nobody has to approve it and "
                          "nothing is reserved.\nSubmit it again, or cancel it.")
    assert get_sales_order(uow, shop.manager, number).status == "draft"
    assert pending_for(uow, shop.manager) == []
    reply = chat.press(chat.button(words(language, "重新提交", "Submit again")))[0]
    assert reply.startswith(words(language, f"销售单 {number} 已提交", f"Sales order {number} is submitted"))
    request = get_sales_order(uow, shop.manager, number).approval_request_id

    manager = chat_of(uow, shop.admin, "manager-1", "2001", language)
    assert manager.press(f"od:w{number}") == [words(language, f"{number} 不是你提交的，只有提交人可以撤回。",
                                                    f"{number} was not submitted by you; only its author can "
                                                    "withdraw it.")]
    other = chat_of(uow, shop.admin, "sales-2", "1002", language)
    refused = words(language, f"找不到单据「{number}」，或你无权查看。",
                    f'No document "{number}", or you may not see it.')
    assert other.press(f"od:w{number}") == [refused], "another salesperson does not even see it"
    assert request is not None
    manager.press(f"ap:{request}:y")
    assert get_sales_order(uow, shop.manager, number).status == "approved"
    assert chat.press(f"od:w{number}") == [words(
        language, f"{number} 已经是「已审批」，不能再撤回：只有待审批的单据可以撤回。",
        f"{number} is already approved and can no longer be withdrawn: only an order waiting for approval can.")]
    assert get_sales_order(uow, shop.manager, number).status == "approved"
    assert ledger_clean(uow)


def test_a_withdrawn_order_can_be_cancelled_from_my_orders(uow: UnitOfWork, shop: Shop) -> None:
    draft = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 1, "15")])
    number = submit_sales_order(uow, shop.sales, draft.number).number
    chat = chat_of(uow, shop.admin, "sales-1", "1001")
    chat.send("我的订单")
    assert labels(chat) == ["① 详情", "① 撤回"], "my waiting order offers to withdraw it"
    chat.press(chat.button("① 撤回"))
    assert chat.press(chat.button("作废")) == [f"销售单 {number} 已作废。"]
    assert get_sales_order(uow, shop.manager, number).status == "cancelled"


def approved_orders(shop: Shop, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        draft = create_sales_order(shop.uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 1)])
        numbers.append(submit_sales_order(shop.uow, shop.sales, draft.number).number)
    return numbers


@pytest.mark.parametrize("language", LANGS)
def test_ship_lists_the_orders_waiting_to_ship_as_cards(uow: UnitOfWork, shop: Shop, language: str) -> None:
    numbers = approved_orders(shop, 6)
    create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 1)])  # a draft: not to ship
    worker = chat_of(uow, shop.admin, "warehouse-1", "3001", language)
    reply = worker.send(words(language, "发货", "ship"))[0]
    title = words(language, "待发货的销售单，最早的在前。点「发货」，或输入单号：",
                  "Sales orders waiting to ship, oldest first. Tap Ship, or send a number:")
    assert reply.startswith(f"{title}\n① {numbers[0]} · {words(language, '已审批', 'approved')}\n")
    assert words(language, "Acme Trading · ¥8.00 · ", "Acme Trading · CN¥8.00 · ") in reply
    assert numbers[4] in reply and numbers[5] not in reply
    assert labels(worker) == [f"{m} {words(language, '发货', 'Ship')}" for m in "①②③④⑤"] + [
        words(language, "更多 ▸", "More ▸")]
    assert all(len(line) <= 40 for line in reply.splitlines()[1:]), "cards fit a 390 px phone"
    reply = worker.press(worker.button(words(language, "更多", "More")))[0]
    assert f"① {numbers[5]}" in reply and numbers[0] not in reply
    assert words(language, "更多", "More") not in str(worker.replies[0].buttons)
    reply = worker.press(worker.button("①"))[0]
    assert reply.startswith(words(language, f"发货 {numbers[5]}", f"Ship {numbers[5]}"))
    reply = worker.press(worker.button(words(language, "全部发货", "Ship all")))[0]
    assert reply.endswith(words(language, "现在是「已发货」。", "is now shipped."))
    worker.send(words(language, "发货", "ship"))
    reply = worker.send(numbers[4])[0]
    assert reply.startswith(words(language, f"发货 {numbers[4]}", f"Ship {numbers[4]}")), "a number still works"
    worker.send(words(language, "取消", "cancel"))
    seller = chat_of(uow, shop.admin, "sales-1", "1001", language)
    assert seller.send(words(language, "发货", "ship")) == [words(
        language, "「发货」不是你的角色能做的。点「帮助」看看你可以做什么。",
        '"Ship a sales order" is not something your role can do. Tap "Help" to see what you can.')]


def test_nothing_to_ship_in_my_warehouse_is_said_plainly(uow: UnitOfWork, shop: Shop) -> None:
    approved_orders(shop, 1)
    create_employee(uow, shop.admin, "warehouse-n", ["warehouse"], warehouses=["NORTH"])
    receive_stock(uow, shop.admin, "NORTH", [LineIn("TEA-CUP", 5, "3")])
    north = chat_of(uow, shop.admin, "warehouse-n", "3002", "en")
    assert north.send("ship") == ["No sales orders are waiting to ship."], "MAIN's order is not theirs"
    assert north.press("sh:p3") == ["No more sales orders are waiting to ship."]
