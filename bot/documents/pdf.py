"""Documents drawn as PDF with fpdf2, the CJK font embedded (subset): A4 pages with the company's head, a QR code
of the number, the lines as a table whose head repeats on every page, totals, 大写金额, signatures and page numbers;
or one 80 mm thermal receipt as long as its content."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import TTFFont

from bot.documents.codes import draw_qr
from bot.documents.settings import Company
from bot.documents.templates import DocumentTemplate
from bot.documents.words import DocWords
from core.documents.capital import capital_amount
from core.documents.model import Cell, Column, PrintedDocument

FONT = "cjk"
A4_WIDTH, A4_MARGIN, A4_BOTTOM = 210.0, 12.0, 16.0
ROLL_WIDTH, ROLL_MARGIN, ROLL_MAX = 80.0, 4.0, 5000.0
NUMERIC = frozenset({"index", "qty", "price", "money"})  # right-aligned, never wrapped
ROLL_HEAD = ("line", "name", "spec", "when", "entry", "document")  # what a receipt line starts with
ROLL_CODES = ("sku", "barcode", "reference")  # then, small, without their labels
ROLL_RIGHT = ("amount", "balance")  # at the right of its last line; the other columns as "label value" before it


@dataclass(frozen=True)
class Sheet:
    """One document to draw: the document, its words, its template and the company, and when it was printed."""

    doc: PrintedDocument
    words: DocWords
    template: DocumentTemplate
    company: Company
    printed_at: datetime

    def info(self) -> list[tuple[str, str]]:
        """The head's label and value pairs that have a value: number, date, party, warehouse, author..."""
        doc, w = self.doc, self.words
        pairs = [(w.word("number"), doc.number), (w.word("date"), w.when(doc.created_at))]
        if doc.valid_until:
            pairs.append((w.word("valid_until"), doc.valid_until.isoformat()))
        if doc.period:
            pairs.append((w.word("period"), f"{doc.period[0].isoformat()} ~ {doc.period[1].isoformat()}"))
        if doc.party:
            pairs.append((w.word(f"party_{doc.party.role}"), f"{doc.party.name} ({doc.party.code})"))
            pairs += [(w.word("contact"), doc.party.contact), (w.word("phone"), doc.party.phone)]
        warehouse = doc.warehouse if w.chinese else doc.warehouse_en or doc.warehouse
        pairs += [(w.word("warehouse"), warehouse), (w.word("author"), doc.author),
                  (w.word("status"), w.word(f"status_{doc.status}") if doc.status else ""),
                  (w.word("reference"), doc.reference)]
        return [(label, value) for label, value in pairs if value]

    def company_lines(self) -> list[str]:
        c, w = self.company, self.words
        parts = [(w.word("tax_id"), c.tax_id), (w.word("address"), c.address), (w.word("phone"), c.phone),
                 (w.word("bank_account"), c.bank_account)]
        return [f"{label}: {value}" for label, value in parts if value]

    def totals(self) -> list[tuple[str, str]]:
        return [(self.words.word(key), self.words.money(value)) for key, value in self.doc.totals]

    def capitals(self) -> str:
        """大写金额 for Chinese documents with an amount; empty otherwise."""
        if not (self.template.capitals and self.words.chinese and self.doc.amount is not None):
            return ""
        return f"{self.words.word('capital')}: {capital_amount(self.doc.amount)}"

    def signatures(self) -> list[str]:
        return [label for label in self.words.word(self.template.signatures).split("|") if label]

    def footer(self, page: int, pages: str) -> str:
        return f"{self.words.word('printed')} {self.words.when(self.printed_at)}    " \
               f"{self.words.word('page', page=page, pages=pages)}"


