"""A lot position (one lot of one product in one warehouse) and the rules for changing it; a serial is a lot of one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.errors import LotRefused, OutOfStock, OverRelease
from core.numbers import ZERO

NO_LOT = ""  # the code of the position that holds a product's stock from before it was tracked


@dataclass
class LotPosition:
    """On hand and reserved of one lot in one warehouse; no cost (value stays per product and warehouse)."""

    lot_id: int
    product_id: int
    warehouse_id: int
    code: str
    expiry: date | None
    serial: bool
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    allow_negative: bool = False
    level_id: int | None = None
    touched: bool = False

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def is_serial(self) -> bool:
        """A serial number proper, held at most once; the "no lot" position of a serial product is not one."""
        return self.serial and self.code != NO_LOT

    def expired(self, today: date) -> bool:
        """Past its expiry date: never picked automatically."""
        return self.expiry is not None and self.expiry < today

    def apply(self, qty: Decimal, reserved: Decimal) -> None:
        """Change on hand and reserved of this lot; never below zero, a serial never above one."""
        if reserved < 0 and -reserved > self.reserved:
            raise OverRelease(product_id=self.product_id, warehouse_id=self.warehouse_id, lot=self.code,
                              reserved=self.reserved, requested=-reserved)
        on_hand, new_reserved = self.on_hand + qty, self.reserved + reserved
        reduces = qty < 0 or reserved > 0
        if reduces and not self.allow_negative and (on_hand < 0 or on_hand - new_reserved < 0):
            raise OutOfStock(product_id=self.product_id, warehouse_id=self.warehouse_id, lot=self.code,
                             available=self.available - reserved if qty < 0 else self.available,
                             requested=-qty if qty < 0 else reserved)
        if self.is_serial and on_hand > 1:
            raise LotRefused(reason="serial_twice", lot=self.code)
        self.on_hand, self.reserved, self.touched = on_hand, new_reserved, True


def fefo_key(position: LotPosition) -> tuple[int, date, int]:
    """First expired, first out: known expiry dates first (earliest first), then lots in the order they came."""
    return (position.expiry is None, position.expiry or date.max, position.lot_id)
