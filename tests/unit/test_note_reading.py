"""Understanding a delivery note from text boxes (no OCR here): the header row and the rows under it, a tilted
photo's lines kept apart, a quantity written with its unit, the number, date and supplier; no header, no table."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from core.reading.notes import NoteRow, read_note
from core.reading.text import Reading, TextBox


def box(text: str, x: float, y: float, tilt: float = 0.0, width: float | None = None) -> TextBox:
    """A box of `text` at (x, y), 30 px high, the whole page turned by `tilt` degrees about the origin."""
    w = width if width is not None else 30.0 * len(text)
    corners = [(x, y), (x + w, y), (x + w, y + 30), (x, y + 30)]
    a = math.radians(tilt)
    return TextBox(text, tuple((cx * math.cos(a) - cy * math.sin(a), cx * math.sin(a) + cy * math.cos(a))
                               for cx, cy in corners))


def page(tilt: float = 0.0) -> tuple[TextBox, ...]:
    rows = [("保温杯500ml", "12", "个", "25.00"), ("不锈钢饭盒", "3箱", "", "120.5"), ("竹筷子", "40", "双", "")]
    boxes = [box("送货单", 500, 20, tilt), box("供应商：华美日用品有限公司", 40, 90, tilt),
             box("单号：DN-2026-0042", 800, 90, tilt), box("日期：2026年12月3日", 800, 140, tilt)]
    boxes += [box(w, x, 220, tilt) for w, x in (("品名", 130), ("数量", 600), ("单位", 780), ("单价", 950))]
    for n, (name, qty, unit, price) in enumerate(rows, 1):
        y = 220 + 56 * n
        boxes += [box(str(n), 40, y, tilt), box(name, 130, y, tilt), box(qty, 600, y, tilt)]
        boxes += [box(unit, 780, y, tilt)] if unit else []
        boxes += [box(price, 950, y, tilt)] if price else []
    boxes.append(box("合计 55", 130, 220 + 56 * 4, tilt))
    boxes.append(box("备用 99", 130, 220 + 56 * 5, tilt))
    return tuple(boxes)


WRITTEN = (NoteRow("保温杯500ml", "", Decimal(12), "个", Decimal("25.00")),
           NoteRow("不锈钢饭盒", "", Decimal(3), "箱", Decimal("120.5")),
           NoteRow("竹筷子", "", Decimal(40), "双", None))


def test_the_rows_under_the_header_are_read_until_the_total() -> None:
    note = read_note(page())
    assert note.rows == WRITTEN
    assert (note.number, note.date, note.supplier, note.header) == (
        "DN-2026-0042", date(2026, 12, 3), "华美日用品有限公司", True)


def test_a_photo_tilted_by_two_degrees_reads_the_same_rows() -> None:
    assert read_note(page(2.0)).rows == WRITTEN
    assert read_note(page(-2.0)).rows == WRITTEN


def test_text_without_a_header_row_is_no_table() -> None:
    note = read_note((box("仓库重地", 100, 100), box("闲人免进", 400, 100), box("12", 100, 200)))
    assert (note.rows, note.header) == ((), False)


def test_a_reading_survives_the_inbox_row_and_malformed_boxes_are_dropped() -> None:
    reading = Reading("ab" * 32, page())
    assert Reading.from_json(reading.to_json()) == Reading("ab" * 32, tuple(
        TextBox(b.text, b.corners, round(b.score, 4)) for b in page()))
    assert Reading.from_json({"sha256": "x", "boxes": [["t", [[1, 2]], 1], "junk"], "refused": "odd"}) == Reading("x")
