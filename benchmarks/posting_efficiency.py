"""Posting efficiency: 3-line receipts and issues per second through the services, against hand-written SQL
writing the same rows (sequence, document, levels, ledger rows, audit) in one transaction each, same database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.ledger.position import Position
from core.models import Product
from core.models.base import utcnow
from core.services.stock import LineIn, issue_stock, receive_stock

LINES = 3
QTY = Decimal(2)
COST = Decimal("1.50")


@dataclass(frozen=True)
class Efficiency:
    backend: str
    services_per_second: float
    hand_per_second: float
    ratio: float
    services_statements: float
    hand_statements: float


def measure(backend: Backend, rounds: int = 21, pairs: int = 40) -> Efficiency:
    """Documents per second both ways, in alternating rounds; the ratio is the median of the rounds' ratios."""
    with database(backend, "posting") as db:
        skus = add_products(db, "POST", LINES)
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 1000, COST) for s in skus])
        hand = HandPoster(db, skus)
        try:
            services_statements = db.counter.during(lambda: _services_round(db, skus, 1)) / 2
            before = hand.statements
            _hand_round(hand, 1)
            hand_statements = (hand.statements - before) / 2
            documents = 2 * pairs
            services, hand_sql = interleaved(
                rounds,
                lambda: documents / timed(lambda: _services_round(db, skus, pairs)),
                lambda: documents / timed(lambda: _hand_round(hand, pairs)),
            )
        finally:
            hand.close()
    ratios = [s / h for s, h in zip(services, hand_sql, strict=True)]
    return Efficiency(backend.name, median(services), median(hand_sql), median(ratios),
                      services_statements, hand_statements)


def _services_round(db: Database, skus: Sequence[str], pairs: int) -> None:
    for _ in range(pairs):
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, QTY, COST) for s in skus])
        issue_stock(db.uow, db.admin, "MAIN", [LineIn(s, QTY) for s in skus])


def _hand_round(hand: HandPoster, pairs: int) -> None:
    for _ in range(pairs):
        hand.post("receipt", "RC", QTY, COST)
        hand.post("issue", "IS", -QTY, None)


NEXT_NUMBER = (
    "INSERT INTO document_sequence (prefix, year, last_number) VALUES (?, ?, 1) "
    "ON CONFLICT (prefix, year) DO UPDATE SET last_number = document_sequence.last_number + 1 "
    "RETURNING last_number"
)
NEW_DOCUMENT = (
    "INSERT INTO stock_document (number, kind, status, warehouse_id, dest_warehouse_id, source_type, source_id, "
    "reason, employee_id, channel, created_at) VALUES (?, ?, 'posted', ?, NULL, NULL, NULL, '', ?, 'cli', ?) "
    "RETURNING id"
)
LOCK_LEVELS = (
    "SELECT id, product_id, on_hand, reserved, value, avg_cost, allow_negative FROM stock_level "
    "WHERE warehouse_id = ? AND product_id IN ({}) ORDER BY product_id"
)
SET_LEVEL = "UPDATE stock_level SET on_hand = ?, reserved = ?, value = ?, avg_cost = ?, updated_at = ? WHERE id = ?"
NEW_MOVE = (
    "INSERT INTO stock_move (document_id, line_no, product_id, warehouse_id, qty, reserved, value, unit_cost, "
    "balance_qty, balance_reserved, balance_value, avg_cost, source_line_id, employee_id, channel, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 'cli', ?)"
)
NEW_AUDIT = (
    "INSERT INTO audit_log (at, employee_id, channel, message_id, action, entity, entity_id, detail) "
    "VALUES (?, ?, 'cli', NULL, ?, 'stock_document', ?, ?)"
)


