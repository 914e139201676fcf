"""Low-stock warnings: raised by a posting for the positions it took below their reorder minimum."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import and_, bindparam, select, tuple_

from core.integration.outbox import Note, write_notes
from core.integration.webhooks import emit_low_stock
from core.models import Employee, EmployeeRole, Product, ReorderRule, Warehouse
from core.uow import Tx

LOW_STOCK_ROLES = ("purchaser", "manager")
Key = tuple[int, int]
# Built once: every issue runs it.
_RULES_AND_RECIPIENTS = (
    select(ReorderRule.id, ReorderRule.product_id, ReorderRule.warehouse_id, ReorderRule.minimum,
           ReorderRule.maximum, Product.sku, Product.name_zh, Product.name_en, Warehouse.code,
           EmployeeRole.employee_id)
    .join(Product, Product.id == ReorderRule.product_id)
    .join(Warehouse, Warehouse.id == ReorderRule.warehouse_id)
    .join(EmployeeRole, EmployeeRole.role.in_(LOW_STOCK_ROLES))
    .join(Employee, and_(Employee.id == EmployeeRole.employee_id, Employee.active))
    .where(ReorderRule.active, ReorderRule.product_id.in_(bindparam("products", expanding=True)),
           ReorderRule.warehouse_id.in_(bindparam("warehouses", expanding=True)),
           tuple_(ReorderRule.product_id, ReorderRule.warehouse_id).in_(bindparam("keys", expanding=True)))
)  # the single-column INs let SQLite search the rule key; a row-value IN alone scans every rule


def warn_low_stock(tx: Tx, document_id: int, dropped: Mapping[Key, tuple[Decimal, Decimal]]) -> int:
    """Called by a posting with (available before, after) of the positions whose availability fell:
    one query for their rules and recipients, one insert for the warnings of those that crossed the minimum."""
    if not dropped:
        return 0
    rows = tx.conn.execute(_RULES_AND_RECIPIENTS, {
        "products": sorted({p for p, _ in dropped}), "warehouses": sorted({w for _, w in dropped}),
        "keys": sorted(dropped)})
    notes: dict[str, Note] = {}
    for r in rows:
        before, after = dropped[(r.product_id, r.warehouse_id)]
        if not after < r.minimum <= before:
            continue
        key = f"low_stock:{document_id}:{r.product_id}:{r.warehouse_id}:{r.employee_id}"
        notes[key] = Note("low_stock", r.employee_id, {
            "rule_id": r.id, "document_id": document_id, "product_id": r.product_id, "sku": r.sku,
            "name_zh": r.name_zh, "name_en": r.name_en, "warehouse_id": r.warehouse_id, "warehouse": r.code,
            "available": after, "available_before": before, "minimum": r.minimum, "maximum": r.maximum,
        }, key)
    emit_low_stock(tx, notes.values())  # webhooks: only when a minimum was crossed
    return write_notes(tx, list(notes.values()))
