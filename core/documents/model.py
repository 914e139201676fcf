"""What a printed document holds, whatever its kind: a head, a party, columns, lines and totals, as plain values.

A kind's reader (core/documents/kinds.py) fills it within its permission checks, so that what reaches a renderer is
already what its reader may see (a salesperson's delivery note carries no cost column, nor any cost)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from core.sales.price_rules import PriceSource

Cell = str | Decimal | datetime | PriceSource | None
COLUMN_KINDS = ("index", "text", "qty", "price", "money", "when")
HIDEABLE = ("stock", "warehouse", "barcode")  # the columns [documents] hide_columns may name
WHEN_FILLED = ("spec",)  # columns printed only when some line has a value in them


@dataclass(frozen=True)
class Column:
    """One column: its key (the label's name in templates/<lang>/documents/), how its cells are written
    (index: a line number; text, qty, price, money, when) and its share of the width."""

    key: str
    kind: str = "text"
    weight: int = 1


@dataclass(frozen=True)
class Party:
    """Who the document is for: a customer or a supplier."""

    role: str
    code: str
    name: str
    contact: str = ""
    phone: str = ""
    language: str = ""  # a customer's documents print in it unless a language is asked for


@dataclass(frozen=True)
class PrintedDocument:
    """A document ready to print: `kind` picks its template (title, party label, signatures), `amount` is what
    the capital figures say (None where a document has no amount, or the reader may not see it)."""

    kind: str
    number: str
    status: str
    created_at: datetime
    party: Party | None
    warehouse: str
    author: str
    columns: tuple[Column, ...]
    lines: tuple[Mapping[str, Cell], ...]
    totals: tuple[tuple[str, Decimal], ...] = ()
    amount: Decimal | None = None
    note: str = ""
    period: tuple[date, date] | None = None
    reference: str = ""  # the document it follows from: a shipment's or a receipt's order
    valid_until: date | None = None  # a quotation's last day
    warehouse_en: str = ""  # the warehouse as English documents name it

    @property
    def language(self) -> str:
        """The language its party reads (a customer's), or "" when it has none."""
        return self.party.language if self.party else ""

    def without(self, hidden: frozenset[str]) -> PrintedDocument:
        """The same document without the hideable columns named in `hidden`, nor an empty spec column."""
        empty = {key for key in WHEN_FILLED if not any(line.get(key) for line in self.lines)}
        kept = tuple(c for c in self.columns if (c.key not in hidden or c.key not in HIDEABLE) and c.key not in empty)
        return replace(self, columns=kept)
