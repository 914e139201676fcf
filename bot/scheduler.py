"""Scheduled jobs in the server process: outbox sweep, approval reminders and escalations, the morning low-stock
digest, the daily summary and the nightly backup. Exactly one process runs them: the holder of a lease row
(`scheduler_lease`), renewed every few seconds and taken over by another process once it has expired.

Every job is a module-level function taking the moment it runs for (`now`), so tests call them with a controlled
clock; each is safe to run twice (dedupe keys, or "once per level" marks in the approvals).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from bot.backup import backup_database
from bot.engine.texts import Texts
from bot.report_delivery import deliver_saved_reports
from core.approvals.requests import due_escalations, due_reminders
from core.models import SchedulerLease
from core.people.tokens import purge_idempotency_records
from core.purchasing.receipt_drafts import purge_pictures
from core.reporting.digests import write_daily_summary, write_low_stock_digest
from core.reporting.expiry import write_expiry_warnings
from core.uow import Tx, UnitOfWork

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
SAVED_REPORTS_SECONDS = 60.0  # how often due saved-report deliveries are looked for


# ---- the leader lease --------------------------------------------------------------------------------------------

def try_lead(uow: UnitOfWork, holder: str, now: datetime, ttl: timedelta, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease: true when `holder` now holds it until now + ttl (it was ours, free or expired)."""

    def work(tx: Tx) -> bool:
        dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
        tx.session.execute(dialect_insert(SchedulerLease).values(name=name, holder="", expires_at=now)
                           .on_conflict_do_nothing(index_elements=["name"]))
        taken = tx.session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name,
                   (SchedulerLease.holder == holder) | (SchedulerLease.expires_at <= now))
            .values(holder=holder, expires_at=now + ttl)
        )
        return bool(getattr(taken, "rowcount", 0))

    return uow.run(work)


