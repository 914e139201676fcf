"""Replenishment suggestions over 100,000 products in 5 warehouses (JXC_BENCH_SCALE shrinks it) through
suggest_replenishment, against one hand-written aggregate SQL statement computing the same quantities."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Integer, bindparam, cast, func, insert, literal, select, text

from benchmarks.common import Backend, Database, database, interleaved, median, timed
from core.catalog.products import create_warehouse
from core.models import Product, ReorderRule, StockDocument, StockLevel, StockMove, Supplier, Warehouse
from core.models.base import UTCDateTime, utcnow
from core.purchasing.replenishment import DEMAND_DAYS, suggest_replenishment

PRODUCTS = 100_000
WAREHOUSES = ("MAIN", "NORTH", "EAST", "SOUTH", "WEST")
SUPPLIERS = 50
UNIT = 10_000  # one unit as a stored Qty integer
GOAL_SECONDS = 2.0


@dataclass(frozen=True)
class Timing:
    backend: str
    products: int
    rules: int
    suggestions: int
    load_seconds: float
    services_seconds: float
    hand_seconds: float
    services_cpu_seconds: float
    load_average: float
    ratio: float
    goal_met: bool


def scale() -> float:
    return float(os.environ.get("JXC_BENCH_SCALE", "1"))


def load(db: Database, products: int) -> None:
    """Catalogue, levels, rules and a month of issues (each product-warehouse issued once), set-based."""
    admin = db.admin
    for code in WAREHOUSES[2:]:
        create_warehouse(db.uow, admin, code, code.title())
    now = utcnow()
    with db.engine.begin() as c:
        c.execute(insert(Supplier), [{"code": f"S{n:03d}", "name": f"Supplier {n}", "lead_time_days": 3 + n % 10}
                                     for n in range(1, SUPPLIERS + 1)])
        c.execute(insert(Product), [
            {"sku": f"RP-{n:06d}", "name_zh": f"商品 {n}", "name_en": f"Item {n}", "base_unit": "pcs",
             "purchase_price": 1, "sale_price": 2, "floor_price": 1, "active": True, "allow_negative": False}
            for n in range(1, products + 1)])
        p, w = Product.__table__.c, Warehouse.__table__.c
        stamp = literal(now, UTCDateTime())
        grid = Product.__table__.join(Warehouse.__table__, w.kind == "normal")
        c.execute(insert(StockLevel).from_select(
            ["product_id", "warehouse_id", "on_hand", "reserved", "value", "avg_cost", "allow_negative", "updated_at"],
            select(p.id, w.id, ((p.id * 7 + w.id * 13) % 120 + 2) * UNIT, (p.id % 3) * UNIT, literal(0), literal(0),
                   literal(False), stamp).select_from(grid)))
        c.execute(insert(ReorderRule).from_select(
            ["product_id", "warehouse_id", "minimum", "maximum", "pack_size", "supplier_id", "lead_time_days",
             "active", "updated_at"],
            select(p.id, w.id, literal(20 * UNIT), literal(100 * UNIT), (1 + p.id % 4) * UNIT,
                   1 + p.id % SUPPLIERS, p.id % 15,
                   literal(True), stamp).select_from(grid)))
        c.execute(text("UPDATE reorder_rule SET lead_time_days = NULL WHERE lead_time_days = 0"))
        warehouse_ids = [row[0] for row in c.execute(select(w.id).where(w.kind == "normal").order_by(w.id))]
        c.execute(insert(StockDocument), [
            {"number": f"IS-B-{day:02d}-{wid}", "kind": "issue" if day % 2 else "shipment", "status": "posted",
             "warehouse_id": wid, "reason": "", "employee_id": admin.employee_id, "channel": "cli",
             "created_at": now - timedelta(days=day, hours=1)}
            for day in reversed(range(DEMAND_DAYS)) for wid in warehouse_ids])  # ids grow with time
        d = StockDocument.__table__.c
        c.execute(insert(StockMove).from_select(
            ["document_id", "line_no", "product_id", "warehouse_id", "qty", "reserved", "value", "unit_cost",
             "balance_qty", "balance_reserved", "balance_value", "avg_cost", "employee_id", "channel", "created_at"],
            select(d.id, p.id, p.id, d.warehouse_id, -((p.id % 5) + 1) * UNIT, literal(0), literal(0), literal(0),
                   literal(0), literal(0), literal(0), literal(0), d.employee_id, d.channel, d.created_at)
            .select_from(StockDocument.__table__.join(
                Product.__table__, cast(func.substr(d.number, 6, 2), Integer) == p.id % DEMAND_DAYS))
            .where(d.number.like("IS-B-%")).order_by(d.id, p.id)))
    with db.engine.begin() as c:
        c.execute(text("ANALYZE"))


HAND = """
SELECT r.id, r.maximum - (COALESCE(l.on_hand, 0) - COALESCE(l.reserved, 0)) - COALESCE(o.open_qty, 0)
       + (COALESCE(dm.out_qty, 0) * COALESCE(r.lead_time_days, s.lead_time_days, 7) + 29) / 30 AS needed,
       r.pack_size
