"""Two `jxc serve` processes on one PostgreSQL database, no proxy in front: one conversation goes on seamlessly
whichever process each message reaches, and an update posted to both at once has one effect.

Everything the processes share lives in the database: the inbox, the conversation state, the web sessions."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from core.catalog.products import products_in, warehouse_in
from core.ledger.check import check_ledger
from core.models import InboxMessage, SalesOrder, StockDocument, StockLevel
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite, create_login_link
from core.people.employees import load_actor
from core.permissions import Actor
from core.sales.orders import get_sales_order
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, button_update, message_update
from tests.e2e.served import Served, free_port, start_served, stop_served
from tests.e2e.stack import SECRET
from tests.factories import Shop, make_shop

SELLER = 7101  # the salesperson's Telegram user (and private chat) id


Process = Served


Extra = dict[str, dict[str, Any]]  # more keys of [server], [telegram] or [scheduler]


def _more(extra: Extra | None, section: str) -> str:
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in (extra or {}).get(section, {}).items())


def _sections(extra: Extra | None) -> str:
    """Sections of `extra` the config does not have: appended whole."""
    return "".join(f"\n[{name}]\n{_more(extra, name)}" for name in (extra or {})
                   if name not in ("server", "telegram", "scheduler"))


def write_config(tmp_path: Path, name: str, db_url: str, port: int, fake: FakeTelegram, extra: Extra | None = None
            ) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f"""
[database]
url = {json.dumps(db_url)}
pool_size = 4

[company]
timezone = "Asia/Shanghai"

[server]
host = "127.0.0.1"
port = {port}
public_url = "https://jxc.example.com"
shutdown_timeout = 5
{_more(extra, "server")}
[telegram]
token = {json.dumps(fake.token)}
mode = "webhook"
webhook_secret = {json.dumps(SECRET)}
api_base_url = {json.dumps(fake.api_base_url)}
api_file_url = {json.dumps(fake.api_file_url)}
chat_per_second = 0
{_more(extra, "telegram")}
[scheduler]
enabled = true
backup_dir = {json.dumps(str(tmp_path / name))}
{_more(extra, "scheduler")}{_sections(extra)}""", encoding="utf-8")
    return path


async def start_server(tmp_path: Path, name: str, db_url: str, fake: FakeTelegram, extra: Extra | None = None
                       ) -> Process:
    """`jxc serve` as a child process, once /healthz answers; `extra` adds keys to its config's sections."""
    port = free_port()
    config = write_config(tmp_path, name, db_url, port, fake, extra)
    return await start_served(name, config, port, tmp_path / f"{name}.log", tmp_path)


def stop_server(process: Process) -> None:
    stop_served(process, 15)


