"""The demo's tracked stock: snacks and drinks by lot with expiry dates (one lot past, one within its alert lead
time, others later) and audio devices by serial number, received today on top of the made-up history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.permissions import Actor
from core.stock.lots import set_tracking
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork

FOOD = ("SNK", "DRK")
SERIAL = ("AUD",)
FOOD_PRODUCTS = 3
SERIAL_PRODUCTS = 2
SHELF_LIFE_DAYS = 180
ALERT_DAYS = 14


def seed_lots(uow: UnitOfWork, actor: Actor, products: Sequence[tuple[str, str]], now: datetime,
              warehouse: str) -> int:
    """Track a few food products by lot and audio products by serial; receive lots and serials into `warehouse`.
    `products` are (SKU, family); returns the lots and serials received."""
    food = [sku for sku, family in products if family in FOOD][:FOOD_PRODUCTS]
    serial = [sku for sku, family in products if family in SERIAL][:SERIAL_PRODUCTS]
    today = now.date()
    received = 0
    for n, sku in enumerate(food):
        set_tracking(uow, actor, sku, "lot", shelf_life_days=SHELF_LIFE_DAYS, alert_days=ALERT_DAYS)
        dated = [(f"L{today:%y%m}-{n}A", today - timedelta(days=2), 6),  # past its expiry
                 (f"L{today:%y%m}-{n}B", today + timedelta(days=5 + n), 12),  # within the alert lead time
                 (f"L{today:%y%m}-{n}C", today + timedelta(days=90 + 30 * n), 24)]
        receive_stock(uow, actor, warehouse, [LineIn(sku, qty, lot=lot, expiry=expiry.isoformat())
                                              for lot, expiry, qty in dated], reason="demo lots")
        received += len(dated)
    for n, sku in enumerate(serial):
        set_tracking(uow, actor, sku, "serial")
        serials = [f"SN{today:%y%m%d}{n}{k:03d}" for k in range(1, 6)]
        receive_stock(uow, actor, warehouse, [LineIn(sku, 1, lot=s) for s in serials], reason="demo serials")
        received += len(serials)
    return received