class _Pages(FPDF):
    """An FPDF whose head and foot are drawn by the layout on every page."""

    def __init__(self, head: Callable[[FPDF], None], foot: Callable[[FPDF], None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._head, self._foot = head, foot

    def header(self) -> None:
        self._head(self)

    def footer(self) -> None:
        self._foot(self)


def _nothing(_pdf: FPDF) -> None:
    return None


class BlankPages:
    """An empty PDF (A4 unless a page says otherwise) with the CJK font loaded, copied for each document: parsing
    a CJK font takes ten times as long as copying it once parsed."""

    def __init__(self, font: tuple[Path, int]) -> None:
        self.font = font
        self._base: _Pages | None = None
        self._bytes = b""
        self._lock = threading.Lock()

    def pages(self, head: Callable[[FPDF], None] = _nothing, foot: Callable[[FPDF], None] = _nothing) -> _Pages:
        """A fresh copy, drawing `head` and `foot` on every page."""
        with self._lock:
            if self._base is None:
                base = _Pages(_nothing, _nothing, unit="mm", format="A4")
                base.add_font(FONT, "", str(self.font[0]), collection_font_number=self.font[1])
                base.set_font(FONT, size=9)
                base.set_creator("jxc")
                self._base, self._bytes = base, self.font[0].read_bytes()
            pdf = copy.deepcopy(self._base)
        for loaded in pdf.fonts.values():  # the copy shares the parsed font, which writing the PDF subsets in place
            if isinstance(loaded, TTFFont):
                loaded.ttfont = TTFont(BytesIO(self._bytes), recalcTimestamp=False, fontNumber=self.font[1],
                                       lazy=True)
        pdf._head, pdf._foot = head, foot
        return pdf


def a4_pdf(sheet: Sheet, blank: BlankPages) -> bytes:
    """The document on A4 pages."""
    pdf = blank.pages(lambda p: _a4_head(p, sheet), lambda p: _a4_foot(p, sheet))
    pdf.set_title(f"{sheet.words.word(sheet.template.title)} {sheet.doc.number}")
    pdf.set_margins(A4_MARGIN, A4_MARGIN, A4_MARGIN)
    pdf.set_auto_page_break(True, A4_BOTTOM)
    pdf.add_page()
    _a4_info(pdf, sheet)
    widths = _widths(sheet.doc.columns, A4_WIDTH - 2 * A4_MARGIN)
    _a4_table_head(pdf, sheet, widths)
    for row in sheet.doc.lines:
        cells = [_fit(pdf, sheet.words.cell(c, row), w, c.kind) for c, w in zip(sheet.doc.columns, widths, strict=True)]
        height = max(len(lines) for lines in cells) * 4.2 + 2
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            _a4_table_head(pdf, sheet, widths)
        _a4_row(pdf, sheet.doc.columns, widths, cells, height)
    _a4_end(pdf, sheet)
    return bytes(pdf.output())


def _a4_head(pdf: FPDF, sheet: Sheet) -> None:
    x = A4_MARGIN
    logo = Path(sheet.company.logo) if sheet.company.logo else None
    if logo is not None and logo.is_file():
        placed = pdf.image(str(logo), x=A4_MARGIN, y=10, h=16)
        x += float(placed.rendered_width) + 3
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x, 10)
    pdf.set_font(FONT, size=15)
    width = A4_WIDTH - A4_MARGIN - 30 - x
    pdf.multi_cell(width, 7, sheet.company.name, new_x="LEFT", new_y="NEXT", wrapmode=WrapMode.WORD,
                   max_line_height=7, align="L")
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(60, 60, 60)
    for line in sheet.company_lines():
        pdf.multi_cell(width, 4, line, new_x="LEFT", new_y="NEXT", wrapmode=WrapMode.WORD, align="L")
    qr_x = A4_WIDTH - A4_MARGIN - 24
    draw_qr(pdf, sheet.doc.number, qr_x, 7, 24)
    pdf.set_font(FONT, size=7)
    label = pdf.get_string_width(sheet.doc.number)
    pdf.set_xy(min(qr_x + 12 - label / 2, A4_WIDTH - A4_MARGIN - label), 31)
    pdf.cell(label, 3, sheet.doc.number)
    pdf.set_text_color(0, 0, 0)
    top = max(pdf.get_y() + 2, 36)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.4)
    pdf.line(A4_MARGIN, top, A4_WIDTH - A4_MARGIN, top)
    pdf.set_line_width(0.2)
    pdf.set_xy(A4_MARGIN, top + 2)
    pdf.set_font(FONT, size=16)
    pdf.cell(A4_WIDTH - 2 * A4_MARGIN, 9, sheet.words.word(sheet.template.title), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _a4_foot(pdf: FPDF, sheet: Sheet) -> None:
    pdf.set_y(-11)
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 4, sheet.footer(pdf.page_no(), "{nb}"), align="C")
    pdf.set_text_color(0, 0, 0)


