"""Outbox drain: time to deliver 10,000 notifications through the server's dispatcher (bot.composition.build_dispatcher
with the [delivery] settings of config.example.toml) and the real Telegram client (python-telegram-bot, via
bot.channels.telegram.TelegramChannel with the example's [telegram] settings) to a fake Bot API in a process of its
own, spread over 1,000 chats.

The allowed rate is the one jxc is configured with by default: [delivery] telegram_per_second (30 a second, Telegram's
own limit; 10,000 notes in about 333 s) and 1 a second per chat. JXC_BENCH_OUTBOX_PACE measures against another pace
instead (the Telegram channel's own limiter is set to it too). Goal: achieved rate at least 0.9 of the allowed rate,
and nothing sent twice. A second, shorter run with the pace lifted (JXC_BENCH_OUTBOX_PROBE_PACE, 1,000 a second, the
most 1,000 chats allow) shows the highest rate the dispatcher reaches on this machine.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks.common import Backend, database
from bot.channels import InFlight
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.composition import build_dispatcher
from bot.delivery import Dispatcher, TelegramSender
from bot.engine.engine import Engine
from bot.engine.texts import Texts
from core.config import Config, load_config
from core.integration.outbox import Note, write_notes
from core.models import ChatAccount, Employee, Notification
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = load_config(str(ROOT / "config.example.toml"), environ={})
CONFIGURED = float(EXAMPLE.get("delivery", "telegram_per_second", 30))
ROWS = int(os.environ.get("JXC_BENCH_OUTBOX_ROWS", "10000"))
PACE = float(os.environ.get("JXC_BENCH_OUTBOX_PACE", "0") or 0) or CONFIGURED
PROBE_ROWS = int(os.environ.get("JXC_BENCH_OUTBOX_PROBE_ROWS", "3000"))
PROBE_PACE = float(os.environ.get("JXC_BENCH_OUTBOX_PROBE_PACE", "1000"))
CHATS = 1000
GOAL = 0.9
PARALLEL = 2  # batches in flight, as the server's sweep job runs it


def seed(uow: UnitOfWork, chats: int, rows: int, first_chat: int = 500_000) -> int:
    """`chats` employees each bound to a Telegram chat, and `rows` notes for them taken in turn; the last note id."""
    now = datetime.now(UTC)

    def people(tx: object) -> list[int]:
        session = tx.session  # type: ignore[attr-defined]
        ids = list(session.scalars(insert(Employee).returning(Employee.id, sort_by_parameter_order=True), [
            {"name": f"reader-{n:05d}", "language": "zh_CN" if n % 2 else "en", "active": True, "created_at": now}
            for n in range(chats)]))
        session.execute(insert(ChatAccount), [
            {"channel": "telegram", "external_user_id": str(first_chat + n), "chat_id": str(first_chat + n),
             "employee_id": employee_id, "created_at": now} for n, employee_id in enumerate(ids)])
        return ids

    ids = uow.run(people)  # type: ignore[arg-type]
    for start in range(0, rows, 2000):
        uow.run(lambda tx, start=start: write_notes(tx, [
            Note("transfer_awaiting_receipt", ids[n % len(ids)],
                 {"number": f"TR-2026-{n:06d}", "from": "MAIN", "to": "NORTH", "lines": 3},
                 f"transfer_awaiting_receipt:TR-2026-{n:06d}")
            for n in range(start, min(start + 2000, rows))]))
    return len(ids)


def channel_settings(fake_token: str, api_base_url: str, api_file_url: str, per_second: float,
                     chat_per_second: float = 0) -> TelegramSettings:
    """The example config's [telegram] settings pointed at the fake, with its overall limit at `per_second`."""
    section = {**EXAMPLE.section("telegram"), "token": fake_token, "webhook_secret": "bench",
               "public_url": "https://bench.example.com", "api_base_url": api_base_url, "api_file_url": api_file_url,
               "overall_per_second": per_second, "chat_per_second": chat_per_second}
    return TelegramSettings.from_section(section)


async def telegram_sender(uow: UnitOfWork, fake_token: str, api_base_url: str, api_file_url: str,
                          per_second: float) -> tuple[TelegramSender, TelegramChannel]:
    """The production Telegram channel used for sending only (its own per-chat pacing off: the dispatcher paces)."""
    settings = channel_settings(fake_token, api_base_url, api_file_url, per_second)
    channel = TelegramChannel(Engine(uow, Texts(), [], []), settings, [], InFlight())
    await channel.app.initialize()
    return TelegramSender(channel), channel


@dataclass(frozen=True)
class Result:
    backend: str
    rows: int
    seconds: float
    allowed: float
    duplicates: int
    unsent: int

    @property
    def achieved(self) -> float:
        return self.rows / self.seconds

    @property
    def ratio(self) -> float:
        return self.achieved / self.allowed


