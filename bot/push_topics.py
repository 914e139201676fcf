"""What a push is about (its topic: one message per person per topic at a time) and the low-stock warnings of one
sweep folded into one message per person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

APPROVAL_EVENTS = frozenset({"approval_requested", "approval_reminder", "approval_escalated", "approval_decided"})
LOW_STOCK = "low_stock"


def topic_of(event_type: str, payload: Mapping[str, Any]) -> str:
    """"low_stock", "approval:12", or "" for a note that stands alone."""
    if event_type == LOW_STOCK:
        return LOW_STOCK
    if event_type in APPROVAL_EVENTS and "request_id" in payload:
        return f"approval:{payload['request_id']}"
    return ""


def fold_low_stock(payloads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One warning for many: every product and warehouse once (the latest figures), by SKU."""
    products: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    for payload in payloads:
        for product in payload.get("products", [payload]):
            key = (product.get("product_id"), product.get("warehouse_id"))
            products.pop(key, None)
            products[key] = product
    ordered = sorted(products.values(), key=lambda p: str(p.get("sku", "")))
    return {"products": [dict(p) for p in ordered]}
