"""Reports for people: a short summary and an aligned table as text, a chart as a PNG for a phone screen, the full
table as an Excel file (formula-looking text neutralised)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine.replies import Attachment, Button, Reply
from bot.engine.tables import Table, display_width
from bot.engine.texts import Texts, format_money, format_quantity
from bot.table_picture import CJK_FONT
from bot.table_picture import cjk_font as chart_font
from core.reporting.dashboard import Dashboard
from core.reporting.periods import Comparison, Report

CHART_WIDTH_PX = 1080
CHART_HEIGHT_PX = 1350
CHART_DPI = 100
CHART_BARS = 15
MONEY_COLUMNS = frozenset({"value", "balance_value", "amount", "revenue", "cost", "profit", "0-30", "31-60", "61-90",
                           ">90", "total"})
QTY_COLUMNS = frozenset({"on_hand", "qty", "balance_qty"})
CHART_MEASURES = ("profit", "revenue", "amount", "total", "value", "balance_qty", "on_hand", "qty")
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
QTY_FORMAT = "#,##0.####"
TEXT_ROWS = 20
PNG_MIME = "image/png"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_text(column: str, value: Any, lang: str, zone: ZoneInfo) -> str:
    """A value as it appears in a text table."""
    if value is None or value == "":
        return "" if value == "" else "-"
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        if column in MONEY_COLUMNS:
            return f"{value:,.2f}"
        return format_quantity(value, lang)
    return str(value)


def column_labels(report: Report, texts: Texts, lang: str) -> list[str]:
    return [texts.render(lang, "report_column", name=c) for c in report.columns]


def report_table(report: Report, texts: Texts, lang: str) -> Table:
    """The rows and the totals row as a table (numbers to the right), labels in the reader's language."""
    body = tuple(tuple(cell_text(c, v, lang, texts.zone) for c, v in zip(report.columns, row, strict=True))
                 for row in report.rows)
    totals = [cell_text(c, v, lang, texts.zone) for c, v in zip(report.columns, report.totals, strict=True)]
    if report.rows and totals:
        totals[0] = totals[0] or texts.render(lang, "report_column", name="total")
    return Table(tuple(column_labels(report, texts, lang)), body,
                 tuple(_is_numeric(report, i) for i in range(len(report.columns))),
                 tuple(totals) if report.rows else ())


def render_table(report: Report, texts: Texts, lang: str) -> str:
    """The rows and the totals row, aligned in columns (numbers to the right)."""
    return report_table(report, texts, lang).as_text()


def render_text(report: Report, texts: Texts, lang: str) -> str:
    """The summary from the report_summary template, then the table."""
    summary = texts.render(lang, "report_summary", **summary_values(report, texts, lang))
    return summary + "\n\n" + render_table(report, texts, lang)


def summary_values(report: Report, texts: Texts, lang: str) -> dict[str, Any]:
    label = {c: texts.render(lang, "report_column", name=c) for c in report.columns}
    totals = [(label[c], cell_text(c, v, lang, texts.zone)) for c, v in zip(report.columns, report.totals, strict=True)
              if isinstance(v, Decimal) and c in MONEY_COLUMNS | QTY_COLUMNS]
    return {
        "code": report.code, "period": report.period.label() if report.period else "",
        "subject": str(report.params.get("product", "")), "totals": totals,
        "comparison": [_comparison_values(c, label.get(c.measure, c.measure), lang, texts) for c in report.comparison],
        "rows": report.rows, "page": report.page, "pages": report.pages,
    }


def _comparison_values(c: Comparison, label: str, lang: str, texts: Texts) -> dict[str, str]:
    def pct(value: Decimal | None) -> str:
        return "" if value is None else f"{value:+}%"

    return {"label": label, "current": cell_text("amount", c.current, lang, texts.zone),
            "previous": cell_text("amount", c.previous, lang, texts.zone),
            "last_year": cell_text("amount", c.last_year, lang, texts.zone),
            "pct_previous": pct(c.pct_previous), "pct_last_year": pct(c.pct_last_year)}


def _is_numeric(report: Report, index: int) -> bool:
    column = report.columns[index]
    return column in MONEY_COLUMNS or column in QTY_COLUMNS or column == "products"


# Charts


