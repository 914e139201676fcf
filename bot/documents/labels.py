"""Product and shelf labels as PDF: a sheet of A4 (3 x 8 labels of 70 x 37 mm, the common label stock) or single
50 x 30 mm labels for a label printer; each with name, spec, price, the barcode (EAN-13 or Code 128) and a QR code
of the link that opens the item's card in chat. Lot labels the same way: name, lot, expiry and a GS1-128 barcode of
GTIN, expiry and lot, which the scanner reads back when goods are received, counted or shipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from fpdf import FPDF
from fpdf.enums import WrapMode

from bot.documents.codes import barcode_pattern, draw_barcode, draw_bars, draw_qr, gs1_pattern
from bot.documents.pdf import BlankPages
from bot.documents.words import DocWords
from core.documents.labels import LotLabel, ProductLabel

LABEL_LAYOUTS = ("a4", "50x30")
FONT = "cjk"
GRID = (3, 8)  # columns and rows of an A4 sheet
A4 = (210.0, 297.0)
SINGLE = (50.0, 30.0)
MODULE = 0.4  # mm per bar module at most: EAN-13 at about 120 % of its nominal size


def labels_pdf(labels: Sequence[ProductLabel], words: DocWords, blank: BlankPages,
               link: Callable[[ProductLabel], str], layout: str = "a4", shelf: bool = False) -> bytes:
    """Every label, on A4 sheets (with light cut lines) or one 50 x 30 mm page each."""
    pdf = blank.pages()
    pdf.set_title(words.word("title_shelf_labels" if shelf else "title_labels"))
    for label, (x, y, width, height) in _slots(pdf, len(labels), layout == "50x30"):
        _label(pdf, labels[label], words, link(labels[label]), x, y, width, height, shelf)
    return bytes(pdf.output())


def lot_labels_pdf(labels: Sequence[LotLabel], words: DocWords, blank: BlankPages,
                   link: Callable[[LotLabel], str], layout: str = "a4") -> bytes:
    """Every lot label, on A4 sheets or one 50 x 30 mm page each."""
    pdf = blank.pages()
    pdf.set_title(words.word("title_lot_labels"))
    for label, (x, y, width, height) in _slots(pdf, len(labels), layout == "50x30"):
        _lot_label(pdf, labels[label], words, link(labels[label]), x, y, width, height)
    return bytes(pdf.output())


def _slots(pdf: FPDF, count: int, single: bool) -> Iterator[tuple[int, tuple[float, float, float, float]]]:
    """Where each of `count` labels goes (x, y, width, height), adding pages (and cut lines on A4) as needed."""
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    width, height = SINGLE if single else (A4[0] / GRID[0], A4[1] / GRID[1])
    per_page = 1 if single else GRID[0] * GRID[1]
    for index in range(count):
        if index % per_page == 0:
            pdf.add_page(format=SINGLE if single else A4)
        slot = index % per_page
        x, y = (0.0, 0.0) if single else ((slot % GRID[0]) * width, (slot // GRID[0]) * height)
        if not single:
            pdf.set_draw_color(200, 200, 200)
            pdf.set_line_width(0.1)
            pdf.rect(x, y, width, height)
        yield index, (x, y, width, height)


def _lot_label(pdf: FPDF, label: LotLabel, words: DocWords, link: str, x: float, y: float, width: float,
               height: float) -> None:
    pad = max(1.5, width * 0.04)
    qr = min(height * 0.36, 12.0)
    text_width = width - 2 * pad - qr - 1
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=7.5 * height / 37 + (1 if height < 35 else 0))
    pdf.set_xy(x + pad, y + pad)
    name = label.name_zh if words.chinese else label.name_en
    pdf.cell(text_width, pdf.font_size * 1.2, _fit(pdf, name, text_width), new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, size=(9 if height >= 35 else 7.5))
    pdf.set_x(x + pad)
    pdf.cell(text_width, pdf.font_size * 1.3, f"{words.word('label_lot')} {label.lot}", new_x="LEFT", new_y="NEXT")
    if label.expiry is not None:
        pdf.set_x(x + pad)
        pdf.cell(text_width, pdf.font_size * 1.3, f"{words.word('label_expiry')} {label.expiry:%Y-%m-%d}")
    draw_qr(pdf, link, x + width - pad - qr, y + pad * 0.6, qr)
    pattern = gs1_pattern(label.gs1) if label.gs1 else barcode_pattern(label.lot)
    bars = height * 0.26
    top = y + height - pad - bars - 2.4
    wide = min(width - 2 * pad, len(pattern) * MODULE * 0.75)
    draw_bars(pdf, pattern, x + (width - wide) / 2, top, wide, bars)
    pdf.set_font(FONT, size=5)
    pdf.set_xy(x + pad, top + bars + 0.2)
    pdf.cell(width - 2 * pad, 2.2, label.gs1 or label.lot, align="C")


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut (with …) to fit `width` on one line in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(f"{text}…") > width:
        text = text[:-1]
    return f"{text}…"


def _label(pdf: FPDF, label: ProductLabel, words: DocWords, link: str, x: float, y: float, width: float,
           height: float, shelf: bool) -> None:
    pad = max(1.5, width * 0.04)
    qr = min(height * 0.42, 14.0)
    name = label.name_zh if words.chinese else label.name_en
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=(10.5 if shelf else 8) * height / 37 + (1 if height < 35 else 0))
    pdf.set_xy(x + pad, y + pad)
    text_width = width - 2 * pad - qr - 1
    lines = pdf.multi_cell(text_width, pdf.font_size * 1.15, name, dry_run=True, output="LINES",
                           wrapmode=WrapMode.WORD)
    for line in [str(line) for line in lines][:2]:  # type: ignore[union-attr]
        pdf.set_x(x + pad)
        pdf.cell(text_width, pdf.font_size * 1.15, line, new_x="LEFT", new_y="NEXT")
    kind = label.spec or (label.category_zh if words.chinese else label.category_en)  # 规格, else the category
    spec = " · ".join(part for part in (kind, words.cell_unit(label.unit), label.sku) if part)
    pdf.set_font(FONT, size=5.5 if height < 35 else 6.5)
    pdf.set_x(x + pad)
    pdf.cell(text_width, pdf.font_size * 1.3, spec, new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, size=(16 if shelf else 11) * min(1.0, height / 37 + 0.12))
    pdf.set_x(x + pad)
    pdf.cell(text_width, pdf.font_size * 1.25, f"{words.word('label_price')} {words.money(label.price)}")
    draw_qr(pdf, link, x + width - pad - qr, y + pad * 0.6, qr)
    bars = height * 0.24
    top = y + height - pad - bars - 2.4
    modules = len(barcode_pattern(label.barcode))
    wide = min(width - 2 * pad - 4, modules * MODULE)  # room on both sides: the quiet zone scanners need
    draw_barcode(pdf, label.barcode, x + (width - wide) / 2, top, wide, bars)
    pdf.set_font(FONT, size=5.5)
    pdf.set_xy(x + pad, top + bars + 0.2)
    pdf.cell(width - 2 * pad, 2.2, label.barcode, align="C")
