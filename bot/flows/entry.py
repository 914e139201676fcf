"""Shared by the purchasing and warehouse flows: typed lines "SKU qty [unit] [price]", checked before they are kept."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context
from bot.engine.replies import Button, Reply
from core.catalog.products import products_in, unit_factors_in
from core.errors import DomainError, InvalidQuantity
from core.numbers import parse_quantity, parse_unit_cost, round_cost, round_money

DONE_WORDS = frozenset({"done", "ok", "finish", "完成", "好了", "好", "结束", "确定"})
MAX_LINES_PER_MESSAGE = 50


class BadForm(Exception):
    """The text is not in the expected form; the flow answers with its form hint."""


@dataclass(frozen=True)
class TypedLine:
    item: str
    qty: str
    unit: str | None = None
    price: str | None = None


def split_lines(text: str, *, prices: bool) -> list[TypedLine]:
    """Lines of "SKU qty [unit]" (and "[price]" when `prices`), one per text line; BadForm otherwise."""
    rows = [row.split() for row in text.strip().splitlines() if row.strip()]
    if not rows or len(rows) > MAX_LINES_PER_MESSAGE:
        raise BadForm()
    lines = []
    for tokens in rows:
        if len(tokens) < 2 or len(tokens) > (4 if prices else 3) or len(tokens[0]) > 64:
            raise BadForm()
        unit = price = None
        for token in tokens[2:]:
            if prices and looks_numeric(token) and price is None:
                price = token
            elif unit is None and not looks_numeric(token):
                unit = token[:20]
            else:
                raise BadForm()
        lines.append(TypedLine(tokens[0], tokens[1], unit, price))
    return lines


def looks_numeric(token: str) -> bool:
    return any(ch.isdigit() for ch in token) and all(ch.isdigit() or ch in ".,-+eE" for ch in token)


def checked_line(ctx: Context, line: TypedLine) -> dict[str, Any]:
    """A typed line checked against the catalog: product, quantity in base units, price per base unit."""
    qty = parse_quantity(line.qty)
    price = None if line.price is None else parse_unit_cost(line.price)
    product = products_in(ctx.tx, [line.item])[line.item]
    factor = Decimal(1)
    if line.unit:
        factors = unit_factors_in(ctx.tx, [(product.id, line.unit)])
        if (product.id, line.unit) not in factors:
            raise InvalidQuantity(value=line.unit, reason="unknown_unit", item=line.item)
        factor = factors[(product.id, line.unit)]
    base_qty = parse_quantity(qty * factor)
    base_price = product.purchase_price if price is None else round_cost(price / factor)
    return {
        "item": line.item, "qty": str(qty), "unit": line.unit, "price": None if price is None else str(price),
        "sku": product.sku, "product_id": product.id, "name_zh": product.name_zh,
        "name_en": product.name_en or product.name_zh, "base_qty": str(base_qty), "base_price": str(base_price),
        "amount": str(round_money(base_qty * base_price, ctx.tx.money_places)),
    }


def refusal(ctx: Context, error: DomainError, hint: str | None = None,
            keys: tuple[tuple[Button, ...], ...] = (), **values: Any) -> Reply:
    """The refusal in the reader's language, followed by what the step expects."""
    text = ctx.texts.error(ctx.lang, error)
    if hint:
        text = f"{text}\n{ctx.text(hint, **values)}"
    return Reply(text, keys)


def first_word(text: str | None) -> str:
    return (text or "").strip().split(maxsplit=1)[0][:40] if (text or "").strip() else ""


def is_word(text: str | None, words: frozenset[str]) -> bool:
    return (text or "").strip().lower() in words


def label(ctx: Context, flow: str, which: str, **values: Any) -> str:
    """A button label from <flow>_button.j2."""
    return ctx.text(f"{flow}_button", b=which, **values)


def total(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(ln["amount"]) for ln in lines), Decimal(0))
