"""ESC/POS for an 80 mm network receipt printer, in the raw protocol: text in GB18030 (the Chinese mode of the
printers sold in China; ASCII is the same bytes), 48 columns with a Chinese character taking two, the number as a
QR code, then feed and cut; sent over TCP (port 9100 usually)."""

from __future__ import annotations

import socket
import unicodedata

from bot.documents.pdf import Sheet, roll_parts

COLUMNS = 48
INIT = b"\x1b@\x1c&"  # ESC @ resets; FS & enters Chinese character mode
LEFT, CENTER = b"\x1ba\x00", b"\x1ba\x01"
BIG, NORMAL = b"\x1d!\x11", b"\x1d!\x00"  # GS ! : double width and height, and back
CUT = b"\x1bd\x04\x1dVB\x00"  # feed 4 lines, then a partial cut after feeding


def receipt_bytes(sheet: Sheet) -> bytes:
    """The document as the bytes a receipt printer prints."""
    words, out = sheet.words, bytearray(INIT)
    out += CENTER + BIG + _line(sheet.company.name, COLUMNS // 2) + NORMAL
    for line in sheet.company_lines():
        out += _line(line)
    out += b"\n" + BIG + _line(words.word(sheet.template.title), COLUMNS // 2) + NORMAL + LEFT
    for label, value in sheet.info():
        out += _line(f"{label}: {value}")
    out += _rule()
    for row in sheet.doc.lines:
        head, codes, detail, right = roll_parts(words, sheet.doc.columns, row)
        out += _line(head) + (_line(codes) if codes else b"") + _pair(detail, right)
    out += _rule() + _line(words.word("lines", lines=len(sheet.doc.lines)))
    for label, amount in sheet.totals():
        out += _pair(label, amount)
    if sheet.capitals():
        out += _line(sheet.capitals())
    if sheet.doc.note:
        out += _line(f"{words.word('note')}: {sheet.doc.note}")
    out += b"\n" + CENTER + qr_code(sheet.doc.number) + _line(sheet.doc.number) + LEFT
    for label in sheet.signatures():
        out += b"\n\n" + _line(f"{label}: ____________________")
    out += b"\n" + CENTER + _line(sheet.footer(1, "1")) + LEFT + CUT
    return bytes(out)


def qr_code(text: str) -> bytes:
    """GS ( k: QR model 2, module size 6, error level M, the data, print."""
    data = text.encode("gb18030")
    size = len(data) + 3
    return (b"\x1d(k\x04\x001A2\x00" + b"\x1d(k\x03\x001C\x06" + b"\x1d(k\x03\x001E1"
            + b"\x1d(k" + bytes((size % 256, size // 256)) + b"1P0" + data + b"\x1d(k\x03\x001Q0")


def send_to_printer(address: tuple[str, int], data: bytes, timeout: float) -> None:
    """Open a TCP connection to the printer, send everything, close; OSError when it cannot be reached."""
    with socket.create_connection(address, timeout=timeout) as connection:
        connection.sendall(data)


def width(text: str) -> int:
    """Columns `text` takes on the printer: two for a wide (Chinese) character, one for the others."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def wrap(text: str, columns: int = COLUMNS) -> list[str]:
    """`text` in lines of at most `columns` columns."""
    lines, current = [], ""
    for char in text:
        if width(current + char) > columns:
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    return [*lines, current]


def _line(text: str, columns: int = COLUMNS) -> bytes:
    return b"".join(line.encode("gb18030", errors="replace") + b"\n" for line in wrap(text, columns))


def _pair(left: str, right: str) -> bytes:
    """`left` wrapped, `right` at the right end of its last line (on a line of its own when it does not fit)."""
    lines = wrap(left)
    room = COLUMNS - width(lines[-1])
    if right and width(right) + 1 > room:
        lines.append("")
        room = COLUMNS
    lines[-1] += " " * (room - width(right)) + right if right else ""
    return b"".join(line.encode("gb18030", errors="replace") + b"\n" for line in lines)


def _rule() -> bytes:
    return b"-" * COLUMNS + b"\n"
