"""Saved reports in chat, in Chinese and English: a manager builds one with buttons, anyone permitted runs it by name
or from the list and gets a summary, a chart and a spreadsheet; schedules are set with buttons; bad input changes
nothing."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from bot.engine.engine import Engine as ChatEngine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.models import AuditLog, ReportSchedule, SavedReport
from core.people.accounts import bind_account, set_language
from core.people.employees import load_actor
from core.reporting.report_definitions import Definition
from core.reporting.saved import save_report
from core.reporting.schedules import list_schedules
from tests.chat import Chat
from tests.integration.test_saved_reports import Books, trade

TEXTS = Texts()


@pytest.fixture
def books(engine: Engine) -> Books:
    return trade(engine)


def chat_as(books: Books, name: str, user_id: str, lang: str = "zh_CN") -> Chat:
    bind_account(books.uow, books.shop.admin, name, "test", user_id, user_id)
    if lang != "zh_CN":
        set_language(books.uow, load_actor(books.uow, name), lang)
    return Chat(ChatEngine(books.uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock"), user_id=user_id,
                chat_id=user_id)


def saved_count(books: Books) -> int:
    return books.uow.read(lambda tx: tx.session.scalar(select(func.count(SavedReport.id))))


def audit_count(books: Books) -> int:
    return books.uow.read(lambda tx: tx.session.scalar(select(func.count(AuditLog.id))))


def test_a_manager_builds_a_saved_report_with_buttons_and_runs_it_in_chinese(books: Books) -> None:
    chat = chat_as(books, "manager-1", "501")
    assert "还没有已存报表" in chat.send("我的报表")[0]
    assert "1/5" in chat.press(chat.button("新建报表"))[0]
    assert "2/5" in chat.press(chat.button("销售汇总"))[0]
    assert "已选：按商品" in chat.press(chat.button("按商品"))[0]
    assert "3/5" in chat.press(chat.button("下一步"))[0]
    assert "4/5" in chat.send("客户=ACME")[0]
    assert "5/5" in chat.press(chat.button("本月"))[0]
    [saved] = chat.send("ACME 月报")
    assert "已保存报表「ACME 月报」：销售汇总，按商品，客户=ACME，本月" in saved
    replies = chat.press(chat.button("立即运行"))
    assert replies[0].startswith("📌 ACME 月报\n📊 销售汇总（2026-11）")
    assert "销售额合计：180.00" in replies[0]
    assert "RETRO-CLOCK" in replies[0] and "TEA-CUP" in replies[0]  # a page of the table, as ad-hoc reports
    image, sheet = chat.replies[1].image, chat.replies[2].file
    assert image is not None and image.content.startswith(b"\x89PNG") and image.name == "report-sales-2026-11.png"
    assert sheet is not None and sheet.name == "report-sales-2026-11.xlsx"
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[1][0] == "RETRO-CLOCK" and D(str(rows[-1][3])) == D("180.00")
    listed = chat.send("我的报表")[0]
    assert "• ACME 月报：销售汇总，按商品，本月（manager-1）" in listed
    again = chat.send("我的报表 acme 月报")
    assert "销售额合计：180.00" in again[0]


def test_the_same_dialogue_in_english_and_a_salesperson_sees_only_their_customers(books: Books) -> None:
    chat = chat_as(books, "manager-1", "502", "en")
    chat.send("saved new")
    chat.press(chat.button("Sales"))
    chat.press(chat.button("By customer"))
    chat.press(chat.button("Next"))
    chat.press(chat.button("No filters"))
    assert "which period" in chat.press("sr:b.product")[0]  # an earlier step's button: asked again
    assert "which period" in chat.send("next year")[0]
    assert "5/5" in chat.send("2026-11")[0]
    assert 'Saved the report "customers": Sales, by customer, 2026-11.' in chat.send("customers")[0]
    manager_view = chat.send("saved customers")[0]
    assert "Total Revenue: 205.00" in manager_view
    seller = chat_as(books, "sales-1", "503", "en")
    own = seller.send("saved customers")[0]
    assert "Total Revenue: 180.00" in own and "ZETA" not in own and "(Your own customers only.)" in own
    assert "New report" not in seller.send("saved")[0]
    assert "not allowed" in seller.send("saved new")[0]


def test_bad_input_changes_nothing_and_the_dialogue_goes_on(books: Books) -> None:
    save_report(books.uow, books.shop.manager, "taken", Definition("stock"))
    chat = chat_as(books, "manager-1", "504")
    chat.send("我的报表 新建")
    before = (saved_count(books), audit_count(books))
    chat.press(chat.button("库存及金额"))
    chat.press(chat.button("下一步"))
    bad = chat.send("仓库 MAIN")[0]
    assert "看不懂「仓库 MAIN」" in bad and "3/5" in bad
    unknown = chat.send("仓库=SOUTH")
    assert "SOUTH" in unknown[0] and "3/5" in unknown[1]
    assert chat.send("仓库=MAIN 分类=XX")[0].startswith("找不到分类「XX」。")
    assert "5/5" in chat.send("仓库=main")[0]  # stock has no period
    assert "已有名为「TAKEN」的报表" in chat.send("TAKEN")[0]
    assert "不能与内置报表同名" in chat.send("sales")[0]
    assert (saved_count(books), audit_count(books)) == before
    assert chat.send("取消") == ["已取消。"]
    assert saved_count(books) == 1  # cancelled at the name: nothing saved
    chat.send("我的报表 新建")
    chat.press(chat.button("库存及金额"))
    chat.press(chat.button("下一步"))
    chat.send("仓库=main")
    assert "已保存报表「主仓库存」" in chat.send("主仓库存")[0]
    assert saved_count(books) == 2
    stale = chat.press("sr:k.sales")  # a button from the finished dialogue: just the list
    assert "主仓库存" in stale[0] and "taken" in stale[0]
    assert "没有名为「nothing」的已存报表" in chat.send("我的报表 nothing")[0]


def test_a_manager_schedules_a_report_to_chosen_people_with_buttons(books: Books) -> None:
    saved = save_report(books.uow, books.shop.manager, "毛利", Definition("profit"))
    chat = chat_as(books, "manager-1", "505")
    chat.send("我的报表")
    ask = chat.press(chat.button("⏰"))[0]
    assert "定时发送「毛利」" in ask
    labels = [b.label for row in chat.replies[0].buttons for b in row]
    assert "finance-1" in labels and "sales-1" not in labels  # sales staff may not see profit
    assert "发给谁" in chat.press(chat.button("下一步"))[0]  # nobody chosen yet: asked again
    chat.press(chat.button("finance-1"))
    assert "已选：finance-1" in chat.replies[0].text
    chat.press(chat.button("下一步"))
    chat.press(chat.button("每月"))
    assert "每月哪一天" in chat.send("32")[0]
    chat.send("31")
    assert "以什么形式发送" in chat.send("25:00")[0]
    refused = chat.press(chat.button("Excel"))
    assert "时间（时:分）「25:00」无效" in refused[0] and "几点发送" in refused[1]
    assert list_schedules(books.uow, books.shop.manager) == []
    chat.send("7:30")
    done = chat.press(chat.button("Excel"))[0]
    assert "• finance-1：每月 月末 07:30，Excel 表格" in done
    [schedule] = list_schedules(books.uow, books.shop.manager, "毛利")
    assert (schedule.recipient, schedule.frequency, schedule.day_of_month, schedule.at_time, schedule.format) == (
        "finance-1", "monthly", 31, "07:30", "xlsx")
    chat.send("我的报表")
    chat.press(f"sr:s{saved.id}")
    assert "当前发送：\n• finance-1：每月 月末 07:30，Excel 表格" in chat.replies[0].text
    assert "已停止「毛利」的 1 项定时发送" in chat.press(chat.button("停止全部发送"))[0]
    assert books.uow.read(lambda tx: tx.session.scalar(select(ReportSchedule.active))) is False


def test_deleting_asks_first_and_only_managers_may(books: Books) -> None:
    save_report(books.uow, books.shop.manager, "old", Definition("stock"))
    chat = chat_as(books, "manager-1", "506", "en")
    chat.send("saved")
    assert 'Delete the report "old"' in chat.press(chat.button("🗑"))[0]
    assert saved_count(books) == 1
    chat.press(chat.button("Keep"))
    assert saved_count(books) == 1
    chat.press(chat.button("🗑"))
    assert 'Deleted the report "old".' in chat.press(chat.button("Delete"))[0]
    assert saved_count(books) == 0
