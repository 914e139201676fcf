"""The browser chat through our real server on a random port: sign-in links, CSRF, retries, whole dialogues.

A browser is played by an aiohttp client with its own cookie jar; what it gets back is what the page would draw.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from yarl import URL

from bot.composition import AppParts, build_app_parts
from bot.engine.flow import Command, Context, Event, Flow, Step
from bot.engine.replies import Attachment, Reply, buttons
from bot.flows import COMMANDS, default_flows
from bot.server import build_app
from core.config import Config
from core.models import AuditLog, InboxMessage
from core.people.accounts import create_login_link
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import make_shop

PNG = b"\x89PNG\r\n\x1a\n fake chart"


class ReportFlow(Flow):
    """Test-only: a chart image and a CSV statement, the way report flows answer."""

    name = "report"
    key = "rp"

    def start(self, ctx: Context, args: str) -> Step:
        return Step([
            Reply("月报 chart", image=Attachment("chart.png", PNG, "image/png")),
            Reply("对账单", file=Attachment("对账单.csv", b"sku,qty\nRETRO-CLOCK,12\n", "text/csv"),
                  buttons=buttons([("OK", "rp:ok")])),
            Reply("risky", image=Attachment("x.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"),
                  file=Attachment("x.html", b"<script>alert(1)</script>", "text/html")),
        ])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        return self.start(ctx, "")

    def button(self, ctx: Context, payload: str) -> Step:
        return Step([Reply("ok")])


class BrokenFlow(Flow):
    """Test-only: a flow with a bug."""

    name = "broken"
    key = "bk"

    def start(self, ctx: Context, args: str) -> Step:
        raise RuntimeError("a bug in a flow")

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        return self.start(ctx, "")

    def button(self, ctx: Context, payload: str) -> Step:
        return self.start(ctx, "")


@dataclass
class Server:
    parts: AppParts
    runner: web.AppRunner
    url: str

    async def stop(self) -> None:
        await self.runner.cleanup()


@dataclass
class Browser:
    """One browser: a cookie jar, the CSRF token of the page it loaded, and what it saw."""

    server: Server
    http: aiohttp.ClientSession
    csrf: str = ""

    async def open(self, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(self.server.url + path, allow_redirects=False) as response:
            return response.status, await response.text(), response

    async def sign_in(self, token: str) -> None:
        status, _, response = await self.open(f"/chat/login?token={token}")
        assert (status, response.headers["Location"]) == (303, "/chat")
        status, page, _ = await self.open("/chat")
        assert status == 200
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)[1]  # type: ignore[index]

    async def post(self, body: Any, *, csrf: str | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "X-CSRF-Token": self.csrf if csrf is None else csrf}
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(self.server.url + "/chat/send", data=data, headers=headers) as response:
            return response.status, await response.json()

    async def say(self, text: str) -> list[str]:
        status, answer = await self.post({"id": str(uuid.uuid4()), "text": text})
        assert status == 200, answer
        self.last = answer
        return [r["text"] for r in answer["replies"]]

    async def press(self, label: str) -> list[str]:
        data = next(b["data"] for r in self.last["replies"] for row in r["buttons"] for b in row if label in b["label"])
        status, answer = await self.post({"id": str(uuid.uuid4()), "button": data})
        assert status == 200, answer
        self.last = answer
        return [r["text"] for r in answer["replies"]]


def config_for(db_url: str, public_url: str = "http://127.0.0.1:8080") -> Config:
    return Config(sections={"database": {"url": db_url}, "server": {"public_url": public_url},
                            "company": {"timezone": "Asia/Shanghai"}})


async def start_server(db_url: str, public_url: str = "http://127.0.0.1:8080") -> Server:
    parts = build_app_parts(config_for(db_url, public_url), flows=[*default_flows(), ReportFlow(), BrokenFlow()],
                            commands=[*COMMANDS, Command("report", ("report", "报表"), "test only", menu=False),
                                      Command("broken", ("broken",), "test only", menu=False)])
    runner = web.AppRunner(build_app(parts), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return Server(parts, runner, f"http://127.0.0.1:{runner.addresses[0][1]}")


def run(db_url: str, scenario: Callable[[Server, Callable[[], Browser]], Awaitable[None]],
        public_url: str = "http://127.0.0.1:8080") -> None:
    """A scenario against a fresh server, with as many browsers as it opens (each with its own cookies)."""

    async def main() -> None:
        server = await start_server(db_url, public_url)
        sessions: list[aiohttp.ClientSession] = []

        def browser() -> Browser:
            sessions.append(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
            return Browser(server, sessions[-1])

        try:
            await scenario(server, browser)
        finally:
            for s in sessions:
                await s.close()
            await server.stop()

    asyncio.run(main())


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5"), LineIn("TEA-CUP", 40)])
    return uow


def link(uow: UnitOfWork, admin: Actor, name: str) -> str:
    return create_login_link(uow, admin, name).code


def inbox_count(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(InboxMessage)))


def audit_count(uow: UnitOfWork, action: str) -> int:
    return uow.read(lambda tx: tx.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == action)))


def test_a_login_link_signs_in_once_with_an_http_only_cookie_and_a_used_link_is_refused(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    token = link(shop, admin, "manager-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        status, _, response = await anna.open(f"/chat/login?token={token}")
        assert (status, response.headers["Location"]) == (303, "/chat")
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/;" in cookie + ";"
        assert "Secure" not in cookie, "the demo runs on plain http://127.0.0.1"
        status, page, response = await anna.open("/chat")
        assert status == 200 and "manager-1" in page and 'name="csrf-token"' in page
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]

        thief = browser()
        status, page, _ = await thief.open(f"/chat/login?token={token}")
        assert status == 403 and "登录链接无效" in page and "已经用过" in page
        status, page, _ = await thief.open("/chat/login?token=not-a-real-token")
        assert status == 403
        status, page, _ = await thief.open("/chat")
        assert status == 401 and "jxc login-link" in page

    run(db_url, scenario)


def test_the_cookie_is_secure_when_the_public_address_is_https(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    token = link(shop, admin, "sales-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        status, _, response = await browser().open(f"/chat/login?token={token}")
        assert status == 303 and "Secure" in response.headers["Set-Cookie"]

    run(db_url, scenario, public_url="https://jxc.example.com")


def test_unsigned_requests_get_401_in_the_readers_language_and_nothing_is_recorded(
    db_url: str, shop: UnitOfWork
) -> None:
    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        stranger = browser()
        stranger.http.headers["Accept-Language"] = "en-GB,en;q=0.9"
        status, page, _ = await stranger.open("/chat")
        assert status == 401 and "one-time sign-in link" in page
        status, answer = await stranger.post({"id": str(uuid.uuid4()), "text": "stock RETRO-CLOCK"}, csrf="x")
        assert status == 401 and answer["error"] == "signed_out"
        assert answer["message"] == "You are signed out. Ask an administrator for a new sign-in link."
        status, _, _ = await stranger.open("/chat/files/1/0/image")
        assert status == 401

    run(db_url, scenario)
    assert inbox_count(shop) == 0


def test_a_missing_or_wrong_csrf_token_is_refused_and_nothing_is_stored(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    token = link(shop, admin, "manager-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(token)
        for wrong in ("", "guess", anna.csrf[:-1], anna.csrf + "x"):
            status, answer = await anna.post({"id": str(uuid.uuid4()), "text": "语言 English"}, csrf=wrong)
            assert (status, answer["error"]) == (403, "csrf")
            assert answer["message"] == "页面已过期，请刷新页面后再试。"
        async with anna.http.post(server.url + "/chat/logout", data={"csrf": "guess"}, allow_redirects=False) as r:
            assert r.status == 403
        status, page, _ = await anna.open("/chat")
        assert status == 200 and "manager-1" in page, "a forged sign-out does not end the session"

    run(db_url, scenario)
    assert inbox_count(shop) == 0
    assert audit_count(shop, "employee.language") == 0


def test_a_retried_post_with_the_same_message_id_has_one_effect_and_the_same_answer(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    token = link(shop, admin, "manager-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(token)
        message = {"id": str(uuid.uuid4()), "button": "lg:en"}
        first = await anna.post(message)
        again = await asyncio.gather(anna.post(message), anna.post(message))
        assert first[0] == 200 and first[1]["replies"][0]["text"] == "Language set to English."
        assert first[1]["lang"] == "en"
        assert list(again) == [first, first]

    run(db_url, scenario)
    assert inbox_count(shop) == 1
    assert audit_count(shop, "employee.language") == 1
    status = shop.read(lambda tx: tx.session.scalars(select(InboxMessage.status)).all())
    assert status == ["replied"]


def test_malformed_or_oversized_bodies_are_refused_and_nothing_is_stored(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    token = link(shop, admin, "sales-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(token)
        message_id = str(uuid.uuid4())
        assert (await anna.post(None, raw=b"{not json"))[0] == 400
        assert (await anna.post(None, raw=b"\xff\xfe"))[0] == 400
        assert (await anna.post(["stock"]))[0] == 400
        assert (await anna.post({"text": "stock"}))[0] == 400, "no message id"
        assert (await anna.post({"id": "short", "text": "stock"}))[0] == 400
        assert (await anna.post({"id": message_id, "text": "stock", "button": "lg:en"}))[0] == 400
        assert (await anna.post({"id": message_id, "text": 7}))[0] == 400
        assert (await anna.post({"id": message_id, "button": "x" * 65}))[0] == 400
        status, answer = await anna.post({"id": message_id, "text": "   "})
        assert (status, answer["message"]) == (400, "请输入内容。")
        status, answer = await anna.post({"id": message_id, "text": "茶" * 20_000})
        assert (status, answer["error"]) == (413, "too_large")

    run(db_url, scenario)
    assert inbox_count(shop) == 0


def test_a_whole_dialogue_help_stock_and_a_language_button_then_history_on_reload(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    token = link(shop, admin, "manager-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(token)
        assert (await anna.say("帮助"))[0].startswith("manager-1，你好！你可以：")
        assert await anna.say("库存 RETRO-CLOCK") == ["RETRO-CLOCK 复古闹钟\n售价 25.00 / 个，进价 10.00"]
        assert anna.last["replies"][0]["table"] == {
            "header": ["仓库", "可用", "成本"], "rows": [["MAIN", "12", "9.50"]], "numeric": [False, True, True],
            "totals": []}
        assert await anna.say("语言") == ["请选择语言 / Choose a language:"]
        assert anna.last["replies"][0]["buttons"] == [[{"label": "中文", "data": "lg:zh_CN"},
                                                       {"label": "English", "data": "lg:en"}]]
        assert await anna.press("English") == ["Language set to English."]
        assert anna.last["lang"] == "en"
        assert (await anna.say("help"))[0].startswith("Hello manager-1! You can:")
        assert await anna.say("stock 6901234567890") == [
            "RETRO-CLOCK Retro clock\nPrice 25.00 / pcs, purchase price 10.00"]
        assert anna.last["replies"][0]["table"]["header"] == ["Warehouse", "Available", "Cost"]
        assert await anna.say("stock") == ["Which SKU, barcode or product name?"]
        assert await anna.say("cancel") == ["Cancelled."]

        status, page, _ = await anna.open("/chat")
        assert status == 200 and '<html lang="en">' in page and "Sign out" in page
        history = json.loads(re.search(r'id="jxc-history">(.*?)</script>', page, re.S)[1])  # type: ignore[index]
        assert [h["mine"] for h in history] == ["帮助", "库存 RETRO-CLOCK", "语言", "English", "help",
                                                "stock 6901234567890", "stock", "cancel"]
        assert history[3]["replies"][0]["text"] == "Language set to English."

    run(db_url, scenario)


def test_images_and_files_download_only_in_the_chat_they_were_sent_to(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    anna_token, boris_token = link(shop, admin, "manager-1"), link(shop, admin, "sales-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna, boris = browser(), browser()
        await anna.sign_in(anna_token)
        await boris.sign_in(boris_token)
        assert await anna.say("报表") == ["月报 chart", "对账单", "risky"]
        chart, statement = anna.last["replies"][0]["image"], anna.last["replies"][1]["file"]
        assert chart["url"] == f"/chat/files/{anna.last['inbox_id']}/0/image"
        async with anna.http.get(server.url + chart["url"]) as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert await response.read() == PNG
            assert response.headers["Content-Disposition"].startswith("inline")
        async with anna.http.get(server.url + statement["url"]) as response:
            assert response.status == 200 and response.content_type == "text/csv"
            assert (await response.read()).decode() == "sku,qty\nRETRO-CLOCK,12\n"
            assert response.headers["Content-Disposition"] == (
                "attachment; filename*=UTF-8''%E5%AF%B9%E8%B4%A6%E5%8D%95.csv")
        for part in ("image", "file"):
            async with anna.http.get(server.url + anna.last["replies"][2][part]["url"]) as response:
                assert response.status == 200 and response.content_type == "application/octet-stream"
                assert response.headers["Content-Disposition"].startswith("attachment;"), "never rendered inline"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
        for url in (chart["url"], statement["url"], chart["url"].replace("/0/", "/5/"),
                    statement["url"].replace("/file", "/image")):
            async with boris.http.get(server.url + url) as response:
                assert response.status == 404, url
        assert (await anna.open(chart["url"].replace("/0/", "/1/")))[0] == 404

    run(db_url, scenario)


def test_signing_out_ends_the_session(db_url: str, shop: UnitOfWork, admin: Actor) -> None:
    token = link(shop, admin, "manager-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(token)
        old_cookie = anna.http.cookie_jar.filter_cookies(URL(server.url + "/chat"))["jxc_session"].value
        async with anna.http.post(server.url + "/chat/logout", data={"csrf": anna.csrf},
                                  allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (303, "/chat")
        status, page, _ = await anna.open("/chat")
        assert status == 401 and "请先登录" in page
        anna.http.cookie_jar.update_cookies({"jxc_session": old_cookie})
        status, answer = await anna.post({"id": str(uuid.uuid4()), "text": "帮助"})
        assert status == 401 and answer["message"] == "登录已失效。请向管理员索取新的登录链接。"

    run(db_url, scenario)
    assert inbox_count(shop) == 0


def test_a_bug_in_a_flow_finishes_the_message_in_the_readers_words_and_a_retry_gets_the_same_answer(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    token = link(shop, admin, "manager-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(token)
        message = {"id": str(uuid.uuid4()), "text": "broken"}
        for _ in range(2):
            status, answer = await anna.post(message)
            assert status == 200
            assert [r["text"] for r in answer["replies"]] == [
                "抱歉，这条消息没能处理：出了意外的错误，什么都没有改变。请再试一次，或换个说法；管理员已收到通知。"]
        assert (await anna.say("帮助"))[0].startswith("manager-1，你好！")

    run(db_url, scenario)
    rows = shop.read(lambda tx: tx.session.execute(
        select(InboxMessage.payload, InboxMessage.status, InboxMessage.failure).order_by(InboxMessage.id)).all())
    assert [(r.payload["text"], r.status) for r in rows] == [("broken", "replied"), ("帮助", "replied")]
    assert rows[0].failure == "RuntimeError at test_web_chat.py:start" and rows[1].failure is None


def test_signing_in_again_in_the_same_browser_ends_the_previous_session(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    first, second = link(shop, admin, "manager-1"), link(shop, admin, "sales-1")

    async def scenario(server: Server, browser: Callable[[], Browser]) -> None:
        anna = browser()
        await anna.sign_in(first)
        old_cookie = anna.http.cookie_jar.filter_cookies(URL(server.url + "/chat"))["jxc_session"].value
        await anna.sign_in(second)
        status, page, _ = await anna.open("/chat")
        assert status == 200 and "sales-1" in page
        other = browser()
        other.http.cookie_jar.update_cookies({"jxc_session": old_cookie})
        assert (await other.open("/chat"))[0] == 401

    run(db_url, scenario)
