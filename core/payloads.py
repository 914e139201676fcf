"""Payloads as JSON: the one way decimals become text in notifications, webhook deliveries and audit details."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def decimal_text(value: Decimal, *, short: bool = False) -> str:
    """A decimal as text: with the places it carries ('9.0000'), or `short` without trailing zeros ('9', '2.5')."""
    if not short:
        return str(value)
    return format(value.normalize(), "f") if value != 0 else "0"


def to_plain(value: Any, *, short: bool = False) -> Any:
    """JSON-safe copy of a payload: decimals as text (`decimal_text`), days and times in ISO 8601, tuples and sets
    as lists, keys as strings."""
    if isinstance(value, Decimal):
        return decimal_text(value, short=short)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_plain(v, short=short) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v, short=short) for v in value]
    return value
