"""The browser chat's camera control and a label's browser link: in real Chromium on a phone viewport, a photo chosen
with the page's <input type=file capture> is uploaded, read on the server and taken by what the person is doing;
/i/<SKU> opens the card in the chat or asks to sign in. Refusals of the upload route through an aiohttp client."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import aiohttp

from core.catalog.products import NewProduct, create_product
from core.models import InboxMessage, SalesOrderLine
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_login_link
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.test_web_chat_browser import (
    answers_so_far,
    browser,
    chromium,
    last_reply,
    phone,
    press,
    say,
    serving,
)
from tests.factories import make_shop
from tests.integration.chat_shop import rows
from tests.pictures import Code, blank_photo, photo

KETTLE = Code("6908888000027", "EAN13")


def kettle_shop(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("KETTLE", "电水壶", "Kettle", purchase_price="10", sale_price="25",
                                          floor_price="18", barcodes=("6908888000027",)))
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("KETTLE", 30, "10")])


def upload(page: object, path: Path) -> object:
    before = answers_so_far(page)
    page.set_input_files("#photo", str(path))  # type: ignore[attr-defined]
    return last_reply(page, before)


def test_on_a_phone_a_photo_opens_the_card_then_becomes_an_order_line_and_a_blank_one_changes_nothing(
    db_url: str, uow: UnitOfWork, admin: Actor, tmp_path: Path
) -> None:
    chromium()
    kettle_shop(uow, admin)
    token = create_login_link(uow, admin, "sales-1").code
    shot, blank = tmp_path / "kettle.jpg", tmp_path / "shelf.jpg"
    shot.write_bytes(photo([KETTLE]))
    blank.write_bytes(blank_photo())
    with serving(db_url) as url, browser() as launched:
        page = phone(launched, url, token)
        camera = page.locator("#camera")
        assert camera.inner_text() == "📷 扫码" and page.get_attribute("#photo", "capture") == "environment"
        assert page.get_attribute("#photo", "accept") == "image/*"
        assert camera.bounding_box()["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing scrolls sideways"

        card = upload(page, shot).inner_text()
        assert card.startswith("KETTLE 电水壶") and re.search(r"MAIN\s+30\b", card) and "成本" not in card
        assert page.locator(".msg.mine").last.inner_text() == "📷 图片"
        assert press(page, "开销售单").inner_text().startswith("新销售单。请输入客户")
        say(page, "ACME")
        press(page, "MAIN")
        line = upload(page, shot).inner_text()
        assert "KETTLE" in line and "电水壶" in line
        before = rows(uow, SalesOrderLine, InboxMessage)
        assert "没有读到条码" in upload(page, blank).inner_text()
        assert rows(uow, SalesOrderLine) == before[:1]
        page.reload()
        assert page.locator(".msg.mine").all_inner_texts()[-2:] == ["📷 6908888000027", "📷"]


def test_the_browser_link_of_a_label_opens_the_card_or_asks_to_sign_in(
    db_url: str, uow: UnitOfWork, admin: Actor
) -> None:
    chromium()
    kettle_shop(uow, admin)
    token = create_login_link(uow, admin, "warehouse-1").code
    with serving(db_url) as url, browser() as launched:
        stranger = launched.new_context(locale="en-US").new_page()
        stranger.goto(f"{url}/i/KETTLE")
        assert "Please sign in" in stranger.locator("body").inner_text()
        page = phone(launched, url, token)
        page.goto(f"{url}/i/KETTLE")
        assert page.url == f"{url}/chat"
        card = page.locator(".msg.theirs").last
        assert card.inner_text().startswith("KETTLE 电水壶")
        assert card.locator(".keys button").all_inner_texts() == ["收货", "盘点", "调拨"]


def test_the_upload_route_refuses_strangers_forged_pages_bad_ids_and_oversized_pictures(
    db_url: str, uow: UnitOfWork, admin: Actor
) -> None:
    kettle_shop(uow, admin)
    token = create_login_link(uow, admin, "sales-1").code

    async def scenario(url: str) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(f"{url}/chat/photo", data=photo([KETTLE])) as response:
                assert response.status == 401
            async with http.get(f"{url}/chat/login", params={"token": token}) as response:
                page = await response.text()
            csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            good = {"X-CSRF-Token": csrf, "X-Message-Id": str(uuid.uuid4()), "Content-Type": "image/jpeg"}
            async with http.post(f"{url}/chat/photo", data=b"x", headers=good | {"X-CSRF-Token": "forged"}) as r:
                assert r.status == 403
            async with http.post(f"{url}/chat/photo", data=b"x", headers=good | {"X-Message-Id": "no"}) as r:
                assert r.status == 400
            huge = b"\xff" * (10 * 1024 * 1024 + 1)
            async with http.post(f"{url}/chat/photo", data=huge, headers=good) as r:
                assert r.status == 413 and (await r.json())["error"] == "photo_too_large"
            inbox = rows(uow, InboxMessage)
            async with http.post(f"{url}/chat/photo", data=photo([KETTLE]), headers=good) as r:
                answer = await r.json()
            assert answer["replies"][0]["text"].startswith("KETTLE 电水壶")
            async with http.post(f"{url}/chat/photo", data=photo([KETTLE]), headers=good) as r:
                assert (await r.json())["inbox_id"] == answer["inbox_id"], "a retried upload is recorded once"
            assert rows(uow, InboxMessage) == (inbox[0] + 1,)

    with serving(db_url) as url:
        asyncio.run(scenario(url))
