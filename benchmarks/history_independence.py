"""History independence: posting latency with a million ledger rows present against an empty ledger.

Two databases with the same catalogue in the same run: one with an empty ledger, one whose ledger holds
`products x moves_per_product` rows (alternating receipts of 10 and issues of 5 at a fixed cost per product,
with consistent running balances and levels, so `jxc check` passes). Both post the same 3-line receipt and
issue on the same SKUs, in alternating rounds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, bindparam, func, insert, select, text

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.models import DocumentSequence, StockDocument, StockMove
from core.models.base import UTCDateTime, utcnow
from core.stock.moves import LineIn, issue_stock, receive_stock

POSTED = 3
HISTORY_PREFIX = "HIST"
HISTORY_YEAR = 2025

# Move k (1-based) of product p: odd k receives 10 at the product's cost, even k issues 5; the cost never
# changes, so the average stays at the cost and every balance follows from k. Scaled integers as stored:
# quantities and money at 4 places, costs at 6; the cost in cents is 100 + id % 100.
FILL_MOVES = """
WITH RECURSIVE step(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM step WHERE k < :moves)
INSERT INTO stock_move (document_id, line_no, product_id, warehouse_id, qty, reserved, value, unit_cost,
                        balance_qty, balance_reserved, balance_value, avg_cost, source_line_id, employee_id,
                        channel, created_at)
SELECT d.id, p.id, p.id, :warehouse,
       CASE WHEN step.k % 2 = 1 THEN 100000 ELSE -50000 END, 0,
       CASE WHEN step.k % 2 = 1 THEN 1000 ELSE -500 END * (100 + p.id % 100),
       (100 + p.id % 100) * 10000,
       (10 * ((step.k + 1) / 2) - 5 * (step.k / 2)) * 10000, 0,
       (10 * ((step.k + 1) / 2) - 5 * (step.k / 2)) * (100 + p.id % 100) * 100,
       (100 + p.id % 100) * 10000, NULL, :employee, 'cli', d.created_at
FROM step
CROSS JOIN product p
JOIN stock_document d ON d.id = :first_document + step.k - 1
WHERE p.sku LIKE :pattern
ORDER BY step.k, p.id
"""
FILL_LEVELS = """
INSERT INTO stock_level (product_id, warehouse_id, on_hand, reserved, value, avg_cost, allow_negative, updated_at)
SELECT p.id, :warehouse, :balance * 10000, 0, :balance * (100 + p.id % 100) * 100, (100 + p.id % 100) * 10000,
       :no, :at
