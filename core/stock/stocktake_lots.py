"""Counting a tracked product per lot: the lot counted (a lot unknown to the books is opened, with its expiry),
the "no lot" position counted into lots, serials counted by listing them (missing ones are losses). A constant
number of statements whatever the number of lots or serials."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Table, bindparam, func, insert, select, update

from core.codes.gs1 import Gs1Data
from core.errors import InvalidQuantity, LotRefused
from core.ledger.lot_position import NO_LOT
from core.models import Lot, LotLevel, Stocktake, StocktakeLine
from core.numbers import ZERO, parse_quantity
from core.stock.lots import LotWanted, lot_code, lots_for, parse_date
from core.uow import Tx

ONE = Decimal(1)
LINES: Table = StocktakeLine.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class LotCount:
    """What a count names of a tracked product: one lot (with its expiry when new), or the serials listed."""

    lot: str | None
    expiry: date | None
    serials: tuple[str, ...]


@dataclass(frozen=True)
class LotsCounted:
    """The lines a count wrote: the lot (or serials) counted, the quantity, whether it replaced an earlier count."""

    lot: str | None
    serials: tuple[str, ...]
    counted: Decimal
    book: Decimal
    recount: bool


def lot_count(tracking: str, sku: str, base: Decimal, lot: str | None, expiry: object,
              serials: Sequence[str], scan: Gs1Data | None) -> LotCount:
    """The lot or serials of a count, typed or read from a GS1 scan; refused when a tracked product names none."""
    if tracking == "serial":
        listed = tuple(lot_code(s) for s in serials) or (
            (lot_code(lot),) if lot else (lot_code(scan.serial),) if scan is not None and scan.serial else ())
        if not listed:
            raise LotRefused(reason="serials_required", sku=sku)
        if len(set(listed)) != len(listed):
            raise LotRefused(reason="duplicate_serial", lot=next(s for s in listed if listed.count(s) > 1), sku=sku)
        if Decimal(len(listed)) != base:
            raise LotRefused(reason="serial_count", sku=sku, count=len(listed), qty=base)
        return LotCount(None, None, listed)
    if serials:
        raise LotRefused(reason="not_serial", sku=sku)
    code = lot or (scan.lot if scan is not None else None)
    if not code:
        raise LotRefused(reason="lot_required", sku=sku)
    given = parse_date(expiry, "expiry") or (scan.expiry if scan is not None else None)
    return LotCount(lot_code(code), given, ())


def count_lots(tx: Tx, sheet: Stocktake, product_id: int, employee_id: int, base: Decimal, wanted: LotCount, *,
               add: bool, in_scope: Callable[[], bool]) -> LotsCounted:
    """Write the count of one lot (or the serials listed) of a tracked product on the sheet; the product's "no lot"
    line, and for a full serial listing its serials not listed, are counted as none."""
    codes = wanted.serials or (str(wanted.lot),)
    ids = lots_for(tx, [LotWanted(product_id, code, wanted.expiry) for code in codes])
    counted = {ids[(product_id, code)]: (ONE if wanted.serials else base) for code in codes}
    lines = {r.lot_id: r for r in tx.session.execute(
        select(LINES.c.id, LINES.c.lot_id, LINES.c.counted_qty, Lot.code).outerjoin(Lot, Lot.id == LINES.c.lot_id)
        .where(LINES.c.stocktake_id == sheet.id, LINES.c.product_id == product_id))}
    if not lines and not in_scope():
        raise InvalidQuantity(value=codes[0][:40], reason="not_in_stocktake_scope")
    book = dict(tx.session.execute(select(LotLevel.lot_id, LotLevel.on_hand).where(
        LotLevel.product_id == product_id, LotLevel.warehouse_id == sheet.warehouse_id)).all())
    if add and not wanted.serials:
        counted = {lot: parse_quantity((lines[lot].counted_qty if lot in lines and lines[lot].counted_qty is not None
                                        else ZERO) + qty, allow_zero=True) for lot, qty in counted.items()}
    for lot_id, line in lines.items():  # what is not counted here: the "no lot" position, serials not listed
        if lot_id in counted:
            continue
        if (line.code == NO_LOT or wanted.serials) and (line.counted_qty is None or (wanted.serials and not add)):
            counted[lot_id] = ZERO
    mine = [ids[(product_id, code)] for code in codes]
    recount = not add and any(lines[lot].counted_qty is not None for lot in mine if lot in lines)
    stamp = {"counted_by": employee_id, "counted_at": tx.now}
    changed = [{"line_id": lines[lot].id, "counted": qty, "book": book.get(lot, ZERO)}
               for lot, qty in counted.items() if lot in lines]
    if changed:
        tx.session.execute(update(LINES).where(LINES.c.id == bindparam("line_id")).values(
            counted_qty=bindparam("counted"), book_qty=bindparam("book"), **stamp), changed)
    new = [lot for lot in counted if lot not in lines]
    if new:
        last = tx.session.scalar(select(func.max(LINES.c.line_no)).where(LINES.c.stocktake_id == sheet.id)) or 0
        tx.session.execute(insert(LINES), [
            {"stocktake_id": sheet.id, "line_no": last + n, "product_id": product_id, "lot_id": lot,
             "expected_qty": ZERO, "counted_qty": counted[lot], "book_qty": book.get(lot, ZERO), **stamp}
            for n, lot in enumerate(new, 1)])
    return LotsCounted(wanted.lot, wanted.serials, sum((counted[lot] for lot in mine), ZERO),
                       sum((book.get(lot, ZERO) for lot in mine), ZERO), recount)
