"""The lot positions of one posting: locked together, split first-expired-first-out, written once each.

Only a posting that touches a tracked product comes here, so an untracked document runs no statement more."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Table, bindparam, or_, select, update

from core.errors import LotRefused, OutOfStock
from core.ledger.lot_position import NO_LOT, LotPosition, fefo_key
from core.models import Lot, LotLevel
from core.numbers import ZERO
from core.uow import Tx

Key = tuple[int, int]  # (product id, warehouse id)
LOTS: Table = Lot.__table__  # type: ignore[assignment]
LOT_LEVELS: Table = LotLevel.__table__  # type: ignore[assignment]
_LOCK = (
    select(LOT_LEVELS.c.id, LOT_LEVELS.c.lot_id, LOT_LEVELS.c.product_id, LOT_LEVELS.c.warehouse_id,
           LOT_LEVELS.c.on_hand, LOT_LEVELS.c.reserved, LOT_LEVELS.c.allow_negative, LOTS.c.code, LOTS.c.expiry)
    .join(LOTS, LOTS.c.id == LOT_LEVELS.c.lot_id)
    .where(or_(LOT_LEVELS.c.product_id.in_(bindparam("products", expanding=True))
               & LOT_LEVELS.c.warehouse_id.in_(bindparam("warehouses", expanding=True))
               & ((LOT_LEVELS.c.on_hand != 0) | (LOT_LEVELS.c.reserved != 0)),  # spent lots stay behind
               LOT_LEVELS.c.lot_id.in_(bindparam("lots", expanding=True))))
    .order_by(LOT_LEVELS.c.lot_id, LOT_LEVELS.c.warehouse_id)
    .with_for_update()
)
_META = select(LOTS.c.id, LOTS.c.product_id, LOTS.c.code, LOTS.c.expiry).where(or_(
    LOTS.c.id.in_(bindparam("lots", expanding=True)),
    LOTS.c.product_id.in_(bindparam("products", expanding=True)) & (LOTS.c.code == NO_LOT)))
_WRITE = (
    update(LOT_LEVELS).where(LOT_LEVELS.c.id == bindparam("level_id"))
    .values(on_hand=bindparam("on_hand"), reserved=bindparam("reserved"), updated_at=bindparam("updated_at"))
)


@dataclass(frozen=True)
class LotPart:
    """The share of one posted line that falls on one lot."""

    lot_id: int
    qty: Decimal
    reserved: Decimal


class LotBook:
    """Every lot position of the tracked products of one posting, and the lots a line names wherever they are."""

    def __init__(self, tx: Tx, keys: set[Key], serial: set[int], named: set[int],
                 allow_negative: dict[Key, bool]) -> None:
        self.tx = tx
        self.today = tx.now.date()
        self.serial = serial
        self.allow_negative = allow_negative
        self.positions: dict[tuple[int, int], LotPosition] = {}  # (lot id, warehouse id)
        self.meta: dict[int, tuple[int, str, date | None]] = {}  # lot id -> (product id, code, expiry)
        self.no_lot: dict[int, int] = {}
        self.expired_first = False
        rows = tx.conn.execute(_LOCK, {"products": sorted({p for p, _ in keys}),
                                       "warehouses": sorted({w for _, w in keys}), "lots": sorted(named)})
        for row in rows:
            self.meta[row.lot_id] = (row.product_id, row.code, row.expiry)
            self.positions[(row.lot_id, row.warehouse_id)] = LotPosition(
                row.lot_id, row.product_id, row.warehouse_id, row.code, row.expiry, row.product_id in serial,
                row.on_hand, row.reserved, row.allow_negative, row.id)
            if row.code == NO_LOT:
                self.no_lot[row.product_id] = row.lot_id
        self.unread = (named - self.meta.keys(), {p for p, _ in keys} - self.no_lot.keys())

    def _read_lots(self) -> None:
        """Lots named, and "no lot" positions, without a level in this posting's warehouses: read once, when a line
        first needs one."""
        lots, products = self.unread
        self.unread = (set(), set())
        if not lots and not products:
            return
        for row in self.tx.conn.execute(_META, {"lots": sorted(lots), "products": sorted(products)}):
            self.meta[row.id] = (row.product_id, row.code, row.expiry)
            if row.code == NO_LOT:
                self.no_lot[row.product_id] = row.id

    def split(self, product_id: int, warehouse_id: int, lot_id: int | None, qty: Decimal,
              reserved: Decimal, *, expired_first: bool = False) -> list[LotPart]:
        """The lots one line falls on: the lot it names, else first-expired-first-out (never an expired lot, unless
        `expired_first`: a correction takes them first); goods coming in without a lot go to "no lot"."""
        if lot_id is not None and lot_id not in self.meta:
            self._read_lots()
        if lot_id is not None and self.meta.get(lot_id, (None,))[0] != product_id:
            raise LotRefused(reason="unknown_lot", lot=str(lot_id))
        parts: dict[int, list[Decimal]] = {}
        released = self._release(product_id, warehouse_id, lot_id, -reserved, parts) if reserved < 0 else []
        self.expired_first = expired_first
        if reserved > 0:
            self._take(product_id, warehouse_id, lot_id, reserved, parts, 1, [])
        if qty < 0:
            self._take(product_id, warehouse_id, lot_id, -qty, parts, 0, released)
        elif qty > 0:
            target = lot_id if lot_id is not None else self._no_lot(product_id)
            parts.setdefault(target, [ZERO, ZERO])[0] += qty
        result = [LotPart(lot, q, r) for lot, (q, r) in parts.items()]
        for part in result:
            self._position(part.lot_id, warehouse_id).apply(part.qty, part.reserved)
        return result

    def _release(self, product_id: int, warehouse_id: int, lot_id: int | None, amount: Decimal,
                 parts: dict[int, list[Decimal]]) -> list[tuple[int, Decimal]]:
        """Give back reserved stock: the named lot's first, then the earliest-expiring lots'."""
        held = sorted((p for p in self._lots_of(product_id, warehouse_id) if p.reserved > 0), key=fefo_key)
        if lot_id is not None:
            held.sort(key=lambda p: p.lot_id != lot_id)
        released: list[tuple[int, Decimal]] = []
        for position in held:
            share = min(amount, position.reserved)
            if share <= 0:
                break
            parts.setdefault(position.lot_id, [ZERO, ZERO])[1] -= share
            released.append((position.lot_id, share))
            amount -= share
        if amount > 0:
            target = lot_id if lot_id is not None else self._no_lot(product_id)
            parts.setdefault(target, [ZERO, ZERO])[1] -= amount  # the lot position refuses it
        return released

    def _take(self, product_id: int, warehouse_id: int, lot_id: int | None, amount: Decimal,
              parts: dict[int, list[Decimal]], column: int, released: list[tuple[int, Decimal]]) -> None:
        """Take `amount` out of on hand (column 0) or into reserved (column 1): the named lot, else what was just
        released, else the lots not expired, earliest expiry first."""
        if lot_id is not None:
            parts.setdefault(lot_id, [ZERO, ZERO])[column] += -amount if column == 0 else amount
            return
        for lot, share in released:
            take = min(share, amount)
            parts.setdefault(lot, [ZERO, ZERO])[0] -= take
            amount -= take
        candidates = sorted((p for p in self._lots_of(product_id, warehouse_id)
                             if self.expired_first or not p.expired(self.today)),
                            key=lambda p: (not p.expired(self.today), *fefo_key(p)))
        for position in candidates:
            if amount <= 0:
                return
            planned = parts.get(position.lot_id, [ZERO, ZERO])
            free = position.available + planned[0] - planned[1]
            take = min(free, amount)
            if take > 0:
                parts.setdefault(position.lot_id, [ZERO, ZERO])[column] += -take if column == 0 else take
                amount -= take
        if amount <= 0:
            return
        if not self.allow_negative.get((product_id, warehouse_id), False):
            pickable = sum((p.available for p in candidates if p.available > 0), ZERO)
            raise OutOfStock(product_id=product_id, warehouse_id=warehouse_id, available=pickable,
                             requested=pickable + amount, reason="no_pickable_lot")
        parts.setdefault(self._no_lot(product_id), [ZERO, ZERO])[column] += -amount if column == 0 else amount

    def _lots_of(self, product_id: int, warehouse_id: int) -> Iterable[LotPosition]:
        return (p for p in self.positions.values() if p.product_id == product_id and p.warehouse_id == warehouse_id)

    def _no_lot(self, product_id: int) -> int:
        if product_id not in self.no_lot:
            self._read_lots()
        lot = self.no_lot.get(product_id)
        if lot is None:
            raise LotRefused(reason="not_tracked", product_id=product_id)
        return lot

    def _position(self, lot_id: int, warehouse_id: int) -> LotPosition:
        position = self.positions.get((lot_id, warehouse_id))
        if position is None:
            product_id, code, expiry = self.meta[lot_id]
            allow = code == NO_LOT and self.allow_negative.get((product_id, warehouse_id), False)
            position = LotPosition(lot_id, product_id, warehouse_id, code, expiry, product_id in self.serial,
                                   allow_negative=allow)
            self.positions[(lot_id, warehouse_id)] = position
        return position

    def write(self) -> None:
        """Check each serial is in one place at most, then write the changed lot levels and the new ones."""
        held: dict[int, Decimal] = {}
        for position in self.positions.values():
            if position.is_serial:
                held[position.lot_id] = held.get(position.lot_id, ZERO) + position.on_hand
        twice = sorted(lot for lot, qty in held.items() if qty > 1)
        if twice:
            raise LotRefused(reason="serial_twice", lot=self.meta[twice[0]][1])
        changed = [p for p in self.positions.values() if p.touched and p.level_id is not None]
        if changed:
            self.tx.conn.execute(_WRITE, [
                {"level_id": p.level_id, "on_hand": p.on_hand, "reserved": p.reserved, "updated_at": self.tx.now}
                for p in changed])
        new = [p for p in self.positions.values() if p.touched and p.level_id is None]
        if new:
            statement = self.tx.insert(LOT_LEVELS)
            self.tx.conn.execute(statement.on_conflict_do_update(
                index_elements=["lot_id", "warehouse_id"],
                set_={"on_hand": LOT_LEVELS.c.on_hand + statement.excluded.on_hand,
                      "reserved": LOT_LEVELS.c.reserved + statement.excluded.reserved}), [
                {"lot_id": p.lot_id, "product_id": p.product_id, "warehouse_id": p.warehouse_id,
                 "on_hand": p.on_hand, "reserved": p.reserved, "allow_negative": p.allow_negative,
                 "updated_at": self.tx.now} for p in new])