FROM reorder_rule r
JOIN product p ON p.id = r.product_id
JOIN warehouse w ON w.id = r.warehouse_id
LEFT JOIN supplier s ON s.id = r.supplier_id
LEFT JOIN stock_level l ON l.product_id = r.product_id AND l.warehouse_id = r.warehouse_id
LEFT JOIN (SELECT m.product_id, m.warehouse_id, CAST(-SUM(m.qty) AS BIGINT) AS out_qty
           FROM stock_move m JOIN stock_document d ON d.id = m.document_id
           WHERE m.created_at >= :since AND m.qty < 0 AND d.kind IN ('issue', 'shipment')
           GROUP BY m.product_id, m.warehouse_id) dm
       ON dm.product_id = r.product_id AND dm.warehouse_id = r.warehouse_id
LEFT JOIN (SELECT po.warehouse_id, pl.product_id, CAST(SUM(pl.qty - pl.received_qty) AS BIGINT) AS open_qty
           FROM purchase_order_line pl JOIN purchase_order po ON po.id = pl.order_id
           WHERE po.status IN ('draft', 'pending_approval', 'approved', 'partially_received')
             AND pl.qty > pl.received_qty
           GROUP BY po.warehouse_id, pl.product_id) o
       ON o.product_id = r.product_id AND o.warehouse_id = r.warehouse_id
WHERE r.active = :yes AND p.active = :yes
  AND COALESCE(l.on_hand, 0) - COALESCE(l.reserved, 0) < r.minimum
ORDER BY w.code, p.sku
"""


def hand_suggestions(db: Database) -> dict[int, int]:
    """Rule id -> quantity (stored integer), by one hand-written statement (rounding up to packs in Python)."""
    statement = text(HAND).bindparams(bindparam("since", type_=UTCDateTime()), bindparam("yes"))
    with db.engine.connect() as c:
        rows = c.execute(statement, {"since": utcnow() - timedelta(days=DEMAND_DAYS), "yes": True}).all()
    return {rule: -(-max(needed, 0) // pack) * pack for rule, needed, pack in rows}


def service_suggestions(db: Database) -> dict[int, int]:
    return {s.rule_id: int(s.quantity * UNIT) for s in suggest_replenishment(db.uow, db.admin)}


def measure(backend: Backend, rounds: int = 5) -> Timing:
    products = max(int(PRODUCTS * scale()), 10)
    with database(backend, "replenish") as db:
        load_seconds = timed(lambda: load(db, products))
        expected, got = hand_suggestions(db), service_suggestions(db)
        if expected != got:
            differ = len(set(expected.items()) ^ set(got.items()))
            raise AssertionError(f"services and hand SQL disagree on {differ} rows")
        with db.engine.connect() as c:
            rules = int(c.execute(text("SELECT COUNT(*) FROM reorder_rule")).scalar_one())
        cpu: list[float] = []

        def services_timed() -> float:
            start = time.process_time()
            seconds = timed(lambda: suggest_replenishment(db.uow, db.admin))
            cpu.append(time.process_time() - start)  # this process only: on SQLite the query too, not on PG
            return seconds

        services, hand = interleaved(rounds, services_timed, lambda: timed(lambda: hand_suggestions(db)))
    s, h = median(services), median(hand)
    return Timing(backend.name, products, rules, len(got), load_seconds, s, h, median(cpu), os.getloadavg()[0],
                  median([a / b for a, b in zip(hand, services, strict=True)]), s < GOAL_SECONDS)


def main(backends: Sequence[Backend]) -> None:
    results = [measure(backend) for backend in backends]
    for r in results:
        print(f"replenishment {r.backend}: {r.products} products, {r.rules} rules, {r.suggestions} suggestions "
              f"(load {r.load_seconds:.1f} s); services {r.services_seconds:.3f} s "
              f"(cpu in this process {r.services_cpu_seconds:.3f} s, load average {r.load_average:.1f}), "
              f"hand SQL {r.hand_seconds:.3f} s, "
              f"ratio {r.ratio:.2f}, 2 s goal {'met' if r.goal_met else 'NOT met'}")
    print("replenishment ratio (hand/services): " + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