FROM product p
WHERE p.sku LIKE :pattern
"""


@dataclass(frozen=True)
class Independence:
    backend: str
    ledger_rows: int
    fill_seconds: float
    empty_ms: float
    full_ms: float

    @property
    def ratio(self) -> float:
        return self.full_ms / self.empty_ms


def measure(
    backend: Backend, products: int = 10_000, moves_per_product: int = 100, rounds: int = 21, pairs: int = 10
) -> Independence:
    """Median latency of a 3-line receipt plus issue on the full and on the empty ledger, alternating rounds."""
    with database(backend, "empty") as empty, database(backend, "full") as full:
        skus = add_products(empty, HISTORY_PREFIX, products)[:POSTED]
        add_products(full, HISTORY_PREFIX, products)
        fill_seconds = timed(lambda: fill_history(full, moves_per_product))
        with full.engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(StockMove)).scalar_one()
        for db in (empty, full):
            _analyze(db)
            _post_pairs(db, skus, 2)
        empty_ms, full_ms = interleaved(
            rounds,
            lambda: 1000 * timed(lambda: _post_pairs(empty, skus, pairs)) / pairs,
            lambda: 1000 * timed(lambda: _post_pairs(full, skus, pairs)) / pairs,
        )
    return Independence(backend.name, int(rows), fill_seconds, median(empty_ms), median(full_ms))


def fill_history(db: Database, moves_per_product: int, warehouse: str = "MAIN") -> None:
    """Ledger rows for every HIST product in `warehouse`, in set-based statements: documents, moves, levels,
    sequences."""
    warehouse_id = db.warehouse_id(warehouse)
    start = utcnow().replace(year=HISTORY_YEAR, month=1, day=1)
    receipts = (moves_per_product + 1) // 2
    documents = [
        {"number": f"{'RC' if k % 2 else 'IS'}-{HISTORY_YEAR}-{(k + 1) // 2:06d}",
         "kind": "receipt" if k % 2 else "issue", "status": "posted", "warehouse_id": warehouse_id, "reason": "",
         "employee_id": db.admin.employee_id, "channel": "cli", "created_at": start + timedelta(hours=k)}
        for k in range(1, moves_per_product + 1)
    ]
    with db.engine.begin() as connection, _ledger_keys_set_aside(connection, db.backend):
        connection.execute(insert(StockDocument), documents)
        first, last = connection.execute(
            select(func.min(StockDocument.id), func.max(StockDocument.id))
            .where(StockDocument.number.like(f"%-{HISTORY_YEAR}-%"))).one()
        assert last - first + 1 == moves_per_product, "history documents must have consecutive ids"
        pattern = f"{HISTORY_PREFIX}-%"
        connection.execute(text(FILL_MOVES), {
            "moves": moves_per_product, "warehouse": warehouse_id, "employee": db.admin.employee_id,
            "first_document": first, "pattern": pattern})
        balance = 10 * receipts - 5 * (moves_per_product // 2)
        connection.execute(text(FILL_LEVELS).bindparams(bindparam("at", type_=UTCDateTime())), {
            "warehouse": warehouse_id, "balance": balance, "no": False, "at": start, "pattern": pattern})
        connection.execute(insert(DocumentSequence), [
            {"prefix": "RC", "year": HISTORY_YEAR, "last_number": receipts},
            {"prefix": "IS", "year": HISTORY_YEAR, "last_number": moves_per_product // 2}])


@contextmanager
def _ledger_keys_set_aside(connection: Connection, backend: str) -> Iterator[None]:
    """Drop the ledger's indexes (on PostgreSQL its foreign and unique keys too) for the bulk load and build them
    again after from the database's own definitions (the shared metadata is left alone): the schema ends up the
    same, and the load takes seconds instead of minutes of per-row index and key checks."""
    if backend == "postgresql":
        constraints = connection.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'stock_move'::regclass "
            "AND contype IN ('f', 'u') ORDER BY contype DESC, conname")).all()
        indexes = connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'stock_move' AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'stock_move'::regclass) ORDER BY indexname")).all()
    else:
        constraints = []
        indexes = connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stock_move' "
            "AND sql IS NOT NULL ORDER BY name")).all()
    for name, _ in constraints:
        connection.execute(text(f'ALTER TABLE stock_move DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in indexes:
        connection.execute(text(definition))
    for name, definition in constraints:
        connection.execute(text(f'ALTER TABLE stock_move ADD CONSTRAINT "{name}" {definition}'))


def _analyze(db: Database) -> None:
    if db.backend == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def _post_pairs(db: Database, skus: Sequence[str], pairs: int) -> None:
    for _ in range(pairs):
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 2, "1.50") for s in skus])
        issue_stock(db.uow, db.admin, "MAIN", [LineIn(s, 2) for s in skus])


def report(result: Independence) -> str:
    return (f"history independence {result.backend}: receipt+issue {result.empty_ms:.2f} ms on an empty ledger, "
            f"{result.full_ms:.2f} ms with {result.ledger_rows:,} ledger rows "
            f"(built in {result.fill_seconds:.1f} s), ratio {result.ratio:.2f}")


def main(backends: Sequence[Backend]) -> None:
    results = []
    for backend in backends:
        results.append(measure(backend))
        print(report(results[-1]), flush=True)
    print("history independence (latency with 1,000,000 ledger rows / empty ledger, goal <= 1.2): "
          + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
