"""A table a reply carries: a header, rows of cell texts and which columns hold numbers. Channels draw it their own
way (Telegram monospace or a picture when it is too wide for a phone, an HTML table in the browser, text in WeCom);
its text form here is columns aligned for a monospace font, Chinese counted as two columns."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

PHONE_COLUMNS = 32  # monospace columns a phone shows in a message without wrapping
GAP = "  "
ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Monospace columns: Chinese (wide and full-width) characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, width: int, right: bool = False) -> str:
    """Pad to `width` monospace columns, on the left for numbers."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def clip(text: str, width: int) -> str:
    """At most `width` monospace columns, an ellipsis where it was cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        used += display_width(ch)
        if used > width - 1:
            break
        kept.append(ch)
    return "".join(kept) + ELLIPSIS


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` monospace columns, broken at spaces where there are any, else between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:
            if display_width(current + ch) > width:
                lines.append(current)
                current = ""
            current += ch
    return [*lines, current] if current or not lines else lines


@dataclass(frozen=True)
class Table:
    """Rows of cell texts under a header; `numeric` marks right-aligned columns; `totals` is an optional last row
    set apart by a rule."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    totals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if any(len(row) != len(self.header) for row in (*self.rows, *((self.totals,) if self.totals else ()))):
            raise ValueError("every row of a table has a cell per column")

    def right(self, column: int) -> bool:
        """Whether column `column` holds numbers (aligned to the right)."""
        return column < len(self.numeric) and self.numeric[column]

    def widths(self) -> list[int]:
        """Each column's width in monospace columns."""
        lines = [self.header, *self.rows, *((self.totals,) if self.totals else ())]
        return [max(display_width(line[i]) for line in lines) for i in range(len(self.header))]

    @property
    def width(self) -> int:
        """The width of the text form in monospace columns."""
        widths = self.widths()
        return sum(widths) + len(GAP) * max(0, len(widths) - 1)

    def fits(self, columns: int = PHONE_COLUMNS) -> bool:
        """Whether the text form fits `columns` monospace columns (a phone's message, by default)."""
        return self.width <= columns

    def as_text(self) -> str:
        """The columns aligned for a monospace font, a rule above the totals row."""
        widths = self.widths()

        def line(cells: tuple[str, ...]) -> str:
            return GAP.join(fit(c, widths[i], self.right(i)) for i, c in enumerate(cells)).rstrip()

        lines = [line(self.header), *(line(row) for row in self.rows)]
        if self.totals:
            lines += ["-" * self.width, line(self.totals)]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (stored with the reply, sent to the browser chat)."""
        return {"header": list(self.header), "rows": [list(r) for r in self.rows], "numeric": list(self.numeric),
                "totals": list(self.totals)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        """The table back from its stored form."""
        return cls(tuple(data["header"]), tuple(tuple(r) for r in data["rows"]),
                   tuple(bool(n) for n in data.get("numeric") or ()), tuple(data.get("totals") or ()))
