"""Scheduled saved reports end to end with a controlled clock: the job puts one note per schedule and company day in
the outbox however often it runs (even twice at once), each rendered for its recipient, in their language, with their
permissions; the dispatcher sends the summary with the chart or the spreadsheet. `jxc report NAME` runs one."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, delete, insert, select

from bot.cli import main
from bot.delivery import Dispatcher, Pace, pending_for_employee
from bot.engine.replies import Reply
from bot.engine.texts import Texts
from bot.scheduler import saved_reports
from core.models import EmployeeRole, Notification
from core.people.accounts import bind_account, set_language
from core.reporting.report_definitions import Definition
from core.reporting.saved import save_report
from core.reporting.schedules import schedule_report
from tests.integration.test_saved_reports import Books, trade

SHANGHAI = "Asia/Shanghai"
TEXTS = Texts(timezone=SHANGHAI)
MORNING = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)  # Monday 30 November, 08:05 in Shanghai


@dataclass
class FakeTelegram:
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        self.sent += [(chat_id, r) for r in replies]


@pytest.fixture
def books(engine: Engine) -> Books:
    books = trade(engine)
    shop = books.shop
    save_report(books.uow, shop.manager, "客户销售", Definition("sales", by=("customer",), period="this_month"))
    save_report(books.uow, shop.manager, "margin", Definition("profit", by=("product",), period="last_month"))
    schedule_report(books.uow, shop.manager, "客户销售", ["sales-1"], "daily", "08:00")
    schedule_report(books.uow, shop.manager, "margin", ["finance-1"], "weekly", "08:00", weekday=0, fmt="xlsx")
    set_language(books.uow, shop.finance, "en")
    return books


def notes(books: Books) -> list[tuple[int, str, dict[str, object]]]:
    return books.uow.read(lambda tx: [tuple(r) for r in tx.session.execute(  # type: ignore[misc]
        select(Notification.recipient_id, Notification.dedupe_key, Notification.payload)
        .where(Notification.event_type == "saved_report").order_by(Notification.id))])


def test_each_delivery_is_written_once_per_company_day_however_often_the_job_runs(books: Books) -> None:
    shop = books.shop
    assert saved_reports(books.uow, MORNING - timedelta(minutes=10), SHANGHAI, TEXTS) == 0  # 07:55
    assert saved_reports(books.uow, MORNING, SHANGHAI, TEXTS) == 2
    assert saved_reports(books.uow, MORNING + timedelta(minutes=1), SHANGHAI, TEXTS) == 0
    with ThreadPoolExecutor(2) as pool:  # two processes at the same moment: the dedupe key keeps one
        assert sum(pool.map(lambda _: saved_reports(books.uow, MORNING + timedelta(days=1), SHANGHAI, TEXTS),
                            range(2))) == 1  # Tuesday: only the daily one
    written = [(r, k) for r, k, _ in notes(books)]
    daily, weekly = [k for _, k in written if k.endswith("2026-11-30")]
    assert [r for r, _ in written] == [shop.sales.employee_id, shop.finance.employee_id, shop.sales.employee_id]
    assert daily.startswith("report:") and weekly.startswith("report:") and daily != weekly
    assert [k.rsplit(":", 1)[1] for _, k in written] == ["2026-11-30", "2026-11-30", "2026-12-01"]


def test_each_recipient_gets_the_report_in_their_language_with_their_permissions(books: Books) -> None:
    saved_reports(books.uow, MORNING, SHANGHAI, TEXTS)
    (_, _, for_seller), (_, _, for_finance) = notes(books)
    assert str(for_seller["text"]).startswith("📌 客户销售\n📊 销售汇总（2026-11）")
    assert "销售额合计：180.00" in str(for_seller["text"])  # ACME only: ZETA is sales-2's customer
    assert for_seller["file"] is None and for_seller["image"] is not None
    assert str(for_finance["text"]).startswith("📌 margin\n📊 Gross profit (2026-10)")  # last month on the 30th
    assert for_finance["image"] is None and for_finance["file"] is not None


def test_the_dispatcher_sends_the_summary_with_the_chart_or_the_spreadsheet(books: Books) -> None:
    shop = books.shop
    bind_account(books.uow, shop.admin, "sales-1", "telegram", "3001", "3001")
    bind_account(books.uow, shop.admin, "finance-1", "telegram", "3002", "3002")
    saved_reports(books.uow, MORNING, SHANGHAI, TEXTS)
    telegram = FakeTelegram()
    dispatcher = Dispatcher(books.uow, TEXTS, {"telegram": telegram}, paces={"telegram": Pace(0, 0, 1)},
                            clock=lambda: MORNING + timedelta(days=30), mark_every=0.005)
    assert asyncio.run(dispatcher.drain()) == 2
    sent = dict(telegram.sent)
    chart = sent["3001"]
    assert "销售额合计：180.00" in chart.text and "ZETA" not in chart.text
    assert chart.image is not None and chart.image.content.startswith(b"\x89PNG") and chart.file is None
    sheet = sent["3002"]
    assert sheet.text.startswith("📌 margin") and sheet.file is not None
    assert sheet.file.name == "report-profit-2026-10.xlsx"
    rows = list(load_workbook(io.BytesIO(sheet.file.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:2] == ("Product", "Product name") and rows[1][0] == "RETRO-CLOCK"
    assert saved_reports(books.uow, MORNING + timedelta(hours=3), SHANGHAI, TEXTS) == 0
    assert asyncio.run(dispatcher.drain()) == 0  # nothing sent twice


def test_someone_without_a_push_chat_finds_the_report_with_their_next_reply(books: Books) -> None:
    saved_reports(books.uow, MORNING, SHANGHAI, TEXTS)
    waiting = books.uow.run(lambda tx: pending_for_employee(tx, books.shop.sales.employee_id, TEXTS))
    assert len(waiting) == 1 and waiting[0].text.startswith("📌 客户销售") and waiting[0].image is not None


def test_a_recipient_who_lost_the_permission_is_told_once_instead_of_getting_the_figures(books: Books) -> None:
    finance = books.shop.finance.employee_id
    books.uow.run(lambda tx: tx.session.execute(delete(EmployeeRole).where(EmployeeRole.employee_id == finance)))
    books.uow.run(lambda tx: tx.session.execute(insert(EmployeeRole).values(employee_id=finance, role="sales")))
    assert saved_reports(books.uow, MORNING, SHANGHAI, TEXTS) == 2
    assert saved_reports(books.uow, MORNING + timedelta(minutes=5), SHANGHAI, TEXTS) == 0
    [(_, _, payload)] = [n for n in notes(books) if n[0] == finance]
    assert payload["text"] == "📌 margin: the report could not be made this time. You are not allowed to do that."
    assert payload.get("image") is None and payload.get("file") is None


def test_jxc_report_takes_a_saved_reports_name_and_runs_it_as_the_employee_given(
        books: Books, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[company]\ntimezone = "{SHANGHAI}"\n', encoding="utf-8")
    assert main(["--config", str(config), "report", "客户销售", "--as", "sales-1", "--period", "2026-11",
                 "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("客户销售\n📊 Sales (2026-11)") and "ACME" in printed and "ZETA" not in printed
    out = tmp_path / "margin.xlsx"
    assert main(["--config", str(config), "report", "MARGIN", "--as", "finance-1", "--period", "2026-10",
                 "--format", "xlsx", "--out", str(out)]) == 0
    sheet = load_workbook(out).active
    assert sheet is not None and sheet.cell(2, 1).value == "RETRO-CLOCK"
    assert main(["--config", str(config), "report", "margin", "--as", "sales-1"]) == 2  # no profit for sales
    assert main(["--config", str(config), "report", "nothing-saved"]) == 2
    assert "unknown_saved_report" in capsys.readouterr().err


def test_a_text_delivery_carries_the_summary_and_the_table_without_attachments(books: Books) -> None:
    schedule_report(books.uow, books.shop.manager, "客户销售", ["manager-1"], "daily", "08:00", fmt="text")
    saved_reports(books.uow, MORNING + timedelta(days=1), SHANGHAI, TEXTS)
    [payload] = [p for r, _, p in notes(books) if r == books.shop.manager.employee_id]
    text = str(payload["text"])
    assert text.startswith("📌 客户销售\n📊 销售汇总（2026-12）") and "没有数据" in text  # December: nothing yet
    assert payload["image"] is None and payload["file"] is None

