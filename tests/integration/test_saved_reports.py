"""Saved reports: a manager stores a definition under a name, anyone permitted runs it with their own permissions,
its period is resolved when it runs, and scheduled deliveries come due once per company day, month ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, select, update

from core.errors import (
    DuplicateReportName,
    InvalidReportDefinition,
    InvalidSchedule,
    PermissionDenied,
    UnknownPartner,
    UnknownSavedReport,
    UnknownWarehouse,
)
from core.integration.outbox import Note, write_notes
from core.models import AuditLog, Employee, ReportSchedule, SavedReport
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.people.setup import bootstrap
from core.reporting.periods import Period
from core.reporting.report_definitions import Definition, resolve_period
from core.reporting.saved import delete_report, list_reports, run_saved_report, save_report
from core.reporting.schedules import (
    due_schedules,
    falls_on,
    list_schedules,
    report_recipients,
    schedule_report,
    unschedule,
)
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop

SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Books:
    uow: UnitOfWork
    shop: Shop
    clock: Clock


def trade(engine: Engine) -> Books:
    """October and November 2026: sales-1 sells to ACME (theirs), the manager to ZETA (sales-2's)."""
    clock = Clock(datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    uow = UnitOfWork(engine, clock=clock)
    bootstrap(uow)
    admin = load_actor(uow, "system")
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("ZETA", "Zeta Stores", salesperson="sales-2"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 50, "10"), LineIn("TEA-CUP", 100, "3")])

    def sell(who: str, customer: str, lines: list[SalesLineIn]) -> None:
        actor = load_actor(uow, who)
        number = create_sales_order(uow, actor, customer, "MAIN", lines).number
        submit_sales_order(uow, actor, number)
        ship_sales_order(uow, shop.warehouse, number)

    sell("sales-1", "ACME", [SalesLineIn("RETRO-CLOCK", 2)])  # October: 2 x 25 = 50
    clock.at = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    sell("sales-1", "ACME", [SalesLineIn("RETRO-CLOCK", 4), SalesLineIn("TEA-CUP", 10)])  # 100 + 80
    sell("manager-1", "ZETA", [SalesLineIn("RETRO-CLOCK", 1)])  # 25, not sales-1's customer
    clock.at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    return Books(uow, shop, clock)


@pytest.fixture
def books(engine: Engine) -> Books:
    return trade(engine)


def by_product(period: str = "this_month", **more: object) -> Definition:
    return Definition("sales", by=("product",), period=period, **more)  # type: ignore[arg-type]


def audit_actions(uow: UnitOfWork) -> list[str]:
    return uow.read(lambda tx: list(tx.session.scalars(select(AuditLog.action).order_by(AuditLog.id))))


def test_a_manager_saves_a_report_and_it_runs_with_the_definitions_grouping_and_period(books: Books) -> None:
    shop = books.shop
    saved = save_report(books.uow, shop.manager, "月度销售", by_product())
    assert (saved.name, saved.report, saved.definition.by, saved.owner) == ("月度销售", "sales", ("product",),
                                                                            "manager-1")
    run = run_saved_report(books.uow, shop.manager, "月度销售", timezone=SHANGHAI)
    assert run.report.period == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert [(r[0], r[3]) for r in run.report.rows] == [("RETRO-CLOCK", D("125.00")), ("TEA-CUP", D("80.00"))]
    assert run.report.total("revenue") == D("205.00")
    assert run.report.comparison[0].previous == D("50.00")  # October
    assert [n for n in audit_actions(books.uow) if n.startswith("saved_report")] == ["saved_report.create"]


def test_a_salesperson_running_the_managers_report_sees_only_their_own_customers_and_no_cost(books: Books) -> None:
    shop = books.shop
    save_report(books.uow, shop.manager, "by customer", Definition("sales", by=("customer",)))
    save_report(books.uow, shop.manager, "margin", Definition("profit", by=("product",)))
    save_report(books.uow, shop.manager, "stock value", Definition("stock", by=("warehouse",)))
    mine = run_saved_report(books.uow, shop.sales, "BY CUSTOMER", timezone=SHANGHAI).report
    assert [(r[0], r[3]) for r in mine.rows] == [("ACME", D("180.00"))]
    everyone = run_saved_report(books.uow, shop.manager, "by customer", timezone=SHANGHAI).report
    assert [(r[0], r[3]) for r in everyone.rows] == [("ACME", D("180.00")), ("ZETA", D("25.00"))]
    stock = run_saved_report(books.uow, shop.sales, "stock value", timezone=SHANGHAI).report
    assert "value" not in stock.columns and stock.total("on_hand") == D(133)
    with pytest.raises(PermissionDenied):
        run_saved_report(books.uow, shop.sales, "margin", timezone=SHANGHAI)
    assert [r.name for r in list_reports(books.uow, shop.sales)] == ["by customer", "stock value"]
    assert [r.name for r in list_reports(books.uow, shop.finance)] == ["by customer", "margin", "stock value"]