def render_png(report: Report, texts: Texts, lang: str) -> bytes:
    """A bar chart of the report's main measure per row (the largest first), 1080 px wide, large type."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    font = chart_font()
    families = [font] if font else []
    families += [f for f in matplotlib.rcParams["font.sans-serif"] if f != font]
    measure = next((m for m in CHART_MEASURES if m in report.columns), None)
    values: list[float] = []
    names: list[str] = []
    if measure is not None and report.rows:
        index = report.columns.index(measure)
        key_columns = [i for i, c in enumerate(report.columns)
                       if i < index and c not in MONEY_COLUMNS | QTY_COLUMNS and c != "products"][:2]
        pairs = sorted(((float(row[index] or 0), " ".join(str(row[i]) for i in key_columns)[:24])
                        for row in report.rows), key=lambda p: abs(p[0]), reverse=True)[:CHART_BARS]
        values = [p[0] for p in reversed(pairs)]
        names = [p[1] for p in reversed(pairs)]
    summary = summary_values(report, texts, lang)
    title = texts.render(lang, "report_summary", **{**summary, "totals": [], "comparison": [], "rows": [1],
                                                     "pages": 1}).lstrip("📊 ").strip()
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": families, "font.size": 22,
                         "axes.unicode_minus": False}):
        figure = Figure(figsize=(CHART_WIDTH_PX / CHART_DPI, CHART_HEIGHT_PX / CHART_DPI), dpi=CHART_DPI)
        axes = figure.subplots()
        if values:
            bars = axes.barh(range(len(values)), values, color="#2f6fb0")
            axes.set_yticks(range(len(values)), names)
            axes.bar_label(bars, labels=[f"{v:,.2f}" if measure in MONEY_COLUMNS else f"{v:,.4g}" for v in values],
                           padding=6, fontsize=18)
            axes.set_xlabel(texts.render(lang, "report_column", name=measure or ""))
            axes.margins(x=0.25)
            axes.xaxis.set_major_locator(MaxNLocator(4))
            axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        else:
            axes.text(0.5, 0.5, "—", ha="center", va="center", fontsize=60)
            axes.set_axis_off()
        axes.set_title(title, fontsize=26, loc="left")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


# Spreadsheets


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading single quote (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def render_xlsx(report: Report, texts: Texts, lang: str) -> bytes:
    """The full table with a bold header row, number formats and a totals row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.code.replace("report.", "")[:31]
    sheet.append([neutralise(label) for label in column_labels(report, texts, lang)])
    for row in report.rows:
        sheet.append([_xlsx_value(v, texts.zone) for v in row])
    totals = [_xlsx_value(v, texts.zone) if v != "" else None for v in report.totals]
    if totals and totals[0] is None:
        totals[0] = texts.render(lang, "report_column", name="total")
    sheet.append(totals)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for index, column in enumerate(report.columns, start=1):
        style = MONEY_FORMAT if column in MONEY_COLUMNS else QTY_FORMAT if column in QTY_COLUMNS else None
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(40, display_width(str(sheet.cell(1, index).value)) + 4))
        if style is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = style
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any, zone: ZoneInfo) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    return neutralise(value)


def write_report(report: Report, texts: Texts, lang: str, fmt: str, out: Path | None) -> str | bytes:
    """Render in `fmt` (text, png, xlsx); write to `out` when given. Returns what was rendered."""
    rendered: str | bytes
    if fmt == "text":
        rendered = render_text(report, texts, lang)
    elif fmt == "png":
        rendered = render_png(report, texts, lang)
    elif fmt == "xlsx":
        rendered = render_xlsx(report, texts, lang)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    if out is not None:
        if isinstance(rendered, str):
            out.write_text(rendered + "\n", encoding="utf-8")
        else:
            out.write_bytes(rendered)
    return rendered


# In chat


