"""The stocktake sheet for counting on paper: every product in scope, its book quantity (hide the stock column
for a blind count), what has been counted so far and an empty space for the count."""

from __future__ import annotations

from sqlalchemy import select

from core.documents.lines import PRODUCT_COLUMNS, first_barcode, product_cells
from core.documents.model import Column, PrintedDocument
from core.errors import UnknownDocument
from core.models import Employee, Lot, Product, Stocktake, StocktakeLine, Warehouse
from core.permissions import Actor, Permission
from core.uow import Tx

SHEET_COLUMNS = (*PRODUCT_COLUMNS, Column("stock", "qty", 4), Column("counted", "qty", 4),
                 Column("count_here", "text", 6))
LOT_COLUMNS = (Column("lot", "text", 5), Column("expiry", "text", 7))  # only on a sheet with a tracked product

def stocktake_sheet(tx: Tx, actor: Actor, number: str) -> PrintedDocument:
    """盘点表: the sheet's lines for the people who count in its warehouse; a tracked product a line per lot."""
    found = tx.session.execute(select(Stocktake.id, Stocktake.warehouse_id)
                               .where(Stocktake.number == number)).one_or_none()
    if found is None:
        raise UnknownDocument(number=number)
    actor.require(Permission.STOCKTAKE_COUNT, found.warehouse_id)
    rows = tx.session.execute(
        select(Stocktake.status, Stocktake.created_at, Stocktake.reason, Warehouse.code.label("warehouse"),
               Warehouse.name.label("warehouse_name"), Warehouse.name_en.label("warehouse_name_en"),
               Employee.name.label("author"), StocktakeLine.line_no,
               Product.sku, Product.name_zh, Product.name_en, Product.spec,
               Product.base_unit, first_barcode().label("barcode"),
               StocktakeLine.expected_qty, StocktakeLine.counted_qty, StocktakeLine.lot_id, Lot.code.label("lot"),
               Lot.expiry)
        .join(Warehouse, Warehouse.id == Stocktake.warehouse_id).join(Employee, Employee.id == Stocktake.author_id)
        .outerjoin(StocktakeLine, StocktakeLine.stocktake_id == Stocktake.id)
        .outerjoin(Product, Product.id == StocktakeLine.product_id)
        .outerjoin(Lot, Lot.id == StocktakeLine.lot_id)
        .where(Stocktake.id == found.id).order_by(StocktakeLine.line_no)).all()
    head = rows[0]
    lines = tuple({**product_cells(r), "lot": "" if r.lot_id is None else r.lot or "—",
                   "expiry": "" if r.expiry is None else r.expiry.isoformat(), "stock": r.expected_qty,
                   "counted": r.counted_qty, "count_here": ""}
                  for r in rows if r.sku is not None)
    tracked = any(r.lot_id is not None for r in rows)
    columns = (*PRODUCT_COLUMNS, *LOT_COLUMNS, *SHEET_COLUMNS[len(PRODUCT_COLUMNS):]) if tracked else SHEET_COLUMNS
    return PrintedDocument(
        kind="stocktake_sheet", number=number, status=head.status, created_at=head.created_at, party=None,
        warehouse=f"{head.warehouse} {head.warehouse_name}", author=head.author, columns=columns, lines=lines,
        note=head.reason, warehouse_en=f"{head.warehouse} {head.warehouse_name_en or head.warehouse_name}")
