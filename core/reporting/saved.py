"""Saved reports: a named definition a manager stores and anyone permitted runs with their own permissions; saving,
listing, running and deleting them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.errors import DuplicateReportName, PermissionDenied, UnknownSavedReport
from core.models import Employee, ReportSchedule, SavedReport
from core.people.audit import record
from core.permissions import Actor, Permission
from core.reporting.periods import PAGE_SIZE, Filters, Report
from core.reporting.report_definitions import (
    DATED,
    MAX_NAME,
    MEASURES,
    Definition,
    check_definition,
    clean_name,
    resolve_period,
)
from core.reporting.reports import may_run, run_report
from core.uow import Tx, UnitOfWork


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


# ---- saving, listing, deleting --------------------------------------------------------------------------------------

def save_report(uow: UnitOfWork, actor: Actor, name: str, definition: Definition) -> SavedReportView:
    """Store a report definition under a new name (managers and admins); names are unique whatever their case."""
    actor.require(Permission.REPORT_MANAGE)
    title = clean_name(name)
    checked = check_definition(uow, actor, definition)

    def work(tx: Tx) -> SavedReportView:
        if find_saved_report(tx, title) is not None:
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
        row = find_saved_report(tx, name_or_id)
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
        row = find_saved_report(tx, name_or_id, lock=True)
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
        page=max(page, 1), page_size=page_size, timezone=timezone, language=actor.language,
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


def find_saved_report(tx: Tx, name_or_id: str | int, lock: bool = False) -> SavedReport | None:
    """The saved report by id, or by name whatever its case and spacing (its row locked when asked)."""
    if isinstance(name_or_id, int):
        condition = SavedReport.id == name_or_id
    else:
        condition = func.lower(SavedReport.name) == " ".join(name_or_id.split()).lower()
    statement = select(SavedReport).where(condition)
    return tx.session.scalar(statement.with_for_update() if lock else statement)


def _view(row: SavedReport, owner: str) -> SavedReportView:
    return SavedReportView(row.id, row.name, Definition.from_row(row.report, row.definition or {}), owner)


__all__ = [
    "SavedReportView", "SavedRun", "delete_report", "find_saved_report", "get_report", "list_reports",
    "run_saved_report", "save_report",
]