class FakeProcess:
    """The fake Bot API in a process of its own (a real Telegram is not on our CPU either); on stop it hands back
    what was sent, as "chat|text" lines."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.token = FakeTelegram.token
        self.process = subprocess.Popen([sys.executable, "-m", "benchmarks.outbox_drain", "--fake", str(directory)],
                                        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.api_base_url = f"http://127.0.0.1:{self.port}/bot"
        self.api_file_url = f"http://127.0.0.1:{self.port}/file/bot"

    def stop(self) -> list[str]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)
        return (self.directory / "sent.txt").read_text().splitlines()


def serve_fake(directory: Path) -> None:
    """Run the fake Bot API until SIGTERM, then write every sent message to sent.txt."""

    async def serve() -> None:
        fake = await FakeTelegram().start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(fake.port, flush=True)
        await stop.wait()
        (directory / "sent.txt").write_text("".join(f"{c.chat_id}|{c.text}\n" for c in fake.sent()))
        await fake.stop()

    asyncio.run(serve())


def server_dispatcher(uow: UnitOfWork, channel: TelegramChannel, pace: float) -> Dispatcher:
    """The dispatcher `jxc serve` builds for this channel from the example config, at `pace` a second."""
    sections = {name: dict(EXAMPLE.section(name)) for name in ("delivery", "scheduler")}
    sections["delivery"]["telegram_per_second"] = pace
    return build_dispatcher(uow, Texts(), [channel], Config(sections=sections))


async def _drain(uow: UnitOfWork, fake: FakeProcess, pace: float) -> float:
    """Seconds from the first claim until nothing is left, through the server's channel and dispatcher (the
    channel's per-chat pacing is on, as in the server: chat_per_second from the example config)."""
    settings = channel_settings(fake.token, fake.api_base_url, fake.api_file_url, pace,
                                float(EXAMPLE.get("telegram", "chat_per_second", 1)))
    channel = TelegramChannel(Engine(uow, Texts(), [], []), settings, [], InFlight())
    await channel.app.initialize()
    dispatcher = server_dispatcher(uow, channel, pace)
    try:
        started = time.perf_counter()
        await dispatcher.drain(parallel=PARALLEL)
        return time.perf_counter() - started
    finally:
        await channel.app.shutdown()


def measure(backend: Backend, rows: int = ROWS, pace: float = PACE, name: str = "outbox_drain") -> Result:
    with database(backend, name) as db:
        seed(db.uow, min(CHATS, rows), rows)
        with tempfile.TemporaryDirectory(prefix="jxc-fake-") as directory:
            fake = FakeProcess(Path(directory))
            try:
                seconds = asyncio.run(_drain(db.uow, fake, pace))
            finally:
                sent = fake.stop()
        unsent: int = db.uow.read(lambda tx: tx.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.status != "sent"))) or 0
    duplicates = sum(n - 1 for n in Counter(sent).values())
    assert len(set(sent)) == rows - unsent
    return Result(backend.name, rows, seconds, pace, duplicates, unsent)


def main(backends: Sequence[Backend]) -> None:
    source = "the configured default, [delivery] telegram_per_second" if PACE == CONFIGURED \
        else f"JXC_BENCH_OUTBOX_PACE (configured default {CONFIGURED:.0f}/s)"
    print(f"outbox drain: allowed {PACE:.0f}/s overall ({source}), 1/s per chat", flush=True)
    results, probes = [], []
    for backend in backends:
        r = measure(backend)
        results.append(r)
        print(f"outbox drain {r.backend}: {r.rows} notes in {r.seconds:.1f} s = {r.achieved:.1f}/s, allowed "
              f"{r.allowed:.0f}/s, ratio {r.ratio:.3f}; sent twice {r.duplicates}, not sent {r.unsent}", flush=True)
        if PROBE_ROWS > 0:
            p = measure(backend, PROBE_ROWS, PROBE_PACE, "outbox_drain_probe")
            probes.append(p)
            print(f"outbox drain {p.backend}, pace lifted to {p.allowed:.0f}/s: {p.rows} notes in {p.seconds:.1f} s "
                  f"= {p.achieved:.0f}/s (highest rate reached); sent twice {p.duplicates}, not sent {p.unsent}",
                  flush=True)
    print("outbox drain (achieved / allowed rate, goal >= 0.9, none twice): "
          + ", ".join(f"{r.backend} {r.ratio:.2f}{'' if r.duplicates == 0 else ' DUPLICATES'}" for r in results)
          + ("; highest rate reached: " + ", ".join(f"{p.backend} {p.achieved:.0f}/s" for p in probes)
             if probes else ""))


if __name__ == "__main__" and sys.argv[1:2] == ["--fake"]:
    serve_fake(Path(sys.argv[2]))
