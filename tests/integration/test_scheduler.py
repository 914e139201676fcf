"""Scheduled jobs with a controlled clock, the leader lease with explicit times, and two server processes on
PostgreSQL: each job fires once per period, and when the leader is killed the other takes over within the lease."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from sqlalchemy import select

from bot.scheduler import (
    SchedulerRunner,
    SchedulerSettings,
    add_jobs,
    approval_deadlines,
    backup,
    daily_summary,
    lease_holder,
    low_stock_digest,
    resign,
    try_lead,
)
from core.approvals.requests import set_rule, submit_for_approval
from core.db import create_db_engine
from core.models import Notification
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.uow import UnitOfWork
from tests.factories import make_shop

SHANGHAI = "Asia/Shanghai"
ROOT = Path(__file__).resolve().parents[2]


def notes(uow: UnitOfWork, event_type: str) -> list[tuple[int, str]]:
    return uow.read(lambda tx: [tuple(r) for r in tx.session.execute(
        select(Notification.recipient_id, Notification.dedupe_key)
        .where(Notification.event_type == event_type).order_by(Notification.id))])


def test_the_lease_is_held_renewed_and_taken_over_only_once_it_has_expired(uow: UnitOfWork) -> None:
    t0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    ttl = timedelta(seconds=15)
    assert try_lead(uow, "server-a", t0, ttl)
    assert not try_lead(uow, "server-b", t0 + timedelta(seconds=5), ttl)
    assert try_lead(uow, "server-a", t0 + timedelta(seconds=10), ttl)  # renewed until t0 + 25 s
    assert not try_lead(uow, "server-b", t0 + timedelta(seconds=20), ttl)
    assert try_lead(uow, "server-b", t0 + timedelta(seconds=26), ttl)  # server-a died: taken over
    assert not try_lead(uow, "server-a", t0 + timedelta(seconds=27), ttl)
    assert lease_holder(uow) == ("server-b", t0 + timedelta(seconds=41))
    resign(uow, "server-b")
    assert try_lead(uow, "server-a", t0 + timedelta(seconds=28), ttl)  # a clean stop frees it at once


def test_reminders_and_escalations_come_once_per_level_however_often_the_job_runs(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    set_rule(uow, admin, "gadget", "10000", ["manager"])
    uow.run(lambda tx: submit_for_approval(tx, shop.purchaser, "gadget", 7, "GD-2026-000007", D("12000"), {}))
    now = datetime.now(UTC)
    assert approval_deadlines(uow, now + timedelta(hours=1)) == 0
    assert approval_deadlines(uow, now + timedelta(hours=5)) == 1
    assert approval_deadlines(uow, now + timedelta(hours=5, minutes=1)) == 0
    assert approval_deadlines(uow, now + timedelta(hours=25)) == 1  # escalated to the admin
    assert approval_deadlines(uow, now + timedelta(hours=26)) == 0
    assert [r for r, _ in notes(uow, "approval_reminder")] == [shop.manager.employee_id]
    assert [r for r, _ in notes(uow, "approval_escalated")] == [admin.employee_id]


def test_the_low_stock_digest_goes_to_purchasers_and_managers_once_a_day(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    morning = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert low_stock_digest(uow, morning, SHANGHAI) == 0  # nothing below a minimum: nothing to say
    set_reorder_rule(uow, shop.purchaser, "RETRO-CLOCK", "MAIN", "5", "20")
    assert low_stock_digest(uow, morning, SHANGHAI) == 2
    assert low_stock_digest(uow, morning + timedelta(minutes=1), SHANGHAI) == 0  # a second run: no repeat
    assert low_stock_digest(uow, morning + timedelta(days=1), SHANGHAI) == 2
    written = notes(uow, "low_stock_digest")
    assert sorted({r for r, _ in written}) == sorted([shop.manager.employee_id, shop.purchaser.employee_id])
    assert {k.split(":")[1] for _, k in written} == {"2026-11-27", "2026-11-28"}
    payload = uow.read(lambda tx: tx.session.scalar(select(Notification.payload).limit(1)))
    assert payload["items"] == [{"sku": "RETRO-CLOCK", "name_zh": "复古闹钟", "name_en": "Retro clock",
                                 "warehouse": "MAIN", "available": "0", "minimum": "5"}]


def test_the_daily_summary_goes_to_managers_once_a_day_for_the_company_day(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    evening = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    assert daily_summary(uow, evening, SHANGHAI) == 1
    assert daily_summary(uow, evening + timedelta(minutes=5), SHANGHAI) == 0
    [(recipient, key)] = notes(uow, "daily_summary")
    assert (recipient, key) == (shop.manager.employee_id, f"daily_summary:2026-11-27:{shop.manager.employee_id}")
    assert daily_summary(uow, datetime(2026, 11, 27, 16, 30, tzinfo=UTC), SHANGHAI) == 1  # already the 28th there


def test_a_sqlite_backup_is_a_working_copy_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'books.db'}"
    engine = create_db_engine(url)
    from core.models import Base

    Base.metadata.create_all(engine)
    engine.dispose()
    day = datetime(2026, 11, 1, 18, 30, tzinfo=UTC)
    made = [backup(url, tmp_path / "backups", day + timedelta(days=n), keep=3) for n in range(5)]
    assert backup(url, tmp_path / "backups", day + timedelta(days=4, hours=1), keep=3) == made[-1]
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert kept == ["jxc-20261103.sqlite3", "jxc-20261104.sqlite3", "jxc-20261105.sqlite3"]
    copy = create_db_engine(f"sqlite:///{made[-1]}")
    with copy.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from notification").scalar() == 0
    copy.dispose()


def test_every_job_has_an_id_coalesces_and_runs_at_the_company_times() -> None:
    settings = SchedulerSettings(timezone=SHANGHAI, daily_summary_time="18:00")

    async def jobs() -> dict[str, tuple[bool, int, datetime]]:
        scheduler = AsyncIOScheduler(timezone=ZoneInfo(SHANGHAI))
        add_jobs(scheduler, "runtime", settings)
        add_jobs(scheduler, "runtime", settings)  # replace_existing: adding twice keeps one of each
        scheduler.start(paused=True)
        at = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo(SHANGHAI))
        found = {j.id: (j.coalesce, j.misfire_grace_time, j.trigger.get_next_fire_time(None, at))
                 for j in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
        return found

    found = asyncio.run(jobs())
    assert sorted(found) == ["approvals", "backup", "daily_summary", "expiry_warnings", "inbox_sweep",
                             "low_stock_digest", "outbox_sweep", "purge_idempotency", "purge_pictures", "saved_reports"]
    assert all(coalesce and grace > 0 for coalesce, grace, _ in found.values())
    zone = ZoneInfo(SHANGHAI)
    assert found["low_stock_digest"][2] == datetime(2026, 11, 28, 8, 0, tzinfo=zone)
    assert found["expiry_warnings"][2] == datetime(2026, 11, 28, 8, 0, tzinfo=zone)
    assert found["daily_summary"][2] == datetime(2026, 11, 27, 18, 0, tzinfo=zone)


# ---- two server processes on PostgreSQL ----------------------------------------------------------------------------

def tick(log_path: str, holder: str) -> None:
    """The job of the two-process test: one line per firing with the second it was scheduled for."""
    with open(log_path, "a") as log:
        log.write(f"{int(time.time())} {holder}\n")


def worker_jobs(log_path: str, holder: str) -> object:
    def jobs(scheduler: AsyncIOScheduler, runtime_id: str, settings: SchedulerSettings) -> None:
        scheduler.add_job(tick, CronTrigger(second="*"), args=[log_path, holder], id="tick",
                          replace_existing=True, coalesce=True, misfire_grace_time=1)
    return jobs


async def run_worker(url: str, holder: str, log_path: str) -> None:
    engine = create_db_engine(url)
    uow = UnitOfWork(engine)
    settings = SchedulerSettings(lease_seconds=2.0, renew_seconds=0.4)
    runner = SchedulerRunner(uow, settings, url, holder=holder, jobs=worker_jobs(log_path, holder))  # type: ignore[arg-type]
    await runner.start()
    print("started", flush=True)
    await asyncio.Event().wait()


def _start(pg_url: str, holder: str, log_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.integration.test_scheduler", pg_url, holder, str(log_path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _firings(log_path: Path) -> list[tuple[int, str]]:
    if not log_path.exists():
        return []
    return [(int(s), h) for s, h in (line.split() for line in log_path.read_text().splitlines())]


def _waited_for(log_path: Path, enough: Callable[[list[tuple[int, str]]], bool], what: str,
                seconds: float = 60.0) -> list[tuple[int, str]]:
    """The firings once `enough` says so (polled; a loaded machine only makes it later), else a failure."""
    deadline = time.monotonic() + seconds
    while True:
        fired = _firings(log_path)
        if enough(fired):
            return fired
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s; fired: {fired}"
        time.sleep(0.1)


def test_two_server_processes_fire_each_job_once_per_period_and_the_survivor_takes_over(
        pg_engine: object, pg_url: str, tmp_path: Path) -> None:
    log_path = tmp_path / "fired.log"
    first = _start(pg_url, "server-a", log_path)
    second: subprocess.Popen[str] | None = None
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "started"
        _waited_for(log_path, lambda fired: len(fired) >= 1, "server-a never led")
        second = _start(pg_url, "server-b", log_path)
        assert second.stdout is not None and second.stdout.readline().strip() == "started"
        started = len(_firings(log_path))
        before = _waited_for(log_path, lambda fired: len(fired) >= started + 3, "server-a stopped firing")
        assert {h for _, h in before} == {"server-a"}  # the first to lead keeps leading; the other waits
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = time.time()
        fired = _waited_for(log_path, lambda fired: any(h == "server-b" for _, h in fired), "server-b never took over")
        by_a = [s for s, h in fired if h == "server-a"]
        by_b = [s for s, h in fired if h == "server-b"]
        assert by_b[0] >= int(killed), "server-b fires only once server-a is gone"
        assert max(by_a) < min(by_b)  # never twice in one period, not even around the takeover
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()


if __name__ == "__main__":
    if sys.argv[1].startswith("postgresql"):
        import contextlib

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker(sys.argv[1], sys.argv[2], sys.argv[3]))
    else:
        pytest.main(sys.argv[1:])


def test_the_server_background_delivers_the_outbox_from_its_sweep_job(uow: UnitOfWork, admin: Actor,
                                                                       db_url: str) -> None:
    from bot.composition import build_background
    from bot.engine.replies import Reply
    from bot.engine.texts import Texts
    from core.config import Config
    from core.integration.outbox import notify
    from core.people.accounts import bind_account

    shop = make_shop(uow, admin)
    bind_account(uow, admin, "manager-1", "telegram", "1001", "1001")
    uow.run(lambda tx: notify(tx, "transfer_awaiting_receipt", [shop.manager.employee_id],
                              {"number": "TR-2026-000009", "from": "MAIN", "to": "NORTH", "lines": 1},
                              "transfer_awaiting_receipt:TR-2026-000009"))

    class Telegram:
        name = "telegram"

        def __init__(self) -> None:
            self.sent: list[tuple[str, str]] = []

        async def send(self, chat_id: str, reply: Reply, retries: int | None = None) -> None:
            self.sent.append((chat_id, reply.text))

        async def sweep(self) -> int:
            return 0

    config = Config({"database": {"url": db_url}, "company": {"timezone": SHANGHAI},
                     "scheduler": {"sweep_seconds": 0.2, "renew_seconds": 0.2, "backup_dir": "unused"}})
    telegram = Telegram()

    async def run() -> None:
        background = build_background(config, uow, Texts(), [telegram])
        await background.start()
        try:
            for _ in range(100):
                if telegram.sent:
                    break
                await asyncio.sleep(0.1)
        finally:
            await background.stop()

    asyncio.run(run())
    assert telegram.sent == [("1001", "🚚 调拨单 TR-2026-000009 从 MAIN 发往 NORTH（1 行）已发出，请收货。")]
    assert lease_holder(uow)[0] == ""  # type: ignore[index]  # a clean stop gives the lease up
