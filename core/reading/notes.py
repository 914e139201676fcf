"""A delivery note understood from its text boxes: the table under a header row (product, code, quantity, unit,
price), and the document's number, date and supplier printed above it. Pure: no database, no OCR."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from statistics import median

from core.errors import DomainError
from core.reading.text import Reading, TextBox, skew

MAX_ROWS = 60
COLUMNS = (  # checked in this order: "unit price" is a price, "item no" a code
    ("index", ("序号", "行号")),
    ("amount", ("金额", "小计", "合计", "amount", "total")),
    ("price", ("单价", "价格", "price")),
    ("code", ("编码", "货号", "条码", "代码", "编号", "code", "sku", "barcode", "item no")),
    ("qty", ("数量", "实发", "实收", "qty", "quantity")),
    ("unit", ("单位", "unit", "uom")),
    ("name", ("品名", "名称", "商品", "货品", "产品", "规格", "item", "product", "description", "name")),
)
INDEX_WORDS = frozenset({"no", "no.", "#"})
END_WORDS = ("合计", "总计", "总数", "total", "签收", "收货人", "备注", "送货人", "remarks", "signature")
NUMBER = re.compile(r"(?:送货单号|单号|单据号|编号|NO\.?|No\.?|no\.?|Number)\s*[:：.]?\s*"
                    r"([A-Za-z0-9][A-Za-z0-9\-/_]{2,39})")
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
SUPPLIER = re.compile(r"(?:供应商|供货单位|供货方|发货单位|Supplier|From)\s*[:：]?\s*(.+)", re.IGNORECASE)
SUPPLIER_END = re.compile(r"\s*(?:日期|单号|编号|送货单号|电话|Date|No\.|NO\.|Tel)\b.*$|\s*(?:日期|单号|编号|电话).*$")
QTY = re.compile(r"^[^\d]*?(\d+(?:[.,]\d+)?)\s*([^\d\s.,]{0,6})$")
PRICE = re.compile(r"(\d+(?:\.\d{1,6})?)")
OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5"})


class PictureRefused(DomainError):
    """A picture not read at all: `reason` too_large, not_image or too_slow."""

    code = "picture_refused"


class NoTableInPicture(DomainError):
    """A picture read, with no table of goods on it (`header`: a header row was found, but no row under it)."""

    code = "picture_no_table"


@dataclass(frozen=True)
class NoteRow:
    """One row of the table as written: the product's text and code, the quantity, unit and price (if any)."""

    text: str
    code: str
    qty: Decimal
    unit: str
    price: Decimal | None


@dataclass(frozen=True)
class Note:
    """A delivery note as read: its rows (none when the picture has no table), number, date and supplier."""

    rows: tuple[NoteRow, ...]
    number: str = ""
    date: date | None = None
    supplier: str = ""
    header: bool = False  # a table's header row was found (its rows may still be unreadable)


@dataclass(frozen=True)
class _Placed:
    text: str
    x0: float
    x1: float
    y: float


def read_note(boxes: tuple[TextBox, ...]) -> Note:
    """The note the boxes print: lines by position (the photo's tilt taken out), the header row, its rows."""
    lines = _lines(boxes)
    head = next((i for i, line in enumerate(lines) if _header(line) is not None), None)
    above = lines if head is None else lines[:head]
    text_above = [" ".join(p.text for p in line) for line in above]
    number, when, supplier = _number(text_above), _date(text_above), _supplier(text_above)
    if head is None:
        return Note((), number, when, supplier)
    columns = _header(lines[head])
    assert columns is not None
    rows: list[NoteRow] = []
    for line in lines[head + 1:]:
        joined = " ".join(p.text for p in line).lower()
        if any(word in joined for word in END_WORDS):
            break
        row = _row(line, columns)
        if row is not None and len(rows) < MAX_ROWS:
            rows.append(row)
    return Note(tuple(rows), number, when, supplier, header=True)