def resign(uow: UnitOfWork, holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up at once (a clean shutdown), so another process need not wait for it to expire."""
    uow.run(lambda tx: tx.session.execute(
        update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(holder="", expires_at=datetime(2000, 1, 1, tzinfo=UTC))))


def lease_holder(uow: UnitOfWork, name: str = LEASE_NAME) -> tuple[str, datetime] | None:
    """Who holds the lease and until when."""
    row = uow.read(lambda tx: tx.session.execute(
        select(SchedulerLease.holder, SchedulerLease.expires_at).where(SchedulerLease.name == name)).one_or_none())
    return None if row is None else (row.holder, row.expires_at)


# ---- settings ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SchedulerSettings:
    """[scheduler] settings: company time zone, times of the daily jobs, backups, the leader lease."""

    timezone: str = "Asia/Shanghai"
    digest_time: str = "08:00"
    daily_summary_time: str = "18:00"
    backup_time: str = "02:30"
    backup_dir: str = "backups"
    backup_keep: int = 7
    sweep_seconds: float = 5.0
    approvals_seconds: float = 60.0
    lease_seconds: float = 15.0
    renew_seconds: float = 5.0
    misfire_grace_seconds: int = 300
    idempotency_days: float = 7.0  # [api] idempotency_days: stored Idempotency-Key answers kept this long
    picture_keep_days: float = 365.0  # [reading] keep_days: a receipt's picture of its delivery note kept this long

    @classmethod
    def from_config(cls, config: Any) -> SchedulerSettings:
        section = dict(config.section("scheduler")) if config is not None else {}
        zone = str(section.get("timezone") or (config.get("company", "timezone", cls.timezone) if config is not None
                                               else cls.timezone))
        defaults = cls()
        return cls(
            timezone=zone,
            digest_time=str(section.get("digest_time", defaults.digest_time)),
            daily_summary_time=str(section.get("daily_summary_time", defaults.daily_summary_time)),
            backup_time=str(section.get("backup_time", defaults.backup_time)),
            backup_dir=str(section.get("backup_dir", defaults.backup_dir)),
            backup_keep=int(section.get("backup_keep", defaults.backup_keep)),
            sweep_seconds=float(section.get("sweep_seconds", defaults.sweep_seconds)),
            approvals_seconds=float(section.get("approvals_seconds", defaults.approvals_seconds)),
            lease_seconds=float(section.get("lease_seconds", defaults.lease_seconds)),
            renew_seconds=float(section.get("renew_seconds", defaults.renew_seconds)),
            misfire_grace_seconds=int(section.get("misfire_grace_seconds", defaults.misfire_grace_seconds)),
            idempotency_days=float(config.get("api", "idempotency_days", defaults.idempotency_days)
                                   if config is not None else defaults.idempotency_days),
            picture_keep_days=float(config.get("reading", "keep_days", defaults.picture_keep_days)
                                    if config is not None else defaults.picture_keep_days),
        )


# ---- the jobs (module level, explicit `now`) -----------------------------------------------------------------------

def approval_deadlines(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Reminders and escalations that are due; notes written (each once per request level)."""
    return due_reminders(uow, now) + due_escalations(uow, now)


def _local_day(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def low_stock_digest(uow: UnitOfWork, now: datetime, timezone: str = "Asia/Shanghai") -> int:
    """The morning list of items below their minimum, one note per purchaser and manager per day."""
    return write_low_stock_digest(uow, _local_day(now, ZoneInfo(timezone)))


def expiry_warnings(uow: UnitOfWork, now: datetime, timezone: str = "Asia/Shanghai") -> int:
    """Lots entering their alert lead time or expired today, told once per lot and crossing."""
    return write_expiry_warnings(uow, _local_day(now, ZoneInfo(timezone)))


def daily_summary(uow: UnitOfWork, now: datetime, timezone: str = "Asia/Shanghai") -> int:
    """The day's sales orders, shipments and stock value for the managers, once per manager per day."""
    return write_daily_summary(uow, _local_day(now, ZoneInfo(timezone)), timezone)


def saved_reports(uow: UnitOfWork, now: datetime, timezone: str = "Asia/Shanghai", texts: Texts | None = None) -> int:
    """Scheduled saved reports that are due, one note per schedule and company day, rendered for each recipient
    (bot.report_delivery); returns notes written."""
    return deliver_saved_reports(uow, texts or Texts(timezone=timezone), now, timezone)


def purge_idempotency(uow: UnitOfWork, now: datetime, days: float = 7.0) -> int:
    """Nightly: forget API Idempotency-Key answers older than `days`; how many were forgotten."""
    return purge_idempotency_records(uow, now - timedelta(days=days))


def backup(database_url: str, backup_dir: str | Path, now: datetime, keep: int = 7) -> Path | None:
    """Tonight's copy of the database (bot.backup: SQLite online backup or pg_dump), keeping the newest `keep`
    files; a second run the same day keeps the first copy. None for an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return None
    folder = Path(backup_dir)
    suffix = ".sqlite3" if url.get_backend_name() == "sqlite" else ".dump"
    target = folder / f"jxc-{now.astimezone(UTC).strftime('%Y%m%d')}{suffix}"
    if not target.exists():
        backup_database(database_url, target)
    for old in sorted(folder.glob(f"jxc-*{suffix}"))[:-keep] if keep > 0 else []:
        old.unlink()
    return target


# ---- wiring: the runtime the scheduled wrappers use ------------------------------------------------------------------

@dataclass
class Runtime:
    """What the jobs need in this process, passed to each job as its argument (jobs live in APScheduler's memory job
    store: nothing is pickled, and the leader lease, not a shared job store, decides which process runs them)."""

    uow: UnitOfWork
    settings: SchedulerSettings
    database_url: str
    sweep: Callable[[], Any] | None = None  # async: one outbox round (Dispatcher.drain)
    inbox_sweep: Callable[[], Any] | None = None  # async: answer chat updates dead processes left (bot.channels)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


async def job_outbox_sweep(runtime: Runtime) -> None:
    if runtime.sweep is not None:
        await runtime.sweep()


async def job_inbox_sweep(runtime: Runtime) -> None:
    if runtime.inbox_sweep is not None:
        await runtime.inbox_sweep()


async def job_approvals(runtime: Runtime) -> None:
    await asyncio.to_thread(approval_deadlines, runtime.uow, runtime.clock())


async def job_low_stock_digest(runtime: Runtime) -> None:
    await asyncio.to_thread(low_stock_digest, runtime.uow, runtime.clock(), runtime.settings.timezone)


async def job_expiry_warnings(runtime: Runtime) -> None:
    await asyncio.to_thread(expiry_warnings, runtime.uow, runtime.clock(), runtime.settings.timezone)


async def job_daily_summary(runtime: Runtime) -> None:
    await asyncio.to_thread(daily_summary, runtime.uow, runtime.clock(), runtime.settings.timezone)


async def job_saved_reports(runtime: Runtime) -> None:
    await asyncio.to_thread(saved_reports, runtime.uow, runtime.clock(), runtime.settings.timezone)


async def job_backup(runtime: Runtime) -> None:
    s = runtime.settings
    await asyncio.to_thread(backup, runtime.database_url, s.backup_dir, runtime.clock(), s.backup_keep)


async def job_purge_idempotency(runtime: Runtime) -> None:
    await asyncio.to_thread(purge_idempotency, runtime.uow, runtime.clock(), runtime.settings.idempotency_days)


async def job_purge_pictures(runtime: Runtime) -> None:
    await asyncio.to_thread(purge_pictures, runtime.uow, runtime.clock(), runtime.settings.picture_keep_days)


def _at(time_text: str, zone: ZoneInfo) -> CronTrigger:
    hour, _, minute = time_text.partition(":")
    return CronTrigger(hour=int(hour), minute=int(minute or 0), timezone=zone)


def add_jobs(scheduler: AsyncIOScheduler, runtime: Runtime, settings: SchedulerSettings) -> None:
    """Every job with an explicit id, replace_existing, coalesce and a misfire grace time."""
    zone = ZoneInfo(settings.timezone)
    common: dict[str, Any] = {"args": [runtime], "replace_existing": True, "coalesce": True,
                              "max_instances": 1, "misfire_grace_time": settings.misfire_grace_seconds}
    scheduler.add_job(job_outbox_sweep, IntervalTrigger(seconds=settings.sweep_seconds), id="outbox_sweep",
                      **{**common, "misfire_grace_time": max(int(settings.sweep_seconds * 2), 1)})
    scheduler.add_job(job_inbox_sweep, IntervalTrigger(seconds=settings.sweep_seconds), id="inbox_sweep",
                      **{**common, "misfire_grace_time": max(int(settings.sweep_seconds * 2), 1)})
    scheduler.add_job(job_approvals, IntervalTrigger(seconds=settings.approvals_seconds), id="approvals", **common)
    scheduler.add_job(job_low_stock_digest, _at(settings.digest_time, zone), id="low_stock_digest", **common)
    scheduler.add_job(job_expiry_warnings, _at(settings.digest_time, zone), id="expiry_warnings", **common)
    scheduler.add_job(job_daily_summary, _at(settings.daily_summary_time, zone), id="daily_summary", **common)
    scheduler.add_job(job_backup, _at(settings.backup_time, zone), id="backup", **common)
    scheduler.add_job(job_purge_idempotency, _at(settings.backup_time, zone), id="purge_idempotency", **common)
    scheduler.add_job(job_purge_pictures, _at(settings.backup_time, zone), id="purge_pictures", **common)
    scheduler.add_job(job_saved_reports, IntervalTrigger(seconds=SAVED_REPORTS_SECONDS), id="saved_reports", **common)


class SchedulerRunner:
    """Runs the jobs while this process holds the lease: the scheduler is started paused and resumed on taking the
    lease, paused when it is lost (a renewal failed or another holder took it)."""

    def __init__(self, uow: UnitOfWork, settings: SchedulerSettings, database_url: str, *,
                 sweep: Callable[[], Any] | None = None, inbox_sweep: Callable[[], Any] | None = None,
                 holder: str | None = None,
                 jobs: Callable[[AsyncIOScheduler, Runtime, SchedulerSettings], None] = add_jobs) -> None:
        self.uow = uow
        self.settings = settings
        self.holder = holder or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.runtime = Runtime(uow, settings, database_url, sweep, inbox_sweep)
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(settings.timezone))
        self.jobs = jobs
        self.leading = False
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self.jobs(self.scheduler, self.runtime, self.settings)
        self.scheduler.start(paused=True)
        self._task = asyncio.create_task(self._keep_lease(), name="scheduler-lease")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        self.scheduler.shutdown(wait=False)
        if self.leading:
            await asyncio.to_thread(resign, self.uow, self.holder)
            self.leading = False

    async def _keep_lease(self) -> None:
        ttl = timedelta(seconds=self.settings.lease_seconds)
        while not self._stop.is_set():
            try:
                leading = await asyncio.to_thread(try_lead, self.uow, self.holder, datetime.now(UTC), ttl)
            except Exception:
                log.exception("scheduler: lease renewal failed")
                leading = False
            if leading and not self.leading:
                log.info("scheduler: %s leads", self.holder)
                self.scheduler.resume()
            elif self.leading and not leading:
                log.warning("scheduler: %s lost the lease", self.holder)
                self.scheduler.pause()
            self.leading = leading
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.renew_seconds)


class Background:
    """Delivery and scheduled jobs for one server process: `await start()` once the channels have started,
    `await stop()` before they stop. The outbox sweep job drains the outbox (on the lease holder only)."""

    def __init__(self, dispatcher: Any, runner: SchedulerRunner) -> None:
        self.dispatcher = dispatcher
        self.runner = runner

    async def start(self) -> None:
        await self.runner.start()

    async def stop(self) -> None:
        await self.runner.stop()