def test_only_managers_and_admins_save_delete_and_schedule(books: Books) -> None:
    shop = books.shop
    for who in (shop.sales, shop.purchaser, shop.warehouse, shop.finance):
        with pytest.raises(PermissionDenied):
            save_report(books.uow, who, "mine", by_product())
    save_report(books.uow, shop.admin, "admin's", by_product())
    with pytest.raises(PermissionDenied):
        delete_report(books.uow, shop.sales, "admin's")
    with pytest.raises(PermissionDenied):
        schedule_report(books.uow, shop.finance, "admin's", ["finance-1"], "daily")
    assert books.uow.read(lambda tx: tx.session.scalar(select(SavedReport.name))) == "admin's"


def test_names_are_unique_whatever_their_case_and_never_a_built_in_report(books: Books) -> None:
    shop = books.shop
    save_report(books.uow, shop.manager, "Weekly Sales", by_product())
    with pytest.raises(DuplicateReportName):
        save_report(books.uow, shop.admin, "weekly  sales", by_product("last_month"))
    for bad in ("", "   ", "sales", "/run", "x" * 41):
        with pytest.raises(InvalidReportDefinition):
            save_report(books.uow, shop.manager, bad, by_product())
    assert books.uow.read(lambda tx: list(tx.session.scalars(select(SavedReport.name)))) == ["Weekly Sales"]


@pytest.mark.parametrize(("definition", "error"), [
    (Definition("turnover"), InvalidReportDefinition),
    (Definition("sales", by=("supplier",)), InvalidReportDefinition),
    (Definition("sales", by=("product", "product")), InvalidReportDefinition),
    (Definition("stock", measures=("revenue",)), InvalidReportDefinition),
    (Definition("sales", filters={"supplier": "NORTHWIND"}), InvalidReportDefinition),
    (Definition("sales", filters={"customer": " "}), InvalidReportDefinition),
    (Definition("sales", period="next_year"), InvalidReportDefinition),
    (Definition("sales", period="2026-13"), InvalidReportDefinition),
    (Definition("stock", period="this_month"), InvalidReportDefinition),
    (Definition("movements"), InvalidReportDefinition),
    (Definition("ageing", kind="employee"), InvalidReportDefinition),
    (Definition("sales", filters={"customer": "NOBODY"}), UnknownPartner),
    (Definition("stock", filters={"warehouse": "SOUTH"}), UnknownWarehouse),
], ids=lambda v: getattr(v, "__name__", None) or repr(v)[:60])
def test_a_definition_that_does_not_fit_its_report_is_refused_and_nothing_is_saved(
        books: Books, definition: Definition, error: type[Exception]) -> None:
    before = audit_actions(books.uow)
    with pytest.raises(error):
        save_report(books.uow, books.shop.manager, "bad", definition)
    assert books.uow.read(lambda tx: tx.session.scalar(select(SavedReport.id))) is None
    assert audit_actions(books.uow) == before


def test_chosen_measures_and_filters_shape_the_report(books: Books) -> None:
    shop = books.shop
    save_report(books.uow, shop.manager, "acme qty", Definition(
        "sales", by=("product",), measures=("qty",), filters={"customer": "acme"}, period="2026-11"))
    report = run_saved_report(books.uow, shop.finance, "acme qty", timezone=SHANGHAI).report
    assert report.columns == ("product", "product_name", "qty")
    assert [(r[0], r[2]) for r in report.rows] == [("RETRO-CLOCK", D(4)), ("TEA-CUP", D(10))]
    assert report.comparison == ()


def test_relative_periods_are_resolved_on_the_company_day_they_run() -> None:
    sunday = date(2026, 11, 29)
    assert resolve_period("today", sunday) == Period(sunday, sunday)
    assert resolve_period("this_week", sunday) == Period(date(2026, 11, 23), sunday)
    assert resolve_period("last_7_days", sunday) == Period(date(2026, 11, 23), sunday)
    assert resolve_period("this_month", sunday) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert resolve_period("last_month", date(2026, 1, 31)) == Period(date(2025, 12, 1), date(2025, 12, 31))
    assert resolve_period("last_month", date(2026, 3, 1)) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert resolve_period("2024-02", sunday) == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert resolve_period(None, sunday) is None


