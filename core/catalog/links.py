"""An item's links for labels: a Telegram deep link and a browser link, both opening the item's card."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from core.catalog.resolve import items_in
from core.uow import UnitOfWork

START_PREFIX = "item_"
ID_PREFIX = "itemid_"
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # Telegram's rule for a /start payload


@dataclass(frozen=True)
class ItemLinks:
    """The SKU, the /start payload, the t.me link (when the bot's name is known) and the browser link."""

    sku: str
    payload: str
    telegram: str | None
    browser: str


def start_payload(sku: str, product_id: int) -> str:
    """`item_<SKU>` when the SKU fits Telegram's payload rule, else `itemid_<id>`."""
    by_sku = f"{START_PREFIX}{sku}"
    return by_sku if PAYLOAD.match(by_sku) else f"{ID_PREFIX}{product_id}"


def payload_item(payload: str) -> tuple[str | None, int | None]:
    """What a /start payload names: (code, None), (None, product id), or (None, None) when it names no item."""
    if payload.startswith(ID_PREFIX) and payload[len(ID_PREFIX):].isdigit():
        return None, int(payload[len(ID_PREFIX):])
    if payload.startswith(START_PREFIX) and len(payload) > len(START_PREFIX):
        return payload[len(START_PREFIX):], None
    return None, None


def item_links(uow: UnitOfWork, code: str, *, bot_username: str, public_url: str) -> ItemLinks:
    """The links of the active product a code names (unknown_product otherwise), for a label or a message."""
    ref = uow.read(lambda tx: items_in(tx, [code])[code].ref)
    return links_of(ref.sku, ref.id, bot_username=bot_username, public_url=public_url)


def links_of(sku: str, product_id: int, *, bot_username: str, public_url: str) -> ItemLinks:
    """The links of a product already found: the t.me deep link when the bot's name is known, the browser link."""
    payload = start_payload(sku, product_id)
    telegram = f"https://t.me/{bot_username.lstrip('@')}?start={payload}" if bot_username else None
    return ItemLinks(sku, payload, telegram, f"{public_url.rstrip('/')}/i/{quote(sku, safe='')}")
