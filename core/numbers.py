"""Exact decimals for quantities and money: parsing, rounding, and nothing that is a float."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import AmountTooLarge, InvalidAmount, InvalidQuantity

QTY_PLACES = 4
MONEY_PLACES = 2
COST_PLACES = 6
LIMIT = Decimal(10) ** 12

QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)
COST_STEP = Decimal(1).scaleb(-COST_PLACES)
ZERO = Decimal(0)
SEPARATORS = ",，"
GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:[,，][0-9]{3})+(?:\.[0-9]*)?")


def misgrouped(value: object) -> bool:
    """True for text with a comma that does not group thousands ("1,5", "15,00"): never read as another number."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return any(sep in text for sep in SEPARATORS) and GROUPED.fullmatch(text) is None


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool | float):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")  # only thousands groups get here
        if not text or len(text) > 40:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            return None
    return None


def parse_quantity(value: object, *, allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """A quantity from user or API input: finite, at most 4 places, below 10^12, positive unless allowed."""
    if misgrouped(value):
        raise InvalidQuantity(value=str(value)[:40], reason="separator")
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        raise InvalidQuantity(value=str(value)[:40], reason="not_a_number")
    if abs(number) >= LIMIT:
        raise InvalidQuantity(value=str(value)[:40], reason="too_large")
    if number != number.quantize(QTY_STEP, rounding=ROUND_HALF_UP):
        raise InvalidQuantity(value=str(value)[:40], reason="too_many_places")
    if number == 0 and not allow_zero:
        raise InvalidQuantity(value=str(value)[:40], reason="zero")
    if number < 0 and not allow_negative:
        raise InvalidQuantity(value=str(value)[:40], reason="negative")
    return number.quantize(QTY_STEP)


def parse_money(value: object, *, places: int = MONEY_PLACES, allow_negative: bool = False) -> Decimal:
    """A money amount or unit price from input: finite, below 10^12, rounded half up to `places`."""
    if misgrouped(value):
        raise InvalidAmount(value=str(value)[:40], reason="separator")
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        raise InvalidAmount(value=str(value)[:40], reason="not_a_number")
    if abs(number) >= LIMIT:
        raise InvalidAmount(value=str(value)[:40], reason="too_large")
    if number < 0 and not allow_negative:
        raise InvalidAmount(value=str(value)[:40], reason="negative")
    return round_money(number, places)


def parse_unit_cost(value: object) -> Decimal:
    """A unit cost or price: finite, non-negative, at most 6 places (rounded half up)."""
    if misgrouped(value):
        raise InvalidAmount(value=str(value)[:40], reason="separator")
    number = _to_decimal(value)
    if number is None or not number.is_finite():
        raise InvalidAmount(value=str(value)[:40], reason="not_a_number")
    if abs(number) >= LIMIT:
        raise InvalidAmount(value=str(value)[:40], reason="too_large")
    if number < 0:
        raise InvalidAmount(value=str(value)[:40], reason="negative")
    return round_cost(number)


def line_amount(qty: Decimal, price: Decimal, places: int = MONEY_PLACES, item: str = "") -> Decimal:
    """A line's amount, quantity times price rounded to money; AmountTooLarge when it reaches what the books hold."""
    amount = qty * price
    if abs(amount) >= LIMIT or abs(round_money(amount, places)) >= LIMIT:
        raise AmountTooLarge(item=item, amount=amount, limit=LIMIT)
    return round_money(amount, places)


def document_total(amounts: Iterable[Decimal], places: int = MONEY_PLACES) -> Decimal:
    """The sum of a document's line amounts; AmountTooLarge when it reaches what the books hold."""
    total = sum(amounts, ZERO)
    if abs(total) >= LIMIT:
        raise AmountTooLarge(item="", amount=total, limit=LIMIT)
    return round_money(total, places)


def round_money(value: Decimal, places: int = MONEY_PLACES) -> Decimal:
    """Round half up to the money places."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_cost(value: Decimal) -> Decimal:
    """Round half up to the unit-cost places."""
    return value.quantize(COST_STEP, rounding=ROUND_HALF_UP)


def round_qty(value: Decimal) -> Decimal:
    """Round half up to the quantity places."""
    return value.quantize(QTY_STEP, rounding=ROUND_HALF_UP)
