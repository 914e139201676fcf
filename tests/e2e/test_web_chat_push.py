"""The browser chat receives pushes as they happen (Server-Sent Events on the session cookie): read by an aiohttp
client, and drawn live by Chromium on a phone, where a newer push on a topic replaces the earlier one in place."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

from core.approvals.decisions import decide
from core.approvals.requests import pending_for, set_rule
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import create_login_link
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.replenishment import set_reorder_rule
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import UnitOfWork
from tests.e2e.test_web_chat import Browser, Server, run
from tests.e2e.test_web_chat_browser import browser, chromium, phone, serving
from tests.factories import make_shop


async def next_push(events: aiohttp.ClientResponse, seconds: float = 15) -> dict[str, Any]:
    """The next "push" event of the stream, its data as JSON (comments skipped)."""

    async def read() -> dict[str, Any]:
        kind = ""
        while True:
            line = (await events.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "push":
                data: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return data

    return await asyncio.wait_for(read(), seconds)


def test_a_signed_in_page_gets_the_approval_card_live_then_its_decided_replacement_and_strangers_get_401(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    set_rule(uow, admin, "purchase_order", "1000", ["manager"])
    token = create_login_link(uow, admin, "manager-1").code

    async def scenario(server: Server, open_browser: Callable[[], Browser]) -> None:
        stranger = open_browser()
        status, _, _ = await stranger.open("/chat/events")
        assert status == 401
        boss = open_browser()
        await boss.sign_in(token)
        async with boss.http.get(server.url + "/chat/events") as events:
            assert events.status == 200 and events.headers["Content-Type"] == "text/event-stream"
            order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", "40")])
            assert submit_purchase_order(uow, shop.purchaser, order.number).status == "pending_approval"
            [request] = pending_for(uow, shop.manager)
            card = await next_push(events)
            assert card["text"] == f"🔔 待审批：采购单 {order.number}，金额 ¥1,800.00（第 1/1 级，manager）。"
            assert card["topic"] == f"approval:{request.request_id}"
            assert [b["data"] for row in card["buttons"] for b in row] == [
                f"ap:{request.request_id}:y", f"ap:{request.request_id}:n"]
            decide(uow, admin, request.request_id, True)
            decided = await next_push(events)
            assert decided["topic"] == card["topic"] and decided["buttons"] == []
            assert decided["text"].startswith(f"✅ 采购单 {order.number}，金额 ¥1,800.00：system 已于 ")
        assert not any("待审批" in text for text in await boss.say("帮助")), "a push is shown once"

    run(db_url, scenario)


def test_on_a_phone_a_low_stock_push_appears_live_and_a_newer_one_takes_its_place(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    chromium()
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 60, "9.5"), LineIn("LAMP", 60, "40")])
    for sku in ("RETRO-CLOCK", "LAMP"):
        set_reorder_rule(uow, shop.purchaser, sku, "MAIN", "50", "100")
    token = create_login_link(uow, admin, "manager-1").code
    with serving(db_url) as url, browser() as launched:
        page = phone(launched, url, token)
        page.wait_for_selector("body[data-push=open]")
        issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 15)])
        warning = page.locator('.msg[data-topic="low_stock"]')
        warning.wait_for()
        assert warning.inner_text() == ("⚠️ 库存不足（1 个商品）：\n• RETRO-CLOCK 复古闹钟（MAIN）可用 45，最低 50\n"
                                        "📦 库存预警")
        issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 20)])
        page.locator('.msg[data-topic="low_stock"]', has_text="LAMP").wait_for()
        assert page.locator('.msg[data-topic="low_stock"]').count() == 1
        assert "RETRO-CLOCK" not in page.locator('.msg[data-topic="low_stock"]').inner_text()
        width = page.evaluate("document.querySelector('.msg[data-topic=\"low_stock\"]').getBoundingClientRect().right")
        assert width <= 390