class HandPoster:
    """The baseline: the rows a posting writes, by hand-written SQL on a raw DBAPI connection."""

    def __init__(self, db: Database, skus: Sequence[str]) -> None:
        with db.engine.connect() as connection:
            ids = dict(connection.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
        self.product_ids = [ids[s] for s in skus]
        self.warehouse_id = db.warehouse_id("MAIN")
        self.employee_id = db.admin.employee_id
        self.sqlite = db.backend == "sqlite"
        self.connection = db.engine.raw_connection()
        self.statements = 0
        lock = LOCK_LEVELS.format(", ".join("?" * len(self.product_ids)))
        self.sql = {
            name: self._dialect(sql if self.sqlite else sql + (" FOR UPDATE" if name == "lock" else ""))
            for name, sql in (("number", NEXT_NUMBER), ("document", NEW_DOCUMENT), ("lock", lock),
                              ("level", SET_LEVEL), ("move", NEW_MOVE), ("audit", NEW_AUDIT))
        }

    def close(self) -> None:
        self.connection.close()

    def post(self, kind: str, prefix: str, qty: Decimal, unit_cost: Decimal | None) -> None:
        """One document of one line per product, in one transaction."""
        try:
            self._post(kind, prefix, qty, unit_cost)
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise

    def _post(self, kind: str, prefix: str, qty: Decimal, unit_cost: Decimal | None) -> None:
        now = utcnow()
        at = self._time(now)
        cursor = self.connection.cursor()
        if self.sqlite:
            self._run(cursor, "BEGIN IMMEDIATE", ())
        number = self._one(cursor, self.sql["number"], (prefix, now.year))
        document = f"{prefix}-{now.year}-{number:06d}"
        document_id = self._one(cursor, self.sql["document"], (document, kind, self.warehouse_id, self.employee_id, at))
        self._run(cursor, self.sql["lock"], (self.warehouse_id, *self.product_ids))
        positions = {row[1]: _position(row, self.warehouse_id) for row in cursor.fetchall()}
        levels, moves = [], []
        for line_no, product_id in enumerate(self.product_ids, 1):
            position = positions[product_id]
            change = position.apply(qty, unit_cost=unit_cost)
            moves.append((document_id, line_no, product_id, self.warehouse_id, _q(change.qty), _q(change.reserved),
                          _q(change.value), _c(change.unit_cost), _q(change.balance_qty),
                          _q(change.balance_reserved), _q(change.balance_value), _c(change.avg_cost),
                          self.employee_id, at))
        for position in positions.values():
            levels.append((_q(position.on_hand), _q(position.reserved), _q(position.value), _c(position.avg_cost),
                           at, position.level_id))
        self._run(cursor, self.sql["level"], levels, many=True)
        self._run(cursor, self.sql["move"], moves, many=True)
        detail = json.dumps({"number": document, "warehouse": "MAIN", "lines": len(moves), "reason": ""})
        self._run(cursor, self.sql["audit"], (at, self.employee_id, f"stock.{kind}", document_id, detail))
        cursor.close()

    def _one(self, cursor: Any, sql: str, params: tuple[Any, ...]) -> int:
        self._run(cursor, sql, params)
        return int(cursor.fetchone()[0])

    def _run(self, cursor: Any, sql: str, params: Any, many: bool = False) -> None:
        self.statements += 1
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)

    def _dialect(self, sql: str) -> str:
        return sql if self.sqlite else sql.replace("?", "%s")

    def _time(self, now: datetime) -> object:
        naive = now.replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive


def _position(row: Sequence[Any], warehouse_id: int) -> Position:
    level_id, product_id, on_hand, reserved, value, avg_cost, allow_negative = row
    return Position(product_id, warehouse_id, on_hand=Decimal(on_hand).scaleb(-4),
                    reserved=Decimal(reserved).scaleb(-4), value=Decimal(value).scaleb(-4),
                    avg_cost=Decimal(avg_cost).scaleb(-6), allow_negative=bool(allow_negative), level_id=level_id)


def _q(value: Decimal) -> int:
    return int(value.scaleb(4))


def _c(value: Decimal) -> int:
    return int(value.scaleb(6))


def report(result: Efficiency) -> str:
    return (f"posting efficiency {result.backend}: services {result.services_per_second:.0f}/s, "
            f"hand SQL {result.hand_per_second:.0f}/s, ratio {result.ratio:.2f} "
            f"({result.services_statements:g} vs {result.hand_statements:g} statements per document)")


def main(backends: Sequence[Backend]) -> None:
    results = []
    for backend in backends:
        results.append(measure(backend))
        print(report(results[-1]), flush=True)
    print("posting efficiency (services / hand SQL, goal >= 0.5 on sqlite): "
          + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
