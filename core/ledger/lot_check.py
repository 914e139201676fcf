"""`jxc check` per lot: lot levels against the ledger rows naming the lot, lots against their product's level,
never negative, and a serial never above one nor in two places."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Subquery, Table, and_, func, literal, or_, select

from core.ledger.lot_position import NO_LOT
from core.ledger.problems import LIMIT, Problem
from core.models import Lot, LotLevel, Product, StockLevel, StockMove
from core.uow import Tx

LOTS: Table = Lot.__table__  # type: ignore[assignment]
LOT_LEVELS: Table = LotLevel.__table__  # type: ignore[assignment]
MOVES: Table = StockMove.__table__  # type: ignore[assignment]
PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
LEVELS: Table = StockLevel.__table__  # type: ignore[assignment]


def check_lots(tx: Tx) -> list[Problem]:
    """Every per-lot invariant, each in one statement whatever the number of lots."""
    return (_levels_against_ledger(tx) + _lots_against_products(tx) + _negative(tx) + _serials(tx))[:LIMIT]


def _ledger_by_lot() -> Subquery:
    """Ledger sums per lot and warehouse; rows of a tracked product posted before it was tracked (no lot named)
    belong to its "no lot" position."""
    no_lot = LOTS.alias("no_lot")
    lot_id = func.coalesce(MOVES.c.lot_id, no_lot.c.id)
    return (
        select(lot_id.label("lot_id"), MOVES.c.warehouse_id, func.sum(MOVES.c.qty).label("qty"),
               func.sum(MOVES.c.reserved).label("reserved"))
        .select_from(MOVES.join(PRODUCTS, PRODUCTS.c.id == MOVES.c.product_id)
                     .outerjoin(no_lot, and_(no_lot.c.product_id == MOVES.c.product_id, no_lot.c.code == NO_LOT,
                                             MOVES.c.lot_id.is_(None))))
        .where(PRODUCTS.c.tracking != "none")
        .group_by(lot_id, MOVES.c.warehouse_id)
        .subquery()
    )


def _levels_against_ledger(tx: Tx) -> list[Problem]:
    ledger = _ledger_by_lot()
    zero = literal(0)
    rows = tx.conn.execute(
        select(LOT_LEVELS.c.id, LOT_LEVELS.c.lot_id, LOT_LEVELS.c.product_id, LOT_LEVELS.c.warehouse_id,
               LOT_LEVELS.c.on_hand, LOT_LEVELS.c.reserved, ledger.c.qty, ledger.c.reserved.label("ledger_reserved"))
        .select_from(LOT_LEVELS.outerjoin(ledger, and_(ledger.c.lot_id == LOT_LEVELS.c.lot_id,
                                                       ledger.c.warehouse_id == LOT_LEVELS.c.warehouse_id)))
        .where(or_(LOT_LEVELS.c.on_hand != func.coalesce(ledger.c.qty, zero),
                   LOT_LEVELS.c.reserved != func.coalesce(ledger.c.reserved, zero)))
        .limit(LIMIT))
    problems = [
        Problem("lot_level_differs", "lot_level", r.id, r.product_id, r.warehouse_id,
                f"lot {r.lot_id}: level on_hand={r.on_hand} reserved={r.reserved}, ledger gives "
                f"on_hand={r.qty or Decimal(0)} reserved={r.ledger_reserved or Decimal(0)}")
        for r in rows
    ]
    missing = tx.conn.execute(
        select(ledger.c.lot_id, ledger.c.warehouse_id, LOTS.c.product_id)
        .select_from(ledger.join(LOTS, LOTS.c.id == ledger.c.lot_id)
                     .outerjoin(LOT_LEVELS, and_(LOT_LEVELS.c.lot_id == ledger.c.lot_id,
                                                 LOT_LEVELS.c.warehouse_id == ledger.c.warehouse_id)))
        .where(LOT_LEVELS.c.id.is_(None), or_(ledger.c.qty != 0, ledger.c.reserved != 0))
        .limit(LIMIT))
    return problems + [Problem("lot_level_missing", "lot_level", None, r.product_id, r.warehouse_id,
                               f"ledger rows of lot {r.lot_id} without a lot level") for r in missing]


def _lots_against_products(tx: Tx) -> list[Problem]:
    """The lots of a tracked product in a warehouse add up to the product's level there."""
    sums = (
        select(LOT_LEVELS.c.product_id, LOT_LEVELS.c.warehouse_id, func.sum(LOT_LEVELS.c.on_hand).label("on_hand"),
               func.sum(LOT_LEVELS.c.reserved).label("reserved"))
        .group_by(LOT_LEVELS.c.product_id, LOT_LEVELS.c.warehouse_id).subquery()
    )
    zero = literal(0)
    rows = tx.conn.execute(
        select(LEVELS.c.id, LEVELS.c.product_id, LEVELS.c.warehouse_id, LEVELS.c.on_hand, LEVELS.c.reserved,
               sums.c.on_hand.label("lots_on_hand"), sums.c.reserved.label("lots_reserved"))
        .select_from(LEVELS.join(PRODUCTS, PRODUCTS.c.id == LEVELS.c.product_id)
                     .outerjoin(sums, and_(sums.c.product_id == LEVELS.c.product_id,
                                           sums.c.warehouse_id == LEVELS.c.warehouse_id)))
        .where(PRODUCTS.c.tracking != "none",
               or_(LEVELS.c.on_hand != func.coalesce(sums.c.on_hand, zero),
                   LEVELS.c.reserved != func.coalesce(sums.c.reserved, zero)))
        .limit(LIMIT))
    return [Problem("lots_differ_from_level", "stock_level", r.id, r.product_id, r.warehouse_id,
                    f"level on_hand={r.on_hand} reserved={r.reserved}, its lots add up to "
                    f"on_hand={r.lots_on_hand or Decimal(0)} reserved={r.lots_reserved or Decimal(0)}")
            for r in rows]


def _negative(tx: Tx) -> list[Problem]:
    c = LOT_LEVELS.c
    rows = tx.conn.execute(
        select(c.id, c.lot_id, c.product_id, c.warehouse_id, c.on_hand, c.reserved)
        .where(or_(c.reserved < 0, and_(~c.allow_negative, or_(c.on_hand < 0, c.on_hand - c.reserved < 0))))
        .limit(LIMIT))
    return [Problem("lot_negative", "lot_level", r.id, r.product_id, r.warehouse_id,
                    f"lot {r.lot_id}: on_hand={r.on_hand} reserved={r.reserved}") for r in rows]


def _serials(tx: Tx) -> list[Problem]:
    """A serial number is held once at most: never above one, never in two warehouses."""
    held = func.sum(LOT_LEVELS.c.on_hand)
    places = func.count(LOT_LEVELS.c.id).filter(LOT_LEVELS.c.on_hand != 0)
    rows = tx.conn.execute(
        select(LOTS.c.id, LOTS.c.code, LOTS.c.product_id, held.label("held"), places.label("places"))
        .select_from(LOTS.join(PRODUCTS, PRODUCTS.c.id == LOTS.c.product_id)
                     .join(LOT_LEVELS, LOT_LEVELS.c.lot_id == LOTS.c.id))
        .where(PRODUCTS.c.tracking == "serial", LOTS.c.code != NO_LOT)
        .group_by(LOTS.c.id, LOTS.c.code, LOTS.c.product_id)
        .having(or_(held > 1, places > 1))
        .limit(LIMIT))
    return [Problem("serial_twice", "lot", r.id, r.product_id, 0,
                    f"serial {r.code}: {r.held} held in {r.places} places") for r in rows]
