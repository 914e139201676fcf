"""Killing the delivering process with SIGKILL in the middle of a burst loses nothing: a dispatcher (the real
Telegram client through TelegramSender) sends to a fake Bot API on 127.0.0.1 that records what arrives; it is killed
mid-burst and started again, and every note arrives, a second time at most for the few that were in flight."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.integration.outbox import notify
from core.models import Notification
from core.people.accounts import bind_account
from core.people.employees import create_employee
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
READERS = 60
TRANSFERS = 5
CONCURRENCY = 8
PARALLEL = 2
MARK_EVERY = 0.02
IN_FLIGHT = CONCURRENCY * PARALLEL + 5  # sends under way, and those answered in the last mark interval (100/s)
NUMBER = re.compile(r"TR-2026-\d{6}")
LEASE_SECONDS = 3


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The fake Bot API on its own event loop in a thread, so it keeps answering while the test waits."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = asyncio.run_coroutine_threadsafe(FakeTelegram(send_delay=0.01).start(), loop).result(10)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _dispatcher(db_url: str, fake: FakeTelegram) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.test_delivery_kill", db_url, fake.api_base_url, fake.api_file_url],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)


def _wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _unsent(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.status != "sent")))


def test_a_dispatcher_killed_mid_burst_and_restarted_delivers_every_note(
        uow: UnitOfWork, admin: Actor, db_url: str, fake: FakeTelegram) -> None:
    readers = [create_employee(uow, admin, f"reader-{n:02d}", ["warehouse"]) for n in range(READERS)]
    for n in range(READERS):
        bind_account(uow, admin, f"reader-{n:02d}", "telegram", str(7000 + n), str(7000 + n))
    for t in range(TRANSFERS):
        uow.run(lambda tx, t=t: notify(tx, "transfer_awaiting_receipt", readers,
                                       {"number": f"TR-2026-{t:06d}", "from": "MAIN", "to": "NORTH", "lines": 2},
                                       f"transfer_awaiting_receipt:TR-2026-{t:06d}"))
    expected = {(str(7000 + n), f"TR-2026-{t:06d}") for n in range(READERS) for t in range(TRANSFERS)}

    def arrived() -> list[tuple[str, str]]:
        return [(c.chat_id, NUMBER.search(c.text).group(0)) for c in list(fake.sent())]  # type: ignore[union-attr]

    first = _dispatcher(db_url, fake)
    try:
        _wait(lambda: len(fake.sent()) >= len(expected) // 3, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = len(fake.sent())
        assert at_kill < len(expected), "the burst was over before the kill"
        assert _unsent(uow) > 0
    finally:
        if first.poll() is None:
            first.kill()
    second = _dispatcher(db_url, fake)
    try:
        _wait(lambda: _unsent(uow) == 0, 60)
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(10)
    got = Counter(arrived())
    assert set(got) == expected  # nothing lost
    duplicates = sum(n - 1 for n in got.values())
    print(f"{len(expected)} notes, {at_kill} arrived before the kill, {duplicates} arrived twice")
    assert duplicates <= IN_FLIGHT  # at most the sends in flight when it died


async def run_dispatcher(db_url: str, api_base_url: str, api_file_url: str) -> None:
    from benchmarks.outbox_drain import telegram_sender
    from bot.delivery import Dispatcher, Pace
    from bot.engine.texts import Texts
    from core.db import create_db_engine

    uow = UnitOfWork(create_db_engine(db_url))
    sender, _channel = await telegram_sender(uow, FakeTelegram.token, api_base_url, api_file_url, 1000)
    dispatcher = Dispatcher(uow, Texts(), {"telegram": sender}, paces={"telegram": Pace(100, 1, 1)}, batch=20,
                            concurrency=CONCURRENCY, lease=timedelta(seconds=LEASE_SECONDS), send_timeout=1,
                            mark_every=MARK_EVERY)
    await dispatcher.run(asyncio.Event(), idle=0.2, parallel=PARALLEL)


if __name__ == "__main__":
    asyncio.run(run_dispatcher(*sys.argv[1:4]))
