"""Saved reports: a named definition (report, dimensions, measures, filters, period) a manager stores and anyone
permitted runs with their own permissions, and its scheduled deliveries to chosen employees."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from core.catalog.products import warehouse_in
from core.errors import (
    DuplicateReportName,
    InvalidReportDefinition,
    InvalidSchedule,
    PermissionDenied,
    UnknownEmployee,
    UnknownPartner,
    UnknownProduct,
    UnknownSavedReport,
)
from core.models import (
    Category,
    Customer,
    Employee,
    EmployeeRole,
    Notification,
    Product,
    ReportSchedule,
    SavedReport,
    Supplier,
)
from core.people.audit import record
from core.people.employees import actor_in
from core.permissions import Actor, Permission
from core.reporting.periods import PAGE_SIZE, Filters, Period, Report, parse_period
from core.reporting.reports import REPORTS, may_run, run_report
from core.reporting.stock_reports import STOCK_DIMENSIONS
from core.reporting.trade_reports import PURCHASE_DIMENSIONS, SALES_DIMENSIONS
from core.uow import Tx, UnitOfWork

RELATIVE_PERIODS = ("this_month", "last_month", "today", "this_week", "last_7_days")
FREQUENCIES = ("daily", "weekly", "monthly")
FORMATS = ("png", "xlsx", "text")
MAX_NAME = 40
MAX_FILTER = 40
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "stock": STOCK_DIMENSIONS, "purchases": PURCHASE_DIMENSIONS, "sales": SALES_DIMENSIONS, "profit": SALES_DIMENSIONS,
}
MEASURES: dict[str, tuple[str, ...]] = {
    "stock": ("products", "on_hand", "value"), "movements": ("qty", "value"), "slow-moving": ("on_hand", "value"),
    "purchases": ("qty", "amount"), "sales": ("qty", "revenue"), "profit": ("qty", "revenue", "cost", "profit"),
    "ageing": ("0-30", "31-60", "61-90", ">90", "total"),
}
FILTERS: dict[str, tuple[str, ...]] = {
    "stock": ("warehouse", "category"), "movements": ("product", "warehouse"),
    "slow-moving": ("warehouse", "category"), "purchases": ("warehouse", "category", "supplier"),
    "sales": ("warehouse", "category", "customer", "salesperson", "channel"),
    "profit": ("warehouse", "category", "customer", "salesperson", "channel"),
    "ageing": ("customer", "supplier"),
}
DATED = frozenset({"movements", "purchases", "sales", "profit"})
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Definition:
    """What a saved report shows: empty `by`/`measures` mean the report's defaults; `period` for dated reports."""

    report: str
    by: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    period: str | None = None
    days: int = 90
    kind: str = "customer"

    def to_json(self) -> dict[str, Any]:
        return {"by": list(self.by), "measures": list(self.measures), "filters": dict(self.filters),
                "period": self.period, "days": self.days, "kind": self.kind}

    @classmethod
    def from_row(cls, report: str, data: dict[str, Any]) -> Definition:
        return cls(report, tuple(data.get("by") or ()), tuple(data.get("measures") or ()),
                   dict(data.get("filters") or {}), data.get("period"), int(data.get("days", 90)),
                   str(data.get("kind", "customer")))


@dataclass(frozen=True)
class SavedReportView:
    id: int
    name: str
    definition: Definition
    owner: str

    @property
    def report(self) -> str:
        return self.definition.report


@dataclass(frozen=True)
class SavedRun:
    """A saved report run for someone: its definition and the report as they may see it."""

    saved: SavedReportView
    report: Report


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


# ---- definitions ---------------------------------------------------------------------------------------------------

def resolve_period(spec: str | None, today: date) -> Period | None:
    """A period spec as of `today`: this_month, last_month, today, this_week (Monday to Sunday), last_7_days, or a
    fixed month "2026-11"."""
    if spec is None:
        return None
    if spec == "today":
        return Period(today, today)
    if spec == "this_week":
        monday = today - timedelta(days=today.weekday())
        return Period(monday, monday + timedelta(days=6))
    if spec == "last_7_days":
        return Period(today - timedelta(days=6), today)
    if spec == "this_month":
        return parse_period(today=today)
    if spec == "last_month":
        return parse_period(today=today.replace(day=1) - timedelta(days=1))
    if _MONTH.match(spec):
        return parse_period(spec)
    raise InvalidReportDefinition(field="period", value=spec[:20], allowed=[*RELATIVE_PERIODS, "YYYY-MM"])


