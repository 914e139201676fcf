"""Refusals that offer a choice: an item that names several products (or none, but some are near) is answered with
one button per product; pressing one enters the same message again with that product's SKU in its place."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context
from bot.engine.replies import CALLBACK_LIMIT, Button, Reply
from core.catalog.resolve import ItemChoice
from core.errors import AmbiguousProduct, DomainError, UnknownProduct

PICK = "pick:"  # a button "pick:<SKU>": the product chosen for the item of the message waiting in the state
PENDING = "_pick"  # the state's key for that message: {"text": the message, "item": the item as typed}


def refusal_reply(ctx: Context, error: DomainError) -> Reply:
    """A refusal in the reader's words; for an item of several (or near) products, a button for each of them."""
    text = ctx.texts.error(ctx.lang, error)
    choices = _choices(error)
    keys = tuple((Button(ctx.text("pick_button", choice=c), PICK + c.sku),) for c in choices
                 if len((PICK + c.sku).encode()) <= CALLBACK_LIMIT)
    if not keys:
        return Reply(text)
    return Reply(text, keys, extra={"pick": str(error.params.get("item", ""))})


def pending_pick(replies: list[Reply], text: str) -> dict[str, str] | None:
    """The message to enter again when one of these replies' pick buttons is pressed, if one offers a pick."""
    item = next((str(r.extra["pick"]) for r in replies if r.extra.get("pick")), "")
    return {"text": text, "item": item} if item and item in text else None


def picked_text(state: dict[str, Any], sku: str) -> str | None:
    """The waiting message with the picked SKU in the place of the item, or None when no message waits."""
    pending = state.get(PENDING)
    if not isinstance(pending, dict) or not pending.get("item") or pending["item"] not in str(pending.get("text")):
        return None
    return str(pending["text"]).replace(str(pending["item"]), sku, 1)


def _choices(error: DomainError) -> list[ItemChoice]:
    if isinstance(error, AmbiguousProduct):
        return list(error.params.get("choices") or [])
    if isinstance(error, UnknownProduct):
        return list(error.params.get("nearest") or [])
    return []