@dataclass
class Browser:
    """A signed-in browser whose every message goes to the server it is pointed at: its cookie and CSRF token
    were issued by one process and must work on the other."""

    http: aiohttp.ClientSession
    cookie: str = ""
    csrf: str = ""
    last: list[dict[str, Any]] = field(default_factory=list)

    async def sign_in(self, server: Process, token: str) -> None:
        async with self.http.get(f"{server.url}/chat/login?token={token}", allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (303, "/chat")
            self.cookie = response.cookies["jxc_session"].value
        async with self.http.get(f"{server.url}/chat", headers={"Cookie": f"jxc_session={self.cookie}"}) as page:
            assert page.status == 200
            self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', await page.text())[1]  # type: ignore[index]

    async def post(self, server: Process, body: dict[str, str]) -> list[str]:
        headers = {"Cookie": f"jxc_session={self.cookie}", "X-CSRF-Token": self.csrf}
        async with self.http.post(f"{server.url}/chat/send", json=body, headers=headers) as response:
            answer = await response.json()
            assert response.status == 200, (server.name, answer)
        self.last = answer["replies"]
        return [r["text"] for r in self.last]

    async def say(self, server: Process, text: str) -> list[str]:
        return await self.post(server, {"id": str(uuid.uuid4()), "text": text})

    async def press(self, server: Process, label: str) -> list[str]:
        data = next(b["data"] for r in self.last for row in r["buttons"] for b in row if label in b["label"])
        return await self.post(server, {"id": str(uuid.uuid4()), "button": data})


async def webhook(http: aiohttp.ClientSession, server: Process, update: dict[str, Any]) -> int:
    async with http.post(f"{server.url}/telegram/webhook", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        return response.status


async def exchange(http: aiohttp.ClientSession, uow: UnitOfWork, fake: FakeTelegram, server: Process,
                   update: dict[str, Any]) -> list[str]:
    """Post one update to `server`; once its replies are marked sent, the texts the seller got for it."""
    before = len(fake.texts(SELLER))
    assert await webhook(http, server, update) == 200
    await replied(uow, update["update_id"])
    return fake.texts(SELLER)[before:]


async def replied(uow: UnitOfWork, update_id: int) -> None:
    """Wait until the update's replies were all sent (its inbox row is marked replied)."""
    query = select(InboxMessage.status).where(InboxMessage.channel == "telegram",
                                              InboxMessage.external_id == str(update_id))
    for _ in range(400):
        if uow.read(lambda tx: tx.session.scalar(query)) == "replied":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"update {update_id} was never answered")


def button_of(fake: FakeTelegram, label: str) -> str:
    for call in reversed(fake.sent(SELLER)):
        for row in call.buttons:
            for text, data in row:
                if label in text:
                    return data
    raise AssertionError(f"no button {label!r} sent to the seller")


def reserved_in_main(tx: Tx) -> dict[str, Decimal]:
    """Reserved quantity per SKU in MAIN, as the books hold it."""
    found = products_in(tx, ["RETRO-CLOCK", "TEA-CUP", "LAMP"])
    rows = dict(tx.session.execute(select(StockLevel.product_id, StockLevel.reserved).where(
        StockLevel.warehouse_id == warehouse_in(tx, "MAIN").id)).all())
    return {sku: rows.get(product.id, Decimal(0)) for sku, product in found.items()}


def orders(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: int(tx.session.scalar(select(func.count()).select_from(SalesOrder)) or 0))


@pytest.fixture
def shop(pg_uow: UnitOfWork) -> Iterator[Shop]:
    admin: Actor = load_actor(pg_uow, "system")
    shop = make_shop(pg_uow, admin)
    create_customer(pg_uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(pg_uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3")])
    yield shop


def test_one_conversation_goes_on_alternately_through_two_server_processes(
        shop: Shop, pg_url: str, tmp_path: Path) -> None:
    uow = shop.uow
    login = create_login_link(uow, shop.admin, "sales-1").code
    invite = create_invite(uow, shop.admin, "sales-1").code

    async def scenario() -> None:
        fake = await FakeTelegram().start()
        a = b = None
        try:
            a = await start_server(tmp_path, "server-a", pg_url, fake)
            b = await start_server(tmp_path, "server-b", pg_url, fake)
            assert a.child.pid != b.child.pid and a.url != b.url
            async with aiohttp.ClientSession() as http:
                # The browser: signed in through A, every other message to B.
                browser = Browser(http)
                await browser.sign_in(a, login)
                assert await browser.say(b, "开单") == ["新销售单。请输入客户名称或编码的一部分："]
                assert (await browser.say(a, "ACME"))[0].startswith("客户：ACME Acme Trading。从哪个仓库发货？")
                assert (await browser.press(b, "MAIN"))[0].startswith("请输入一行")
                assert "1. RETRO-CLOCK 复古闹钟 × 2 @ 25.00 = ¥50.00" in (await browser.say(a, "RETRO-CLOCK 2"))[0]
                line_two = (await browser.say(b, "TEA-CUP 10 7.5"))[0]
                assert "2. TEA-CUP 青花茶杯 × 10 @ 7.50 = ¥75.00" in line_two and "合计：¥125.00" in line_two
                confirm = (await browser.press(a, "完成"))[0]
                assert confirm.startswith("请确认销售单：\n客户：ACME Acme Trading\n仓库：MAIN")
                assert "¥125.00" in confirm
                done = (await browser.press(b, "提交"))[0]
                number = re.search(r"SO-\d{4}-\d{6}", done)[0]  # type: ignore[index]
                assert done.startswith(f"销售单 {number} 已审批，库存已预留。")
                assert await browser.say(a, "取消") == ["当前没有进行中的操作。"], "the conversation ended"

                # Telegram: the same person, each update to the other process; the last one to both at once.
                ids = iter(range(5_000_000, 5_001_000))
                say = message_update
                await exchange(http, uow, fake, a, say(next(ids), SELLER, f"/start {invite}"))
                answer = await exchange(http, uow, fake, b, say(next(ids), SELLER, "开单 ACME"))
                assert "从哪个仓库发货" in answer[0], answer
                await exchange(http, uow, fake, a, button_update(next(ids), SELLER, button_of(fake, "MAIN")))
                answer = await exchange(http, uow, fake, b, say(next(ids), SELLER, "LAMP 0"))
                assert "不能为 0" in answer[0], "a bad line is explained and the state is kept"
                answer = await exchange(http, uow, fake, a, say(next(ids), SELLER, "RETRO-CLOCK 1 箱"))
                assert "1. RETRO-CLOCK 复古闹钟 × 12 @ 25.00 = ¥300.00" in answer[0], answer
                answer = await exchange(http, uow, fake, b, button_update(next(ids), SELLER, button_of(fake, "完成")))
                assert answer[0].startswith("请确认销售单：") and "¥300.00" in answer[0], answer
                submit = button_update(next(ids), SELLER, button_of(fake, "提交"))
                orders_before, seen = orders(uow), len(fake.texts(SELLER))
                statuses = await asyncio.gather(webhook(http, a, submit), webhook(http, b, submit))
                assert statuses == [200, 200]
                await replied(uow, submit["update_id"])
                await asyncio.sleep(1)  # time enough for a second answer, were there one
                answer = fake.texts(SELLER)[seen:]
                assert len(answer) == 1 and "已审批，库存已预留" in answer[0], answer
                assert orders(uow) == orders_before + 1, "the update posted to both processes made one order"
                telegram_number = re.search(r"SO-\d{4}-\d{6}", answer[0])[0]  # type: ignore[index]
        finally:
            for process in (a, b):
                if process is not None:
                    stop_server(process)
            await fake.stop()
        assert fake.texts(SELLER)[-1] == answer[0], "nothing else was sent after the stop"
        browser_order = get_sales_order(uow, shop.manager, number)
        assert (browser_order.status, browser_order.channel, browser_order.total) == ("approved", "web", 125)
        assert [(ln.sku, ln.qty) for ln in browser_order.lines] == [("RETRO-CLOCK", 2), ("TEA-CUP", 10)]
        telegram_order = get_sales_order(uow, shop.manager, telegram_number)
        assert (telegram_order.status, telegram_order.channel, telegram_order.total) == ("approved", "telegram", 300)
        assert orders(uow) == 2
        reservations = uow.read(lambda tx: tx.session.scalar(
            select(func.count()).select_from(StockDocument).where(StockDocument.kind == "so_reservation")))
        assert reservations == 2, "each order reserved its stock once"
        assert uow.read(reserved_in_main) == {"RETRO-CLOCK": 14, "TEA-CUP": 10, "LAMP": 0}
        assert uow.read(check_ledger) == []
        both = uow.read(lambda tx: tx.session.scalar(select(func.count()).select_from(InboxMessage).where(
            InboxMessage.channel == "telegram", InboxMessage.external_id == str(submit["update_id"]))))
        assert both == 1

    asyncio.run(scenario())