def normalise(definition: Definition) -> Definition:
    """The definition checked against what its report offers (no database needed); InvalidReportDefinition."""
    report = definition.report.strip().lower()
    if report not in REPORTS:
        raise InvalidReportDefinition(field="report", value=report[:20], allowed=list(REPORTS))
    by = _choices("by", definition.by, DIMENSIONS.get(report, ()))
    measures = _choices("measures", definition.measures, MEASURES[report])
    filters: dict[str, str] = {}
    for key, value in definition.filters.items():
        name, text = str(key).strip().lower(), str(value or "").strip()
        if name not in FILTERS[report]:
            raise InvalidReportDefinition(field="filter", value=name[:20], allowed=list(FILTERS[report]))
        if not text or len(text) > MAX_FILTER:
            raise InvalidReportDefinition(field=name, value=text[:MAX_FILTER], limit=MAX_FILTER)
        filters[name] = text
    if report == "movements" and "product" not in filters:
        raise InvalidReportDefinition(field="product", value="")
    period = (definition.period or "").strip().lower() or None
    if report in DATED:
        period = period or "this_month"
        resolve_period(period, date(2000, 1, 1))
    elif period is not None:
        raise InvalidReportDefinition(field="period", value=period[:20], allowed=[])
    if report == "slow-moving" and not 1 <= definition.days <= 3650:
        raise InvalidReportDefinition(field="days", value=str(definition.days))
    if report == "ageing" and definition.kind not in ("customer", "supplier"):
        raise InvalidReportDefinition(field="kind", value=definition.kind[:20], allowed=["customer", "supplier"])
    return replace(definition, report=report, by=by, measures=measures, filters=filters, period=period)


def check_definition(uow: UnitOfWork, actor: Actor, definition: Definition) -> Definition:
    """The definition normalised, its warehouse, category, partners, salesperson and product found (read only)."""
    checked = normalise(definition)
    if not may_run(actor, checked.report):
        raise PermissionDenied(employee=actor.name, permission=f"report.{checked.report}", warehouse_id=None)
    uow.read(lambda tx: _check_references(tx, checked.filters))
    return checked


def _check_references(tx: Tx, filters: dict[str, str]) -> None:
    def upper(column: Any, text: str) -> Any:
        return tx.session.scalar(select(column).where(func.upper(column) == text.upper()).limit(1))

    if "warehouse" in filters:
        warehouse_in(tx, filters["warehouse"])
    if "category" in filters and upper(Category.code, filters["category"]) is None:
        raise InvalidReportDefinition(field="category", value=filters["category"])
    for kind, model in (("customer", Customer), ("supplier", Supplier)):
        if kind in filters and upper(model.code, filters[kind]) is None:
            raise UnknownPartner(kind=kind, partner=filters[kind])
    if "salesperson" in filters and tx.session.scalar(
            select(Employee.id).where(Employee.name == filters["salesperson"])) is None:
        raise UnknownEmployee(employee=filters["salesperson"])
    if "product" in filters and upper(Product.sku, filters["product"]) is None:
        raise UnknownProduct(product=filters["product"])


