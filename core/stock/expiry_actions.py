"""What an expiry warning's buttons do: write the lot off with a reason (an adjustment through the ledger), or move
it to the quarantine warehouse (a transfer sent and taken in at once)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.errors import LotRefused, ReasonRequired, UnknownWarehouse
from core.models import Lot, LotLevel, Product, Warehouse
from core.permissions import Actor, Permission
from core.stock.moves import LineIn, Posted, adjust_stock, dispatch_transfer, receive_transfer
from core.uow import Tx, UnitOfWork

QUARANTINE = "QUARANTINE"  # the warehouse code expired or doubtful stock is moved to


@dataclass(frozen=True)
class HeldLot:
    """A lot's stock in one warehouse, as the buttons act on it."""

    sku: str
    lot: str
    warehouse: str
    qty: Decimal


def held_lot(uow: UnitOfWork, actor: Actor, lot_id: int, warehouse_id: int) -> HeldLot:
    """What a lot holds in a warehouse now; refused when nothing."""
    actor.require(Permission.STOCK_VIEW)

    def work(tx: Tx) -> HeldLot:
        row = tx.session.execute(
            select(Product.sku, Lot.code, Warehouse.code.label("warehouse"), LotLevel.on_hand)
            .join(LotLevel, LotLevel.lot_id == Lot.id).join(Product, Product.id == Lot.product_id)
            .join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
            .where(Lot.id == lot_id, LotLevel.warehouse_id == warehouse_id)).one_or_none()
        if row is None or row.on_hand <= 0:
            raise LotRefused(reason="nothing_held", lot=str(row.code if row else lot_id))
        return HeldLot(row.sku, row.code, row.warehouse, row.on_hand)

    return uow.read(work)


def write_off_lot(uow: UnitOfWork, actor: Actor, lot_id: int, warehouse_id: int, reason: str) -> Posted:
    """Take all of a lot out of a warehouse at average cost, with the reason (needs the adjust permission)."""
    if not reason.strip():
        raise ReasonRequired(action="write_off")
    held = held_lot(uow, actor, lot_id, warehouse_id)
    return adjust_stock(uow, actor, held.warehouse, [LineIn(held.sku, -held.qty, lot=held.lot)],
                        reason=f"{held.lot}: {reason.strip()}"[:500])


def quarantine_lot(uow: UnitOfWork, actor: Actor, lot_id: int, warehouse_id: int) -> Posted:
    """Move all of a lot to the QUARANTINE warehouse: sent and taken in at once, value at average cost."""
    held = held_lot(uow, actor, lot_id, warehouse_id)
    if uow.read(lambda tx: tx.session.scalar(select(Warehouse.id).where(Warehouse.code == QUARANTINE))) is None:
        raise UnknownWarehouse(warehouse=QUARANTINE)
    sent = dispatch_transfer(uow, actor, held.warehouse, QUARANTINE, [LineIn(held.sku, held.qty, lot=held.lot)],
                             reason=f"quarantine {held.lot}")
    return receive_transfer(uow, actor, sent.number)