def _lines(boxes: tuple[TextBox, ...]) -> list[list[_Placed]]:
    """The boxes grouped into printed lines, top to bottom, each left to right, in the photo's upright frame."""
    kept = [b for b in boxes if b.text.strip()]
    if not kept:
        return []
    angle = skew(tuple(kept))
    cos, sin = math.cos(-angle), math.sin(-angle)

    def placed(box: TextBox) -> _Placed:
        xs = [x * cos - y * sin for x, y in box.corners]
        cx, cy = box.centre
        return _Placed(box.text.strip(), min(xs), max(xs), cx * sin + cy * cos)

    spots = sorted((placed(b) for b in kept), key=lambda p: p.y)
    gap = 0.6 * median(b.height for b in kept)
    lines: list[list[_Placed]] = []
    for spot in spots:
        if lines and abs(spot.y - median(p.y for p in lines[-1])) <= gap:
            lines[-1].append(spot)
        else:
            lines.append([spot])
    return [sorted(line, key=lambda p: p.x0) for line in lines]


def _kind(text: str) -> str | None:
    word = re.sub(r"[\s:：/()（）]", "", text.lower())
    if word in INDEX_WORDS:
        return "index"
    for kind, words in COLUMNS:
        if any(w.replace(" ", "") in word for w in words):
            return kind
    return None


def _header(line: list[_Placed]) -> list[tuple[str, float, float]] | None:
    """The columns a header line names (kind, left and right edge), or None when the line is no header: it must
    name a quantity and a product (by name or code)."""
    columns = [(kind, p.x0, p.x1) for p in line if (kind := _kind(p.text)) is not None]
    kinds = [c[0] for c in columns]
    if "qty" not in kinds or not ({"name", "code"} & set(kinds)) or len(set(kinds)) != len(kinds):
        return None
    return columns


def _row(line: list[_Placed], columns: list[tuple[str, float, float]]) -> NoteRow | None:
    """A table row: each box in the column whose span holds its middle (spans meet halfway between headers)."""
    cells: dict[str, list[str]] = {}
    for spot in line:
        if spot.x1 < columns[0][1]:  # left of every column (a row number with no header of its own)
            continue
        middle = (spot.x0 + spot.x1) / 2
        kind = _column_at(middle, columns)
        cells.setdefault(kind, []).append(spot.text)
    name, code = " ".join(cells.get("name", [])), " ".join(cells.get("code", []))
    qty_text, unit = _qty_and_unit(" ".join(cells.get("qty", [])))
    unit = " ".join(cells.get("unit", [])) or unit
    qty = _decimal(qty_text)
    if qty is None or qty <= 0 or not (name or code):
        return None
    price_match = PRICE.search(" ".join(cells.get("price", [])).translate(OCR_DIGITS).replace(",", ""))
    price = _decimal(price_match.group(1)) if price_match else None
    return NoteRow(name.strip(), code.strip(), qty, unit.strip(), price)


def _column_at(middle: float, columns: list[tuple[str, float, float]]) -> str:
    for i, (kind, _, right) in enumerate(columns):
        nxt = columns[i + 1][1] if i + 1 < len(columns) else math.inf
        if middle < (right + nxt) / 2:
            return kind
    return columns[-1][0]


def _qty_and_unit(text: str) -> tuple[str, str]:
    found = QTY.match(text.strip()) or QTY.match(text.strip().translate(OCR_DIGITS))
    if found is None:
        return text.strip(), ""
    return found.group(1).replace(",", "."), found.group(2)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value < Decimal(10) ** 9 else None


def _number(lines: list[str]) -> str:
    for line in lines:
        found = NUMBER.search(line)
        if found:
            return found.group(1)
    return ""


def _date(lines: list[str]) -> date | None:
    for line in lines:
        found = DATE.search(line)
        if found:
            try:
                return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
            except ValueError:
                continue
    return None


def _supplier(lines: list[str]) -> str:
    for line in lines:
        found = SUPPLIER.search(line)
        if found:
            return SUPPLIER_END.sub("", found.group(1)).strip(" :：")[:100]
    return ""


def note_in(reading: Reading) -> Note:
    """The delivery note on a picture; refused when it was not read or has no table of goods."""
    if reading.refused:
        raise PictureRefused(reason=reading.refused)
    note = read_note(reading.boxes)
    if not note.rows:
        raise NoTableInPicture(header=note.header)
    return note
