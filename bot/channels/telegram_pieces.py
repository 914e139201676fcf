"""A reply cut into the messages Telegram takes: texts within 4096 UTF-16 units, a table as monospace HTML
(`<pre>`) when it fits a phone and as a picture when it does not, an image or file with the text as its caption when
that is short enough (1024)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.engine.replies import Attachment, Reply
from bot.engine.tables import Table
from bot.table_picture import table_png

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PNG_MIME = "image/png"


@dataclass(frozen=True)
class Piece:
    """One Bot API message: a text (HTML when `html`), or a photo or document with an optional caption."""

    kind: str  # "text", "photo" or "document"
    text: str = ""
    html: bool = False
    attachment: Attachment | None = None


def pieces(reply: Reply) -> list[Piece]:
    """The messages that show `reply`, in order (its buttons go on the last)."""
    attachment = reply.image or reply.file
    kind = "photo" if reply.image is not None else "document"
    if reply.table is None:
        if attachment is not None and utf16_len(reply.text) <= CAPTION_LIMIT:
            return [Piece(kind, reply.text, attachment=attachment)]
        texts = [Piece("text", part) for part in split_text(reply.text)]
        return texts + ([Piece(kind, attachment=attachment)] if attachment is not None else [])
    shown = table_pieces(reply.text, reply.table)
    return shown + ([Piece(kind, attachment=attachment)] if attachment is not None else [])


def table_pieces(text: str, table: Table) -> list[Piece]:
    """The text with its table: one HTML message with the table in `<pre>` when it fits a phone (more when it is
    long), else the table as a picture with the text as its caption."""
    if not table.fits():
        picture = Attachment("table.png", table_png(table), PNG_MIME)
        if utf16_len(text) <= CAPTION_LIMIT:
            return [Piece("photo", text, attachment=picture)]
        return [*(Piece("text", part) for part in split_text(text)), Piece("photo", attachment=picture)]
    blocks = pre_blocks(table.as_text())
    joined = f"{html.escape(text, quote=False)}\n\n{blocks[0]}" if text else blocks[0]
    if len(blocks) == 1 and utf16_len(joined) <= TEXT_LIMIT:
        return [Piece("text", joined, html=True)]
    texts = [Piece("text", part) for part in split_text(text)] if text else []
    return texts + [Piece("text", block, html=True) for block in blocks]


def pre_blocks(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """The escaped lines of `text` in `<pre>` blocks of at most `limit` UTF-16 units each."""
    blocks: list[list[str]] = [[]]
    used = 0
    for line in (html.escape(line, quote=False) for line in text.splitlines()):
        size = utf16_len(line) + 1
        if blocks[-1] and used + size > limit - len("<pre></pre>"):
            blocks.append([])
            used = 0
        blocks[-1].append(line)
        used += size
    return ["<pre>" + "\n".join(block) + "</pre>" for block in blocks]


def utf16_len(text: str) -> int:
    """Telegram counts text length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` (UTF-16 units), cut at line ends; a single overlong line is cut hard."""
    if not text:
        return ["…"]
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while utf16_len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = _fit(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        if utf16_len(current) + utf16_len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    cleaned = [p.rstrip("\n") for p in parts]
    return [p for p in cleaned if p.strip()] or ["…"]


def _fit(line: str, limit: int) -> int:
    """How many characters of `line` fit in `limit` UTF-16 units."""
    used = 0
    for n, ch in enumerate(line):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return n
    return len(line)