def _a4_info(pdf: FPDF, sheet: Sheet) -> None:
    """The head's pairs in two columns."""
    pairs = sheet.info()
    half = (len(pairs) + 1) // 2
    width = (A4_WIDTH - 2 * A4_MARGIN) / 2
    top = pdf.get_y()
    bottom = top
    for column, chunk in enumerate((pairs[:half], pairs[half:])):
        pdf.set_xy(A4_MARGIN + column * width, top)
        for label, value in chunk:
            pdf.set_font(FONT, size=9)
            pdf.set_text_color(90, 90, 90)
            pdf.cell(22, 5.5, f"{label}:")
            pdf.set_text_color(0, 0, 0)
            pdf.multi_cell(width - 24, 5.5, value, new_x="LEFT", new_y="NEXT", wrapmode=WrapMode.WORD, align="L")
            pdf.set_x(A4_MARGIN + column * width)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(A4_MARGIN, bottom + 3)


def _widths(columns: Sequence[Column], total: float) -> list[float]:
    weight = sum(c.weight for c in columns) or 1
    return [total * c.weight / weight for c in columns]


def _a4_table_head(pdf: FPDF, sheet: Sheet, widths: Sequence[float]) -> None:
    pdf.set_fill_color(232, 232, 232)
    for column, width in zip(sheet.doc.columns, widths, strict=True):
        label = sheet.words.word(f"col_{column.key}")
        size = 8.5
        pdf.set_font(FONT, size=size)
        while size > 5.5 and pdf.get_string_width(label) > width - 1.5:
            size -= 0.5
            pdf.set_font(FONT, size=size)
        pdf.cell(width, 7, label, border=1, fill=True, align="R" if column.kind in NUMERIC else "C")
    pdf.ln(7)


def _fit(pdf: FPDF, text: str, width: float, kind: str) -> list[str]:
    """The cell's text in lines that fit its width (numbers on one line, text on at most three)."""
    pdf.set_font(FONT, size=8.5)
    if not text or kind in NUMERIC or pdf.get_string_width(text) <= width - 2:
        return [text]
    lines = pdf.multi_cell(width - 2, 4.2, text, dry_run=True, output="LINES", wrapmode=WrapMode.WORD, align="L")
    return [str(line) for line in lines][:3]  # type: ignore[union-attr]


def _a4_row(pdf: FPDF, columns: Sequence[Column], widths: Sequence[float], cells: Sequence[list[str]],
            height: float) -> None:
    x, y = pdf.get_x(), pdf.get_y()
    pdf.set_font(FONT, size=8.5)
    for column, width, lines in zip(columns, widths, cells, strict=True):
        pdf.rect(x, y, width, height)
        for index, line in enumerate(lines):
            pdf.set_xy(x + 1, y + 1 + index * 4.2)
            pdf.cell(width - 2, 4.2, line, align="R" if column.kind in NUMERIC else "L")
        x += width
    pdf.set_xy(A4_MARGIN, y + height)


