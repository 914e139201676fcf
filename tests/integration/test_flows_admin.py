"""Admins in chat, whole dialogues through the engine: invites with deep links, sign-in links, refusals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.models import AccessCode, Employee, EmployeeRole
from core.people.accounts import create_invite, sign_in
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import Shop, make_shop

TEXTS = Texts()


def engine_on(uow: UnitOfWork) -> Engine:
    flows = default_flows(bot_username="@jxc_test_bot", public_url="https://jxc.example.com/")
    return Engine(uow, TEXTS, flows, COMMANDS, fallback_flow="stock")


def chat_of(uow: UnitOfWork, admin: Actor, name: str, user_id: str, language: str = "zh_CN") -> Chat:
    chat = Chat(engine_on(uow), user_id=user_id, chat_id=user_id)
    chat.send(f"/start {create_invite(uow, admin, name).code}")
    chat.send("lang en" if language == "en" else "lang zh")
    return chat


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def counts(uow: UnitOfWork) -> tuple[int, int, int]:
    return uow.read(lambda tx: tuple(  # type: ignore[return-value]
        tx.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Employee, EmployeeRole, AccessCode)))


def test_an_admin_invites_a_new_salesperson_in_chinese_who_then_binds_with_the_code(
    uow: UnitOfWork, shop: Shop
) -> None:
    boss = chat_of(uow, shop.admin, "system", "9001")
    reply = boss.send("邀请 小王 sales")[0]
    code = re.search(r"邀请码：([A-Z0-9]{10})", reply).group(1)  # type: ignore[union-attr]
    assert reply.startswith(f"小王 的邀请码：{code}\n（只能用一次，")
    assert f"Telegram 一键绑定：https://t.me/jxc_test_bot?start={code}" in reply
    newcomer = Chat(engine_on(uow), user_id="5001", chat_id="5001")
    assert newcomer.send(f"/start {code}") == ["绑定成功，欢迎 小王！发送「帮助」开始。"]
    assert "新销售单" in newcomer.send("开单")[0], "the new person works as sales staff"


def test_an_admin_in_english_is_asked_for_a_role_when_the_name_is_new(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_of(uow, shop.admin, "system", "9001", "en")
    assert boss.send("invite")[0].startswith("Send: NAME ROLE")
    before = counts(uow)
    assert boss.send("li wizard") == [
        'There is no role "wizard". Roles: admin, finance, manager, purchaser, sales, warehouse. '
        "Send again: NAME ROLE"]
    assert boss.send("li sales extra words")[0].startswith("Send: NAME ROLE")
    assert boss.send("😀 😀")[0].startswith('There is no role "😀".')
    assert counts(uow) == before, "nothing was written"
    assert boss.send("li") == ['There is no employee "li" yet. To add them, pick a role:']
    assert counts(uow) == before
    reply = boss.press(boss.button("warehouse"))[0]
    assert reply.startswith("Invite code for li: ")
    assert "Telegram, one tap: https://t.me/jxc_test_bot?start=" in reply
    assert counts(uow)[0] == before[0] + 1
    reply = boss.send("invite manager-1")[0]
    assert reply.startswith("Invite code for manager-1: "), "an existing employee needs no role"


def test_an_invite_without_a_bot_name_tells_how_to_bind() -> None:
    text = TEXTS.render("en", "invite_done", issued=type("I", (), {
        "employee": "li", "code": "ABCDEFGH23", "expires_at_iso": "2026-11-30T10:00:00+00:00"})(), link=None)
    assert text.endswith("Ask them to send the bot: bind ABCDEFGH23")
    assert "2026-11-30 18:00" in text, "the expiry in the company's time zone"


def test_only_admins_invite_or_make_login_links(uow: UnitOfWork, shop: Shop) -> None:
    before = counts(uow)
    boss = chat_of(uow, shop.admin, "manager-1", "2001")
    assert boss.send("邀请 小李 sales") == ["「邀请」不是你的角色能做的。点「帮助」看看你可以做什么。"]
    assert boss.send("登录链接 sales-1") == ["「登录链接」不是你的角色能做的。点「帮助」看看你可以做什么。"]
    seller = chat_of(uow, shop.admin, "sales-1", "1001", "en")
    assert seller.send("invite mallory admin")[0].startswith('"Invite a person (admin)" is not something your role')
    assert seller.send("loginlink system")[0].startswith('"Browser sign-in link (admin)" is not something')
    assert counts(uow)[:2] == before[:2]
    assert counts(uow)[2] == before[2] + 2, "only the two invites of this test's own chats"


def test_a_login_link_in_both_languages_signs_in_once(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_of(uow, shop.admin, "system", "9001")
    assert boss.send("登录链接") == ["给谁生成网页登录链接？请输入员工姓名："]
    before = counts(uow)
    reply = boss.send("nobody-here")
    assert reply == ["找不到员工「nobody-here」。", "给谁生成网页登录链接？请输入员工姓名："]
    assert counts(uow) == before
    reply = boss.send("sales-1")[0]
    token = re.search(r"token=(\S+)", reply).group(1)  # type: ignore[union-attr]
    assert reply.startswith("sales-1 的网页登录链接（只能用一次，")
    assert f"https://jxc.example.com/chat/login?token={token}" in reply
    assert sign_in(uow, token).actor.name == "sales-1"
    boss.send("lang en")
    reply = boss.send("loginlink finance-1")[0]
    assert reply.startswith("Browser sign-in link for finance-1 (one use, valid until ")
    assert "https://jxc.example.com/chat/login?token=" in reply


def test_help_lists_sales_approval_and_admin_commands_by_role(uow: UnitOfWork, shop: Shop) -> None:
    seller = chat_of(uow, shop.admin, "sales-1", "1001")
    menu = seller.send("帮助")[0]
    assert "· 销售：开单、我的订单、客户、报价\n" in menu and "· 报表：报表、看板、我的报表、打印、标签" in menu
    assert "审批" not in menu and "缺货" not in menu and "邀请" not in menu and "发货" not in menu
    assert [b.label for row in seller.replies[0].buttons for b in row] == ["销售", "报表"]
    uses = seller.press(seller.button("销售"))[0]
    assert "· 开单 [客户]：新建销售单" in uses and "· 客户 名称：" in uses and "订金" not in uses
    assert "导入" not in seller.press("hp:admin")[0], "a kind of work not the reader's opens the menu, not its uses"
    boss = chat_of(uow, shop.admin, "manager-1", "2001", "en")
    menu = boss.send("help")[0]
    assert "· Approvals: approvals, prices" in menu and "· Purchasing: po, lowstock, supplier" in menu
    assert "invite" not in menu and "· Reports: report, dashboard" in menu and "import" not in menu
    assert "· approvals: documents waiting for you" in boss.send("help approvals")[0]
    assert "· ship SO-NUMBER: ship all or line by line" in boss.press(boss.button("warehouse"))[0]
    owner = chat_of(uow, shop.admin, "system", "9001", "en")
    owner.send("help")
    uses = owner.press(owner.button("admin"))[0]
    assert "· invite NAME ROLE: a one-time invite code" in uses and "· import products|customers|" in uses
