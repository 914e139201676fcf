"""Our real server (composition root, aiohttp on a random port) with Telegram pointed at the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import update

from bot.composition import AppParts, build_app_parts
from bot.engine.engine import Engine
from bot.engine.flow import Command, Context, Event, Flow, Step
from bot.engine.replies import Attachment, Reply, buttons
from bot.flows import COMMANDS, default_flows
from bot.server import build_app, make_runner
from core.config import Config
from core.models import InboxMessage
from core.uow import Tx, UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, button_update, message_update

SECRET = "s3cret_Webhook-token"
_update_ids = itertools.count(900_000, 7)


class LongFlow(Flow):
    """Test-only: a reply far over Telegram's 4096 characters, with a button, then an image and a file."""

    name = "long"
    key = "ln"

    def start(self, ctx: Context, args: str) -> Step:
        lines = [f"{n:04d} RETRO-CLOCK 复古闹钟 " + "·" * 60 for n in range(150)]
        return Step([
            Reply("\n".join(lines), buttons([("OK", "ln:ok")])),
            Reply("月报 chart", image=Attachment("chart.png", b"\x89PNG fake", "image/png")),
            Reply("对账单", file=Attachment("statement.csv", b"sku,qty\nRETRO-CLOCK,12\n", "text/csv")),
        ])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        return self.start(ctx, "")

    def button(self, ctx: Context, payload: str) -> Step:
        return Step([Reply("ok")])


@dataclass
class Stack:
    """Our server (composition root, real aiohttp) on a random port, talking to the fake Bot API."""

    fake: FakeTelegram
    parts: AppParts
    runner: web.AppRunner
    url: str
    http: aiohttp.ClientSession

    @property
    def engine(self) -> Engine:
        return self.parts.engine

    async def post(self, body: Any, secret: str | None = SECRET, raw: bytes | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with self.http.post(f"{self.url}/telegram/webhook", headers=headers, **kwargs) as response:
            return response.status

    async def settle(self) -> None:
        await self.parts.in_flight.wait(20)

    async def say(self, user: int, text: str) -> list[str]:
        """Send text as `user`, wait for the work to finish, return the texts the bot sent back."""
        return await self._exchange(user, message_update(next(_update_ids), user, text))

    async def press(self, user: int, data: str) -> list[str]:
        return await self._exchange(user, button_update(next(_update_ids), user, data))

    def button(self, user: int, label: str) -> str:
        for call in reversed(self.fake.sent(user)):
            for row in call.buttons:
                for text, data in row:
                    if label in text:
                        return data
        raise AssertionError(f"no button {label!r} sent to {user}")

    async def _exchange(self, user: int, update: dict[str, Any]) -> list[str]:
        before = len(self.fake.sent(user))
        assert await self.post(update) == 200
        await self.settle()
        return self.fake.texts(user)[before:]

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.http.close()


def config_for(db_url: str, fake: FakeTelegram, extra: dict[str, dict[str, Any]] | None = None,
               **telegram: Any) -> Config:
    section = {"token": fake.token, "mode": "webhook", "webhook_secret": SECRET, "api_base_url": fake.api_base_url,
               "api_file_url": fake.api_file_url, "chat_per_second": 0, "poll_timeout": 1} | telegram
    return Config(sections={"database": {"url": db_url}, "server": {"public_url": "https://jxc.example.com"},
                            "telegram": section, "company": {"timezone": "Asia/Shanghai"}} | (extra or {}))


async def start_stack(db_url: str, fake: FakeTelegram, *, background: bool = False,
                      extra: dict[str, dict[str, Any]] | None = None, **telegram: Any) -> Stack:
    """With `background`, the outbox dispatcher and the scheduler run too, as under `jxc serve`."""
    commands = [*COMMANDS, Command("long", ("longtest",), "test only", menu=False)]
    parts = build_app_parts(config_for(db_url, fake, extra, **telegram), flows=[*default_flows(), LongFlow()],
                            commands=commands)
    runner = make_runner(build_app(parts, background=background))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return Stack(fake, parts, runner, f"http://127.0.0.1:{port}", aiohttp.ClientSession())


def run(scenario: Callable[[FakeTelegram], Awaitable[None]]) -> None:
    """Run a scenario with a fresh fake Bot API in its own event loop."""

    async def main() -> None:
        fake = await FakeTelegram().start()
        try:
            await scenario(fake)
        finally:
            await fake.stop()

    asyncio.run(main())


def expire_leases(uow: UnitOfWork) -> None:
    """What a dead process left unanswered: it stopped renewing, and the leases have run out."""
    def work(tx: Tx) -> None:
        tx.session.execute(update(InboxMessage).where(InboxMessage.status != "replied")
                           .values(lease_until=tx.now - timedelta(seconds=1)))

    uow.run(work)
