"""A real browser (Debian's Chromium driven by Playwright) on our real server: what an employee sees on a phone.

Skipped only when /usr/bin/chromium is missing locally; in CI (JXC_TEST_REQUIRE_BROWSER=1) that is a failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.composition import build_app_parts
from bot.server import build_app
from core.config import Config
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_login_link
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import make_shop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
TIMEOUT_MS = 15_000


def chromium() -> str:
    """The browser's path; skip (fail in CI) when it is not installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("JXC_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"JXC_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@contextmanager
def serving(db_url: str) -> Iterator[str]:
    """Our server (composition root, real aiohttp) on a random port of 127.0.0.1, in a thread with its own loop."""
    config = Config(sections={"database": {"url": db_url}, "server": {"public_url": "http://127.0.0.1"},
                              "company": {"timezone": "Asia/Shanghai"}})
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_app(build_app_parts(config)), handle_signals=False)
    address: list[str] = []
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        address.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="jxc-server", daemon=True)
    thread.start()
    assert ready.wait(30), "the server did not start"
    try:
        yield address[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def phone(launched: Any, url: str, token: str) -> Any:
    """A phone-sized page of a new browser context, signed in with a one-time link."""
    context = launched.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{url}/chat/login?token={token}")
    assert page.url == f"{url}/chat"
    return page


ANSWERS = ".msg.theirs[data-inbox], .msg.theirs.error"  # replies to what was sent; a push (SSE) is neither


def answers_so_far(page: Any) -> int:
    """How many replies to sent messages the page shows, once it is not waiting for one: a message sent or a
    button tapped while it waits is dropped by the page, and a push arriving meanwhile is no answer."""
    page.locator("#send:enabled").wait_for()
    return int(page.locator(ANSWERS).count())


def say(page: Any, text: str) -> Any:
    """Type a message, send it, and return the bubble of jxc's last reply."""
    before = answers_so_far(page)
    page.fill("#text", text)
    page.keyboard.press("Enter")
    return last_reply(page, before)


def press(page: Any, label: str) -> Any:
    before = answers_so_far(page)
    page.locator(".keys button", has_text=label).last.click()
    return last_reply(page, before)


def last_reply(page: Any, before: int) -> Any:
    page.locator(ANSWERS).nth(before).wait_for()  # the page draws every reply of a message at once
    return page.locator(ANSWERS).last


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5"), LineIn("TEA-CUP", 40)])
    return uow


def test_on_a_phone_an_employee_signs_in_looks_up_stock_and_switches_to_english_with_a_button(
    db_url: str, shop: UnitOfWork, admin: Actor, tmp_path: Path
) -> None:
    chromium()
    token = create_login_link(shop, admin, "manager-1").code
    with serving(db_url) as url, browser() as launched:
        page = phone(launched, url, token)
        assert page.locator(".msg.theirs").first.inner_text() == "你好，manager-1！发送「帮助」看看可以做什么。"
        assert page.locator("#send").inner_text() == "发送"

        reply = say(page, "库存 RETRO-CLOCK")
        assert reply.locator(".bubble").inner_text().startswith("RETRO-CLOCK 复古闹钟\n售价 25.00 / 个")
        assert reply.locator("tbody td").all_inner_texts() == ["MAIN", "12", "9.50"]
        assert page.locator(".msg.mine").last.inner_text() == "库存 RETRO-CLOCK"

        assert say(page, "语言").inner_text().startswith("请选择语言 / Choose a language:")
        assert page.locator(".msg.theirs").last.locator(".keys button").all_inner_texts() == ["中文", "English"]
        assert press(page, "English").inner_text() == "Language set to English."
        assert page.locator(".msg.mine").last.inner_text() == "English"
        assert page.locator("#send").inner_text() == "Send"
        assert page.locator(".welcome").inner_text() == 'Hello manager-1! Send "help" to see what you can do.'
        assert page.get_attribute("#text", "placeholder") == "Type a message, e.g. stock mug"
        english = say(page, "stock TEA-CUP").inner_text()
        assert "TEA-CUP" in english and "MAIN\t40" in english

        send = page.locator("#send").bounding_box()
        composer = page.locator("#composer").bounding_box()
        assert send["height"] >= 44 and composer["y"] + composer["height"] <= 844, "the send button fits a phone"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing scrolls sideways"
        page.screenshot(path=str(tmp_path / "chat-phone.png"))
        assert (tmp_path / "chat-phone.png").stat().st_size > 10_000

        page.reload()
        assert page.locator(".msg.mine").all_inner_texts() == ["库存 RETRO-CLOCK", "语言", "English", "stock TEA-CUP"]
        assert page.locator("#send").inner_text() == "Send"

        page.locator("#sign-out").click()
        page.wait_for_url(f"{url}/chat")
        assert "jxc login-link" in page.locator("main").inner_text()
        second = page.context.new_page()
        second.goto(f"{url}/chat/login?token={token}")
        assert second.locator("h1").inner_text() == "登录链接无效", "a used link is refused, in Chinese here"



def tap(page: Any, data: str, label_part: str = "", data_end: str = "") -> Any:
    """Tap the newest button whose data starts with `data` (ends with `data_end`, label has `label_part`)."""
    before = answers_so_far(page)
    ending = f'[data-data$="{data_end}"]' if data_end else ""
    button = page.locator(f'.keys button[data-data^="{data}"]{ending}', has_text=label_part).last
    if button.count() == 0:
        raise AssertionError(f"no button {data!r} {label_part!r}; the chat ends with:\n"
                             + "\n---\n".join(page.locator(".msg").all_inner_texts()[-3:]))
    button.click()
    return last_reply(page, before)


@pytest.mark.skipif(importlib.util.find_spec("bot.flows.sales") is None,
                    reason="the sales-order flow (bot.flows.sales) is not in this tree yet")
def test_a_sales_order_placed_with_buttons_is_approved_by_a_manager_in_another_browser_and_stock_is_reserved(
    db_url: str, shop: UnitOfWork, admin: Actor, tmp_path: Path
) -> None:
    chromium()
    create_customer(shop, admin, NewCustomer("C-BLUE", "蓝海百货", salesperson="sales-1"))
    seller_token = create_login_link(shop, admin, "sales-1").code
    manager_token = create_login_link(shop, admin, "manager-1").code
    with serving(db_url) as url, browser() as launched:
        seller = phone(launched, url, seller_token)
        say(seller, "销售单")
        say(seller, "蓝海")
        tap(seller, "so:w", "MAIN")
        lines = say(seller, "RETRO-CLOCK 5 15")
        assert "RETRO-CLOCK" in lines.inner_text()
        tap(seller, "so:done")
        pending = tap(seller, "so:ok").inner_text()
        number = re.search(r"SO-\d{4}-\d{6}", pending)[0]  # type: ignore[index]
        before = say(seller, "库存 RETRO-CLOCK")
        assert before.locator("thead th").all_inner_texts() == ["仓库", "可用"], "nothing is reserved before approval"
        assert before.locator("tbody td").all_inner_texts() == ["MAIN", "12"]

        manager = phone(launched, url, manager_token)
        say(manager, "审批")
        assert number in manager.locator("#log").inner_text()
        decided = tap(manager, "ap:", data_end=":y").inner_text()
        assert number in decided
        manager.screenshot(path=str(tmp_path / "manager-approved.png"))

        say(seller, "库存 RETRO-CLOCK")
        stock = seller.locator(".msg.has-table").nth(1)  # the second stock answer, then the note of the approval
        stock.wait_for()  # the reply is drawn after the send returns: never read the first table twice
        assert stock.locator("thead th").all_inner_texts() == ["仓库", "可用", "已预留"]
        assert stock.locator("tbody td").all_inner_texts() == ["MAIN", "7", "5"]
        after = seller.locator("#log").inner_text()
        assert f"{number}" in after and "已由 manager-1 批准" in after, "the seller is told with their next reply"
        seller.screenshot(path=str(tmp_path / "seller-stock.png"))