def _a4_end(pdf: FPDF, sheet: Sheet) -> None:
    """Totals, 大写金额, the note and the signature lines, kept together on one page."""
    full = A4_WIDTH - 2 * A4_MARGIN
    needed = 8 * len(sheet.doc.totals) + 30
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(1.5)
    pdf.set_font(FONT, size=9)
    pdf.cell(full / 2, 6, sheet.words.word("lines", lines=len(sheet.doc.lines)))
    for index, (label, amount) in enumerate(sheet.totals()):
        if index:
            pdf.set_x(A4_MARGIN + full / 2)
        pdf.set_font(FONT, size=10.5)
        pdf.cell(full / 2, 6, f"{label}: {amount}", align="R", new_x="LMARGIN", new_y="NEXT")
    if not sheet.doc.totals:
        pdf.ln(6)
    capitals = sheet.capitals()
    if capitals:
        pdf.set_font(FONT, size=10.5)
        pdf.cell(full, 7, capitals, border=1, new_x="LMARGIN", new_y="NEXT")
    if sheet.doc.note:
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(full, 5, f"{sheet.words.word('note')}: {sheet.doc.note}", new_x="LMARGIN", new_y="NEXT",
                       wrapmode=WrapMode.WORD, align="L")
    signatures = sheet.signatures()
    if signatures:
        pdf.ln(9)
        pdf.set_font(FONT, size=9.5)
        width = full / len(signatures)
        for label in signatures:
            pdf.cell(width, 6, f"{label}: ____________")
        pdf.ln(6)


# ---- 80 mm thermal roll ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Row:
    """One row of a receipt: text lines (or a pair left/right, a rule, the QR code) at a size."""

    kind: str
    lines: tuple[str, ...] = ()
    right: str = ""
    size: float = 8.0
    align: str = "L"

    @property
    def height(self) -> float:
        if self.kind == "rule":
            return 2.5
        if self.kind == "qr":
            return 30.0
        if self.kind == "gap":
            return self.size
        return len(self.lines) * self.size * 0.48 + 0.6


def roll_pdf(sheet: Sheet, blank: BlankPages) -> bytes:
    """The document as one 80 mm receipt, its height what its content takes."""
    pdf = blank.pages()
    pdf.set_title(f"{sheet.words.word(sheet.template.title)} {sheet.doc.number}")
    rows = _roll_rows(pdf, sheet)
    height = min(ROLL_MAX, sum(r.height for r in rows) + 2 * ROLL_MARGIN)
    pdf.set_margins(ROLL_MARGIN, ROLL_MARGIN, ROLL_MARGIN)
    pdf.set_auto_page_break(True, ROLL_MARGIN)
    pdf.add_page(format=(ROLL_WIDTH, height))
    for row in rows:
        _roll_draw(pdf, sheet, row)
    return bytes(pdf.output())


def _roll_rows(pdf: FPDF, sheet: Sheet) -> list[_Row]:
    width = ROLL_WIDTH - 2 * ROLL_MARGIN
    words = sheet.words

    def text(value: str, size: float, align: str = "L") -> _Row:
        return _Row("text", tuple(_wrap(pdf, value, width, size)), size=size, align=align)

    def pair(left: str, right: str, size: float) -> _Row:
        room = width - _measure(pdf, right, size) - 2
        lines = _wrap(pdf, left, room, size)
        return _Row("pair", tuple(lines), right, size)

    rows = [text(sheet.company.name, 11, "C"), *(text(line, 7, "C") for line in sheet.company_lines()),
            _Row("gap", size=1.5), text(words.word(sheet.template.title), 12.5, "C"), _Row("gap", size=1)]
    rows += [text(f"{label}: {value}", 8) for label, value in sheet.info()]
    rows.append(_Row("rule"))
    for line in sheet.doc.lines:
        head, codes, detail, right = roll_parts(words, sheet.doc.columns, line)
        rows.append(text(head, 8.5))
        if codes:
            rows.append(text(codes, 7))
        rows.append(pair(detail, right, 7.5))
    rows.append(_Row("rule"))
    rows.append(text(words.word("lines", lines=len(sheet.doc.lines)), 8))
    rows += [pair(label, amount, 9.5) for label, amount in sheet.totals()]
    if sheet.capitals():
        rows.append(text(sheet.capitals(), 8.5))
    if sheet.doc.note:
        rows.append(text(f"{words.word('note')}: {sheet.doc.note}", 8))
    rows += [_Row("gap", size=2), _Row("qr"), text(sheet.doc.number, 7, "C")]
    for label in sheet.signatures():
        rows += [_Row("gap", size=5), text(f"{label}: ____________________", 8.5)]
    rows += [_Row("gap", size=3), text(sheet.footer(1, "1"), 6.5, "C")]
    return rows