def test_last_month_run_on_the_first_in_shanghai_is_still_the_last_day_of_the_month_in_utc(books: Books) -> None:
    shop = books.shop
    save_report(books.uow, shop.manager, "last month", by_product("last_month"))
    first_in_shanghai = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 1 December, 01:00 in Shanghai
    report = run_saved_report(books.uow, shop.manager, "last month", now=first_in_shanghai,
                              timezone=SHANGHAI).report
    assert report.period == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert report.total("revenue") == D("205.00")
    in_utc = run_saved_report(books.uow, shop.manager, "last month", now=first_in_shanghai, timezone="UTC").report
    assert in_utc.period == Period(date(2026, 10, 1), date(2026, 10, 31)) and in_utc.total("revenue") == D("50.00")


def test_deleting_a_report_removes_its_schedules_and_is_audited(books: Books) -> None:
    shop = books.shop
    save_report(books.uow, shop.manager, "daily", by_product("today"))
    schedule_report(books.uow, shop.manager, "daily", ["finance-1", "sales-1"], "daily", "08:00")
    assert delete_report(books.uow, shop.manager, "DAILY") == "daily"
    assert books.uow.read(lambda tx: tx.session.scalar(select(ReportSchedule.id))) is None
    with pytest.raises(UnknownSavedReport):
        run_saved_report(books.uow, shop.manager, "daily")
    with pytest.raises(UnknownSavedReport):
        delete_report(books.uow, shop.manager, "daily")
    assert [a for a in audit_actions(books.uow) if "report" in a] == [
        "saved_report.create", "report_schedule.set", "report_schedule.set", "saved_report.delete"]


def test_schedules_go_only_to_people_who_may_run_the_report_and_replace_each_other(books: Books) -> None:
    shop = books.shop
    save_report(books.uow, shop.manager, "margin", Definition("profit"))
    with pytest.raises(PermissionDenied):
        schedule_report(books.uow, shop.manager, "margin", ["finance-1", "sales-1"], "daily")
    assert [n for _, n in report_recipients(books.uow, shop.manager, "margin")] == [
        "finance-1", "manager-1", "system"]
    for kwargs in ({"frequency": "hourly"}, {"frequency": "daily", "at_time": "24:00"},
                   {"frequency": "weekly"}, {"frequency": "weekly", "weekday": 7},
                   {"frequency": "monthly", "day_of_month": 0}, {"frequency": "daily", "fmt": "pdf"}):
        with pytest.raises(InvalidSchedule):
            schedule_report(books.uow, shop.manager, "margin", ["finance-1"], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidSchedule):
        schedule_report(books.uow, shop.manager, "margin", [], "daily")
    assert list_schedules(books.uow, shop.manager) == []
    schedule_report(books.uow, shop.manager, "margin", ["finance-1"], "weekly", "9:30", weekday=0)
    [changed] = schedule_report(books.uow, shop.manager, "margin", ["finance-1"], "weekly", "18:00", weekday=4,
                                fmt="xlsx")
    assert (changed.recipient, changed.at_time, changed.weekday, changed.format) == ("finance-1", "18:00", 4, "xlsx")
    assert len(list_schedules(books.uow, shop.manager, "margin")) == 1
    assert unschedule(books.uow, shop.manager, "margin", "finance-1") == 1
    assert list_schedules(books.uow, shop.manager) == []


def test_monthly_days_past_the_months_end_fall_on_its_last_day() -> None:
    assert falls_on("monthly", None, 31, date(2026, 2, 28))
    assert falls_on("monthly", None, 29, date(2028, 2, 29)) and not falls_on("monthly", None, 30, date(2028, 2, 28))
    assert falls_on("monthly", None, 31, date(2026, 4, 30)) and falls_on("monthly", None, 30, date(2026, 5, 30))
    assert not falls_on("monthly", None, 31, date(2026, 5, 30))
    assert falls_on("weekly", 0, None, date(2026, 11, 30)) and not falls_on("weekly", 0, None, date(2026, 12, 1))
    assert falls_on("daily", None, None, date(2026, 12, 1))


