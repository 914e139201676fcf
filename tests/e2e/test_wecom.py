"""Our real server with WeCom pointed at a fake API: encrypted callbacks built with wechatpy's real crypto go in,
replies are read from what the channel posted to the fake's message/send."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.channels.wecom import WecomChannel
from bot.channels.wecom_sender import split_bytes
from bot.channels.wecom_settings import WecomConfigError, WecomSettings
from bot.cli import main as cli_main
from bot.composition import AppParts, build_app_parts, build_dispatcher
from bot.engine.flow import Command
from bot.engine.inbound import Inbound
from bot.flows import COMMANDS, default_flows
from bot.server import build_app, make_runner
from core.approvals.requests import set_rule
from core.config import Config, load_config
from core.models import ApprovalDecision, ChannelValue, InboxMessage, Notification, SentMessage
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import bind_account, create_invite
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_wecom import (
    AES_KEY,
    AGENT_ID,
    CORP_ID,
    SECRET,
    TOKEN,
    FakeWecom,
    Signed,
    card_click_xml,
    echo_query,
    encrypt,
    text_xml,
)
from tests.e2e.stack import LongFlow, expire_leases
from tests.factories import make_shop

ANNA, MGR = "anna.wang", "li.manager"
_msg_ids = itertools.count(7_000_000_000_000_000_001)


@dataclass
class Stack:
    fake: FakeWecom
    parts: AppParts
    runner: web.AppRunner
    url: str
    http: aiohttp.ClientSession

    @property
    def channel(self) -> WecomChannel:
        return next(c for c in self.parts.channels if isinstance(c, WecomChannel))

    async def post(self, signed: Signed, **query: str) -> int:
        params = signed.query | query
        async with self.http.post(f"{self.url}/wecom/callback", params=params, data=signed.body,
                                  headers={"Content-Type": "text/xml"}) as response:
            assert await response.read() == b"" or response.status != 200, "WeCom wants an empty body"
            return response.status

    async def post_chunked(self, signed: Signed) -> int:
        """The body in small pieces without a Content-Length (chunked transfer encoding)."""
        async def pieces() -> Any:
            for at in range(0, len(signed.body), 1000):
                yield signed.body[at:at + 1000]
                await asyncio.sleep(0)

        async with self.http.post(f"{self.url}/wecom/callback", params=signed.query, data=pieces(),
                                  headers={"Content-Type": "text/xml"}) as response:
            return response.status

    async def say(self, user: str, text: str) -> list[str]:
        before = len(self.fake.texts(user))
        assert await self.post(encrypt(text_xml(user, text, next(_msg_ids)))) == 200
        await self.parts.in_flight.wait(20)
        return self.fake.texts(user)[before:]

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.http.close()


def config_for(db_url: str, fake: FakeWecom, **extra: Any) -> Config:
    wecom = {"corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": SECRET, "token": TOKEN,
             "encoding_aes_key": AES_KEY, "api_base_url": fake.api_base_url} | extra
    return Config(sections={"database": {"url": db_url}, "server": {"public_url": "https://jxc.example.com"},
                            "wecom": wecom, "company": {"timezone": "Asia/Shanghai"}})


async def start_stack(db_url: str, fake: FakeWecom, **extra: Any) -> Stack:
    commands = [*COMMANDS, Command("long", ("longtest",), "test only", menu=False)]
    parts = build_app_parts(config_for(db_url, fake, **extra), flows=[*default_flows(), LongFlow()],
                            commands=commands)
    runner = make_runner(build_app(parts))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return Stack(fake, parts, runner, f"http://127.0.0.1:{runner.addresses[0][1]}", aiohttp.ClientSession())


def run(db_url: str, scenario: Callable[[Stack], Awaitable[None]], **extra: Any) -> FakeWecom:
    async def main() -> FakeWecom:
        fake = await FakeWecom().start()
        stack = await start_stack(db_url, fake, **extra)
        try:
            await scenario(stack)
        finally:
            await stack.stop()
            await fake.stop()
        return fake

    return asyncio.run(main())


def count(uow: UnitOfWork, model: Any) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "9.5"), LineIn("TEA-CUP", 40)])
    return uow


def test_wecom_verifies_the_callback_url_and_refuses_a_bad_signature(db_url: str, shop: UnitOfWork) -> None:
    async def scenario(s: Stack) -> None:
        good = echo_query("5927782489442352469")
        async with s.http.get(f"{s.url}/wecom/callback", params=good) as response:
            assert response.status == 200 and response.content_type == "text/plain"
            assert await response.text() == "5927782489442352469"
        forged = good | {"msg_signature": "0" * 40}
        async with s.http.get(f"{s.url}/wecom/callback", params=forged) as response:
            assert response.status == 403
        other = echo_query("1", token="someoneElsesToken")
        async with s.http.get(f"{s.url}/wecom/callback", params=other) as response:
            assert response.status == 403

    run(db_url, scenario)


def test_an_encrypted_dialogue_binds_by_invite_code_and_answers_in_order(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = create_invite(shop, admin, "manager-1").code

    async def scenario(s: Stack) -> None:
        assert await s.say(ANNA, f"绑定 {code}") == ["绑定成功，欢迎 manager-1！发送「帮助」开始。"]
        assert (await s.say(ANNA, "帮助"))[0].startswith("manager-1，你好！你可以：")
        card = await s.say(ANNA, "库存 RETRO-CLOCK")
        assert len(card) == 1 and card[0].startswith(
            "RETRO-CLOCK 复古闹钟\n售价 25.00 / 个，进价 10.00\n\n仓库  可用  成本\nMAIN    30  9.50\n"), "as text"
        assert "回复 1 选择「开销售单」" in card[0], "the card's next steps as numbered choices"
        # buttons become numbered choices; a typed number presses the button
        menu = (await s.say(ANNA, "语言"))[0]
        assert menu.endswith("回复 1 选择「中文」\n回复 2 选择「English」")
        assert await s.say(ANNA, "2") == ["Language set to English."]
        assert (await s.say(ANNA, "help"))[0].startswith("Hello manager-1! You can:")
        # no buttons offered any more: a number is just text again (a stock search here)
        assert "Language" not in (await s.say(ANNA, "2"))[0]
        calls = s.fake.sent(ANNA)
        assert all(c.body["agentid"] == AGENT_ID and c.body["msgtype"] == "text" for c in calls)
        assert {c.token for c in calls} == {"TOKEN-1"} and s.fake.tokens_issued == 1

    run(db_url, scenario)
    stored = shop.read(lambda tx: tx.session.scalar(select(ChannelValue.value).where(
        ChannelValue.channel == "wecom", ChannelValue.key.like("%access_token"))))
    assert stored == '"TOKEN-1"', "the access token is kept in the database for every process"


def test_forged_foreign_malformed_and_oversize_callbacks_get_4xx_and_nothing_is_stored(
    db_url: str, shop: UnitOfWork
) -> None:
    async def scenario(s: Stack) -> None:
        good = encrypt(text_xml(ANNA, "帮助", 1))
        assert await s.post(good, msg_signature="f" * 40) == 403
        assert await s.post(encrypt(text_xml(ANNA, "帮助", 2), corp_id="wwSOMEONEELSE")) == 403
        assert await s.post(Signed(b"<xml><Encrypt>unclosed", good.query)) == 400
        assert await s.post(Signed(b"not xml at all", good.query)) == 400
        bomb = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                b"<xml><Encrypt>&b;</Encrypt></xml>")
        assert await s.post(Signed(bomb, good.query)) == 400
        inner = encrypt('<!DOCTYPE xml [<!ENTITY x "y">]>' + text_xml(ANNA, "&x;", 3))
        assert await s.post(inner) == 400
        assert await s.post(Signed(b"<xml><Encrypt>" + b"A" * (65 * 1024) + b"</Encrypt></xml>", good.query)) == 413
        assert await s.post_chunked(Signed(b"<xml><Encrypt>" + b"A" * (65 * 1024) + b"</Encrypt></xml>",
                                           good.query)) == 413, "no Content-Length: counted while reading"
        assert await s.post_chunked(encrypt(text_xml(ANNA, "帮助", 4))) == 200, "a chunked body is read whole"
        await s.parts.in_flight.wait(5)
        assert [c.path for c in s.fake.calls] == ["message/send"], "only the one good callback was answered"

    run(db_url, scenario)
    assert count(shop, InboxMessage) == 1


def test_retries_of_one_message_even_concurrent_have_one_effect_and_one_reply(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = create_invite(shop, admin, "sales-1").code

    async def scenario(s: Stack) -> None:
        binding = encrypt(text_xml(ANNA, f"绑定 {code}", 42))
        assert await asyncio.gather(*(s.post(binding) for _ in range(3))) == [200, 200, 200]
        await s.parts.in_flight.wait(20)
        lookup = encrypt(text_xml(ANNA, "库存 TEA-CUP", 43))
        assert await s.post(lookup) == 200
        await s.parts.in_flight.wait(20)
        assert await s.post(lookup) == 200, "a late retry is answered 200 and ignored"
        await s.parts.in_flight.wait(20)
        texts = s.fake.texts(ANNA)
        assert len(texts) == 2 and texts[0].startswith("绑定成功") and "TEA-CUP 青花茶杯" in texts[1]

    run(db_url, scenario)
    assert count(shop, InboxMessage) == 2


def pending_order(shop: UnitOfWork, admin: Actor) -> tuple[Actor, str, int]:
    """A sales order of 250 placed by sales-1 over the rule's 100: it waits for manager-1, bound on WeCom."""
    set_rule(shop, admin, "sales_order", "100", ["manager"])
    sales = load_actor(shop, "sales-1")
    create_customer(shop, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    draft = create_sales_order(shop, sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 10, "25")])
    order = submit_sales_order(shop, sales, draft.number)
    assert order.status == "pending_approval" and order.approval_request_id is not None
    bind_account(shop, admin, "manager-1", "wecom", MGR, MGR)
    return sales, order.number, order.approval_request_id


