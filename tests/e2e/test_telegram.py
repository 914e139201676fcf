"""Our real server with Telegram pointed at a fake Bot API: whole dialogues as transcripts of what the bot sent.

Updates are POSTed to /telegram/webhook as Telegram posts them (JSON, secret header); the replies are read from
what python-telegram-bot sent to the fake.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from benchmarks import telegram_throughput
from benchmarks.common import Backend
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_pieces import split_text, utf16_len
from bot.composition import build_chat_engine
from bot.delivery import RetryLater, TelegramSender
from bot.engine.inbound import Inbound
from bot.engine.replies import Attachment, Reply, buttons
from core.models import ChatAccount, InboxMessage
from core.people.accounts import create_invite
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, button_update, message_update
from tests.e2e.stack import SECRET, expire_leases, run, start_stack
from tests.factories import make_shop

ANNA, BORIS = 5001, 5002


def inbox_count(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(InboxMessage)))


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5"), LineIn("TEA-CUP", 40)])
    return uow


def invite(uow: UnitOfWork, admin: Actor, name: str) -> str:
    return create_invite(uow, admin, name).code


def test_a_whole_dialogue_in_chinese_then_english_through_the_webhook(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "manager-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            assert fake.methods()[:4] == ["getMe", "setMyCommands", "setChatMenuButton", "setWebhook"]
            menu = fake.calls[1].params["commands"]
            assert {"command": "stock", "description": "Stock by SKU, barcode or name / 查库存"} in menu
            assert "longtest" not in str(menu)
            assert json.loads(fake.calls[2].params["menu_button"]) == {
                "type": "web_app", "text": "打开页面", "web_app": {"url": "https://jxc.example.com/app/"}}
            hook = fake.calls[3].params
            assert (hook["url"], hook["secret_token"]) == ("https://jxc.example.com/telegram/webhook", SECRET)

            assert await s.say(ANNA, f"/start {code}") == ["绑定成功，欢迎 manager-1！发送「帮助」开始。"]
            assert (await s.say(ANNA, "帮助"))[0].startswith("manager-1，你好！你可以：")
            assert await s.say(ANNA, "库存 RETRO-CLOCK") == [
                "RETRO-CLOCK 复古闹钟\n售价 25.00 / 个，进价 10.00\n\n<pre>仓库  可用  成本\nMAIN    12  9.50</pre>"]
            assert fake.sent(ANNA)[-1].params["parse_mode"] == "HTML", "the table in monospace"

            assert await s.say(ANNA, "语言") == ["请选择语言 / Choose a language:"]
            assert fake.sent(ANNA)[-1].buttons == [[("中文", "lg:zh_CN"), ("English", "lg:en")]]
            assert await s.press(ANNA, s.button(ANNA, "English")) == ["Language set to English."]
            answered = [c for c in fake.calls if c.method == "answerCallbackQuery"]
            assert len(answered) == 1 and answered[0].params["callback_query_id"].startswith("cq")

            assert (await s.say(ANNA, "help"))[0].startswith("Hello manager-1! You can:")
            assert await s.say(ANNA, "stock 6901234567890") == [
                "RETRO-CLOCK Retro clock\nPrice 25.00 / pcs, purchase price 10.00\n\n<pre>Warehouse  Available  Cost\n"
                "MAIN              12  9.50</pre>"]
            assert await s.say(ANNA, "stock") == ["Which SKU, barcode or product name?"]
            assert await s.say(ANNA, "cancel") == ["Cancelled."]
            assert await s.say(ANNA, "/cancel") == ["There is nothing to cancel."]
            assert await s.press(ANNA, "lg:zh_CN") == ["已切换为中文。"]
            assert await s.say(ANNA, "取消") == ["当前没有进行中的操作。"]
            tables = [c for c in fake.sent() if "<pre>" in c.text]
            assert len(tables) == 2 and all(c.params.get("parse_mode") == "HTML" for c in tables)
            assert all("parse_mode" not in c.params for c in fake.sent() if c not in tables), "plain text elsewhere"
        finally:
            await s.stop()

    run(scenario)
    account = shop.read(lambda tx: tx.session.scalars(select(ChatAccount.external_user_id)).all())
    assert account == [str(ANNA)], "bound by the numeric Telegram user id, never the username"


def test_a_table_too_wide_for_a_phone_arrives_as_a_picture_and_user_text_is_escaped_in_html(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "manager-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(ANNA, f"/start {code}")
            await s.say(ANNA, "language en")
            before = len(fake.sent(ANNA))
            texts = await s.say(ANNA, "report stock")
            sent = fake.sent(ANNA)[before:]
            assert [c.method for c in sent] == ["sendPhoto", "sendPhoto", "sendDocument"], "table, chart, file"
            assert texts[0].startswith("📊 Stock on hand and value") and "Total Value: 246.00" in texts[0]
            assert "<pre>" not in texts[0] and "parse_mode" not in sent[0].params
            picture = sent[0].params["photo"]["content"]
            assert picture[:8] == b"\x89PNG\r\n\x1a\n"
            with Image.open(io.BytesIO(picture)) as image:
                assert image.size[0] > 600, "each column as wide as its cells, large type"

            tagged = await s.say(ANNA, "stock <b>TEA&CUP</b>")
            assert tagged == ['No product matches "<b>TEA&CUP</b>". Check the SKU or barcode, or try another word.']
            assert "parse_mode" not in fake.sent(ANNA)[-1].params, "plain text: Telegram shows it as typed"
            narrow = await s.say(ANNA, "stock TEA-CUP")
            assert narrow == ["TEA-CUP Blue tea cup\nPrice 8.00 / pcs, purchase price 3.30\n\n"
                              "<pre>Warehouse  Available  Cost\nMAIN              40  3.30</pre>"]
            assert fake.sent(ANNA)[-1].params["parse_mode"] == "HTML"
        finally:
            await s.stop()

    run(scenario)


def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(db_url: str, shop: UnitOfWork) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            update = message_update(1, ANNA, "帮助")
            assert await s.post(update, secret="wrong") == 403
            assert await s.post(update, secret=None) == 403
            assert await s.post(update, secret=SECRET + "x") == 403
            await s.settle()
        finally:
            await s.stop()
        assert fake.sent() == []

    run(scenario)
    assert inbox_count(shop) == 0


def test_malformed_bodies_get_400_and_nothing_is_stored(db_url: str, shop: UnitOfWork) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            assert await s.post(None, raw=b'{"update_id": 5, "message": ') == 400
            assert await s.post(None, raw=b"\xff\xfe not json") == 400
            assert await s.post(None, raw=b'["update_id", 5]') == 400
            assert await s.post(None, raw=b'{"message": {"text": "no update id"}}') == 400
            assert await s.post(None, raw=b"{" + b'"x": "' + b"a" * (2 * 1024 * 1024) + b'"}') == 413
            await s.settle()
        finally:
            await s.stop()
        assert fake.sent() == []

    run(scenario)
    assert inbox_count(shop) == 0


def test_the_same_update_delivered_twice_even_at_once_has_one_effect_and_one_reply(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "sales-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            binding = message_update(100, ANNA, f"/start {code}")
            assert await asyncio.gather(s.post(binding), s.post(binding)) == [200, 200]
            await s.settle()
            assert fake.texts(ANNA) == ["绑定成功，欢迎 sales-1！发送「帮助」开始。"]
            lookup = message_update(101, ANNA, "库存 TEA-CUP")
            assert await s.post(lookup) == 200
            await s.settle()
            assert await s.post(lookup) == 200, "Telegram must stop redelivering: answer 200"
            await s.settle()
            assert len(fake.texts(ANNA)) == 2 and "TEA-CUP 青花茶杯" in fake.texts(ANNA)[1]
        finally:
            await s.stop()

    run(scenario)
    assert inbox_count(shop) == 2


def test_an_unbound_person_only_gets_the_binding_prompt(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            for text in ("库存 RETRO-CLOCK", "help", "/start WRONGCODE1"):
                replies = await s.say(BORIS, text)
                assert len(replies) == 1 and "RETRO-CLOCK" not in replies[0]
            assert fake.texts(BORIS)[0].startswith("你还没有绑定员工账号")
            assert fake.texts(BORIS)[1] == fake.texts(BORIS)[0]
            assert "无效" in fake.texts(BORIS)[2]
        finally:
            await s.stop()

    run(scenario)


def test_a_restart_in_the_middle_of_a_flow_continues_it_and_finishes_what_the_dead_process_left(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "sales-1")

    async def scenario(fake: FakeTelegram) -> None:
        first = await start_stack(db_url, fake)
        await first.say(ANNA, f"/start {code}")
        assert await first.say(ANNA, "库存") == ["请输入要查询的 SKU、条码或商品名称："]
        await first.stop()

        # a process died after recording one update and after processing (not sending) another
        recorded = first.engine.record(Inbound("telegram", "777001", str(ANNA), str(ANNA), text="TEA-CUP"))
        assert recorded is not None
        expire_leases(shop)

        second = await start_stack(db_url, fake)
        try:
            await second.settle()
            assert "TEA-CUP 青花茶杯" in fake.texts(ANNA)[-1]
            processed = second.engine.record(Inbound("telegram", "777002", str(ANNA), str(ANNA), text="LAMP"))
            assert processed is not None
            second.engine.process(processed)
        finally:
            await second.stop()
        expire_leases(shop)

        third = await start_stack(db_url, fake)
        try:
            await third.settle()
            assert "LAMP 台灯" in fake.texts(ANNA)[-1]
            assert await third.say(ANNA, "库存") == ["请输入要查询的 SKU、条码或商品名称："]
        finally:
            await third.stop()
        fourth = await start_stack(db_url, fake)
        try:
            assert "RETRO-CLOCK 复古闹钟" in (await fourth.say(ANNA, "RETRO-CLOCK"))[0]
        finally:
            await fourth.stop()
        assert len(fake.texts(ANNA)) == 6, "nothing sent twice, nothing lost"

    run(scenario)
    statuses = shop.read(lambda tx: set(tx.session.scalars(select(InboxMessage.status))))
    assert statuses == {"replied"}


def test_what_a_dead_process_left_is_answered_by_the_scheduler_leaders_sweep_without_any_restart(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "sales-1")
    fast = {"scheduler": {"sweep_seconds": 1, "lease_seconds": 3, "renew_seconds": 1}}

    async def scenario(fake: FakeTelegram) -> None:
        running = await start_stack(db_url, fake, background=True, extra=fast)
        try:
            await running.say(ANNA, f"/start {code}")
            dead = build_chat_engine(running.parts.books)  # another process, which records and then dies
            assert dead.record(Inbound("telegram", "778001", str(ANNA), str(ANNA), text="TEA-CUP")) is not None
            await asyncio.sleep(1.5)
            assert not any("TEA-CUP" in t for t in fake.texts(ANNA)), "its lease has not run out yet"
            expire_leases(shop)
            await fake.wait_sent(2, ANNA, timeout=15)
            assert "TEA-CUP 青花茶杯" in fake.texts(ANNA)[-1]
        finally:
            await running.stop()
        assert len([t for t in fake.texts(ANNA) if "TEA-CUP" in t]) == 1

    run(scenario)


def test_a_429_with_retry_after_is_honoured_and_the_reply_still_arrives(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "sales-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(ANNA, f"/start {code}")
            fake.fail_next(1, retry_after=1)
            replies = await s.say(ANNA, "库存 LAMP")
            assert len(replies) == 1 and "LAMP 台灯" in replies[0]
            refused, sent = [c for c in fake.calls if c.method.startswith("sendMessage")][-2:]
            assert refused.method == "sendMessage:429" and sent.method == "sendMessage"
            assert sent.at - refused.at >= 1.0
        finally:
            await s.stop()

    run(scenario)


def test_a_push_answered_429_goes_back_to_the_dispatcher_at_once_with_the_wait_telegram_asked(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            channel = next(c for c in s.parts.channels if isinstance(c, TelegramChannel))
            fake.fail_next(1, retry_after=7)
            started = time.monotonic()
            with pytest.raises(RetryLater) as refused:
                await TelegramSender(channel).send(str(ANNA), [Reply("低库存提醒")])
            assert time.monotonic() - started < 3, "python-telegram-bot did not wait out the 429 itself"
            assert refused.value.seconds == 7
            assert [c.method for c in fake.calls if c.method.startswith("sendMessage")] == ["sendMessage:429"]
        finally:
            await s.stop()

    run(scenario)


def test_a_long_reply_is_split_on_lines_and_paced_per_chat_and_attachments_go_as_photo_and_document(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = invite(shop, admin, "sales-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake, chat_per_second=5)
        try:
            await s.say(ANNA, f"/start {code}")
            started = len(fake.sent(ANNA))
            await s.say(ANNA, "longtest")
            calls = fake.sent(ANNA)[started:]
        finally:
            await s.stop()
        messages = [c for c in calls if c.method == "sendMessage"]
        assert len(messages) == 4
        assert all(len(m.text) <= 4096 for m in messages)
        joined = "\n".join(m.text for m in messages).splitlines()
        assert joined == [f"{n:04d} RETRO-CLOCK 复古闹钟 " + "·" * 60 for n in range(150)], "cut only at line ends"
        assert [m.buttons for m in messages] == [[], [], [], [[("OK", "ln:ok")]]]
        photo, document = calls[4:]
        assert (photo.method, photo.params["caption"], photo.params["photo"]["filename"]) == (
            "sendPhoto", "月报 chart", "chart.png")
        assert (document.method, document.params["caption"], document.params["document"]["content"]) == (
            "sendDocument", "对账单", b"sku,qty\nRETRO-CLOCK,12\n")
        # paced when sent, timed when they arrive: a loaded machine delays one arrival and shortens the next gap,
        # never the whole span, which at 5 a second is at least 0.2 s per gap (one gap's slack for the jitter)
        span = calls[-1].at - calls[0].at
        assert span >= 0.2 * (len(calls) - 2), f"about 5 a second in one chat, got {len(calls)} calls in {span:.2f} s"

    run(scenario)


def test_user_text_comes_back_literally_without_markup(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    code = invite(shop, admin, "sales-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(ANNA, f"/start {code}")
            replies = await s.say(ANNA, "库存 <b>&nbsp;")
            assert replies == ["没有找到与「<b>&nbsp;」匹配的商品。请检查 SKU、条码或换个关键词。"]
            assert "parse_mode" not in fake.sent(ANNA)[-1].params
        finally:
            await s.stop()

    run(scenario)


def test_polling_mode_takes_updates_from_get_updates(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    code = invite(shop, admin, "warehouse-1")

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake, mode="polling", webhook_secret="")
        try:
            await fake.push_update(message_update(300, ANNA, f"绑定 {code}"))
            await fake.wait_sent(1, ANNA)
            await fake.push_update(message_update(301, ANNA, "RETRO-CLOCK"))
            await fake.push_update(button_update(302, ANNA, "lg:en"))
            sent = await fake.wait_sent(3, ANNA)
            deadline = time.monotonic() + 5
            while inbox_count(shop) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            await s.stop()
        assert "setWebhook" not in fake.methods() and "deleteWebhook" in fake.methods()
        assert sent[0].text == "绑定成功，欢迎 warehouse-1！发送「帮助」开始。"
        assert "RETRO-CLOCK 复古闹钟" in sent[1].text
        assert sent[2].text == "Language set to English."

    run(scenario)
    assert inbox_count(shop) == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def bench_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgresql":
        return Backend("postgresql", pg_url=request.getfixturevalue("pg_url"))
    return Backend("sqlite", directory=tmp_path)


def test_the_throughput_benchmark_measures_both_bots_through_the_whole_stack(bench_backend: Backend) -> None:
    result = telegram_throughput.measure(bench_backend, updates_per_run=8, chats=4)
    assert min(result.ours.per_second, result.bare.per_second) > 0
    assert 0 < result.ours.p50_ms <= result.ours.p99_ms
    assert telegram_throughput.report(result).startswith(f"telegram throughput {bench_backend.name}: jxc ")


def test_split_text_counts_as_telegram_does_and_cuts_an_overlong_line_hard() -> None:
    assert split_text("短\n" * 3) == ["短\n短\n短"]
    emoji_line = "📦" * 3000  # 2 UTF-16 units each: 6000 units
    parts = split_text("head\n" + emoji_line + "\ntail")
    assert [utf16_len(p) for p in parts] == [4, 4096, 6000 - 4096 + len("\ntail")]
    assert parts[1] + parts[2] == emoji_line + "\ntail"
    assert split_text("") == ["…"]


def test_a_caption_too_long_for_a_photo_goes_as_text_first(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            channel = next(c for c in s.parts.channels if isinstance(c, TelegramChannel))
            await channel.send("6005", Reply("图" * 1500, buttons([("OK", "ln:ok")]),
                                             image=Attachment("a.png", b"png", "image/png")))
        finally:
            await s.stop()
        text, photo = fake.sent(6005)
        assert (text.method, text.text, text.buttons) == ("sendMessage", "图" * 1500, [])
        assert (photo.method, photo.params.get("caption"), photo.buttons) == ("sendPhoto", None, [[("OK", "ln:ok")]])

    run(scenario)