def roll_parts(words: DocWords, columns: Sequence[Column], line: Mapping[str, Cell]) -> tuple[str, str, str, str]:
    """A line on a receipt: its head (number and name), its codes, the other columns as "label value" (the unit
    after each quantity) and what goes at the right (the amount)."""
    def cell(key: str) -> str:
        return next((words.cell(c, line) for c in columns if c.key == key), "")

    head = " ".join(words.cell(c, line) for c in columns if c.key in ROLL_HEAD and words.cell(c, line))
    codes = "  ".join(words.cell(c, line) for c in columns if c.key in ROLL_CODES and words.cell(c, line))
    unit = cell("unit")
    details = []
    for column in columns:
        value = words.cell(column, line)
        if column.key in (*ROLL_HEAD, *ROLL_CODES, *ROLL_RIGHT, "unit") or not (value or column.key == "count_here"):
            continue
        value = f"{value} {unit}" if column.kind == "qty" and unit and value else value or "______"
        details.append(f"{words.word(f'col_{column.key}')} {value}")
    right = "  ".join(words.cell(c, line) for c in columns if c.key in ROLL_RIGHT)
    return head, codes, "  ".join(details), right


def _roll_draw(pdf: FPDF, sheet: Sheet, row: _Row) -> None:
    width = ROLL_WIDTH - 2 * ROLL_MARGIN
    line_height = row.size * 0.48
    if row.kind == "gap":
        pdf.set_y(pdf.get_y() + row.size)
    elif row.kind == "rule":
        y = pdf.get_y() + 1.2
        pdf.set_dash_pattern(dash=1, gap=0.8)
        pdf.line(ROLL_MARGIN, y, ROLL_WIDTH - ROLL_MARGIN, y)
        pdf.set_dash_pattern()
        pdf.set_y(y + 1.3)
    elif row.kind == "qr":
        draw_qr(pdf, sheet.doc.number, (ROLL_WIDTH - 30) / 2, pdf.get_y(), 30)
        pdf.set_y(pdf.get_y() + 30)
    else:
        pdf.set_font(FONT, size=row.size)
        for index, line in enumerate(row.lines):
            pdf.set_x(ROLL_MARGIN)
            pdf.cell(width, line_height, line, align=row.align)
            if row.kind == "pair" and index == len(row.lines) - 1 and row.right:
                pdf.set_x(ROLL_MARGIN)
                pdf.cell(width, line_height, row.right, align="R")
            pdf.set_y(pdf.get_y() + line_height)
        pdf.set_y(pdf.get_y() + 0.6)


def _measure(pdf: FPDF, text: str, size: float) -> float:
    pdf.set_font(FONT, size=size)
    return float(pdf.get_string_width(text))


def _wrap(pdf: FPDF, text: str, width: float, size: float) -> list[str]:
    """`text` broken into lines no wider than `width` at `size`: at spaces where it can, else between characters."""
    pdf.set_font(FONT, size=size)
    lines: list[str] = []
    current = ""
    for char in text:
        if pdf.get_string_width(current + char) <= width:
            current += char
            continue
        cut = current.rfind(" ")
        if char != " " and cut > len(current) // 2:
            lines.append(current[:cut])
            current = current[cut + 1:] + char
        else:
            lines.append(current)
            current = "" if char == " " else char
    return [*lines, current] if current or not lines else lines