def test_a_manager_approves_on_a_wecom_card_the_card_shows_who_and_the_author_is_told(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    sales, number, request = pending_order(shop, admin)

    async def scenario(s: Stack) -> None:
        dispatcher = build_dispatcher(shop, s.parts.engine.texts, [s.channel])
        assert await dispatcher.drain() >= 1
        [card_call] = s.fake.sent(MGR)
        assert card_call.body["msgtype"] == "template_card"
        card = card_call.body["template_card"]
        assert card["card_type"] == "button_interaction" and number in card["main_title"]["title"]
        assert [b["key"] for b in card["button_list"]] == [f"ap:{request}:y", f"ap:{request}:n"]

        click = encrypt(card_click_xml(MGR, f"ap:{request}:y", card["task_id"], "RESPONSE-CODE-1"))
        assert await asyncio.gather(s.post(click), s.post(click)) == [200, 200]
        await s.parts.in_flight.wait(20)
        assert s.fake.texts(MGR) == [f"已同意 {number}。单据已审批生效。"]
        [updated] = s.fake.updates()
        assert updated.body == {"userids": [MGR], "agentid": AGENT_ID, "response_code": "RESPONSE-CODE-1",
                                "button": {"replace_name": "manager-1 已同意"}}

    run(db_url, scenario)
    decided = shop.read(lambda tx: tx.session.execute(select(ApprovalDecision.decision, ApprovalDecision.channel)
                                                      .where(ApprovalDecision.request_id == request)).all())
    assert [tuple(d) for d in decided] == [("approve", "wecom")]
    told = shop.read(lambda tx: tx.session.execute(select(Notification.event_type).where(
        Notification.recipient_id == sales.employee_id)).scalars().all())
    assert "approved" in told


def test_once_one_manager_decides_the_other_managers_card_is_updated_in_place_and_no_card_is_sent_again(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    create_employee(shop, admin, "manager-2", ["manager"], language="en")
    _, _, request = pending_order(shop, admin)
    bind_account(shop, admin, "manager-2", "wecom", "wang.manager", "wang.manager")

    async def scenario(s: Stack) -> None:
        dispatcher = build_dispatcher(shop, s.parts.engine.texts, [s.channel])
        await dispatcher.drain()
        [second_card] = s.fake.sent("wang.manager")
        assert second_card.body["msgtype"] == "template_card"
        sent_code = shop.read(lambda tx: tx.session.scalar(select(SentMessage.message_id).where(
            SentMessage.chat_id == "wang.manager", SentMessage.topic == f"approval:{request}")))
        assert sent_code  # the response code WeCom answered the card with
        card = s.fake.sent(MGR)[0].body["template_card"]
        click = encrypt(card_click_xml(MGR, f"ap:{request}:y", card["task_id"], "RESPONSE-CODE-3"))
        assert await s.post(click) == 200
        await s.parts.in_flight.wait(20)
        await dispatcher.drain()
        await dispatcher.drain()
        updates = {u.body["response_code"]: u.body for u in s.fake.updates()}
        assert updates == {
            "RESPONSE-CODE-3": {"userids": [MGR], "agentid": AGENT_ID, "response_code": "RESPONSE-CODE-3",
                                "button": {"replace_name": "manager-1 已同意"}},
            sent_code: {"userids": ["wang.manager"], "agentid": AGENT_ID, "response_code": sent_code,
                        "button": {"replace_name": "manager-1 approved"}},
        }
        assert len(s.fake.updates()) == 2, "each card is updated once"
        assert s.fake.sent("wang.manager") == [second_card], "no fresh card, no message for work already done"

    run(db_url, scenario)


def test_a_rejection_on_the_card_asks_for_the_reason_and_the_card_shows_it_once_decided(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    sales, number, request = pending_order(shop, admin)

    async def scenario(s: Stack) -> None:
        await build_dispatcher(shop, s.parts.engine.texts, [s.channel]).drain()
        card = s.fake.sent(MGR)[0].body["template_card"]
        click = encrypt(card_click_xml(MGR, f"ap:{request}:n", card["task_id"], "RESPONSE-CODE-2"))
        assert await s.post(click) == 200
        await s.parts.in_flight.wait(20)
        assert number in s.fake.texts(MGR)[-1] and s.fake.updates() == [], "no decision yet: the card waits"
        assert await s.say(MGR, "价格低于底价") == [f"已驳回 {number}，原因：价格低于底价。已通知提交人。"]
        [updated] = s.fake.updates()
        assert updated.body["response_code"] == "RESPONSE-CODE-2"
        assert updated.body["button"] == {"replace_name": "manager-1 已驳回"}
        assert (await s.say(MGR, "帮助")) and len(s.fake.updates()) == 1, "a card is updated once"

    run(db_url, scenario)
    told = shop.read(lambda tx: tx.session.execute(select(Notification.event_type).where(
        Notification.recipient_id == sales.employee_id)).scalars().all())
    assert "rejected" in told


def test_a_long_reply_is_split_its_button_numbered_and_the_image_and_file_uploaded_then_sent(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = create_invite(shop, admin, "manager-1").code

    async def scenario(s: Stack) -> None:
        await s.say(ANNA, f"绑定 {code}")
        texts = await s.say(ANNA, "longtest")
        assert len(texts) >= 5 and all(len(t.encode()) <= 2048 for t in texts)
        assert texts[-3].endswith("回复 1 选择「OK」") and texts[-2:] == ["月报 chart", "对账单"]
        uploads = [c.body for c in s.fake.calls if c.path == "media/upload"]
        assert uploads == [{"type": "image", "filename": "chart.png", "size": 9},
                           {"type": "file", "filename": "statement.csv", "size": 23}]
        last = s.fake.sent(ANNA)[-4:]
        assert [c.body["msgtype"] for c in last] == ["text", "image", "text", "file"], "each caption, then its media"
        assert (last[1].body["image"]["media_id"], last[3].body["file"]["media_id"]) == ("MEDIA-1", "MEDIA-2")
        assert await s.say(ANNA, "1") == ["ok"], "the typed number pressed the OK button"

    run(db_url, scenario)


def test_numbered_choices_are_framed_in_the_readers_language(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    code = create_invite(shop, admin, "manager-1").code

    async def scenario(s: Stack) -> None:
        await s.say(ANNA, f"绑定 {code}")
        chinese = await s.say(ANNA, "语言")
        assert chinese[-1].endswith("回复 1 选择「中文」\n回复 2 选择「English」")
        assert (await s.say(ANNA, "2"))[0] == "Language set to English.", "the typed number pressed English"
        english = await s.say(ANNA, "longtest")
        assert english[-3].endswith('Reply 1 for "OK"')
        assert not any("回复" in t or "选择" in t for t in english), "no Chinese framing for an English reader"
        assert (await s.say(ANNA, "language"))[-1].endswith('Reply 1 for "中文"\nReply 2 for "English"')
        assert await s.say(ANNA, "1") == ["已切换为中文。"]

    run(db_url, scenario)


def test_replies_to_one_member_are_paced(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    code = create_invite(shop, admin, "manager-1").code

    async def scenario(s: Stack) -> None:
        await s.say(ANNA, f"绑定 {code}")
        await asyncio.sleep(1.0)  # the limiter refills: two messages may go at once, then one every half second
        start = len(s.fake.sent(ANNA))
        for n in range(5):
            assert await s.post(encrypt(text_xml(ANNA, "取消", 8_000 + n))) == 200
        await s.parts.in_flight.wait(20)
        sent = s.fake.sent(ANNA)[start:]
        assert len(sent) == 5
        assert sent[-1].at - sent[0].at >= 1.3, "5 messages at 2 a second take at least 1.5 s after a burst of 2"

    run(db_url, scenario, member_per_minute=2, member_period=1)


def test_a_restart_processes_what_a_dead_process_recorded_and_sends_what_it_did_not_send(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = create_invite(shop, admin, "manager-1").code

    async def main() -> None:
        fake = await FakeWecom().start()
        try:
            first = await start_stack(db_url, fake)
            await first.say(ANNA, f"绑定 {code}")
            await first.stop()
            # the process died after recording one message, and after processing (not sending) another
            assert first.parts.engine.record(Inbound("wecom", "9001", ANNA, ANNA, text="TEA-CUP")) is not None
            processed = first.parts.engine.record(Inbound("wecom", "9002", ANNA, ANNA, text="LAMP"))
            assert processed is not None
            first.parts.engine.process(processed)
            assert len(fake.texts(ANNA)) == 1
            expire_leases(shop)  # died long enough ago: younger rows belong to a live process

            second = await start_stack(db_url, fake)
            try:
                await second.parts.in_flight.wait(20)
                later = fake.texts(ANNA)[1:]
                assert len(later) == 2 and any("TEA-CUP 青花茶杯" in t for t in later) \
                    and any("LAMP 台灯" in t for t in later)
                assert fake.tokens_issued == 1, "the second process uses the token the first one stored"
                fake.expired.add("TOKEN-1")
                assert (await second.say(ANNA, "帮助"))[0].startswith("manager-1，你好")
                assert (fake.tokens_issued, fake.sent(ANNA)[-1].token) == (2, "TOKEN-2")
            finally:
                await second.stop()
        finally:
            await fake.stop()

    asyncio.run(main())
    replied = shop.read(lambda tx: tx.session.scalars(select(InboxMessage.status)).all())
    assert replied == ["replied"] * 4
    stored = shop.read(lambda tx: tx.session.scalar(select(ChannelValue.value).where(
        ChannelValue.channel == "wecom", ChannelValue.key.like("%access_token"))))
    assert stored == '"TOKEN-2"', "an expired token is replaced in the database for every process"


def test_long_replies_are_split_under_2048_bytes_at_line_ends() -> None:
    text = "\n".join(f"{n:04d} RETRO-CLOCK 复古闹钟 库存 12" for n in range(300))
    parts = split_bytes(text)
    assert len(parts) > 1 and all(len(p.encode()) <= 2048 for p in parts)
    assert "\n".join(parts) == text
    assert all(len(p.encode()) <= 2048 for p in split_bytes("库" * 3000))


def test_an_admin_maps_a_wecom_userid_with_the_cli_and_that_member_is_recognised(
    db_url: str, shop: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JXC_DATABASE_URL", db_url)
    assert cli_main(["bind-wecom", MGR, "manager-1"]) == 0
    assert capsys.readouterr().out.strip() == f"WeCom member {MGR} now acts as manager-1"

    async def scenario(s: Stack) -> None:
        assert (await s.say(MGR, "帮助"))[0].startswith("manager-1，你好！你可以：")
        assert (await s.say(ANNA, "帮助"))[0].startswith("你还没有绑定员工账号")

    run(db_url, scenario)


def test_every_wecom_key_of_the_example_config_is_documented_and_an_empty_corp_id_means_wecom_off() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(str(root / "config.example.toml"), environ={})
    readme = (root / "README.md").read_text(encoding="utf-8")
    for key in config.section("wecom"):
        assert f"`[wecom] {key}`" in readme, f"[wecom] {key} is not in the README table"
    assert config.section("wecom")["corp_id"] == ""
    given = {**config.section("wecom"), "corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": SECRET, "token": TOKEN,
             "encoding_aes_key": AES_KEY}
    assert WecomSettings.from_section(given).api_base_url == "https://qyapi.weixin.qq.com/cgi-bin/"
    with pytest.raises(WecomConfigError, match="encoding_aes_key"):
        WecomSettings.from_section({**given, "encoding_aes_key": "short"})
    with pytest.raises(WecomConfigError, match="secret"):
        WecomSettings.from_section({**given, "secret": ""})
