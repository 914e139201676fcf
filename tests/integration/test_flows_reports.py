"""Reports and the dashboard in chat, whole dialogues through the engine over the golden month (March 2026,
tests/integration/test_golden_month.py; its clock stands at 28 March, so "this month" is March): the summary,
the chart and the Excel file carry the hand-checked figures, bad input changes nothing, each role sees only
what it may."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine

from benchmarks.common import StatementCounter
from bot.engine.replies import Reply
from bot.reporting import CHART_HEIGHT_PX, CHART_WIDTH_PX, XLSX_MIME, report_replies
from core.catalog.products import NewProduct, create_product
from core.db import create_db_engine
from core.models import Conversation, StockDocument, StockMove
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.reporting.dashboard import read_dashboard
from core.reporting.periods import Period, Report
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.conftest import _require_pg, fresh_schema
from tests.factories import make_shop
from tests.integration.chat_shop import TEXTS, person, rows
from tests.integration.test_golden_month import GoldenMonth, trade_a_golden_month


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoldenMonth]:
    """The golden month traded once per backend for the module, plus a salesperson without customers."""
    url = _require_pg() if request.param == "postgresql" else \
        f"sqlite:///{tmp_path_factory.mktemp('flows_reports') / 'jxc.db'}"
    engine: Engine = create_db_engine(url, pool_size=5)
    fresh_schema(engine)
    month = trade_a_golden_month(engine)
    create_employee(month.uow, month.shop.admin, "sales-2", ["sales"])
    create_employee(month.uow, month.shop.admin, "manager-en", ["manager"])
    yield month
    engine.dispose()


def png_size(reply: Reply) -> tuple[int, int]:
    assert reply.image is not None and reply.image.mime == "image/png"
    assert reply.image.content[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(reply.image.content)) as image:
        image.verify()
    with Image.open(io.BytesIO(reply.image.content)) as image:
        return image.size


def sheet_rows(reply: Reply) -> list[tuple[Any, ...]]:
    assert reply.file is not None and reply.file.mime == XLSX_MIME and reply.file.name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(reply.file.content))
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]


def test_a_manager_taps_sales_and_this_month_and_gets_the_golden_figures_chart_and_excel(
    golden: GoldenMonth,
) -> None:
    chat = person(golden.uow, golden.shop.admin, "manager-1")
    assert chat.send("报表") == ["要看哪个报表？点按钮，或输入例如「销售 2026-11」。"]
    labels = [b.label for row in chat.replies[0].buttons for b in row]
    assert labels == ["销售汇总", "毛利", "采购汇总", "库存及金额", "滞销库存", "临期与过期批次", "批次滞销与库龄",
                      "应收账龄"]
    assert chat.press(chat.button("销售汇总")) == ["销售汇总：哪个月？点按钮，或输入月份，例如 2026-11。"]
    options = chat.press(chat.button("本月"))[0]
    assert options.startswith("销售汇总（2026-03），按商品汇总。")
    texts = chat.press(chat.button("生成"))

    summary, caption, file_caption = texts
    assert summary.startswith("📊 销售汇总（2026-03）")
    assert "销售额合计：712.00" in summary and "数量合计：35" in summary
    assert "销售额：较上期 0.00" in summary
    for line in ("LAMP         台灯         2  198.00", "RETRO-CLOCK  复古闹钟    15  370.00",
                 "TEA-CUP      青花茶杯    18  144.00"):
        assert line in summary
    assert caption == "📈 销售汇总（2026-03）"
    assert png_size(chat.replies[1]) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
    assert file_caption == "完整表格（3 行）：report-sales-2026-03.xlsx"
    table = sheet_rows(chat.replies[2])
    assert table[0] == ("商品", "商品名称", "数量", "销售额")
    assert [r[1] for r in table[1:-1]] == ["台灯", "复古闹钟", "青花茶杯"]
    assert table[-1] == ("合计", None, 35, 712)
    assert chat.send("取消") == ["当前没有进行中的操作。"], "a one-page report ends the conversation"


def test_in_english_a_typed_line_runs_gross_profit_by_customer_at_once(golden: GoldenMonth) -> None:
    chat = person(golden.uow, golden.shop.admin, "finance-1", "en")
    summary = chat.send("report profit 2026-03 by customer")[0]
    assert summary.startswith("📊 Gross profit (2026-03)")
    assert "Total Revenue: 712.00" in summary and "Total Cost: 284.76" in summary
    assert "Total Profit: 427.24" in summary
    assert "ACME      Acme Trading" in summary and "244.83" in summary and "182.41" in summary
    table = sheet_rows(chat.replies[2])
    assert table[0] == ("Customer", "Customer name", "Qty", "Revenue", "Cost", "Profit")
    assert table[-1][0] == "Total" and [D(str(v)) for v in table[-1][2:]] == [D(35), D(712), D("284.76"),
                                                                               D("427.24")]
    assert chat.replies[1].image is not None and chat.replies[1].text == "📈 Gross profit (2026-03)"


def test_every_report_on_the_menu_runs_for_a_manager_with_its_chart_and_file(golden: GoldenMonth) -> None:
    chat = person(golden.uow, golden.shop.admin, "manager-1")
    expected = {"毛利": "毛利合计：427.24", "采购汇总": "采购金额合计：508.00", "库存及金额": "金额合计：217.24",
                "滞销库存": "📊 滞销库存", "临期与过期批次": "📊 临期与过期批次",
                "批次滞销与库龄": "📊 批次滞销与库龄", "应收账龄": "\n合计：94.00"}
    for label, figure in expected.items():
        chat.send("报表")
        chat.press(chat.button(label))
        if "哪个月" in chat.replies[0].text:
            chat.send("2026-03")
        texts = chat.press(chat.button("生成"))
        assert figure in texts[0], texts[0]
        assert png_size(chat.replies[1]) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
        assert sheet_rows(chat.replies[2])[0][0]


def test_a_month_typed_before_the_report_is_kept_when_the_report_is_tapped(golden: GoldenMonth) -> None:
    chat = person(golden.uow, golden.shop.admin, "manager-1")
    assert chat.send("报表 2026-03")[0].startswith("要看哪个报表？")
    assert chat.press(chat.button("采购汇总"))[0].startswith("采购汇总（2026-03），按供应商汇总。")
    assert "采购金额合计：508.00" in chat.press(chat.button("生成"))[0]


def test_filters_and_grouping_are_chosen_before_running(golden: GoldenMonth) -> None:
    chat = person(golden.uow, golden.shop.admin, "manager-1")
    chat.send("销售报表")
    chat.send("2026-03")
    reply = chat.send("客户:ACME")[0]
    assert reply.startswith("销售汇总（2026-03），按商品汇总。\n筛选：客户 ACME。")
    chat.press(chat.button("按客户"))
    summary = chat.press(chat.button("生成"))[0]
    assert "销售额合计：394.00" in summary and "BETA" not in summary
    assert sheet_rows(chat.replies[2])[-1] == ("合计", None, 28, 394)


def test_a_malformed_month_or_word_gets_a_clear_answer_and_the_dialogue_stays_where_it_was(
    golden: GoldenMonth,
) -> None:
    chat = person(golden.uow, golden.shop.admin, "manager-en", "en")
    books = rows(golden.uow, StockDocument, StockMove, Conversation)
    chat.send("report")
    chat.press(chat.button("Sales"))
    assert chat.send("2026-13") == [
        '"2026-13" is not a month. Type a month as year-month, such as 2026-11, or tap a button.',
        "Sales: which month? Tap a button, or type a month such as 2026-11."]
    assert chat.send("blah")[0].startswith('"blah" was not understood.')
    assert chat.send("2026-03")[0].startswith("Sales (2026-03), by product."), "the chosen report was kept"
    chat.send("warehouse MAIN")  # a filter word that is no command works with a space too
    assert chat.send("supplier:NORTHWIND") == ["Sales cannot be filtered by supplier.",
                                               chat.replies[1].text]
    assert "Filters: Warehouse MAIN." in chat.replies[1].text, "the earlier filter stays, the refused one is not added"
    chat.send("warehouse:NOWHERE")
    refused = chat.press(chat.button("Run"))
    assert len(refused) == 1 and "NOWHERE" in refused[0] and chat.replies[0].image is None
    assert chat.send("warehouse MAIN")[0].startswith("Sales (2026-03), by product."), "the dialogue goes on"
    zh = person(golden.uow, golden.shop.admin, "manager-1")
    assert zh.send("报表 销售 13/2026")[0].startswith("「13/2026」不是有效的月份")
    assert zh.send("报表 销售 2026-00")[0] == \
        "「2026-00」不是有效的月份。请输入像 2026-11 这样的月份（年-月），或点按钮。"
    assert rows(golden.uow, StockDocument, StockMove) == books[:2], "reports write nothing to the books"


def test_sales_staff_see_no_profit_no_cost_and_only_their_own_customers(golden: GoldenMonth) -> None:
    seller = person(golden.uow, golden.shop.admin, "sales-1")
    seller.send("报表")
    labels = [b.label for row in seller.replies[0].buttons for b in row]
    assert "毛利" not in labels and "采购汇总" not in labels and "销售汇总" in labels
    assert seller.send("报表 毛利 2026-03") == ["你没有权限执行这个操作。"]
    summary = seller.send("报表 销售 2026-03")[0]
    assert "销售额合计：712.00" in summary and "（只含你负责的客户。）" in summary
    assert "毛利" not in summary and "成本" not in summary
    assert sheet_rows(seller.replies[2])[0] == ("商品", "商品名称", "数量", "销售额")

    stranger = person(golden.uow, golden.shop.admin, "sales-2")
    summary = stranger.send("报表 销售 2026-03")[0]
    assert "销售额合计：0.00" in summary and "没有数据。" in summary
    assert sheet_rows(stranger.replies[2])[-1] == ("合计", None, 0, 0)

    assert seller.send("库存报表")[0].startswith("库存及金额，按仓库汇总。")
    assert "在库数量合计：42" in seller.press(seller.button("生成"))[0]
    assert sheet_rows(seller.replies[2])[0] == ("仓库", "品种数", "在库数量"), "no value column for sales staff"


def test_long_tables_come_a_page_at_a_time_with_a_next_page_button() -> None:
    rows_ = tuple((f"SKU-{n:03d}", f"商品{n}", D(1), D(10)) for n in range(45))
    report = Report("report.sales", ("product", "product_name", "qty", "revenue"), rows_, ("", "", D(45), D(450)),
                    period=Period(date(2026, 3, 1), date(2026, 3, 31)))
    first = report_replies(report, TEXTS, "zh_CN", next_page="rp:n:2")
    table = first[0].table
    assert len(first) == 3 and "第 1/3 页" in first[0].text and table is not None
    assert [row[0] for row in table.rows] == [f"SKU-{n:03d}" for n in range(20)]
    assert table.totals == ("合计", "", "45", "450.00") and table.header == ("商品", "商品名称", "数量", "销售额")
    assert table.numeric == (False, False, True, True)
    assert [b.data for row in first[0].buttons for b in row] == ["rp:n:2"]
    last = report_replies(report, TEXTS, "en", page=3, next_page="rp:n:4", attachments=False)
    assert len(last) == 1 and "Page 3/3" in last[0].text and not last[0].buttons
    assert last[0].table is not None and last[0].table.rows[-1][0] == "SKU-044" and len(last[0].table.rows) == 5
    assert len(sheet_rows(first[2])) == 47, "the spreadsheet has every row, the header and the totals"


def test_the_dashboard_shows_each_role_only_its_figures_as_an_image_and_a_line(golden: GoldenMonth) -> None:
    manager = person(golden.uow, golden.shop.admin, "manager-1")
    line = manager.send("看板")[0]
    assert line == ("📊 2026-03-28 今日销售 ¥0.00，本月 ¥712.00（毛利率 60.0%）；库存金额 ¥217.24；"
                    "低库存 0 项；待审批 0 件")
    assert png_size(manager.replies[0]) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
    seller = person(golden.uow, golden.shop.admin, "sales-1", "en")
    line = seller.send("dashboard")[0]
    assert line == ("📊 2026-03-28: sales today CN¥0.00, this month CN¥712.00 (your customers); low stock 0; "
                    "pending approvals 0")
    assert "margin" not in line and "stock value" not in line
    assert png_size(seller.replies[0]) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)


def test_the_dashboard_service_gives_the_golden_figures_in_one_statement(golden: GoldenMonth) -> None:
    counter = StatementCounter(golden.uow.engine)
    found: list[Any] = []
    manager = load_actor(golden.uow, "manager-1")
    opening = counter.during(lambda: golden.uow.read(lambda tx: None))  # BEGIN, on SQLite
    assert counter.during(lambda: found.append(read_dashboard(golden.uow, manager, timezone="Asia/Shanghai",
                                                              today=date(2026, 3, 22)))) == opening + 1
    board = found[0]
    # 22 March: the last 2 clocks of SO-1, revenue 50.00 against a cost of 19.03
    assert (board.sales_today, board.profit_today, board.margin_today) == (D("50.00"), D("30.97"), D("61.9"))
    assert (board.sales_month, board.profit_month, board.margin_month) == (D("712.00"), D("427.24"), D("60.0"))
    assert board.stock_value == D("217.24") and board.low_stock == 0 and board.pending_approvals == 0
    seller = read_dashboard(golden.uow, load_actor(golden.uow, "sales-2"), today=date(2026, 3, 22))
    assert (seller.sales_month, seller.profit_month, seller.stock_value) == (D(0), None, None)
    buyer = read_dashboard(golden.uow, load_actor(golden.uow, "purchaser-1"), today=date(2026, 3, 22))
    assert (buyer.sales_month, buyer.stock_value) == (None, D("217.24"))
    main = read_dashboard(golden.uow, load_actor(golden.uow, "warehouse-1"), today=date(2026, 3, 22))
    north = read_dashboard(golden.uow, load_actor(golden.uow, "north-1"), today=date(2026, 3, 22))
    assert (main.sales_month, north.sales_month) == (D("712.00"), D(0))  # every sale shipped from MAIN


def test_the_dashboard_counts_low_stock_in_the_readers_warehouses_and_approvals_waiting_for_them(
    golden: GoldenMonth,
) -> None:
    """Last in the module: it adds a reorder rule and an order waiting for a manager to the golden month."""
    shop = golden.shop
    set_reorder_rule(golden.uow, shop.manager, "TEA-CUP", "MAIN", 30, 60)  # MAIN has 19 cups
    set_reorder_rule(golden.uow, shop.manager, "RETRO-CLOCK", "NORTH", 2, 10)  # NORTH has 5 clocks: enough
    order = create_sales_order(golden.uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 1, "10")])
    assert submit_sales_order(golden.uow, shop.sales, order.number).status == "pending_approval"  # floor is 18

    def board(name: str) -> tuple[int, int]:
        found = read_dashboard(golden.uow, load_actor(golden.uow, name), today=date(2026, 3, 28))
        return found.low_stock, found.pending_approvals

    assert board("manager-1") == (1, 1)
    assert board("sales-1") == (1, 0), "the author does not approve their own order"
    assert board("warehouse-1") == (1, 0), "MAIN's worker sees MAIN's low stock"
    assert board("north-1") == (0, 0), "NORTH's worker sees only NORTH"
    line = person(golden.uow, shop.admin, "manager-1").send("看板")[0]
    assert line.endswith("低库存 1 项；待审批 1 件")


def test_a_long_report_in_chat_pages_with_a_button_and_sends_the_files_once(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    for n in range(1, 26):
        create_product(uow, admin, NewProduct(f"MUG-{n:02d}", f"马克杯{n:02d}", purchase_price="2"))
    receive_stock(uow, admin, "MAIN", [LineIn(f"MUG-{n:02d}", n, "2") for n in range(1, 26)])
    chat = person(uow, admin, "manager-1")
    chat.send("报表")
    chat.press(chat.button("滞销库存"))
    first = chat.press(chat.button("生成"))
    assert len(first) == 3 and "第 1/2 页" in first[0] and "MUG-06" in first[0] and "MUG-05" not in first[0]
    assert len(sheet_rows(chat.replies[2])) == 27, "the file has all 25 products, the header and the totals"
    second = chat.press(chat.button("下一页"))
    assert len(second) == 1 and chat.replies[0].image is None and chat.replies[0].file is None
    assert "第 2/2 页" in second[0] and "MUG-01" in second[0] and "MUG-06" not in second[0]  # most valuable first
    assert "在库数量合计：325" in second[0] and not chat.replies[0].buttons
    assert chat.send("取消") == ["当前没有进行中的操作。"], "the last page ends the conversation"


def test_a_month_beyond_the_years_the_books_hold_is_refused_in_chat_with_the_years(golden: GoldenMonth) -> None:
    zh = person(golden.uow, golden.shop.admin, "manager-1")
    assert zh.send("报表 销售 9999-12")[0] == (
        "期间 9999-12-01 至 9999-12-31 超出了账簿的年份范围：请选择 1970-01-01 至 2999-12-31 之间的日期。")
    en = person(golden.uow, golden.shop.admin, "manager-en", "en")
    assert en.send("report sales 1900-01")[0] == (
        "The period from 1900-01-01 to 1900-01-31 is outside the years the books hold: choose days from 1970-01-01 "
        "to 2999-12-31.")
