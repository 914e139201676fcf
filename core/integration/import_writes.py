"""Checked import rows written set-based: multi-row INSERT ... RETURNING in chunks (COPY on PostgreSQL), and opening
stock posted as receipts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text

from core.integration.import_checks import CHUNK, Checked
from core.ledger.documents import open_document, post_moves
from core.ledger.lot_position import NO_LOT
from core.ledger.posting import MoveSpec
from core.models import Customer, Lot, PriceRule, Product, ProductBarcode, ReorderRule, Supplier
from core.models.search_index import bulk_insert
from core.models.searchable import search_values
from core.people.audit import record
from core.permissions import Actor
from core.stock.lots import LotWanted, lots_for
from core.uow import Tx

DOCUMENT_LINES = 5000  # opening stock: one receipt per warehouse, split past this many lines (like stock.MAX_LINES)
Progress = Callable[[int, int], None] | None


def _insert_chunks(tx: Tx, table: Any, rows: list[dict[str, Any]], progress: Progress, total: int) -> list[int]:
    """Insert rows in chunks as multi-row INSERT ... RETURNING id statements; the new ids in row order."""
    if tx.dialect == "postgresql" and len(rows) > CHUNK:
        return _copy_rows(tx, table, rows, progress, total)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        ids += tx.conn.execute(statement, rows[start:start + CHUNK]).scalars().all()
        if progress is not None:
            progress(min(start + CHUNK, len(rows)), total)
    return ids


def _copy_rows(tx: Tx, table: Any, rows: list[dict[str, Any]], progress: Progress, total: int) -> list[int]:
    """PostgreSQL: ids drawn from the table's sequence, then COPY FROM STDIN (a big INSERT's text costs more to
    build and parse than the rows); values pass through the column types as an INSERT would."""
    ids = list(tx.conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                               {"t": table.name, "n": len(rows)}).scalars())
    names = list(rows[0])
    dialect = tx.conn.dialect
    processors = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    cursor = tx.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(f'"{n}"' for n in ["id", *names])
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for done, (ident, row) in enumerate(zip(ids, rows, strict=True), 1):
            copy.write_row([ident, *((p(row[n]) if p else row[n]) for n, p in zip(names, processors, strict=True))])
            if progress is not None and done % CHUNK == 0:
                progress(done, total)
    if progress is not None:
        progress(len(rows), total)
    return ids


def _write_products(tx: Tx, _actor: Actor, checked: Checked, progress: Progress) -> list[str]:
    rows = [{"sku": c["sku"], "name_zh": c["name_zh"], "name_en": c["name_en"],
             "category_id": c.get("category_id"), "base_unit": c["base_unit"] or "pcs",
             "purchase_price": c["purchase_price"] or Decimal(0), "sale_price": c["sale_price"] or Decimal(0),
             "floor_price": c["floor_price"] or Decimal(0), "spec": c["spec"], "active": True, "allow_negative": False,
             "tracking": c["tracking"], "shelf_life_days": c["shelf_life_days"], "alert_days": c["alert_days"],
             "created_at": tx.now, **search_values("product", c)} for c in checked.clean]
    with bulk_insert(tx.conn, "product") as index:
        ids = _insert_chunks(tx, Product.__table__, rows, progress, len(rows))
        index(ids)  # the new rows' trigram index, one statement (SQLite)
    _insert_chunks(tx, ProductBarcode.__table__, [{"product_id": ident, "barcode": c["barcode"]}
                                                  for ident, c in zip(ids, checked.clean, strict=True)
                                                  if c["barcode"]], None, 0)
    _insert_chunks(tx, Lot.__table__, [{"product_id": ident, "code": NO_LOT, "created_at": tx.now}  # "no lot"
                                       for ident, c in zip(ids, checked.clean, strict=True)
                                       if c["tracking"] != "none"], None, 0)
    return []


def _write_suppliers(tx: Tx, _actor: Actor, checked: Checked, progress: Progress) -> list[str]:
    rows = [{"code": c["code"], "name": c["name"], "contact": c["contact"], "phone": c["phone"],
             "credit_rating": c["credit_rating"], "lead_time_days": 7 if c["lead_time_days"] is None
             else c["lead_time_days"], "payment_terms_days": 30 if c["payment_terms_days"] is None
             else c["payment_terms_days"], "note": c["note"], "active": True, "created_at": tx.now,
             **search_values("supplier", c)} for c in checked.clean]
    _insert_chunks(tx, Supplier.__table__, rows, progress, len(rows))
    return []


def _write_customers(tx: Tx, _actor: Actor, checked: Checked, progress: Progress) -> list[str]:
    rows = [{"code": c["code"], "name": c["name"], "contact": c["contact"], "phone": c["phone"],
             "channel": c["channel"], "credit_limit": c["credit_limit"] or Decimal(0),
             "salesperson_id": c.get("salesperson_id"), "payment_terms_days": 30 if c["payment_terms_days"] is None
             else c["payment_terms_days"], "note": c["note"], "language": c["language"], "active": True,
             "created_at": tx.now, **search_values("customer", c)} for c in checked.clean]
    _insert_chunks(tx, Customer.__table__, rows, progress, len(rows))
    return []


def _write_stock(tx: Tx, actor: Actor, checked: Checked, progress: Progress) -> list[str]:
    by_warehouse: dict[int, list[dict[str, Any]]] = {}
    for clean in checked.clean:
        by_warehouse.setdefault(clean["warehouse_id"], []).append(clean)
    numbers, done = [], 0
    parts = [(w, lines[start:start + DOCUMENT_LINES]) for w, all_lines in sorted(by_warehouse.items())
             for lines in [all_lines] for start in range(0, len(all_lines), DOCUMENT_LINES)]
    lot_ids = lots_for(tx, [LotWanted(c["product_id"], code, c["expiry"]) for c in checked.clean
                            for code in (c["serials"] or ((c["lot"],) if c["lot"] else ()))])
    for warehouse_id, lines in parts:
        document_id, number = open_document(tx, actor, "receipt", warehouse_id, reason="opening stock (import)")
        post_moves(tx, actor, document_id, [
            MoveSpec(n, c["product_id"], warehouse_id, qty=qty,
                     unit_cost=c["unit_cost"] if c["unit_cost"] is not None else c["purchase_price"],
                     label=c["sku"], lot_id=None if code is None else lot_ids[(c["product_id"], code)])
            for n, c in enumerate(lines, 1) for code, qty in _lot_quantities(c)])
        record(tx, actor, "stock.receipt", "stock_document", document_id, number=number,
               warehouse=lines[0]["warehouse"], lines=len(lines), reason="opening stock (import)")
        numbers.append(number)
        done += len(lines)
        if progress is not None:
            progress(done, len(checked.clean))
    return numbers


def _lot_quantities(clean: dict[str, Any]) -> list[tuple[str | None, Decimal]]:
    """An opening stock row as (lot, quantity): one unit per serial, else the lot (None: untracked, or "no lot")."""
    if clean["serials"]:
        return [(serial, Decimal(1)) for serial in clean["serials"]]
    return [(clean["lot"], clean["qty"])]


def _write_rules(tx: Tx, _actor: Actor, checked: Checked, progress: Progress) -> list[str]:
    rows = [{"product_id": c["product_id"], "warehouse_id": c["warehouse_id"], "minimum": c["minimum"],
             "maximum": c["maximum"], "pack_size": c["pack_size"] or Decimal(1), "supplier_id": c.get("supplier_id"),
             "lead_time_days": c["lead_time_days"], "active": True, "updated_at": tx.now} for c in checked.clean]
    _insert_chunks(tx, ReorderRule.__table__, rows, progress, len(rows))
    return []


def _write_prices(tx: Tx, actor: Actor, checked: Checked, progress: Progress) -> list[str]:
    rows = [{"grade": r["grade"], "customer_id": c["customer_id"], "product_id": c["product_id"],
             "category_id": c["category_id"], "method": r["method"], "value": r["value"], "min_qty": r["min_qty"],
             "valid_from": r["valid_from"], "valid_to": r["valid_to"], "created_by": actor.employee_id,
             "created_at": tx.now} for c in checked.clean for r in [c["rule"]]]
    _insert_chunks(tx, PriceRule.__table__, rows, progress, len(rows))
    return []


WRITERS: dict[str, Callable[[Tx, Actor, Checked, Progress], list[str]]] = {
    "products": _write_products, "customers": _write_customers, "suppliers": _write_suppliers,
    "opening_stock": _write_stock, "reorder_rules": _write_rules, "price_rules": _write_prices,
}
