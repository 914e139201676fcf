"""Sales by month and product over 1,000,000 shipped order lines: the report against a hand-written GROUP BY.

The database is bulk-loaded set-based (a recursive CTE, one INSERT ... SELECT per table): 100,000 sales orders of
10 lines over 2026, each shipped by one shipment document whose ledger rows point at their order lines. Then, in
interleaved rounds, `sales_report(by=month, product)` for the whole year (with its previous-period and last-year
comparisons) and the raw SQL GROUP BY computing the same figures; both must agree, both read with the same
indexes and (on PostgreSQL) the same work_mem. Goal: ratio <= 1.25 and the report under 2 s on SQLite; SQLite's
CPU time is printed too, since on a shared machine wall time is mostly waiting for a core. The ratio is printed
last."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, text

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.reporting.grouping import PG_WORK_MEM
from core.reporting.periods import Filters, Period, Report
from core.reporting.trade_reports import sales_report

ORDERS = 100_000
LINES_PER_ORDER = 10
PRODUCTS = 1_000
ROUNDS = 3
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
SECONDS_PER_ORDER = 315  # 100,000 orders x 315 s = 364.6 days of 2026

# Scaled integers as stored: quantities and money in 10^-4, prices and costs in 10^-6.
ORDERS_SQL = """
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < :orders)
INSERT INTO sales_order (id, number, customer_id, warehouse_id, salesperson_id, channel, status, total, note,
                         reason, created_at)
SELECT k, 'SO-B-' || k, :customer, :warehouse, :employee,
       CASE k % 3 WHEN 0 THEN 'store' WHEN 1 THEN 'online' ELSE 'wholesale' END, 'shipped', 0, '', '', {at}
FROM n
"""
DOCUMENTS_SQL = """
INSERT INTO stock_document (id, number, kind, status, warehouse_id, source_type, source_id, reason, employee_id,
                            channel, created_at)
SELECT id, 'SH-B-' || id, 'shipment', 'posted', warehouse_id, 'sales_order', id, '',
       salesperson_id, 'cli', created_at
FROM sales_order
"""
LINES_SQL = """
WITH RECURSIVE j(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM j WHERE n < :lines)
INSERT INTO sales_order_line (id, order_id, line_no, product_id, qty, unit_price, amount, reserved_qty,
                              shipped_qty, returned_qty)
SELECT (o.id - 1) * :lines + j.n, o.id, j.n, :first_product + (o.id * 7 + j.n * 131) % :products,
       (1 + (o.id + j.n) % 5) * 10000, (200 + (o.id * 7 + j.n * 131) % 100) * 10000,
       (1 + (o.id + j.n) % 5) * (200 + (o.id * 7 + j.n * 131) % 100) * 100, 0,
       (1 + (o.id + j.n) % 5) * 10000, 0
FROM sales_order o CROSS JOIN j
"""
MOVES_SQL = """
INSERT INTO stock_move (id, document_id, line_no, product_id, warehouse_id, qty, reserved, value, unit_cost,
                        balance_qty, balance_reserved, balance_value, avg_cost, source_line_id, employee_id,
                        channel, created_at)
SELECT l.id, o.id, l.line_no, l.product_id, o.warehouse_id, -l.qty, -l.qty, -l.qty, 1000000,
       0, 0, 0, 1000000, l.id, o.salesperson_id, 'cli', o.created_at
FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id
"""
# The same figures by hand: revenue per ledger row is -sign(qty) x round_half_up(|qty| x price, 2 places).
RAW_SQL = """
SELECT {month} AS month, p.sku, p.name_zh,
       SUM(-m.qty) AS qty,
       SUM(-(CASE WHEN m.qty < 0 THEN -1 ELSE 1 END)
           * ((ABS(m.qty) * (l.unit_price / 1000000)) / 100
              + ((ABS(m.qty) * (l.unit_price / 1000000)) % 100 * 1000000 + ABS(m.qty) * (l.unit_price % 1000000)
                 + 50000000) / 100000000) * 100) AS revenue
FROM stock_move m
JOIN stock_document d ON d.id = m.document_id
JOIN sales_order_line l ON l.id = m.source_line_id
JOIN product p ON p.id = m.product_id
WHERE d.kind IN ('shipment', 'sales_return') AND d.source_type = 'sales_order' AND m.qty <> 0
  AND m.created_at >= :start AND m.created_at < :end
