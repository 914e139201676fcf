"""The conversation engine through whole dialogues: binding, help, stock lookup, language, cancel, restarts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, select

from bot.engine.engine import Engine
from bot.engine.flow import Command, Event, Flow, Step
from bot.engine.inbound import Inbound
from bot.engine.replies import Reply
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.catalog.products import NewProduct, create_product
from core.models import InboxMessage
from core.people.accounts import create_invite
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import make_shop

TEXTS = Texts()


def engine_on(uow: UnitOfWork) -> Engine:
    return Engine(uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock")


@pytest.fixture
def stocked(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5"), LineIn("TEA-CUP", 40)])
    return uow


def bound_chat(uow: UnitOfWork, admin: Actor, name: str = "sales-1", user_id: str = "1001") -> Chat:
    chat = Chat(engine_on(uow), user_id=user_id, chat_id=user_id)
    code = create_invite(uow, admin, name).code
    chat.send(f"/start {code}")
    return chat


def test_an_unbound_person_only_gets_the_binding_prompt(stocked: UnitOfWork) -> None:
    chat = Chat(engine_on(stocked))
    assert "绑定" in chat.send("库存 RETRO-CLOCK")[0]
    assert "bind CODE" in chat.send("help")[0]


def test_an_invite_code_binds_once_and_then_the_person_works_in_chinese(stocked: UnitOfWork, admin: Actor) -> None:
    chat = Chat(engine_on(stocked))
    code = create_invite(stocked, admin, "sales-1").code
    assert chat.send(f"/start {code}") == ["绑定成功，欢迎 sales-1！发送「帮助」开始。"]
    stranger = Chat(engine_on(stocked), user_id="2002", chat_id="2002")
    assert "无效" in stranger.send(f"/start {code}")[0]
    reply = chat.send("库存 RETRO-CLOCK")[0]
    assert reply == "RETRO-CLOCK 复古闹钟\n售价 25.00 / 个\n\n仓库  可用\nMAIN    12"
    assert chat.replies[0].table is not None and chat.replies[0].table.header == ("仓库", "可用"), \
        "sales staff never see cost"


def test_a_manager_sees_cost_and_english_after_switching_language(stocked: UnitOfWork, admin: Actor) -> None:
    chat = bound_chat(stocked, admin, "manager-1")
    chat.send("语言")
    assert chat.press(chat.button("English")) == ["Language set to English."]
    reply = chat.send("stock 6901234567890")[0]
    assert reply == ("RETRO-CLOCK Retro clock\nPrice 25.00 / pcs, purchase price 10.00\n\n"
                     "Warehouse  Available  Cost\nMAIN              12  9.50")
    assert ("Sales order", "go:so") in keys(chat), "one product found is its card, with what the reader may do next"


def test_a_bare_word_looks_up_stock_and_a_code_that_finds_nothing_says_so(stocked: UnitOfWork, admin: Actor) -> None:
    chat = bound_chat(stocked, admin)
    assert chat.send("茶杯")[0].startswith("TEA-CUP 青花茶杯")
    assert chat.send("ZZZ-404") == ["没有找到与「ZZZ-404」匹配的商品。请检查 SKU、条码或换个关键词。"]


def test_words_that_are_no_command_get_the_commands_they_resemble_in_chinese(stocked: UnitOfWork,
                                                                              admin: Actor) -> None:
    chat = bound_chat(stocked, admin, "warehouse-1")
    assert chat.send("你好") == ["没听懂「你好」。点「帮助」看看能做什么；查库存直接发送 SKU 或商品名，"
                                 "例如「RETRO-CLOCK」。"]
    assert keys(chat) == [("帮助", "go:help")]
    assert chat.send("收获") == ["没听懂「收获」。你是不是想要："]
    assert keys(chat)[0] == ("收货", "go:收货")
    assert chat.send("库纯 RETRO-CLOCK") == ["没听懂「库纯 RETRO-CLOCK」。你是不是想要："]
    assert keys(chat)[0] == ("库存 · 查库存", "go:库存 RETRO-CLOCK"), "one tap runs what was meant"
    assert chat.press("go:库存 RETRO-CLOCK")[0].startswith("RETRO-CLOCK 复古闹钟\n"), "the stock, in one tap"
    assert chat.press("go:help")[0].startswith("warehouse-1，你好！你可以：")


def test_a_few_products_found_are_a_button_each_that_opens_the_card(stocked: UnitOfWork, admin: Actor) -> None:
    create_product(stocked, admin, NewProduct("TEA-POT", "青花茶壶", "Blue teapot", sale_price="30"))
    receive_stock(stocked, admin, "NORTH", [LineIn("TEA-CUP", 5)])
    chat = bound_chat(stocked, admin, "warehouse-1")
    assert chat.send("青花")[0].startswith("「青花」找到的商品；点一个看各仓库存和下一步：")
    assert keys(chat) == [("青花茶杯 · 可用 40 个 · 8.00", "go:item TEA-CUP"),
                          ("青花茶壶 · 可用 0 个 · 30.00", "go:item TEA-POT")], \
        "warehouse staff count the stock of the warehouses they work in (5 more are in NORTH)"
    assert chat.replies[0].table is None, "the buttons say what a table would"
    card = chat.press("go:item TEA-CUP")
    assert card[0].startswith("TEA-CUP 青花茶杯\n售价 8.00 / 个")
    assert chat.replies[0].table is not None and chat.replies[0].table.rows == (("MAIN", "40"),)


def test_only_commands_the_reader_may_use_are_suggested(stocked: UnitOfWork, admin: Actor) -> None:
    chat = bound_chat(stocked, admin, "sales-1")
    not_understood = "。点「帮助」看看能做什么；查库存直接发送 SKU 或商品名，例如「RETRO-CLOCK」。"
    assert chat.send("收获") == [f"没听懂「收获」{not_understood}"]
    assert keys(chat) == [("帮助", "go:help")], "sales staff do not receive goods: 收货 is not offered"
    purchaser = bound_chat(stocked, admin, "purchaser-1", user_id="1002")
    assert purchaser.send("ordr") == [f"没听懂「ordr」{not_understood}"], "a purchaser has no sales orders"


def test_words_that_are_no_command_get_the_commands_they_resemble_in_english(stocked: UnitOfWork,
                                                                              admin: Actor) -> None:
    chat = bound_chat(stocked, admin, "sales-1")
    chat.send("language en")
    assert chat.send("hi there") == ['I did not understand "hi there". Tap "Help" to see what you can do; to check '
                                     'stock, send a SKU or a product name, for example "RETRO-CLOCK".']
    assert chat.send("ordr") == ['I did not understand "ordr". Did you mean:']
    assert [label for label, _ in keys(chat)] == ["order · New sales order", "orders · My sales orders", "Help"]
    pasted = "please could you tell me " * 100
    reply = chat.send(pasted)[0]
    assert len(reply) < 200 and '"please could you tell me plea…"' in reply, "a pasted page is not echoed whole"


def keys(chat: Chat) -> list[tuple[str, str]]:
    return [(b.label, b.data) for reply in chat.replies for row in reply.buttons for b in row]


def test_cancel_leaves_a_flow_at_any_step(stocked: UnitOfWork, admin: Actor) -> None:
    chat = bound_chat(stocked, admin)
    assert chat.send("库存") == ["请输入要查询的 SKU、条码或商品名称："]
    assert chat.send("取消") == ["已取消。"]
    assert chat.send("/cancel") == ["当前没有进行中的操作。"]


def test_a_redelivered_update_has_one_effect(stocked: UnitOfWork, admin: Actor) -> None:
    chat = bound_chat(stocked, admin)
    assert chat.send("库存", external_id="tg-77") == ["请输入要查询的 SKU、条码或商品名称："]
    assert chat.send("库存", external_id="tg-77") == []
    count = stocked.read(lambda tx: tx.session.scalar(
        select(func.count()).select_from(InboxMessage).where(InboxMessage.external_id == "tg-77")))
    assert count == 1


def test_a_new_process_continues_the_conversation_and_finishes_what_a_dead_one_recorded(
    engine: SqlEngine, stocked: UnitOfWork, admin: Actor
) -> None:
    chat = bound_chat(stocked, admin)
    chat.send("库存")
    restarted = Engine(UnitOfWork(engine), TEXTS, default_flows(), COMMANDS)
    recorded = restarted.record(Inbound("test", "after-crash", chat.chat_id, chat.user_id, text="TEA-CUP"))
    assert recorded is not None
    assert restarted.unprocessed() == [recorded]
    assert "TEA-CUP 青花茶杯" in restarted.process(recorded)[0].text
    assert restarted.unprocessed() == []
    assert [u.inbox_id for u in restarted.undelivered("test")][-1] == recorded


def test_a_flow_left_too_long_times_out(engine: SqlEngine, stocked: UnitOfWork, admin: Actor) -> None:
    chat = bound_chat(stocked, admin)
    chat.send("库存")
    later: Callable[[], datetime] = lambda: datetime.now(UTC) + timedelta(hours=1)  # noqa: E731
    chat.engine = Engine(UnitOfWork(engine, clock=later), TEXTS, default_flows(), COMMANDS)
    assert chat.send("TEA-CUP") == ["上一个操作已超时，请重新开始。"]


class CountingFlow(Flow):
    """A test flow that changes its state in place, as a careless flow might."""

    name = "counting"
    key = "zz"

    def start(self, ctx: object, args: str) -> Step:
        return Step([Reply("0")], {"seen": []})

    def resume(self, ctx: object, state: dict[str, list[str]], event: Event) -> Step:
        state["seen"].append(event.text or "")
        return Step([Reply(",".join(state["seen"]))], state)

    def button(self, ctx: object, payload: str) -> Step:
        return self.start(ctx, "")


def test_a_flow_that_changes_its_state_in_place_still_has_it_saved(stocked: UnitOfWork, admin: Actor) -> None:
    flows = [*default_flows(), CountingFlow()]
    commands = (*COMMANDS, Command("counting", ("count-test",), "test"))
    chat = Chat(Engine(stocked, TEXTS, flows, commands), user_id="3003", chat_id="3003")
    chat.send(f"/start {create_invite(stocked, admin, 'sales-1').code}")
    assert chat.send("count-test") == ["0"]
    assert chat.send("a") == ["a"]
    assert chat.send("b") == ["a,b"]


class OtherCountingFlow(CountingFlow):
    """Another flow that took the counting flow's button prefix."""

    name = "counting-again"


def test_two_flows_may_not_share_a_button_prefix(stocked: UnitOfWork) -> None:
    with pytest.raises(ValueError, match="button prefix"):
        Engine(stocked, TEXTS, [*default_flows(), CountingFlow(), OtherCountingFlow()], COMMANDS)
