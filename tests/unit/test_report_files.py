"""Report files without a database: the text table lines up Chinese names, the chart is a phone-sized PNG drawn
with a CJK font, and the spreadsheet carries the report's totals with formula-looking text neutralised."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from openpyxl import load_workbook
from PIL import Image

from bot.engine.texts import Texts
from bot.reporting import (
    CHART_HEIGHT_PX,
    CHART_WIDTH_PX,
    CJK_FONT,
    chart_font,
    display_width,
    neutralise,
    render_png,
    render_table,
    render_text,
    render_xlsx,
)
from core.reporting.periods import Comparison, Period, Report

TEXTS = Texts(timezone="Asia/Shanghai")


def sales_by_customer(*names: str) -> Report:
    rows = tuple((f"C{i:03d}", name, D(i + 1), D(f"{(i + 1) * 100}.50")) for i, name in enumerate(names))
    return Report(
        "report.sales", ("customer", "customer_name", "qty", "revenue"), rows,
        ("", "", sum((r[2] for r in rows), D(0)), sum((r[3] for r in rows), D(0))),
        (Comparison("revenue", sum((r[3] for r in rows), D(0)), D("150.00"), D(0)),),
        Period(date(2026, 3, 1), date(2026, 3, 31)),
    )


def test_the_chart_font_is_wenquanyi_and_it_has_chinese_glyphs() -> None:
    assert chart_font() == CJK_FONT
    path = font_manager.findfont(font_manager.FontProperties(family=CJK_FONT), fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(ch)) != 0 for ch in "库存销售额毛利")


def test_the_chart_is_a_valid_png_a_phone_screen_wide() -> None:
    png = render_png(sales_by_customer("北京华联超市", "Acme Trading", "上海百货"), TEXTS, "zh_CN")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (CHART_WIDTH_PX, CHART_HEIGHT_PX)


def test_an_empty_report_still_draws_a_chart() -> None:
    png = render_png(sales_by_customer(), TEXTS, "en")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (CHART_WIDTH_PX, CHART_HEIGHT_PX)


def test_the_text_table_lines_up_chinese_names_and_right_aligns_numbers() -> None:
    report = sales_by_customer("北京华联超市", "Acme", "上海百货有限公司")
    lines = render_table(report, TEXTS, "zh_CN").splitlines()
    assert lines[0].split() == ["客户", "客户名称", "数量", "销售额"]
    widths = {display_width(line) for line in lines if not line.startswith("-")}
    assert len(widths) == 1  # every row ends at the same column: numbers right-aligned, CJK counted double
    assert lines[-1].startswith("合计") and lines[-1].endswith("601.50")
    text = render_text(report, TEXTS, "en")
    assert text.startswith("📊 Sales (2026-03)")
    assert "previous period 150.00, +301.0%" in text


def test_the_spreadsheet_has_a_header_rows_and_the_reports_totals() -> None:
    report = sales_by_customer("北京华联超市", "Acme")
    book = load_workbook(io.BytesIO(render_xlsx(report, TEXTS, "en")))
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == ["Customer", "Customer name", "Qty", "Revenue"]
    assert sheet.max_row == 1 + len(report.rows) + 1
    totals = [c.value for c in sheet[sheet.max_row]]
    assert totals[0] == "Total"
    assert D(str(totals[2])) == report.total("qty") and D(str(totals[3])) == report.total("revenue")
    assert sheet.cell(2, 4).number_format == "#,##0.00"
    assert sheet.cell(2, 4).value == pytest.approx(100.5)


def test_formula_looking_text_is_neutralised_in_the_spreadsheet() -> None:
    evil = ("=HYPERLINK(\"http://x\",\"pay\")", "+86 123", "-2+3", "@SUM(A1)", "\tTAB", "Plain 名字")
    report = sales_by_customer(*evil)
    sheet = load_workbook(io.BytesIO(render_xlsx(report, TEXTS, "zh_CN"))).active
    assert sheet is not None
    names = [sheet.cell(row, 2) for row in range(2, 2 + len(evil))]
    assert [c.value for c in names] == ["'" + e for e in evil[:-1]] + ["Plain 名字"]
    assert all(c.data_type == "s" for c in names)
    assert neutralise(D("-5")) == D("-5")  # numbers stay numbers


def test_times_in_the_spreadsheet_are_in_the_company_time_zone() -> None:
    at = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    report = Report("report.movements", ("at", "document", "qty"), ((at, "GR-2026-000001", D(12)),),
                    ("", "", D(12)))
    sheet = load_workbook(io.BytesIO(render_xlsx(report, TEXTS, "en"))).active
    assert sheet is not None
    assert sheet.cell(2, 1).value == datetime(2026, 3, 3, 17, 0)
