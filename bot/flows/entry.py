"""Shared by the purchasing and warehouse flows: typed lines "SKU qty [unit] [price]", checked before they are kept."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.engine.flow import Context
from bot.engine.picks import refusal_reply
from bot.engine.replies import Button, Reply, page_button
from core.catalog.lines import BadForm, TypedLine, entered_typed, looks_numeric, split_lines
from core.catalog.products import WarehouseRef
from core.catalog.resolve import resolve_lines
from core.errors import DomainError
from core.numbers import document_total, line_amount

__all__ = ["DONE_WORDS", "BadForm", "button_label", "button_number", "checked_line", "first_word", "is_word",
           "looks_numeric", "refusal", "split_lines", "total"]
DONE_WORDS = frozenset({"done", "ok", "finish", "完成", "好了", "好", "结束", "确定"})
MAX_ID = 2**31 - 1  # what an id column holds on every database


def button_number(text: str) -> int | None:
    """A number a button carries (an id, a page): ASCII digits from 1 to what an id column holds, else None."""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID and number > 0 else None


def checked_line(ctx: Context, line: TypedLine) -> dict[str, Any]:
    """A typed line checked against the catalog: product, quantity in base units, price per base unit."""
    given = entered_typed(line)
    resolved = resolve_lines(ctx.tx, [given])[0]
    product = resolved.product
    base_price = resolved.price_or(product.purchase_price)
    return {
        "item": given.item, "qty": str(given.qty), "unit": given.unit,
        "price": None if given.price is None else str(given.price),
        "sku": product.sku, "product_id": product.id, "name_zh": product.name_zh,
        "name_en": product.name_en or product.name_zh, "base_qty": str(resolved.base_qty),
        "base_price": str(base_price),
        "amount": str(line_amount(resolved.base_qty, base_price, ctx.tx.money_places, product.sku)),
    }


def refusal(ctx: Context, error: DomainError, hint: str | None = None,
            keys: tuple[tuple[Button, ...], ...] = (), **values: Any) -> Reply:
    """The refusal in the reader's language, followed by what the step expects."""
    said = refusal_reply(ctx, error)
    text = f"{said.text}\n{ctx.text(hint, **values)}" if hint else said.text
    return Reply(text, said.buttons + keys, extra=said.extra)


def first_word(text: str | None) -> str:
    return (text or "").strip().split(maxsplit=1)[0][:40] if (text or "").strip() else ""


def is_word(text: str | None, words: frozenset[str]) -> bool:
    return (text or "").strip().lower() in words


def warehouse_label(ctx: Context, warehouse: WarehouseRef) -> str:
    """A warehouse's button: its code and its name in the reader's language, short enough for a phone's row."""
    return f"{warehouse.code} {warehouse.name_in(ctx.lang)}"[:40]


def button_label(ctx: Context, flow: str, which: str, **values: Any) -> str:
    """A button's words in the reader's language: template <flow>_button_<which>."""
    return ctx.text(f"{flow}_button_{which}", **values)


def page_keys(ctx: Context, flow: str, link: str) -> tuple[tuple[Button, ...], ...]:
    """One button opening a page of the server (a Mini App in Telegram, a link elsewhere): <flow>_button_page."""
    return ((page_button(button_label(ctx, flow, "page"), link),),)


def total(lines: list[dict[str, Any]]) -> Decimal:
    """The lines' total; AmountTooLarge when it reaches what the books hold (checked as each line is added)."""
    return document_total(Decimal(ln["amount"]) for ln in lines)
