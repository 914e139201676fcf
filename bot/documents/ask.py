"""What a person or an integration asks to print, whichever channel it came through."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrintAsk:
    """What `打印 ...` asked for: the number (or `customer:CODE`), the month of a statement, layout, language and
    whether it goes to the receipt printer."""

    target: str
    month: str | None = None
    layout: str | None = None
    lang: str | None = None
    receipt: bool = False
    date_from: str | None = None
    date_to: str | None = None
