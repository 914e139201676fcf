"""The words of printed documents in one language (templates/<lang>/documents/doc_words.j2, `key = words` a
line) and each cell written for that language: quantities, prices, money, dates, units."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

from bot.engine.texts import Texts, format_price, format_quantity, unit_word
from core.documents.model import Cell, Column
from core.sales.price_rules import PriceSource


@dataclass(frozen=True)
class DocWords:
    """What a document says in `lang`; `word(key)` is the key itself when the template does not have it."""

    lang: str
    words: dict[str, str]
    zone: ZoneInfo
    currency: str
    sources: Callable[[PriceSource], str] = field(default=str, compare=False)  # a price's source in words

    @classmethod
    def of(cls, texts: Texts, lang: str, currency: str) -> DocWords:
        """The words of `lang` from its doc_words template; a price's source as the sales flow says it."""
        pairs = (line.partition("=") for line in texts.render(lang, "doc_words").splitlines())
        return cls(lang, {key.strip(): value.strip() for key, sep, value in pairs if sep}, texts.zone, currency,
                   lambda source: texts.render(lang, "price_source", src=source))

    @property
    def chinese(self) -> bool:
        return self.lang.startswith("zh")

    def word(self, key: str, **values: Any) -> str:
        said = self.words.get(key, key)
        return said.format(**values) if values else said

    def cell(self, column: Column, row: dict[str, Cell] | Any) -> str:
        """One cell of a line as printed."""
        value = row.get(column.key)
        if column.key == "name" and not self.chinese:
            value = row.get("name_en") or value
        if value is None or value == "":
            return ""
        if column.key == "unit":
            return unit_word(str(value), self.lang)
        if column.key == "entry":
            return self.word(str(value))
        if isinstance(value, PriceSource):
            return self.sources(value)
        if isinstance(value, datetime):
            return format_datetime(value.astimezone(self.zone), "yyyy-MM-dd", locale=self.lang)
        if isinstance(value, Decimal):
            return self.number(column.kind, value)
        return str(value)

    def cell_unit(self, unit: str) -> str:
        """A unit in this language's words (个 is "pcs" in English)."""
        return unit_word(unit, self.lang)

    def number(self, kind: str, value: Decimal) -> str:
        if kind == "qty":
            return format_quantity(value, self.lang)
        if kind == "price":
            return format_price(value, self.lang)
        return format_decimal(value, format="#,##0.00", locale=self.lang)

    def money(self, value: Decimal) -> str:
        """An amount with its currency: ¥360.00."""
        return format_currency(value, self.currency, locale=self.lang)

    def when(self, value: datetime) -> str:
        return format_datetime(value.astimezone(self.zone), "yyyy-MM-dd HH:mm", locale=self.lang)
