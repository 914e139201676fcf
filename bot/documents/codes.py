"""Codes drawn as vector rectangles on a PDF page: a QR code (segno), a Code 128, EAN-13 or GS1-128 barcode
(python-barcode's module patterns), so they print sharp at any size."""

from __future__ import annotations

import barcode
import segno
from fpdf import FPDF


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """A QR code of `text`, `size` wide including its quiet zone, top left at (x, y)."""
    matrix = segno.make_qr(text, error="m").matrix
    modules = len(matrix) + 4
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for row_no, row in enumerate(matrix):
        start = None
        for col_no, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col_no
            elif not dark and start is not None:
                pdf.rect(x + (start + 2) * step, y + (row_no + 2) * step, (col_no - start) * step, step, style="F")
                start = None


def barcode_pattern(code: str) -> str:
    """The bars of `code`: EAN-13 for 12 or 13 digits (check digit checked or added), Code 128 otherwise."""
    kind = "ean13" if code.isdigit() and len(code) in (12, 13) and _ean_ok(code) else "code128"
    return str(barcode.get_barcode_class(kind)(code).build()[0])


def gs1_pattern(element_string: str) -> str:
    """The bars of a GS1-128 code of "(01)…(17)…(10)…" (FNC1 first; the last element may be of variable length)."""
    raw = element_string.replace("(", "").replace(")", "")
    return str(barcode.get_barcode_class("gs1_128")(raw).build()[0])


def draw_barcode(pdf: FPDF, code: str, x: float, y: float, width: float, height: float) -> None:
    """The barcode of `code` fitted into `width` x `height` at (x, y)."""
    draw_bars(pdf, barcode_pattern(code), x, y, width, height)


def draw_bars(pdf: FPDF, pattern: str, x: float, y: float, width: float, height: float) -> None:
    """Bars of a module pattern ("1" dark) fitted into `width` x `height` at (x, y)."""
    step = width / len(pattern)
    pdf.set_fill_color(0, 0, 0)
    start = None
    for index, bar in enumerate(f"{pattern}0"):
        if bar == "1" and start is None:
            start = index
        elif bar != "1" and start is not None:
            pdf.rect(x + start * step, y, (index - start) * step, height, style="F")
            start = None


def _ean_ok(code: str) -> bool:
    if len(code) == 12:
        return True
    digits = [int(c) for c in code]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10
    return check == digits[12]
