"""Scheduled deliveries of saved reports to chosen employees (daily, weekly or monthly at a company-local time), and
which deliveries are due."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from core.errors import InvalidSchedule, PermissionDenied, UnknownSavedReport
from core.models import Employee, EmployeeRole, Notification, ReportSchedule, SavedReport
from core.people.audit import record
from core.people.employees import actor_in
from core.permissions import Actor, Permission
from core.reporting.report_definitions import MAX_NAME
from core.reporting.reports import may_run
from core.reporting.saved import find_saved_report
from core.uow import Tx, UnitOfWork

FREQUENCIES = ("daily", "weekly", "monthly")
FORMATS = ("png", "xlsx", "text")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class ScheduleView:
    id: int
    report: str
    recipient: str
    recipient_id: int
    frequency: str
    at_time: str
    weekday: int | None
    day_of_month: int | None
    format: str
    active: bool


@dataclass(frozen=True)
class DueDelivery:
    """One scheduled delivery that is due: for whom, which saved report, for which company day."""

    schedule_id: int
    saved_report_id: int
    name: str
    recipient_id: int
    format: str
    local_date: date
    dedupe_key: str


# ---- schedules ------------------------------------------------------------------------------------------------------

def schedule_report(
    uow: UnitOfWork, actor: Actor, name_or_id: str | int, recipients: Sequence[str | int], frequency: str,
    at_time: str = "08:00", *, weekday: int | None = None, day_of_month: int | None = None, fmt: str = "png",
) -> list[ScheduleView]:
    """Deliver a saved report to each recipient daily, weekly (on `weekday`, 0 = Monday) or monthly (on
    `day_of_month`; 29 to 31 mean the month's last day when it is shorter) at a company-local time. Scheduling the
    same report, person and frequency again replaces the earlier schedule."""
    actor.require(Permission.REPORT_MANAGE)
    frequency = frequency.strip().lower()
    at_time = at_time.strip()
    if len(at_time) == 4 and at_time[1] == ":":
        at_time = "0" + at_time
    if frequency not in FREQUENCIES:
        raise InvalidSchedule(field="frequency", value=frequency[:20], allowed=list(FREQUENCIES))
    if not _TIME.match(at_time):
        raise InvalidSchedule(field="at_time", value=at_time[:20])
    if fmt not in FORMATS:
        raise InvalidSchedule(field="format", value=fmt[:20], allowed=list(FORMATS))
    if frequency == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        raise InvalidSchedule(field="weekday", value=str(weekday))
    if frequency == "monthly" and (day_of_month is None or not 1 <= day_of_month <= 31):
        raise InvalidSchedule(field="day_of_month", value=str(day_of_month))
    if not recipients:
        raise InvalidSchedule(field="recipients", value="")
    weekday = weekday if frequency == "weekly" else None
    day_of_month = day_of_month if frequency == "monthly" else None

    def work(tx: Tx) -> list[ScheduleView]:
        row = find_saved_report(tx, name_or_id, lock=True)
        if row is None:
            raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
        people = [actor_in(tx, r) for r in dict.fromkeys(recipients)]
        for person in people:
            if not may_run(person, row.report):
                raise PermissionDenied(employee=person.name, permission=f"report.{row.report}", warehouse_id=None)
        values = [{"saved_report_id": row.id, "recipient_id": p.employee_id, "frequency": frequency,
                   "at_time": at_time, "weekday": weekday, "day_of_month": day_of_month, "format": fmt,
                   "active": True, "created_by": actor.employee_id, "created_at": tx.now} for p in people]
        statement = tx.insert(ReportSchedule)
        tx.session.execute(statement.on_conflict_do_update(
            index_elements=["saved_report_id", "recipient_id", "frequency"],
            set_={k: statement.excluded[k] for k in ("at_time", "weekday", "day_of_month", "format", "active",
                                                     "created_by", "created_at")}), values)
        for person in people:
            record(tx, actor, "report_schedule.set", "saved_report", row.id, name=row.name,
                   recipient=person.name, frequency=frequency, at_time=at_time, weekday=weekday,
                   day_of_month=day_of_month, format=fmt)
        return [s for s in _schedules(tx, row.id) if s.recipient_id in {p.employee_id for p in people}
                and s.frequency == frequency]

    return uow.run(work)


def unschedule(uow: UnitOfWork, actor: Actor, name_or_id: str | int, recipient: str | int | None = None) -> int:
    """Stop the deliveries of a saved report (to one recipient, or to everyone); returns how many stopped."""
    actor.require(Permission.REPORT_MANAGE)

    def work(tx: Tx) -> int:
        row = find_saved_report(tx, name_or_id, lock=True)
        if row is None:
            raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
        statement = update(ReportSchedule).where(ReportSchedule.saved_report_id == row.id, ReportSchedule.active)
        who = None
        if recipient is not None:
            who = actor_in(tx, recipient)
            statement = statement.where(ReportSchedule.recipient_id == who.employee_id)
        stopped = int(getattr(tx.session.execute(statement.values(active=False)), "rowcount", 0))
        record(tx, actor, "report_schedule.stop", "saved_report", row.id, name=row.name,
               recipient=who.name if who else None, stopped=stopped)
        return stopped

    return uow.run(work)


def list_schedules(uow: UnitOfWork, actor: Actor, name_or_id: str | int | None = None) -> list[ScheduleView]:
    """Active schedules (of one saved report, or all), for managers and admins."""
    actor.require(Permission.REPORT_MANAGE)

    def work(tx: Tx) -> list[ScheduleView]:
        report_id = None
        if name_or_id is not None:
            row = find_saved_report(tx, name_or_id)
            if row is None:
                raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
            report_id = row.id
        return [s for s in _schedules(tx, report_id) if s.active]

    return uow.read(work)


def report_recipients(uow: UnitOfWork, actor: Actor, name_or_id: str | int) -> list[tuple[int, str]]:
    """Active employees who may receive a saved report (they may run it), by name."""
    actor.require(Permission.REPORT_MANAGE)

    def work(tx: Tx) -> list[tuple[int, str]]:
        row = find_saved_report(tx, name_or_id)
        if row is None:
            raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
        roles: dict[tuple[int, str], set[str]] = {}
        for employee_id, name, role in tx.session.execute(
                select(Employee.id, Employee.name, EmployeeRole.role)
                .join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
                .where(Employee.active).order_by(Employee.name, Employee.id)):
            roles.setdefault((employee_id, name), set()).add(role)
        return [(i, n) for (i, n), held in roles.items()
                if may_run(Actor(i, n, frozenset(held)), row.report)]

    return uow.read(work)


def _schedules(tx: Tx, report_id: int | None) -> list[ScheduleView]:
    statement = (
        select(ReportSchedule, SavedReport.name, Employee.name)
        .join(SavedReport, SavedReport.id == ReportSchedule.saved_report_id)
        .join(Employee, Employee.id == ReportSchedule.recipient_id)
        .order_by(SavedReport.name, Employee.name, ReportSchedule.id)
    )
    if report_id is not None:
        statement = statement.where(ReportSchedule.saved_report_id == report_id)
    return [ScheduleView(s.id, report, person, s.recipient_id, s.frequency, s.at_time, s.weekday, s.day_of_month,
                         s.format, s.active) for s, report, person in tx.session.execute(statement)]


# ---- what is due ---------------------------------------------------------------------------------------------------

def delivery_key(schedule_id: int, local_date: date) -> str:
    """The outbox dedupe key of one delivery: once per schedule and company day."""
    return f"report:{schedule_id}:{local_date.isoformat()}"


def falls_on(frequency: str, weekday: int | None, day_of_month: int | None, day: date) -> bool:
    """Whether a schedule delivers on this company day (a monthly day past the month's end means its last day)."""
    if frequency == "daily":
        return True
    if frequency == "weekly":
        return weekday == day.weekday()
    last = calendar.monthrange(day.year, day.month)[1]
    return day_of_month is not None and min(day_of_month, last) == day.day


def due_schedules(uow: UnitOfWork, now: datetime, timezone: str) -> list[DueDelivery]:
    """Active schedules whose delivery time today (company time) has come, that were set up before it and whose
    delivery for today is not in the outbox yet; a run after downtime catches up the same day."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    today = local.date()

    def work(tx: Tx) -> list[DueDelivery]:
        rows = tx.session.execute(
            select(ReportSchedule, SavedReport.name)
            .join(SavedReport, SavedReport.id == ReportSchedule.saved_report_id)
            .join(Employee, Employee.id == ReportSchedule.recipient_id)
            .where(ReportSchedule.active, Employee.active, ReportSchedule.at_time <= local.strftime("%H:%M"))
            .order_by(ReportSchedule.id)
        ).all()
        due = []
        for s, name in rows:
            hour, minute = (int(part) for part in s.at_time.split(":"))
            moment = datetime.combine(today, time(hour, minute), zone)
            if falls_on(s.frequency, s.weekday, s.day_of_month, today) and s.created_at <= moment <= now:
                due.append(DueDelivery(s.id, s.saved_report_id, name, s.recipient_id, s.format, today,
                                       delivery_key(s.id, today)))
        if not due:
            return []
        written = set(tx.session.scalars(
            select(Notification.dedupe_key).where(Notification.dedupe_key.in_([d.dedupe_key for d in due]))))
        return [d for d in due if d.dedupe_key not in written]

    return uow.read(work)


__all__ = [
    "FORMATS", "FREQUENCIES", "DueDelivery", "ScheduleView", "delivery_key", "due_schedules", "falls_on",
    "list_schedules", "report_recipients", "schedule_report", "unschedule",
]
