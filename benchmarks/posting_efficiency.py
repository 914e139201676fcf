"""Posting efficiency: 3-line receipts and issues per second through the services, against hand-written SQL
writing the same rows (sequence, document, levels, ledger rows, audit) in one transaction each, same database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, TextClause, select, text

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.db import WRITE_OPTION
from core.ledger.position import Position
from core.models import Product
from core.models.base import utcnow
from core.stock.moves import LineIn, issue_stock, receive_stock

LINES = 3
QTY = Decimal(2)
COST = Decimal("1.50")


@dataclass(frozen=True)
class Efficiency:
    """Documents per second through the services and by hand (SQLAlchemy text(), raw DBAPI), and the ratios."""

    backend: str
    services_per_second: float
    text_per_second: float
    dbapi_per_second: float
    ratio: float
    dbapi_ratio: float
    services_statements: float
    hand_statements: float


def measure(backend: Backend, rounds: int = 21, pairs: int = 40) -> Efficiency:
    """Documents per second three ways in rotating rounds; each ratio is the median of the rounds' ratios."""
    with database(backend, "posting") as db:
        skus = add_products(db, "POST", LINES)
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 1000, COST) for s in skus])
        by_text, by_dbapi = HandPoster(db, skus, via="text"), HandPoster(db, skus, via="dbapi")
        try:
            services_statements = db.counter.during(lambda: _services_round(db, skus, 1)) / 2
            hand_statements = db.counter.during(lambda: _hand_round(by_text, 1)) / 2
            documents = 2 * pairs
            services, text_sql, dbapi_sql = interleaved(
                rounds,
                lambda: documents / timed(lambda: _services_round(db, skus, pairs)),
                lambda: documents / timed(lambda: _hand_round(by_text, pairs)),
                lambda: documents / timed(lambda: _hand_round(by_dbapi, pairs)),
            )
        finally:
            by_dbapi.close()
    return Efficiency(
        backend.name, median(services), median(text_sql), median(dbapi_sql),
        median([s / h for s, h in zip(services, text_sql, strict=True)]),
        median([s / h for s, h in zip(services, dbapi_sql, strict=True)]),
        services_statements, hand_statements,
    )


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
    """The baseline: the rows a posting writes, by hand-written SQL, one transaction per document: through
    SQLAlchemy text() on a pooled connection (`via="text"`), or on one raw DBAPI connection (`via="dbapi"`)."""

    def __init__(self, db: Database, skus: Sequence[str], via: str = "text") -> None:
        with db.engine.connect() as connection:
            ids = dict(connection.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
        self.product_ids = [ids[s] for s in skus]
        self.warehouse_id = db.warehouse_id("MAIN")
        self.employee_id = db.admin.employee_id
        self.sqlite = db.backend == "sqlite"
        self.engine = db.engine
        self.via = via
        self.dbapi = db.engine.raw_connection() if via == "dbapi" else None
        lock = LOCK_LEVELS.format(", ".join("?" * len(self.product_ids))) + ("" if self.sqlite else " FOR UPDATE")
        sql = {"number": NEXT_NUMBER, "document": NEW_DOCUMENT, "lock": lock, "level": SET_LEVEL,
               "move": NEW_MOVE, "audit": NEW_AUDIT}
        self.sql: dict[str, Any] = {
            name: statement if self.sqlite else statement.replace("?", "%s") for name, statement in sql.items()}
        self.text = {name: text(_named(statement)) for name, statement in sql.items()}

    def close(self) -> None:
        if self.dbapi is not None:
            self.dbapi.close()

    def post(self, kind: str, prefix: str, qty: Decimal, unit_cost: Decimal | None) -> None:
        """One document with a line per product, in one transaction."""
        if self.dbapi is None:
            with self.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection, connection.begin():
                self._post(_TextRunner(connection, self.text), kind, prefix, qty, unit_cost)
            return
        try:
            cursor = self.dbapi.cursor()
            if self.sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            self._post(_DbapiRunner(cursor, self.sql), kind, prefix, qty, unit_cost)
            cursor.close()
            self.dbapi.commit()
        except BaseException:
            self.dbapi.rollback()
            raise

    def _post(self, run: _Runner, kind: str, prefix: str, qty: Decimal, unit_cost: Decimal | None) -> None:
        now = utcnow()
        at = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else now.replace(tzinfo=None)
        number = run.one("number", (prefix, now.year))
        document = f"{prefix}-{now.year}-{number:06d}"
        document_id = run.one("document", (document, kind, self.warehouse_id, self.employee_id, at))
        positions = {row[1]: _position(row, self.warehouse_id)
                     for row in run.all("lock", (self.warehouse_id, *self.product_ids))}
        moves = []
        for line_no, product_id in enumerate(self.product_ids, 1):
            change = positions[product_id].apply(qty, unit_cost=unit_cost)
            moves.append((document_id, line_no, product_id, self.warehouse_id, _q(change.qty), _q(change.reserved),
                          _q(change.value), _c(change.unit_cost), _q(change.balance_qty),
                          _q(change.balance_reserved), _q(change.balance_value), _c(change.avg_cost),
                          self.employee_id, at))
        run.many("level", [(_q(p.on_hand), _q(p.reserved), _q(p.value), _c(p.avg_cost), at, p.level_id)
                           for p in positions.values()])
        run.many("move", moves)
        detail = json.dumps({"number": document, "warehouse": "MAIN", "lines": len(moves), "reason": ""})
        run.many("audit", [(at, self.employee_id, f"stock.{kind}", document_id, detail)])


class _Runner(Protocol):
    def one(self, name: str, params: tuple[Any, ...]) -> int: ...
    def all(self, name: str, params: tuple[Any, ...]) -> list[Sequence[Any]]: ...
    def many(self, name: str, rows: list[tuple[Any, ...]]) -> None: ...


class _DbapiRunner:
    def __init__(self, cursor: Any, sql: dict[str, str]) -> None:
        self.cursor, self.sql = cursor, sql

    def one(self, name: str, params: tuple[Any, ...]) -> int:
        self.cursor.execute(self.sql[name], params)
        return int(self.cursor.fetchone()[0])

    def all(self, name: str, params: tuple[Any, ...]) -> list[Sequence[Any]]:
        self.cursor.execute(self.sql[name], params)
        return list(self.cursor.fetchall())

    def many(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) == 1:
            self.cursor.execute(self.sql[name], rows[0])
        else:
            self.cursor.executemany(self.sql[name], rows)


class _TextRunner:
    def __init__(self, connection: Connection, statements: dict[str, TextClause]) -> None:
        self.connection, self.statements = connection, statements

    def one(self, name: str, params: tuple[Any, ...]) -> int:
        return int(self.connection.execute(self.statements[name], _params(params)).scalar_one())

    def all(self, name: str, params: tuple[Any, ...]) -> list[Sequence[Any]]:
        return list(self.connection.execute(self.statements[name], _params(params)).all())

    def many(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        self.connection.execute(self.statements[name], [_params(row) for row in rows])


def _named(statement: str) -> str:
    parts = statement.split("?")
    return "".join(f"{part}:p{n}" for n, part in enumerate(parts[:-1])) + parts[-1]


def _params(values: tuple[Any, ...]) -> dict[str, Any]:
    return {f"p{n}": value for n, value in enumerate(values)}


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
            f"hand SQL {result.text_per_second:.0f}/s, ratio {result.ratio:.2f} "
            f"(hand SQL by SQLAlchemy text(); by raw DBAPI {result.dbapi_per_second:.0f}/s, "
            f"ratio {result.dbapi_ratio:.2f}; {result.services_statements:g} vs {result.hand_statements:g} "
            "statements per document)")


def main(backends: Sequence[Backend]) -> None:
    results = []
    for backend in backends:
        results.append(measure(backend))
        print(report(results[-1]), flush=True)
    print("posting efficiency (services / hand SQL by text(), goal >= 0.5 on sqlite; / raw DBAPI): "
          + ", ".join(f"{r.backend} {r.ratio:.2f} / {r.dbapi_ratio:.2f}" for r in results))