def page_of(report: Report, page: int, rows: int = TEXT_ROWS) -> Report:
    """The report cut to one page of `rows` rows for a chat message (totals stay those of the whole table)."""
    pages = max(1, -(-len(report.rows) // rows))
    page = min(max(page, 1), pages)
    return dataclasses.replace(report, rows=report.rows[(page - 1) * rows:page * rows], page=page, pages=pages)


def file_stem(report: Report) -> str:
    """An ASCII file name without extension: report-sales-2026-03."""
    stem = "report-" + report.code.replace("report.", "").replace("_", "-")
    return stem + (f"-{report.period.label()}" if report.period else "")


def report_replies(report: Report, texts: Texts, lang: str, *, page: int = 1, next_page: str | None = None,
                   notes: Sequence[str] = (), attachments: bool = True) -> list[Reply]:
    """A report in chat: the summary with one page of the table (a next-page button with data `next_page` when
    there is more), then the chart as a PNG and the whole table as an .xlsx (unless `attachments` is False)."""
    shown = page_of(report, page)
    summary = texts.render(lang, "report_summary", **summary_values(shown, texts, lang))
    text = "\n".join([summary, *notes]).strip()
    keys: tuple[tuple[Button, ...], ...] = ()
    if next_page is not None and shown.page < shown.pages:
        keys = ((Button(texts.render(lang, "next_page"), next_page),),)
    replies = [Reply(text, keys, table=report_table(shown, texts, lang))]
    if attachments:
        title = texts.render(lang, "report_chart_caption", **summary_values(report, texts, lang))
        stem = file_stem(report)
        replies.append(Reply(title, image=Attachment(f"{stem}.png", render_png(report, texts, lang), PNG_MIME)))
        replies.append(Reply(texts.render(lang, "report_file_caption", rows=len(report.rows), name=f"{stem}.xlsx"),
                             file=Attachment(f"{stem}.xlsx", render_xlsx(report, texts, lang), XLSX_MIME)))
    return replies


# The dashboard


def dashboard_values(board: Dashboard, texts: Texts, lang: str) -> dict[str, object]:
    """The dashboard's figures as text for templates and the image; None for what the reader may not see."""
    def money(value: object) -> str | None:
        return None if value is None else format_money(value, lang, texts.currency)  # type: ignore[arg-type]

    def pct(value: object) -> str | None:
        return None if value is None else f"{value}%"

    return {"day": board.day.isoformat(), "month": f"{board.month_start:%Y-%m}",
            "sales_today": money(board.sales_today), "sales_month": money(board.sales_month),
            "margin_today": pct(board.margin_today), "margin_month": pct(board.margin_month),
            "profit_month": money(board.profit_month), "stock_value": money(board.stock_value),
            "low_stock": board.low_stock, "pending_approvals": board.pending_approvals,
            "own": board.own_customers_only}


def dashboard_text(board: Dashboard, texts: Texts, lang: str) -> str:
    """The dashboard in one line of text."""
    return texts.render(lang, "dashboard_line", **dashboard_values(board, texts, lang))


def render_dashboard_png(board: Dashboard, texts: Texts, lang: str) -> bytes:
    """Tiles of large figures, 1080 x 1350 px: what the reader may see, nothing else."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    values = dashboard_values(board, texts, lang)
    tiles = [(texts.render(lang, "dashboard_label", name=name), str(values[name]))
             for name in ("sales_today", "sales_month", "margin_today", "margin_month", "stock_value", "low_stock",
                          "pending_approvals") if values[name] is not None]
    font = chart_font()
    families = ([font] if font else []) + [f for f in matplotlib.rcParams["font.sans-serif"] if f != font]
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False}):
        figure = Figure(figsize=(CHART_WIDTH_PX / CHART_DPI, CHART_HEIGHT_PX / CHART_DPI), dpi=CHART_DPI)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_axis_off()
        axes.set_xlim(0, 2)
        axes.set_ylim(0, 5)
        axes.text(0.08, 4.7, texts.render(lang, "dashboard_title", **values), fontsize=34, va="center")
        for n, (label, value) in enumerate(tiles):
            x, y = 0.06 + (n % 2) * 0.96, 3.55 - (n // 2) * 1.1
            axes.add_patch(FancyBboxPatch((x, y), 0.86, 0.9, boxstyle="round,pad=0.0,rounding_size=0.06",
                                          facecolor="#eef3fa", edgecolor="#2f6fb0", linewidth=2))
            axes.text(x + 0.05, y + 0.68, label, fontsize=24, color="#40506a", va="center")
            axes.text(x + 0.05, y + 0.3, value, fontsize=40 if len(value) < 13 else 30, color="#17365d",
                      va="center")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()


def dashboard_reply(board: Dashboard, texts: Texts, lang: str) -> Reply:
    """The dashboard as one message: the line of text with the image."""
    return Reply(dashboard_text(board, texts, lang),
                 image=Attachment(f"dashboard-{board.day.isoformat()}.png", render_dashboard_png(board, texts, lang),
                                  PNG_MIME))


__all__: Sequence[str] = (
    "CJK_FONT",
    "chart_font",
    "dashboard_reply",
    "dashboard_text",
    "display_width",
    "neutralise",
    "page_of",
    "render_dashboard_png",
    "render_png",
    "render_table",
    "render_text",
    "render_xlsx",
    "report_replies",
    "report_table",
    "write_report",
)

