"""Searchable columns a row keeps beside its names: its pinyin and one text of every form (see core.catalog.spelling).

The columns fill themselves on any insert that does not give them (an ORM add, a Core executemany); imports give
them computed with the rows, and a change of a name sets them again (`respell`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.catalog.spelling import searchable

PINYIN_LENGTH = 1200  # a name of 200 characters spelled out
FORMS: dict[str, tuple[str, ...]] = {"product": ("name_zh", "name_en", "sku"),
                                     "customer": ("name", "code"), "supplier": ("name", "code")}


def search_values(table: str, row: dict[str, Any]) -> dict[str, str]:
    """The searchable columns of a row of `table` from its names (a missing name counts as empty)."""
    spelled, text = searchable(*(str(row.get(name) or "") for name in FORMS[table]))
    return {"search_pinyin": spelled.pinyin[:PINYIN_LENGTH], "search_text": text}


def default_of(table: str, column: str) -> Callable[[Any], str]:
    """A column default computed from the row being inserted."""
    return lambda context: search_values(table, context.get_current_parameters())[column]


def respell(row: Any, table: str) -> None:
    """Set the searchable columns of an ORM row again after its names changed."""
    for column, value in search_values(table, {name: getattr(row, name) for name in FORMS[table]}).items():
        setattr(row, column, value)
