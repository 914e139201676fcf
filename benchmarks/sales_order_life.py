"""A sales order's whole life (create with 5 lines, submit -> approved with stock reserved, ship everything) per
second through the services, against hand-written SQL (text()) writing the same rows, one transaction per step."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.db import WRITE_OPTION
from core.models import Product
from core.models.base import UTCDateTime, utcnow
from core.partners.customers import NewCustomer, create_customer
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, receive_stock

LINES = 5
QTY = 2
UNIT = 10_000  # one unit as a stored Qty/Money integer
CUSTOMER = "BENCH-CO"


@dataclass(frozen=True)
class Life:
    backend: str
    services_per_second: float
    hand_per_second: float
    ratio: float
    orders_shipped: int
    books_balance: bool


def _services_life(db: Database, skus: Sequence[str]) -> None:
    order = create_sales_order(db.uow, db.admin, CUSTOMER, "MAIN", [SalesLineIn(s, QTY) for s in skus], channel="cli")
    submit_sales_order(db.uow, db.admin, order.number)
    ship_sales_order(db.uow, db.admin, order.number)


S = {
    "number": "INSERT INTO document_sequence (prefix, year, last_number) VALUES (:prefix, :year, 1) "
              "ON CONFLICT (prefix, year) DO UPDATE SET last_number = document_sequence.last_number + 1 "
              "RETURNING last_number",
    "prices": "SELECT id, sale_price FROM product WHERE id IN :ids",
    "order": "INSERT INTO sales_order (number, customer_id, warehouse_id, salesperson_id, channel, status, total, "
             "note, reason, created_at) VALUES (:number, :customer, :warehouse, :employee, 'cli', 'draft', :total, "
             "'', '', :at) RETURNING id",
    "line": "INSERT INTO sales_order_line (order_id, line_no, product_id, qty, unit_price, amount, reserved_qty, "
            "shipped_qty, returned_qty) VALUES (:order_id, :line_no, :product_id, :qty, :price, :amount, 0, 0, 0)",
    "lock_order": "SELECT id, status FROM sales_order WHERE id = :id",
    "lines": "SELECT id, line_no, product_id, qty, reserved_qty FROM sales_order_line WHERE order_id = :id "
             "ORDER BY line_no",
    "document": "INSERT INTO stock_document (number, kind, status, warehouse_id, dest_warehouse_id, source_type, "
                "source_id, reason, employee_id, channel, created_at) VALUES (:number, :kind, 'posted', :warehouse, "
                "NULL, 'sales_order', :order_id, '', :employee, 'cli', :at) RETURNING id",
    "levels": "SELECT id, product_id, on_hand, reserved, value, avg_cost FROM stock_level "
              "WHERE warehouse_id = :warehouse AND product_id IN :ids ORDER BY product_id",
    "level": "UPDATE stock_level SET on_hand = :on_hand, reserved = :reserved, value = :value, updated_at = :at "
             "WHERE id = :id",
    "move": "INSERT INTO stock_move (document_id, line_no, product_id, warehouse_id, qty, reserved, value, unit_cost, "
            "balance_qty, balance_reserved, balance_value, avg_cost, source_line_id, employee_id, channel, "
            "created_at) VALUES (:document_id, :line_no, :product_id, :warehouse, :qty, :reserved, :value, "
            ":unit_cost, :on_hand, :balance_reserved, :balance_value, :avg_cost, :line_id, :employee, 'cli', :at)",
    "set_line": "UPDATE sales_order_line SET reserved_qty = :reserved_qty, shipped_qty = :shipped_qty "
                "WHERE id = :line_id",
    "status": "UPDATE sales_order SET status = :status, approved_at = COALESCE(approved_at, :at) WHERE id = :id",
    "audit": "INSERT INTO audit_log (at, employee_id, channel, message_id, action, entity, entity_id, detail) "
             "VALUES (:at, :employee, 'cli', NULL, :action, :entity, :entity_id, :detail)",
}


class HandLife:
    """The baseline: the same rows by hand-written SQL through text(), one transaction per step."""

    def __init__(self, db: Database, skus: Sequence[str]) -> None:
        with db.engine.connect() as connection:
            ids = dict(connection.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
            self.customer_id = int(connection.execute(text("SELECT id FROM customer WHERE code = :c"),
                                                      {"c": CUSTOMER}).scalar_one())
        self.product_ids = [ids[s] for s in skus]
        self.warehouse_id = db.warehouse_id("MAIN")
        self.employee_id = db.admin.employee_id
        self.engine = db.engine
        self.sql = {name: text(statement) for name, statement in S.items()}
        for name in ("prices", "levels"):
            self.sql[name] = self.sql[name].bindparams(bindparam("ids", expanding=True))
        for name in ("order", "document", "level", "move", "status", "audit"):
            self.sql[name] = self.sql[name].bindparams(bindparam("at", type_=UTCDateTime()))
        self.lock = "" if db.backend == "sqlite" else " FOR UPDATE"
        if self.lock:
            for name in ("lock_order", "levels"):
                self.sql[name] = text(S[name] + self.lock).bindparams(
                    *([bindparam("ids", expanding=True)] if name == "levels" else []))

    def life(self) -> None:
        order_id = self._step(self._create)
        self._step(lambda c: self._post(c, order_id, "so_reservation", "SR", ship=False))
        self._step(lambda c: self._post(c, order_id, "shipment", "SH", ship=True))

    def _step(self, work: Any) -> Any:
        with self.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
            return work(connection)

    def _number(self, c: Connection, prefix: str, year: int) -> str:
        n = int(c.execute(self.sql["number"], {"prefix": prefix, "year": year}).scalar_one())
        return f"{prefix}-{year}-{n:06d}"

    def _audit(self, c: Connection, at: Any, action: str, entity: str, entity_id: int, **detail: Any) -> None:
        c.execute(self.sql["audit"], {"at": at, "employee": self.employee_id, "action": action, "entity": entity,
                                      "entity_id": entity_id, "detail": json.dumps(detail)})

    def _create(self, c: Connection) -> int:
        at = utcnow()
        prices = dict(c.execute(self.sql["prices"], {"ids": self.product_ids}).all())
        lines = [{"line_no": n, "product_id": p, "qty": QTY * UNIT, "price": prices[p],
                  "amount": QTY * prices[p]} for n, p in enumerate(self.product_ids, 1)]
        total = sum(ln["amount"] for ln in lines)
        number = self._number(c, "SO", at.year)
        order_id = int(c.execute(self.sql["order"], {"number": number, "customer": self.customer_id,
                                                     "warehouse": self.warehouse_id, "employee": self.employee_id,
                                                     "total": total, "at": at}).scalar_one())
        c.execute(self.sql["line"], [{**ln, "order_id": order_id} for ln in lines])
        self._audit(c, at, "sales.create", "sales_order", order_id, number=number, total=total, lines=len(lines))
        return order_id

    def _post(self, c: Connection, order_id: int, kind: str, prefix: str, ship: bool) -> None:
        at = utcnow()
        c.execute(self.sql["lock_order"], {"id": order_id}).one()
        lines = c.execute(self.sql["lines"], {"id": order_id}).all()
        number = self._number(c, prefix, at.year)
        document_id = int(c.execute(self.sql["document"], {"number": number, "kind": kind,
                                                           "warehouse": self.warehouse_id, "order_id": order_id,
                                                           "employee": self.employee_id, "at": at}).scalar_one())
        levels = {row[1]: row for row in c.execute(self.sql["levels"], {"warehouse": self.warehouse_id,
                                                                        "ids": [ln[2] for ln in lines]})}
        moves, new_levels, new_lines = [], [], []
        for line_id, line_no, product_id, qty, reserved_qty in lines:
            level_id, _, on_hand, reserved, value, avg_cost = levels[product_id]
            if ship:
                change_qty, change_reserved = -reserved_qty, -reserved_qty
                change_value = -(reserved_qty * avg_cost // 10**6)
                new_lines.append({"line_id": line_id, "reserved_qty": 0, "shipped_qty": reserved_qty})
            else:
                change_qty, change_reserved, change_value = 0, qty, 0
                new_lines.append({"line_id": line_id, "reserved_qty": qty, "shipped_qty": 0})
            on_hand, reserved, value = on_hand + change_qty, reserved + change_reserved, value + change_value
            new_levels.append({"id": level_id, "on_hand": on_hand, "reserved": reserved, "value": value, "at": at})
            moves.append({"document_id": document_id, "line_no": line_no, "product_id": product_id,
                          "warehouse": self.warehouse_id, "qty": change_qty, "reserved": change_reserved,
                          "value": change_value, "unit_cost": avg_cost if ship else 0, "on_hand": on_hand,
                          "balance_reserved": reserved, "balance_value": value, "avg_cost": avg_cost,
                          "line_id": line_id, "employee": self.employee_id, "at": at})
        c.execute(self.sql["level"], new_levels)
        c.execute(self.sql["move"], moves)
        c.execute(self.sql["set_line"], new_lines)
        c.execute(self.sql["status"], {"status": "shipped" if ship else "approved", "at": at, "id": order_id})
        if not ship:
            self._audit(c, at, "sales.submit", "sales_order", order_id, approval_required=False)
        self._audit(c, at, "sales.ship" if ship else "sales.approve", "sales_order", order_id, document=number)


def books_balance(db: Database, initial: int) -> tuple[int, bool]:
    """Orders shipped, and whether every order is shipped in full, nothing is left reserved and on hand fell by
    exactly what was shipped (per product)."""
    with db.engine.connect() as c:
        orders, not_shipped = c.execute(text(
            "SELECT COUNT(*), SUM(CASE WHEN status = 'shipped' THEN 0 ELSE 1 END) FROM sales_order")).one()
        bad_lines = c.execute(text("SELECT COUNT(*) FROM sales_order_line WHERE shipped_qty <> qty "
                                   "OR reserved_qty <> 0")).scalar_one()
        levels = c.execute(text(
            "SELECT l.on_hand, l.reserved, (SELECT COALESCE(SUM(s.shipped_qty), 0) FROM sales_order_line s "
            "WHERE s.product_id = l.product_id) FROM stock_level l")).all()
        ledger = c.execute(text("SELECT l.on_hand, (SELECT SUM(m.qty) FROM stock_move m WHERE m.product_id = "
                                "l.product_id AND m.warehouse_id = l.warehouse_id) FROM stock_level l")).all()
    ok = (not not_shipped and bad_lines == 0 and all(r == 0 and h + s == initial for h, r, s in levels)
          and all(h == m for h, m in ledger))
    return int(orders), ok


def measure(backend: Backend, rounds: int = 11, lives: int = 10) -> Life:
    """Lives per second both ways in rotating rounds; the ratio is the median of the rounds' ratios."""
    with database(backend, "sales_life") as db:
        skus = add_products(db, "LIFE", LINES)
        stock = 2 * QTY * lives * (rounds + 1) + 10
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, stock, Decimal("1.50")) for s in skus])
        create_customer(db.uow, db.admin, NewCustomer(CUSTOMER, "Bench Trading"))
        hand = HandLife(db, skus)
        _services_life(db, skus)
        hand.life()
        services, by_hand = interleaved(
            rounds,
            lambda: lives / timed(lambda: [_services_life(db, skus) for _ in range(lives)]),
            lambda: lives / timed(lambda: [hand.life() for _ in range(lives)]),
        )
        orders, ok = books_balance(db, stock * UNIT)
    return Life(backend.name, median(services), median(by_hand),
                median([s / h for s, h in zip(services, by_hand, strict=True)]), orders, ok)


def main(backends: Sequence[Backend]) -> None:
    results = [measure(backend) for backend in backends]
    for r in results:
        print(f"sales order life {r.backend}: services {r.services_per_second:.1f}/s, hand SQL "
              f"{r.hand_per_second:.1f}/s, ratio {r.ratio:.2f} ({r.orders_shipped} orders shipped, books "
              f"{'balance' if r.books_balance else 'DO NOT balance'}; goal >= 0.4 "
              f"{'met' if r.ratio >= 0.4 else 'NOT met'})")
    print("sales order life ratio (services/hand): " + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
