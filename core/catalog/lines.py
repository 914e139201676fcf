"""The grammar of an entered line: an item code, a quantity, an optional pack unit and price, checked for form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from core.errors import EmptyDocument, InvalidQuantity
from core.numbers import parse_quantity, parse_unit_cost

ITEM_LENGTH = 64
UNIT_LENGTH = 20
MAX_TYPED_LINES = 50
T = TypeVar("T")


class BadForm(ValueError):
    """The text is not in the form "CODE qty [unit] [price]"; the caller answers with its form hint."""


@dataclass(frozen=True)
class TypedLine:
    """One typed line split into its words, not yet checked: code, quantity, unit and price as typed."""

    item: str
    qty: str
    unit: str | None = None
    price: str | None = None


@dataclass(frozen=True)
class EnteredLine:
    """One line as given, checked for form: the code, the quantity and price in the unit given (if any)."""

    item: str
    qty: Decimal
    unit: str | None = None
    price: Decimal | None = None


def looks_numeric(token: str) -> bool:
    """True for a word that reads as a number (digits with separators, sign or exponent)."""
    return any(ch.isdigit() for ch in token) and all(ch.isdigit() or ch in ".,，-+eE" for ch in token)


def split_line(text: str, *, prices: bool = True) -> TypedLine:
    """'CODE qty [unit] [price]': a number and a word in either order, two words as unit then price."""
    tokens = text.split()
    if len(tokens) < 2 or len(tokens) > (4 if prices else 3) or len(tokens[0]) > ITEM_LENGTH:
        raise BadForm(text[:40])
    unit, price = _unit_and_price(tokens[2:], prices)
    return TypedLine(tokens[0], tokens[1], None if unit is None else unit[:UNIT_LENGTH], price)


def _unit_and_price(extra: list[str], prices: bool) -> tuple[str | None, str | None]:
    numeric = [looks_numeric(token) for token in extra]
    if not extra:
        return None, None
    if len(extra) == 1:
        if not numeric[0]:
            return extra[0], None
        if prices:
            return None, extra[0]
    elif numeric == [True, False]:
        return extra[1], extra[0]
    elif numeric != [True, True]:
        return extra[0], extra[1]  # a word for a price is refused as an amount, after the quantity
    raise BadForm(" ".join(extra)[:40])


def split_lines(text: str, *, prices: bool, limit: int = MAX_TYPED_LINES) -> list[TypedLine]:
    """One typed line per line of text, at most `limit`; BadForm when there is none or one is malformed."""
    rows = [row for row in text.strip().splitlines() if row.strip()]
    if not rows or len(rows) > limit:
        raise BadForm(text[:40])
    return [split_line(row, prices=prices) for row in rows]


def bounded(lines: Sequence[T] | None, limit: int, *, allow_empty: bool = False) -> Sequence[T]:
    """The lines of a document: at least one unless `allow_empty` (EmptyDocument), at most `limit` (too_many_lines)."""
    if not lines:
        if allow_empty:
            return ()
        raise EmptyDocument()
    if len(lines) > limit:
        raise InvalidQuantity(value=str(len(lines)), reason="too_many_lines")
    return lines


def item_code(value: object) -> str:
    """The item code as given, trimmed; no_item when it is empty or too long to be a code."""
    item = str(value).strip()
    if not item or len(item) > ITEM_LENGTH:
        raise InvalidQuantity(value=item[:40], reason="no_item")
    return item


def entered(
    item: object, qty: object, unit: str | None = None, price: object = None, *,
    signed: bool = False, allow_zero: bool = False,
) -> EnteredLine:
    """One line checked for form: a code, a quantity (negative only when `signed`), a unit and a unit price."""
    code = item_code(item)
    amount = parse_quantity(qty, allow_negative=signed, allow_zero=allow_zero)
    unit_name = unit.strip() if unit else None
    return EnteredLine(code, amount, unit_name or None, None if price is None else parse_unit_cost(price))


def entered_typed(line: TypedLine) -> EnteredLine:
    """A typed line checked for form."""
    return entered(line.item, line.qty, line.unit, line.price)