def _choices(name: str, wanted: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(str(w).strip().lower() for w in wanted if str(w).strip())
    bad = [c for c in chosen if c not in allowed]
    if bad or len(set(chosen)) != len(chosen):
        raise InvalidReportDefinition(field=name, value=",".join(bad or chosen)[:40], allowed=list(allowed))
    return chosen


def _clean_name(name: str) -> str:
    text = " ".join(name.split())
    if not text or len(text) > MAX_NAME or text.startswith("/") or text.lower() in REPORTS:
        raise InvalidReportDefinition(field="name", value=text[:MAX_NAME], limit=MAX_NAME)
    return text


# ---- saving, listing, deleting --------------------------------------------------------------------------------------

def save_report(uow: UnitOfWork, actor: Actor, name: str, definition: Definition) -> SavedReportView:
    """Store a report definition under a new name (managers and admins); names are unique whatever their case."""
    actor.require(Permission.REPORT_MANAGE)
    title = _clean_name(name)
    checked = check_definition(uow, actor, definition)

    def work(tx: Tx) -> SavedReportView:
        if _find(tx, title) is not None:
            raise DuplicateReportName(name=title)
        row = SavedReport(name=title, report=checked.report, definition=checked.to_json(),
                          owner_id=actor.employee_id, created_at=tx.now, updated_at=tx.now)
        try:
            with tx.session.begin_nested():
                tx.session.add(row)
                tx.session.flush()
        except IntegrityError as error:  # the same name saved at the same moment by someone else
            raise DuplicateReportName(name=title) from error
        record(tx, actor, "saved_report.create", "saved_report", row.id, name=title, report=checked.report,
               definition=checked.to_json())
        return SavedReportView(row.id, title, checked, actor.name)

    return uow.run(work)


def list_reports(uow: UnitOfWork, actor: Actor) -> list[SavedReportView]:
    """The saved reports the actor may run, by name."""

    def work(tx: Tx) -> list[SavedReportView]:
        rows = tx.session.execute(
            select(SavedReport, Employee.name).join(Employee, Employee.id == SavedReport.owner_id)
            .order_by(SavedReport.name)).all()
        return [_view(row, owner) for row, owner in rows if may_run(actor, row.report)]

    return uow.read(work)


def get_report(uow: UnitOfWork, actor: Actor, name_or_id: str | int) -> SavedReportView:
    """One saved report by name (any case) or id, for someone who may run it."""

    def work(tx: Tx) -> SavedReportView:
        row = _find(tx, name_or_id)
        if row is None:
            raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
        if not may_run(actor, row.report):
            raise PermissionDenied(employee=actor.name, permission=f"report.{row.report}", warehouse_id=None)
        owner = tx.session.scalar(select(Employee.name).where(Employee.id == row.owner_id)) or ""
        return _view(row, owner)

    return uow.read(work)


def delete_report(uow: UnitOfWork, actor: Actor, name_or_id: str | int) -> str:
    """Remove a saved report and its schedules (managers and admins); returns its name."""
    actor.require(Permission.REPORT_MANAGE)

    def work(tx: Tx) -> str:
        row = _find(tx, name_or_id, lock=True)
        if row is None:
            raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
        tx.session.execute(delete(ReportSchedule).where(ReportSchedule.saved_report_id == row.id))
        tx.session.delete(row)
        record(tx, actor, "saved_report.delete", "saved_report", row.id, name=row.name, report=row.report)
        return row.name

    return uow.run(work)


def run_saved_report(uow: UnitOfWork, actor: Actor, name_or_id: str | int, *, now: datetime | None = None,
                     timezone: str = "UTC", page: int = 1, page_size: int = PAGE_SIZE,
                     period: str | None = None) -> SavedRun:
    """Run a saved report with the RUNNER's permissions, its period (or `period`, a spec, instead) resolved at
    `now` in the company's time zone."""
    saved = get_report(uow, actor, name_or_id)
    d = saved.definition
    today = (now or uow.clock()).astimezone(ZoneInfo(timezone)).date()
    spec = period.strip().lower() if period and d.report in DATED else d.period
    f = d.filters
    filters = Filters(
        period=resolve_period(spec, today), warehouse=f.get("warehouse"), category=f.get("category"),
        customer=f.get("customer"), supplier=f.get("supplier"), salesperson=f.get("salesperson"),
        channel=f.get("channel"), product=f.get("product"), by=d.by, days=d.days, partner_kind=d.kind,
        page=max(page, 1), page_size=page_size, timezone=timezone,
    )
    return SavedRun(saved, _only_measures(run_report(uow, actor, d.report, filters), d))


def _only_measures(report: Report, definition: Definition) -> Report:
    """The report with only the chosen measures (of those the runner may see)."""
    if not definition.measures:
        return report
    dropped = set(MEASURES[definition.report]) - set(definition.measures)
    keep = [i for i, c in enumerate(report.columns) if c not in dropped]
    return replace(
        report, columns=tuple(report.columns[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in report.rows),
        totals=tuple(report.totals[i] for i in keep),
        comparison=tuple(c for c in report.comparison if c.measure not in dropped),
    )


def _find(tx: Tx, name_or_id: str | int, lock: bool = False) -> SavedReport | None:
    if isinstance(name_or_id, int):
        condition = SavedReport.id == name_or_id
    else:
        condition = func.lower(SavedReport.name) == " ".join(name_or_id.split()).lower()
    statement = select(SavedReport).where(condition)
    return tx.session.scalar(statement.with_for_update() if lock else statement)


def _view(row: SavedReport, owner: str) -> SavedReportView:
    return SavedReportView(row.id, row.name, Definition.from_row(row.report, row.definition or {}), owner)


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
        row = _find(tx, name_or_id, lock=True)
        if row is None:
            raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
        people = [actor_in(tx, r) for r in dict.fromkeys(recipients)]
        for person in people:
            if not may_run(person, row.report):
                raise PermissionDenied(employee=person.name, permission=f"report.{row.report}", warehouse_id=None)
        values = [{"saved_report_id": row.id, "recipient_id": p.employee_id, "frequency": frequency,
                   "at_time": at_time, "weekday": weekday, "day_of_month": day_of_month, "format": fmt,
                   "active": True, "created_by": actor.employee_id, "created_at": tx.now} for p in people]
        dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(ReportSchedule)
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
        row = _find(tx, name_or_id, lock=True)
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
            row = _find(tx, name_or_id)
            if row is None:
                raise UnknownSavedReport(name=str(name_or_id)[:MAX_NAME])
            report_id = row.id
        return [s for s in _schedules(tx, report_id) if s.active]

    return uow.read(work)


def report_recipients(uow: UnitOfWork, actor: Actor, name_or_id: str | int) -> list[tuple[int, str]]:
    """Active employees who may receive a saved report (they may run it), by name."""
    actor.require(Permission.REPORT_MANAGE)

    def work(tx: Tx) -> list[tuple[int, str]]:
        row = _find(tx, name_or_id)
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
    "FORMATS", "FREQUENCIES", "RELATIVE_PERIODS", "Definition", "DueDelivery", "SavedReportView", "SavedRun",
    "ScheduleView", "check_definition", "delete_report", "delivery_key", "due_schedules", "falls_on", "get_report",
    "list_reports", "list_schedules", "may_run", "normalise", "report_recipients", "resolve_period", "run_saved_report",
    "save_report", "schedule_report", "unschedule",
]
