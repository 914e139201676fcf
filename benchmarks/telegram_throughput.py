"""Telegram throughput: updates per second through the whole stack (webhook route, inbox commit, flow, core query,
reply sent to a fake Bot API) against a bare python-telegram-bot echo bot on the same harness, in the same run.

Both servers run in this process with the fake Bot API and the HTTP client that plays Telegram, so they share
the CPU alike. The bare bot is PTB's Application with a MessageHandler that echoes, fed the same updates through
an aiohttp webhook route that hands them to `process_update` and answers 200. Telegram's pacing (30 a second,
1 per chat) is turned off on our side for the measurement: the fake has no limits and the bare bot has no
limiter; AIORateLimiter stays installed, so its overhead counts.

Throughput: N updates posted by 16 concurrent clients; time until the fake has received all N replies.
Latency: updates posted open-loop at half our measured rate, each reply matched to its update by chat and order.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from benchmarks.common import Backend, Database, add_products, database
from bot.channels import InFlight
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.composition import AppParts, build_books, build_chat_engine
from bot.server import build_app, make_runner
from core.config import Config
from core.people.accounts import create_invite, redeem_invite
from core.stock.moves import LineIn, receive_stock
from tests.e2e.fake_telegram import FakeTelegram, message_update

SECRET = "bench-secret"
CHATS = 32
CLIENTS = 16
PRODUCTS = 50


@dataclass(frozen=True)
class Run:
    per_second: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Result:
    backend: str
    ours: Run
    bare: Run

    @property
    def ratio(self) -> float:
        return self.ours.per_second / self.bare.per_second


class Target:
    """A server under test: where to POST updates, and how to stop it."""

    def __init__(self, url: str, headers: dict[str, str], stop: Callable[[], Awaitable[None]]) -> None:
        self.url, self.headers, self.stop = url, headers, stop


async def start_ours(db: Database, fake: FakeTelegram) -> Target:
    config = Config(sections={"database": {"url": db.engine.url.render_as_string(hide_password=False)}})
    books = build_books(config)  # its own engine and pool, as `jxc serve` builds them
    engine = build_chat_engine(books)
    in_flight = InFlight()
    settings = TelegramSettings(token=fake.token, webhook_secret=SECRET, public_url="https://bench.example.com",
                                api_base_url=fake.api_base_url, api_file_url=fake.api_file_url,
                                overall_per_second=0, group_per_minute=0, chat_per_second=0)
    channel = TelegramChannel(engine, settings, engine.commands, in_flight)
    parts = AppParts(config=config, books=books, engine=engine, in_flight=in_flight, channels=[channel])
    app = build_app(parts)
    runner = make_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram/webhook"
    return Target(url, {"X-Telegram-Bot-Api-Secret-Token": SECRET}, runner.cleanup)


async def start_bare(fake: FakeTelegram) -> Target:
    """python-telegram-bot alone: an echo handler behind the thinnest webhook route."""
    bot_app = Application.builder().token(fake.token).base_url(fake.api_base_url).updater(None).build()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    bot_app.add_handler(MessageHandler(filters.TEXT, echo))
    await bot_app.initialize()
    tasks: set[asyncio.Task[None]] = set()

    async def route(request: web.Request) -> web.Response:
        update = Update.de_json(await request.json(), bot_app.bot)
        task = asyncio.create_task(bot_app.process_update(update))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.Response(text="ok")

    web_app = web.Application()
    web_app.router.add_post("/webhook", route)
    runner = make_runner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()

    async def stop() -> None:
        await runner.cleanup()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await bot_app.shutdown()

    return Target(f"http://127.0.0.1:{runner.addresses[0][1]}/webhook", {}, stop)


async def throughput(target: Target, fake: FakeTelegram, updates: list[dict[str, Any]]) -> float:
    """Updates per second: all posted by CLIENTS concurrent clients, until every reply reached the fake."""
    before = len(fake.sent())
    queue = iter(updates)
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:

        async def client() -> None:
            for update in queue:
                async with http.post(target.url, json=update, headers=target.headers) as response:
                    assert response.status == 200, response.status

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
        await fake.wait_sent(before + len(updates), timeout=300)
    return len(updates) / (time.perf_counter() - started)


async def latency(
    target: Target, fake: FakeTelegram, updates: list[dict[str, Any]], rate: float
) -> tuple[float, float]:
    """p50 and p99 in milliseconds from posting an update to its reply reaching the fake, posted at `rate`/s."""
    before = len(fake.sent())
    posted: dict[str, list[float]] = {}
    start = time.monotonic()
    async with aiohttp.ClientSession() as http:

        async def post(update: dict[str, Any]) -> None:
            async with http.post(target.url, json=update, headers=target.headers) as response:
                assert response.status == 200, response.status

        pending = []
        for n, update in enumerate(updates):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            posted.setdefault(str(update["message"]["chat"]["id"]), []).append(time.monotonic())
            pending.append(asyncio.create_task(post(update)))
        await asyncio.gather(*pending)
        await fake.wait_sent(before + len(updates), timeout=300)
    arrived: dict[str, list[float]] = {}
    for call in fake.sent()[before:]:
        arrived.setdefault(call.chat_id, []).append(call.at)
    waits = sorted(1000 * (got - sent) for chat, times in posted.items()
                   for sent, got in zip(times, arrived[chat], strict=True))
    return statistics.median(waits), waits[min(len(waits) - 1, int(len(waits) * 0.99))]


async def measure_async(db: Database, updates_per_run: int, chats: int) -> tuple[Run, Run]:
    skus = add_products(db, "BENCH", PRODUCTS)
    receive_stock(db.uow, db.admin, "MAIN", [LineIn(sku, 100, "1.25") for sku in skus[:10]])
    for n in range(chats):
        code = create_invite(db.uow, db.admin, f"bench-{n}", roles=("sales",)).code
        redeem_invite(db.uow, "telegram", str(10_000 + n), str(10_000 + n), code)
    ids = itertools.count(1)

    def batch(count: int) -> list[dict[str, Any]]:
        return [message_update(next(ids), 10_000 + k % chats, f"库存 {skus[k % 10]}") for k in range(count)]

    fake = await FakeTelegram().start()
    try:
        ours_target = await start_ours(db, fake)
        bare_target = await start_bare(fake)
        try:
            await throughput(ours_target, fake, batch(chats))  # warm up both
            await throughput(bare_target, fake, batch(chats))
            ours_rates, bare_rates = [], []
            for _ in range(2):  # alternate, so that drift hits both alike
                ours_rates.append(await throughput(ours_target, fake, batch(updates_per_run)))
                bare_rates.append(await throughput(bare_target, fake, batch(updates_per_run)))
            ours_rate, bare_rate = max(ours_rates), max(bare_rates)
            ours_lat = await latency(ours_target, fake, batch(updates_per_run // 2), ours_rate / 2)
            bare_lat = await latency(bare_target, fake, batch(updates_per_run // 2), bare_rate / 2)
        finally:
            await ours_target.stop()
            await bare_target.stop()
    finally:
        await fake.stop()
    return Run(ours_rate, *ours_lat), Run(bare_rate, *bare_lat)


def measure(backend: Backend, updates_per_run: int = 300, chats: int = CHATS) -> Result:
    with database(backend, "telegram") as db:
        ours, bare = asyncio.run(measure_async(db, updates_per_run, chats))
    return Result(backend.name, ours, bare)


def report(result: Result) -> str:
    return (f"telegram throughput {result.backend}: jxc {result.ours.per_second:.0f} updates/s "
            f"(p50 {result.ours.p50_ms:.1f} ms, p99 {result.ours.p99_ms:.1f} ms at half rate), bare PTB echo "
            f"{result.bare.per_second:.0f}/s (p50 {result.bare.p50_ms:.1f} ms, p99 {result.bare.p99_ms:.1f} ms), "
            f"ratio {result.ratio:.2f}")


def main(backends: Sequence[Backend]) -> None:
    results = []
    for backend in backends:
        results.append(measure(backend))
        print(report(results[-1]), flush=True)
    print("telegram throughput (jxc whole stack / bare PTB echo, goal >= 0.5): "
          + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
