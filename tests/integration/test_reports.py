"""Reports over the golden month (March 2026, tests/integration/test_golden_month.py): every hand-checked figure
comes back, each role sees only what it may, comparisons look at February and March 2025."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from core.db import create_db_engine
from core.errors import DomainError, PermissionDenied
from core.people.employees import load_actor
from core.reporting.periods import Filters, Report, parse_period
from core.reporting.reports import run_report
from core.uow import UnitOfWork
from tests.conftest import _require_pg, fresh_schema
from tests.integration.test_golden_month import GoldenMonth, trade_a_golden_month

MARCH = parse_period("2026-03")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoldenMonth]:
    """The golden month traded once per backend for the whole module (the reports only read it)."""
    if request.param == "postgresql":
        url = _require_pg()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'jxc.db'}"
    engine: Engine = create_db_engine(url, pool_size=5)
    fresh_schema(engine)
    yield trade_a_golden_month(engine)
    engine.dispose()


def report(golden: GoldenMonth, who: str, name: str, **filters: object) -> Report:
    actor = getattr(golden.shop, who)
    return run_report(golden.uow, actor, name, Filters(**filters))  # type: ignore[arg-type]


def test_stock_value_by_warehouse_is_the_hand_checked_217_24(golden: GoldenMonth) -> None:
    stock = report(golden, "manager", "stock", by=("warehouse",))
    assert stock.columns == ("warehouse", "products", "on_hand", "value")
    assert stock.rows == (("MAIN", 2, D(28), D("142.66")), ("NORTH", 2, D(14), D("74.58")))
    assert stock.total("value") == D("217.24") and stock.total("on_hand") == D(42)
    by_category = report(golden, "finance", "stock")
    assert by_category.columns[:2] == ("warehouse", "category")
    assert by_category.total("value") == D("217.24")
    only_north = report(golden, "manager", "stock", warehouse="north")
    assert only_north.total("value") == D("74.58")


def test_sales_staff_see_stock_quantities_but_never_its_value(golden: GoldenMonth) -> None:
    stock = report(golden, "sales", "stock", by=("warehouse",))
    assert "value" not in stock.columns
    assert stock.rows == (("MAIN", 2, D(28)), ("NORTH", 2, D(14)))


def test_sales_by_product_come_to_712_revenue_with_returns_deducted(golden: GoldenMonth) -> None:
    sales = report(golden, "manager", "sales", period=MARCH, by=("product",))
    assert sales.columns == ("product", "product_name", "qty", "revenue")
    assert [(r[0], r[2], r[3]) for r in sales.rows] == [
        ("LAMP", D(2), D("198.00")), ("RETRO-CLOCK", D(15), D("370.00")), ("TEA-CUP", D(18), D("144.00"))]
    assert sales.total("revenue") == D("712.00")
    by_customer = report(golden, "finance", "sales", period=MARCH, by=("customer",))
    assert [(r[0], r[3]) for r in by_customer.rows] == [("ACME", D("394.00")), ("BETA", D("318.00"))]
    by_person = report(golden, "finance", "sales", period=MARCH, by=("salesperson", "channel"))
    assert [(*r[:2], r[3]) for r in by_person.rows] == [("sales-1", "chat", D("712.00"))]
    acme = report(golden, "manager", "sales", period=MARCH, customer="ACME", by=("month",))
    assert acme.rows == (("2026-03", D(28), D("394.00")),)  # 10 clocks + 20 cups - 2 cups back


def test_sales_compare_with_the_previous_month_and_the_same_month_last_year(golden: GoldenMonth) -> None:
    sales = report(golden, "manager", "sales", period=MARCH)
    (revenue,) = sales.comparison
    assert (revenue.measure, revenue.current, revenue.previous, revenue.last_year) == (
        "revenue", D("712.00"), D(0), D(0))
    assert revenue.change_previous == D("712.00") and revenue.pct_previous is None
    april = report(golden, "manager", "sales", period=parse_period("2026-04"))
    assert april.rows == () and april.total("revenue") == 0
    (after,) = april.comparison
    assert (after.current, after.previous, after.change_previous, after.pct_previous) == (
        D(0), D("712.00"), D("-712.00"), D("-100.0"))
    march_next_year = report(golden, "manager", "sales", period=parse_period("2027-03"))
    assert march_next_year.comparison[0].last_year == D("712.00")


def test_gross_profit_is_712_revenue_less_284_76_cost(golden: GoldenMonth) -> None:
    profit = report(golden, "finance", "profit", period=MARCH)
    assert [(r[0], r[3], r[4], r[5]) for r in profit.rows] == [
        ("LAMP", D("198.00"), D("88.00"), D("110.00")),
        ("RETRO-CLOCK", D("370.00"), D("142.76"), D("227.24")),
        ("TEA-CUP", D("144.00"), D("54.00"), D("90.00"))]
    assert (profit.total("revenue"), profit.total("cost"), profit.total("profit")) == (
        D("712.00"), D("284.76"), D("427.24"))
    assert [c.measure for c in profit.comparison] == ["revenue", "cost", "profit"]
    by_customer = report(golden, "manager", "profit", period=MARCH, by=("customer",))
    assert [(r[0], r[4], r[5]) for r in by_customer.rows] == [
        ("ACME", D("149.17"), D("244.83")), ("BETA", D("135.59"), D("182.41"))]


def test_sales_staff_get_no_profit_and_see_only_their_own_customers(golden: GoldenMonth) -> None:
    with pytest.raises(PermissionDenied):
        report(golden, "sales", "profit", period=MARCH)
    own = report(golden, "sales", "sales", period=MARCH)
    assert own.total("revenue") == D("712.00")
    assert "cost" not in own.columns and "profit" not in own.columns
    uow = golden.uow
    from core.people.employees import create_employee

    create_employee(uow, golden.shop.admin, "sales-2", ["sales"])
    stranger = load_actor(uow, "sales-2")
    theirs = run_report(uow, stranger, "sales", Filters(period=MARCH))
    assert theirs.rows == () and theirs.total("revenue") == 0
    with pytest.raises(PermissionDenied):
        run_report(uow, stranger, "purchases", Filters(period=MARCH))
    ageing = run_report(uow, stranger, "ageing", Filters())
    assert ageing.rows == ()


def test_purchases_by_supplier_are_received_less_returned(golden: GoldenMonth) -> None:
    purchases = report(golden, "purchaser", "purchases", period=MARCH)
    assert purchases.rows == (("NORTHWIND", "Northwind Traders", D(79), D("508.00")),)
    by_product = report(golden, "manager", "purchases", period=MARCH, by=("product",))
    assert [(r[0], r[2], r[3]) for r in by_product.rows] == [
        ("LAMP", D(2), D("88.00")), ("RETRO-CLOCK", D(29), D("276.00")), ("TEA-CUP", D(48), D("144.00"))]
    assert purchases.comparison[0].current == D("508.00")


def test_movements_of_a_product_come_a_page_at_a_time(golden: GoldenMonth) -> None:
    first = report(golden, "manager", "movements", product="retro-clock", page_size=4)
    assert first.pages == 4 and len(first.rows) == 4
    assert [r[1][:2] for r in first.rows] == ["GR", "GR", "GR", "SV"]
    assert first.total("qty") == D(14)  # 9 in MAIN + 5 in NORTH, transit empty
    last = report(golden, "manager", "movements", product="RETRO-CLOCK", page_size=4, page=4)
    assert 0 < len(last.rows) <= 4
    north = report(golden, "manager", "movements", product="RETRO-CLOCK", warehouse="NORTH")
    assert north.total("qty") == D(5) and north.total("value") == D("47.58")
    assert "value" not in report(golden, "sales", "movements", product="RETRO-CLOCK").columns


def test_slow_moving_stock_is_what_was_not_shipped_in_the_last_days(golden: GoldenMonth) -> None:
    # On Mar 28 with 10 days: only MAIN clocks shipped since Mar 18 (Mar 22); MAIN has no lamps left
    slow = report(golden, "manager", "slow-moving", days=10)
    assert [(r[0], r[1], r[3], r[4]) for r in slow.rows] == [
        ("MAIN", "TEA-CUP", D(19), D("57.00")), ("NORTH", "RETRO-CLOCK", D(5), D("47.58")),
        ("NORTH", "TEA-CUP", D(9), D("27.00"))]
    assert slow.total("value") == D("131.58")
    assert report(golden, "manager", "slow-moving", days=10, page_size=2).pages == 2


def test_ageing_puts_open_orders_in_buckets_by_days_since_billing(golden: GoldenMonth) -> None:
    receivables = report(golden, "finance", "ageing")
    assert receivables.rows == (("ACME", "Acme Trading", D("94.00"), D(0), D(0), D(0), D("94.00")),)
    payables = report(golden, "finance", "ageing", partner_kind="supplier")
    assert payables.rows == (("NORTHWIND", "Northwind Traders", D("108.00"), D(0), D(0), D(0), D("108.00")),)
    later = UnitOfWork(golden.uow.engine, clock=lambda: datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    may = run_report(later, golden.shop.finance, "ageing", Filters())
    assert may.rows[0][2:] == (D(0), D("94.00"), D(0), D(0), D("94.00"))  # billed Mar 10 and 22: 40+ days
    summer = UnitOfWork(golden.uow.engine, clock=lambda: datetime(2026, 6, 12, 9, 0, tzinfo=UTC))
    june = run_report(summer, golden.shop.finance, "ageing", Filters(partner_kind="supplier"))
    assert june.rows[0][2:] == (D(0), D(0), D(0), D("108.00"), D("108.00"))
    assert june.total("total") == D("108.00")
    with pytest.raises(PermissionDenied):
        report(golden, "sales", "ageing", partner_kind="supplier")


def test_unknown_report_names_and_bad_periods_are_refused(golden: GoldenMonth) -> None:
    with pytest.raises(DomainError):
        report(golden, "manager", "weather")
    with pytest.raises(DomainError):
        parse_period("2026-13")
    with pytest.raises(DomainError):
        report(golden, "manager", "sales", period=MARCH, by=("colour",))


def test_jxc_report_sales_writes_an_xlsx_end_to_end(tmp_path: Path) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "demo.db"}"\n', encoding="utf-8")
    env = {**os.environ, "JXC_CONFIG": str(config)}
    jxc = [sys.executable, "-m", "bot.cli"]
    for step in (["init"], ["seed", "demo", "--products", "60", "--days", "10"]):
        done = subprocess.run(jxc + step, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    files = {name: tmp_path / f"{name}.xlsx" for name in ("sales", "stock")}
    for name, out in files.items():
        done = subprocess.run([*jxc, "report", name, "--period", month, "--format", "xlsx", "--out", str(out)],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    text = subprocess.run([*jxc, "report", "stock", "--by", "warehouse"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert text.returncode == 0, text.stderr

    engine = create_db_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    uow = UnitOfWork(engine)
    system = load_actor(uow, "system")
    tz = "Asia/Shanghai"
    expected = {"sales": run_report(uow, system, "sales", Filters(period=parse_period(month), timezone=tz)),
                "stock": run_report(uow, system, "stock", Filters(timezone=tz))}
    engine.dispose()
    for name, out in files.items():
        sheet = load_workbook(out).active
        assert sheet is not None
        wanted = expected[name]
        assert sheet.max_row == 1 + len(wanted.rows) + 1
        last = [c.value for c in sheet[sheet.max_row]]
        measure = "revenue" if name == "sales" else "value"
        assert D(str(last[wanted.columns.index(measure)])) == wanted.total(measure)
    assert expected["stock"].total("value") > 0
    assert f"{expected['stock'].total('value'):,.2f}" in text.stdout


def test_periods_are_whole_days_in_the_company_time_zone(golden: GoldenMonth) -> None:
    # SO-1 shipped at 09:00 UTC on Mar 10, which is 23:00 on Mar 9 in Honolulu
    mar_9, mar_10 = parse_period(None, "2026-03-09", "2026-03-09"), parse_period(None, "2026-03-10", "2026-03-10")
    utc = report(golden, "manager", "sales", period=mar_10)
    honolulu_9 = report(golden, "manager", "sales", period=mar_9, timezone="Pacific/Honolulu")
    honolulu_10 = report(golden, "manager", "sales", period=mar_10, timezone="Pacific/Honolulu")
    assert utc.total("revenue") == honolulu_9.total("revenue") == D("360.00")
    assert honolulu_10.total("revenue") == 0
    shanghai = report(golden, "manager", "sales", period=MARCH, by=("month",), timezone="Asia/Shanghai")
    assert shanghai.rows == (("2026-03", D(35), D("712.00")),)


def test_by_month_over_several_months_shows_only_months_with_sales_cut_at_the_period_edges(
        golden: GoldenMonth) -> None:
    february_to_april = parse_period(None, "2026-02-01", "2026-04-30")
    by_month = report(golden, "manager", "sales", period=february_to_april, by=("month",))
    assert by_month.rows == (("2026-03", D(35), D("712.00")),)
    by_customer = report(golden, "finance", "sales", period=february_to_april, by=("month", "customer"))
    assert [(r[0], r[1], r[4]) for r in by_customer.rows] == [
        ("2026-03", "ACME", D("394.00")), ("2026-03", "BETA", D("318.00"))]
    # from Mar 11 the Mar 10 shipment (8 clocks at 25, 20 cups at 8: 360.00) is left out
    after_the_10th = report(golden, "manager", "sales", period=parse_period(None, "2026-03-11", "2026-05-31"),
                            by=("month", "product"))
    assert sum(r[4] for r in after_the_10th.rows) == after_the_10th.total("revenue") == D("352.00")
    assert {r[0] for r in after_the_10th.rows} == {"2026-03"}
    twenty_years = report(golden, "manager", "sales", period=parse_period(None, "2007-04-01", "2027-03-31"),
                          by=("month",))  # the most months a report takes: 240
    assert twenty_years.rows == (("2026-03", D(35), D("712.00")),)


def test_ageing_agrees_with_the_open_balances_of_the_money_module(golden: GoldenMonth) -> None:
    from core.money.statements import partner_balance

    receivables = report(golden, "finance", "ageing")
    for code, *_, total in receivables.rows:
        balance = partner_balance(golden.uow, golden.shop.finance, "customer", code)
        assert total == sum((d.open for d in balance.documents), D(0))


def test_previous_and_last_year_periods() -> None:
    assert parse_period("2026-03").previous() == parse_period("2026-02")
    assert parse_period("2026-01").previous() == parse_period("2025-12")
    assert parse_period("2028-02").last_year() == parse_period("2027-02")
    week = parse_period(None, "2026-03-10", "2026-03-16")
    assert week.previous() == parse_period(None, "2026-03-03", "2026-03-09")
    leap = parse_period(None, "2028-02-29", "2028-02-29")
    assert leap.last_year() == parse_period(None, "2027-02-28", "2027-02-28")
    assert parse_period(None, "2026-03-05", None, today=datetime(2026, 3, 20).date()).end.day == 20


def test_sales_filter_by_salesperson_channel_and_warehouse(golden: GoldenMonth) -> None:
    assert report(golden, "manager", "sales", period=MARCH, salesperson="sales-1").total("revenue") == D("712.00")
    assert report(golden, "manager", "sales", period=MARCH, channel="chat").total("revenue") == D("712.00")
    assert report(golden, "manager", "sales", period=MARCH, channel="store").rows == ()
    assert report(golden, "manager", "profit", period=MARCH, warehouse="NORTH").rows == ()
    by_warehouse = report(golden, "manager", "profit", period=MARCH, by=("warehouse",))
    assert [(r[0], r[2], r[3]) for r in by_warehouse.rows] == [("MAIN", D("712.00"), D("284.76"))]
    with pytest.raises(DomainError):
        report(golden, "manager", "sales", period=MARCH, salesperson="nobody")


def test_warehouse_staff_see_stock_sales_and_purchases_of_their_own_warehouses_only(golden: GoldenMonth) -> None:
    north = load_actor(golden.uow, "north-1")
    assert report(golden, "warehouse", "sales", period=MARCH).total("revenue") == D("712.00")  # all shipped at MAIN
    assert run_report(golden.uow, north, "sales", Filters(period=MARCH)).rows == ()
    assert run_report(golden.uow, north, "sales", Filters(period=MARCH, warehouse="MAIN")).rows == ()
    stock = run_report(golden.uow, north, "stock", Filters(by=("warehouse",)))
    assert [r[0] for r in stock.rows] == ["NORTH"]
    assert run_report(golden.uow, north, "purchases", Filters(period=MARCH)).rows == ()  # received at MAIN
    assert report(golden, "manager", "stock", by=("warehouse",)).rows[0][0] == "MAIN"
