"""A stock position (one product in one warehouse) and the rules for changing it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.errors import InvalidAmount, InvalidQuantity, OutOfStock, OverRelease
from core.numbers import LIMIT, ZERO, round_cost, round_money


@dataclass(frozen=True)
class Change:
    """What one ledger row records: the signed deltas, the unit cost, and the balances after it."""

    qty: Decimal
    reserved: Decimal
    value: Decimal
    unit_cost: Decimal
    balance_qty: Decimal
    balance_reserved: Decimal
    balance_value: Decimal
    avg_cost: Decimal


@dataclass
class Position:
    """On hand, reserved and value of one product in one warehouse, valued at moving weighted average."""

    product_id: int
    warehouse_id: int
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    value: Decimal = ZERO
    avg_cost: Decimal = ZERO
    allow_negative: bool = False
    level_id: int | None = None

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    def apply(
        self,
        qty: Decimal = ZERO,
        reserved: Decimal = ZERO,
        *,
        unit_cost: Decimal | None = None,
        value: Decimal | None = None,
        fallback_cost: Decimal | None = None,
        money_places: int = 2,
    ) -> Change:
        """Change on hand by `qty` and reserved by `reserved`; receipts bring value, issues take it at average."""
        if reserved < 0 and -reserved > self.reserved:
            raise OverRelease(
                product_id=self.product_id, warehouse_id=self.warehouse_id,
                reserved=self.reserved, requested=-reserved,
            )
        moved_value = self._value_of(qty, self._cost_in(unit_cost, fallback_cost), value, money_places)
        on_hand = self.on_hand + qty
        new_reserved = self.reserved + reserved
        if self._breaks_floor(qty, reserved, on_hand, new_reserved):
            raise OutOfStock(
                product_id=self.product_id, warehouse_id=self.warehouse_id,
                available=self.available - reserved if qty < 0 else self.available,
                requested=-qty if qty < 0 else reserved,
            )
        new_value = self.value + moved_value
        if max(abs(on_hand), new_reserved) >= LIMIT:
            raise InvalidQuantity(value=str(on_hand)[:40], reason="too_large")
        if max(abs(moved_value), abs(new_value)) >= LIMIT:
            raise InvalidAmount(value=str(max(abs(moved_value), abs(new_value)))[:40], reason="too_large")
        avg_cost = self._average_after(qty, moved_value, on_hand, new_value)
        if abs(avg_cost) >= LIMIT:
            raise InvalidAmount(value=str(avg_cost)[:40], reason="too_large")
        self.on_hand, self.reserved, self.value, self.avg_cost = on_hand, new_reserved, new_value, avg_cost
        return Change(
            qty=qty, reserved=reserved, value=moved_value,
            unit_cost=self._unit_cost_of(qty, moved_value),
            balance_qty=self.on_hand, balance_reserved=self.reserved,
            balance_value=self.value, avg_cost=self.avg_cost,
        )

    def _average_after(self, qty: Decimal, moved_value: Decimal, on_hand: Decimal, value: Decimal) -> Decimal:
        if on_hand > 0:
            return round_cost(value / on_hand)
        if qty > 0 and moved_value > 0:
            return round_cost(moved_value / qty)
        return self.avg_cost

    def _cost_in(self, unit_cost: Decimal | None, fallback_cost: Decimal | None) -> Decimal | None:
        if unit_cost is not None:
            return unit_cost
        if self.avg_cost > 0 or fallback_cost is None:
            return None
        return fallback_cost

    def _value_of(
        self, qty: Decimal, unit_cost: Decimal | None, value: Decimal | None, places: int
    ) -> Decimal:
        if value is not None:
            return round_money(value, places)
        if qty > 0:
            return round_money(qty * (self.avg_cost if unit_cost is None else unit_cost), places)
        if qty < 0:
            if -qty == self.on_hand:
                return -self.value
            return -round_money(-qty * self.avg_cost, places)
        return ZERO

    def _breaks_floor(
        self, qty: Decimal, reserved: Decimal, on_hand: Decimal, new_reserved: Decimal
    ) -> bool:
        if self.allow_negative:
            return False
        reduces_availability = qty < 0 or reserved > 0
        return reduces_availability and (on_hand < 0 or on_hand - new_reserved < 0)

    def _unit_cost_of(self, qty: Decimal, moved_value: Decimal) -> Decimal:
        if qty == 0:
            return self.avg_cost
        return round_cost(abs(moved_value) / abs(qty))
