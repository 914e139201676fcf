"""POST /app/session through the real server: Telegram's initData checked as Telegram documents; a page session
for a bound employee, 401 for forged, stale or unbound data, and nothing stored either way."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.app.auth import sign_init_data
from bot.app.channel import AppChannel
from bot.composition import build_app_parts, page_link
from bot.server import build_app
from core.config import Config
from core.models.base import Base
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import bind_account, create_login_link
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import make_shop

BOT_TOKEN = "123456:TEST-token-for-the-mini-app"


def init_data(user_id: int, *, auth_date: int | None = None, token: str = BOT_TOKEN) -> str:
    """initData as the Telegram client passes it to a Mini App, signed with `token`."""
    user = json.dumps({"id": user_id, "first_name": "Li", "language_code": "zh-hans"}, separators=(",", ":"))
    return sign_init_data({"query_id": "AAE1", "user": user, "auth_date": str(auth_date or int(time.time()))}, token)


def rows(uow: UnitOfWork) -> dict[str, int]:
    """Rows per table: what a refused (or accepted) session must leave as it was."""
    return uow.read(lambda tx: {t.name: tx.session.scalar(select(func.count()).select_from(t)) or 0
                                for t in Base.metadata.sorted_tables})


def post_sessions(db_url: str, bodies: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    """POST each body to /app/session of a fresh server; the answers (status, JSON)."""
    config = Config(sections={"database": {"url": db_url}, "telegram": {"token": BOT_TOKEN, "mode": "polling"},
                              "server": {"public_url": "https://jxc.example.com"}})

    async def main() -> list[tuple[int, dict[str, Any]]]:
        parts = build_app_parts(config)
        parts.channels = [c for c in parts.channels if c.name != "telegram"]  # no Bot API to reach here
        runner = web.AppRunner(build_app(parts), handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        answers = []
        try:
            async with aiohttp.ClientSession() as http:
                for body in bodies:
                    async with http.post(f"{url}/app/session", json=body,
                                         headers={"Accept-Language": "zh-CN"}) as response:
                        answers.append((response.status, await response.json()))
                    async with http.get(f"{url}/app/api/customers", params={"q": "x"}, headers={
                            "Authorization": f"Bearer {answers[-1][1].get('token', 'none')}"}) as response:
                        answers.append((response.status, await response.json()))
        finally:
            await runner.cleanup()
        return answers

    return asyncio.run(main())


def test_a_bound_employee_gets_a_page_session_that_opens_the_api_and_nothing_is_stored(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    bind_account(uow, admin, "sales-1", "telegram", "4242", "4242")
    before = rows(uow)
    (status, body), (api_status, api_body) = post_sessions(db_url, [{"init_data": init_data(4242)}])
    assert (status, body["name"], body["lang"]) == (200, "sales-1", "zh_CN")
    assert body["token"].count(".") == 4
    assert (api_status, api_body) == (200, {"customers": []}), "the page session works for the API calls"
    assert rows(uow) == before, "a page session is a signed token, not a row"


def test_forged_stale_unbound_and_malformed_init_data_are_refused_with_401_and_leave_nothing_behind(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    bind_account(uow, admin, "sales-1", "telegram", "4242", "4242")
    before = rows(uow)
    genuine = init_data(4242)
    tampered = genuine.replace("4242", "4243", 1)  # another user id under the same hash
    bodies: list[Any] = [
        {"init_data": tampered},
        {"init_data": init_data(4242, token="654321:another-bot")},
        {"init_data": init_data(4242, auth_date=int(time.time()) - 25 * 3600)},
        {"init_data": init_data(777)},
        {"init_data": genuine.replace("hash=", "hash=0")},
        {"init_data": genuine + "&user=%7B%22id%22%3A1%7D"},
        {"init_data": ""},
        {"init_data": 42},
        {},
    ]
    answers = post_sessions(db_url, bodies)
    sessions, api_calls = answers[0::2], answers[1::2]
    assert [s for s, _ in sessions] == [401] * len(bodies)
    assert [b["error"] for _, b in sessions[:4]] == ["forged", "forged", "forged", "unbound"]
    assert sessions[3][1]["message"] == "这个 Telegram 账号还没有绑定员工。请先在聊天里发送管理员给你的邀请码。"
    assert sessions[0][1]["message"] == "无法确认你的 Telegram 身份，请从机器人聊天里重新打开这个页面。"
    assert {s for s, _ in api_calls} == {401}, "no refused session opens the API"
    assert rows(uow) == before


def test_the_browser_chats_session_opens_the_pages_with_its_csrf_token_and_a_wecom_link_opens_them_signed(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("C-BLUE", "蓝海百货", salesperson="sales-1"))
    bind_account(uow, admin, "sales-1", "wecom", "zhangsan", "zhangsan")
    token = create_login_link(uow, admin, "sales-1").code
    config = Config(sections={"database": {"url": db_url}, "server": {"public_url": "http://127.0.0.1:8080"}})

    async def main() -> dict[str, Any]:
        parts = build_app_parts(config)
        pages = next(c for c in parts.channels if isinstance(c, AppChannel))
        runner = web.AppRunner(build_app(parts), handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        seen: dict[str, Any] = {}
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.get(f"{url}/app/sales") as response:
                    seen["before_sign_in"] = 'content=""' in await response.text()
                async with http.get(f"{url}/chat/login?token={token}") as response:
                    assert response.status == 200
                async with http.get(f"{url}/app/sales") as response:
                    page = await response.text()
                    seen["csp"] = response.headers["Content-Security-Policy"]
                csrf = re.search(r'<meta name="jxc-csrf" content="([^"]+)">', page)[1]  # type: ignore[index]
                seen["title"] = re.search(r"<h1>([^<]+)</h1>", page)[1]  # type: ignore[index]
                async with http.get(f"{url}/app/api/customers", params={"q": "蓝海"}) as response:
                    seen["no_csrf"] = (response.status, (await response.json())["error"])
                async with http.get(f"{url}/app/api/customers", params={"q": "蓝海"},
                                    headers={"X-CSRF-Token": csrf}) as response:
                    seen["with_csrf"] = (response.status, await response.json())
            link = page_link(url, "/app/sales", pages.link_token("wecom", "zhangsan"))
            async with aiohttp.ClientSession() as http:
                async with http.get(link) as response:
                    seen["wecom_title"] = re.search(r"<h1>([^<]+)</h1>", await response.text())[1]  # type: ignore[index]
                async with http.post(f"{url}/app/api/sales/place", json={
                        "customer": "C-BLUE", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "abc"}]},
                        headers={"Authorization": f"Bearer {link.split('k=')[1]}"}) as response:
                    seen["bad_qty"] = (response.status, await response.json())
        finally:
            await runner.cleanup()
        return seen

    seen = asyncio.run(main())
    assert seen["before_sign_in"] and seen["title"] == "新销售单" and seen["wecom_title"] == "新销售单"
    assert "frame-ancestors 'self' https://web.telegram.org" in seen["csp"]
    assert seen["no_csrf"] == (403, "csrf")
    assert seen["with_csrf"] == (200, {"customers": [{"code": "C-BLUE", "name": "蓝海百货"}]})
    status, refused = seen["bad_qty"]
    assert (status, refused["error"]) == (422, "invalid_quantity") and "abc" in refused["message"]
    assert rows(uow)["sales_order"] == 0, "a refused order leaves nothing"