GROUP BY 1, p.sku, p.name_zh
ORDER BY 1, p.sku, p.name_zh
"""


def _at(dialect: str) -> str:
    if dialect == "postgresql":
        return f"TIMESTAMP '2026-01-01 00:00:00' + k * INTERVAL '{SECONDS_PER_ORDER} seconds'"
    return f"datetime('2026-01-01 00:00:00', '+' || (k * {SECONDS_PER_ORDER}) || ' seconds') || '.000000'"


def _month(dialect: str) -> str:
    if dialect == "postgresql":
        return "to_char(m.created_at, 'YYYY-MM')"
    return "strftime('%Y-%m', m.created_at)"


def load(db: Database) -> float:
    """Bulk-load the orders, shipments, lines and ledger rows; returns the seconds it took."""
    started = time.perf_counter()
    add_products(db, "RPT", PRODUCTS)
    dialect = db.engine.dialect.name
    with db.engine.begin() as connection:
        _skip_key_checks(connection)
        first_product = int(connection.execute(text("SELECT MIN(id) FROM product WHERE sku LIKE 'RPT-%'")).scalar_one())
        warehouse = db.warehouse_id("MAIN")
        customer = _customer(connection)
        params = {"orders": ORDERS, "customer": customer, "warehouse": warehouse, "employee": db.admin.employee_id}
        connection.execute(text(ORDERS_SQL.format(at=_at(dialect))), params)
        connection.execute(text(DOCUMENTS_SQL))
        connection.execute(text(LINES_SQL), {"lines": LINES_PER_ORDER, "first_product": first_product,
                                             "products": PRODUCTS})
        connection.execute(text(MOVES_SQL))
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return time.perf_counter() - started


def _skip_key_checks(connection: Connection) -> None:
    """On PostgreSQL, as a superuser, skip the per-row foreign-key triggers for this load (the rows are consistent
    by construction): they were most of its time. Elsewhere nothing changes."""
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
        connection.execute(text("SET LOCAL session_replication_role = replica"))


def _customer(connection: Connection) -> int:
    return int(connection.execute(text(
        "INSERT INTO customer (code, name, contact, phone, channel, credit_limit, payment_terms_days, note, active, "
        "created_at) VALUES ('BENCH', 'Bench Buyer', '', '', 'wholesale', 0, 30, '', :yes, :at) RETURNING id"),
        {"yes": True, "at": "2026-01-01 00:00:00.000000"}).scalar_one())


def report(db: Database) -> Report:
    return sales_report(db.uow, db.admin, Filters(period=YEAR, by=("month", "product"), page_size=PRODUCTS * 13))


def raw(db: Database) -> list[tuple[object, ...]]:
    start, end = YEAR.bounds("UTC")
    with db.engine.connect() as connection:
        params = {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
        if db.engine.dialect.name == "sqlite":
            params = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in params.items()}  # type: ignore[misc]
        else:  # the memory the report gives itself for hashing
            connection.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
        return [tuple(r) for r in connection.execute(text(RAW_SQL.format(month=_month(db.engine.dialect.name))),
                                                     params)]


def run(backend: Backend) -> tuple[float, float, float, float]:
    with database(backend, "reports_sales") as db:
        seconds = load(db)
        print(f"[{backend.name}] loaded {ORDERS * LINES_PER_ORDER:,} order lines and ledger rows in {seconds:.1f}s")
        ours, theirs = report(db), raw(db)
        assert len(ours.rows) == len(theirs), (len(ours.rows), len(theirs))
        assert ours.total("revenue") == sum(Decimal(int(r[4])) for r in theirs) / 10_000
        assert [(r[0], r[1]) for r in ours.rows] == [(r[0], r[1]) for r in theirs]
        cpu: list[float] = []

        def report_timed() -> float:
            started = time.process_time()
            seconds = timed(lambda: report(db))
            cpu.append(time.process_time() - started)
            return seconds

        report_times, raw_times = interleaved(ROUNDS, report_timed, lambda: timed(lambda: raw(db)))
        ours_s, raw_s = median(report_times), median(raw_times)
        print(f"[{backend.name}] sales by month and product, {len(ours.rows):,} groups, revenue "
              f"{ours.total('revenue'):,.2f}: report {ours_s:.3f}s, raw GROUP BY {raw_s:.3f}s (median of {ROUNDS}; "
              f"report {_seconds(report_times)}, raw {_seconds(raw_times)})")
        if backend.name == "sqlite":  # SQLite runs in this process: its CPU time is the query's own work
            print(f"[{backend.name}] report CPU time {median(cpu):.3f}s (median; {_seconds(cpu)}): wall time "
                  f"above it is waiting for a core on a shared machine")
        return seconds, ours_s, raw_s, ours_s / raw_s


def _seconds(values: list[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)


def main(backends: Sequence[Backend]) -> None:
    ratios = []
    for backend in backends:
        _, ours_s, _, ratio = run(backend)
        goal = " (goal: under 2 s)" if backend.name == "sqlite" else ""
        print(f"[{backend.name}] report {ours_s:.3f}s{goal}")
        ratios.append(f"{backend.name} {ratio:.2f}")
    print(f"reports_sales ratio report/raw (goal <= 1.25): {', '.join(ratios)}")