def test_a_schedule_is_due_from_its_company_time_once_per_day_and_not_before_it_was_set_up(books: Books) -> None:
    shop, uow = books.shop, books.uow
    save_report(uow, shop.manager, "daily", by_product("today"))
    books.clock.at = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai: 08:00 today has passed
    [schedule] = schedule_report(uow, shop.manager, "daily", ["finance-1"], "daily", "08:00")
    assert due_schedules(uow, datetime(2026, 11, 27, 2, 0, tzinfo=UTC), SHANGHAI) == []  # first one tomorrow
    assert due_schedules(uow, datetime(2026, 11, 27, 23, 59, tzinfo=UTC), SHANGHAI) == []  # 07:59 on the 28th
    [due] = due_schedules(uow, datetime(2026, 11, 28, 0, 0, tzinfo=UTC), SHANGHAI)
    assert (due.schedule_id, due.recipient_id, due.local_date, due.dedupe_key) == (
        schedule.id, shop.finance.employee_id, date(2026, 11, 28), f"report:{schedule.id}:2026-11-28")
    uow.run(lambda tx: write_notes(tx, [Note("daily_summary", due.recipient_id, {}, due.dedupe_key)]))
    assert due_schedules(uow, datetime(2026, 11, 28, 9, 0, tzinfo=UTC), SHANGHAI) == []  # written: not again
    later = due_schedules(uow, datetime(2026, 11, 29, 12, 0, tzinfo=UTC), SHANGHAI)  # after a day's downtime
    assert [d.local_date for d in later] == [date(2026, 11, 29)]
    unschedule(uow, shop.manager, "daily")
    assert due_schedules(uow, datetime(2026, 11, 30, 12, 0, tzinfo=UTC), SHANGHAI) == []


def test_weekly_and_monthly_schedules_follow_the_company_calendar_not_utc(books: Books) -> None:
    shop, uow = books.shop, books.uow
    save_report(uow, shop.manager, "month end", by_product("this_month"))
    books.clock.at = datetime(2026, 1, 1, tzinfo=UTC)
    schedule_report(uow, shop.manager, "month end", ["finance-1"], "monthly", "23:30", day_of_month=31, fmt="xlsx")
    schedule_report(uow, shop.manager, "month end", ["manager-1"], "weekly", "07:00", weekday=0)

    def due_at(utc: datetime, zone: str = NEW_YORK) -> list[tuple[str, date]]:
        return [(d.format, d.local_date) for d in due_schedules(uow, utc, zone)]

    # 30 November 2026 is a Monday; 23:30 in New York is 04:30 UTC on 1 December
    assert due_at(datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == [("png", date(2026, 11, 30))]
    assert due_at(datetime(2026, 12, 1, 4, 29, tzinfo=UTC)) == [("png", date(2026, 11, 30))]
    assert due_at(datetime(2026, 12, 1, 4, 30, tzinfo=UTC)) == [("xlsx", date(2026, 11, 30)),
                                                                 ("png", date(2026, 11, 30))]
    assert due_at(datetime(2026, 12, 1, 5, 30, tzinfo=UTC)) == []  # 00:30 on Tuesday 1 December there
    assert due_at(datetime(2026, 11, 30, 16, 0, tzinfo=UTC), SHANGHAI) == []  # already 1 December in Shanghai
    assert due_at(datetime(2027, 3, 1, 4, 30, tzinfo=UTC)) == [("xlsx", date(2027, 2, 28))]  # February's end
    assert due_at(datetime(2027, 3, 31, 3, 30, tzinfo=UTC)) == []  # 30 March: not the 31st
    assert due_at(datetime(2027, 4, 1, 3, 30, tzinfo=UTC)) == [("xlsx", date(2027, 3, 31))]  # daylight time: UTC-4


def test_inactive_recipients_get_nothing(books: Books) -> None:
    shop, uow = books.shop, books.uow
    save_report(uow, shop.manager, "daily", by_product("today"))
    books.clock.at = datetime(2026, 11, 1, tzinfo=UTC)
    schedule_report(uow, shop.manager, "daily", ["finance-1"], "daily", "08:00")
    uow.run(lambda tx: tx.session.execute(update(Employee).where(Employee.name == "finance-1").values(active=False)))
    assert due_schedules(uow, datetime(2026, 11, 28, 12, 0, tzinfo=UTC), SHANGHAI) == []


def test_two_managers_saving_the_same_names_at_once_get_each_name_once_and_a_clear_refusal(books: Books) -> None:
    from concurrent.futures import ThreadPoolExecutor

    names = [f"race {n}" for n in range(12)]

    def save_all(who: str) -> list[str]:
        actor = books.shop.manager if who == "manager" else books.shop.admin
        outcomes = []
        for name in names:
            try:
                save_report(books.uow, actor, name, by_product())
                outcomes.append("saved")
            except DuplicateReportName:
                outcomes.append("duplicate")
        return outcomes

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(save_all, ["manager", "admin"])
    assert all({a, b} == {"saved", "duplicate"} for a, b in zip(first, second, strict=True))
    stored = books.uow.read(lambda tx: sorted(tx.session.scalars(select(SavedReport.name))))
    assert stored == sorted(names)
