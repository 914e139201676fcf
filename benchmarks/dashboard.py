"""The dashboard end to end (read_dashboard + the image) on the demo company grown to 100,000 products
(JXC_BENCH_SCALE shrinks it), against one hand-written SQL statement per figure plus the same image, in the
same process on the same database.

The demo (`jxc seed demo --products N`) has a month of stock history but no sales orders; on top of it every
product gets a stock level in every warehouse and a reorder rule in the hub, and this month gets one shipped
sales-order line per product (one order and shipment per 100 products), spread over the days so far, with a
few approvals waiting."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Engine, bindparam, create_engine, func, insert, literal, select, text, type_coerce

from benchmarks.common import Backend, _recreate_schema, _sqlite_directory, interleaved, median, timed
from bot.engine.texts import Texts
from bot.reporting import render_dashboard_png
from core.db import create_db_engine, normalise_url
from core.demo.company import seed_demo
from core.models import (
    ApprovalRequest,
    Base,
    Customer,
    Product,
    ReorderRule,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockLevel,
    StockMove,
    Warehouse,
)
from core.models.base import UTCDateTime, utcnow
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.reporting.dashboard import Dashboard, read_dashboard
from core.uow import UnitOfWork

PRODUCTS = 100_000
HISTORY_DAYS = 30
LINES_PER_ORDER = 100
PENDING = 40
TIMEZONE = "Asia/Shanghai"
UNIT = 10_000  # one unit as a stored Qty integer; money is stored in 10^-4 too
PRICE = 3_000_000  # 3.00 as a stored UnitCost (10^-6)
COST = 15_000  # 1.50 per unit as stored money
HUB = "SH"
MANAGER = "manager-wang"  # the demo's manager


@dataclass(frozen=True)
class Timing:
    backend: str
    products: int
    sales_lines: int
    load_seconds: float
    service_seconds: float
    hand_seconds: float
    service_query_seconds: float
    hand_query_seconds: float
    ratio: float
    query_ratio: float
    board: Dashboard


def scale() -> float:
    return float(os.environ.get("JXC_BENCH_SCALE", "1"))


@contextmanager
def empty_database(backend: Backend) -> Iterator[Engine]:
    """An empty schema (the demo refuses a database that has warehouses): a SQLite file or a PostgreSQL schema."""
    if backend.name == "sqlite":
        with _sqlite_directory(backend) as directory:
            engine = create_db_engine(f"sqlite:///{directory / 'dashboard'}.db")
            Base.metadata.create_all(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    assert backend.pg_url is not None
    schema = f"bench_dashboard_{os.getpid()}"
    admin_engine = create_engine(normalise_url(backend.pg_url), isolation_level="AUTOCOMMIT")
    _recreate_schema(admin_engine, schema)
    engine = create_db_engine(normalise_url(backend.pg_url).update_query_dict({"options": f"-csearch_path={schema}"}),
                              pool_size=2)
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin_engine.dispose()


def load(engine: Engine, products: int, days: int, now: datetime) -> int:
    """The demo company with `products` products, grown as the module says; returns the sales lines added."""
    uow = UnitOfWork(engine)
    bootstrap(uow)
    seed_demo(uow, load_actor(uow, "system"), products=products, days=days)
    zone = ZoneInfo(TIMEZONE)
    today = now.astimezone(zone).date()
    p, w, c = Product.__table__.c, Warehouse.__table__.c, Customer.__table__.c
    stamp = literal(now, UTCDateTime())
    with engine.begin() as connection:
        hub = connection.execute(select(w.id).where(w.code == HUB)).scalar_one()
        admin = connection.execute(text("SELECT id FROM employee WHERE name = 'system'")).scalar_one()
        lacking = ~select(StockLevel.id).where(StockLevel.product_id == p.id, StockLevel.warehouse_id == w.id).exists()
        on_hand = ((p.id * 7 + w.id * 13) % 120 + 2)
        connection.execute(insert(StockLevel).from_select(
            ["product_id", "warehouse_id", "on_hand", "reserved", "value", "avg_cost", "allow_negative", "updated_at"],
            select(p.id, w.id, on_hand * UNIT, (p.id % 3) * UNIT, on_hand * COST, literal(1_500_000), literal(False),
                   stamp).select_from(Product.__table__.join(Warehouse.__table__, w.kind == "normal"))
            .where(lacking)))
        ruled = ~select(ReorderRule.id).where(ReorderRule.product_id == p.id, ReorderRule.warehouse_id == hub).exists()
        connection.execute(insert(ReorderRule).from_select(
            ["product_id", "warehouse_id", "minimum", "maximum", "pack_size", "active", "updated_at"],
            select(p.id, literal(hub), literal(40 * UNIT), literal(150 * UNIT), literal(UNIT), literal(True), stamp)
            .where(ruled)))
        customers = connection.execute(select(c.id, c.salesperson_id).order_by(c.id)).all()
        orders = max(1, -(-products // LINES_PER_ORDER))
        moments = [_moment(n, today, now, zone) for n in range(orders)]
        connection.execute(insert(SalesOrder), [
            {"number": f"SO-B-{n:06d}", "customer_id": customers[n % len(customers)][0], "warehouse_id": hub,
             "salesperson_id": customers[n % len(customers)][1] or admin, "channel": "chat", "status": "shipped",
             "total": Decimal(0), "note": "", "reason": "", "created_at": moments[n]} for n in range(orders)])
        first, last = connection.execute(select(func.min(SalesOrder.id), func.max(SalesOrder.id))
                                         .where(SalesOrder.number.like("SO-B-%"))).one()
        assert last - first + 1 == orders, "the benchmark's orders got consecutive ids"
        o = SalesOrder.__table__.c
        qty = (p.id % 5 + 1) * UNIT
        connection.execute(insert(SalesOrderLine).from_select(
            ["order_id", "line_no", "product_id", "qty", "unit_price", "amount", "reserved_qty", "shipped_qty",
             "returned_qty"],
            select(o.id, p.id // orders + 1, p.id, qty, literal(PRICE), qty * (PRICE // 1_000_000), literal(0), qty,
                   literal(0))
            .select_from(Product.__table__.join(SalesOrder.__table__, o.id - first == p.id % orders))))
        connection.execute(insert(StockDocument), [
            {"number": f"SH-B-{n:06d}", "kind": "shipment", "status": "posted", "warehouse_id": hub,
             "source_type": "sales_order", "source_id": first + n, "reason": "", "employee_id": admin,
             "channel": "chat", "created_at": moments[n]} for n in range(orders)])
        d, line = StockDocument.__table__.c, SalesOrderLine.__table__.c
        connection.execute(insert(StockMove).from_select(
            ["document_id", "line_no", "product_id", "warehouse_id", "qty", "reserved", "value", "unit_cost",
             "balance_qty", "balance_reserved", "balance_value", "avg_cost", "source_line_id", "employee_id",
             "channel", "created_at"],
            select(d.id, line.line_no, line.product_id, d.warehouse_id, -line.qty, literal(0),
                   -(type_coerce(line.qty, BigInteger) // UNIT) * COST, literal(1_500_000), literal(0), literal(0),
                   literal(0), literal(0),
                   line.id, d.employee_id, d.channel, d.created_at)
            .select_from(SalesOrderLine.__table__.join(StockDocument.__table__, and_source(d, line)))
            .where(d.number.like("SH-B-%"))))
    with engine.begin() as connection:
        connection.execute(insert(ApprovalRequest), [
            {"doc_type": "sales_order", "doc_id": first + n, "number": f"SO-B-{n:06d}", "amount": Decimal("500"),
             "author_id": admin, "status": "pending", "current_level": 0, "current_role": "manager",
             "levels": ["manager"], "summary": {}, "created_at": now} for n in range(min(PENDING, orders))])
        connection.execute(text("ANALYZE"))
    return products


def and_source(document: Any, line: Any) -> Any:
    """A shipment document belongs to its order's lines."""
    return (document.source_id == line.order_id) & (document.source_type == "sales_order")


def _moment(n: int, today: date, now: datetime, zone: ZoneInfo) -> datetime:
    """Order n's time: today for every fifth order, else one of this month's earlier days (still today on the 1st)."""
    day = today if n % 5 == 0 or today.day == 1 else today.replace(day=1 + n % (today.day - 1))
    moment = datetime.combine(day, time(9, n % 60), zone)
    return min(moment, now - timedelta(seconds=1)) if day == today else moment


REVENUE = """(CASE WHEN m.qty < 0 THEN 1 ELSE -1 END) * 100 * (
    ABS(m.qty) * (l.unit_price / 1000000) / 100
    + ((ABS(m.qty) * (l.unit_price / 1000000)) % 100 * 1000000 + ABS(m.qty) * (l.unit_price % 1000000) + 50000000)
      / 100000000)"""
BILLED = """FROM stock_move m JOIN stock_document d ON d.id = m.document_id
JOIN sales_order_line l ON l.id = m.source_line_id
WHERE m.created_at >= :start AND m.created_at < :end AND m.qty <> 0
  AND ((d.kind IN ('shipment', 'sales_return') AND d.source_type = 'sales_order')
       OR (d.kind = 'reversal' AND d.source_type = 'stock_document' AND d.source_id IN (
           SELECT id FROM stock_document
           WHERE kind IN ('shipment', 'sales_return') AND source_type = 'sales_order')))"""
HAND = {
    "sales_today": f"SELECT COALESCE(SUM({REVENUE}), 0) {BILLED}",
    "sales_month": f"SELECT COALESCE(SUM({REVENUE}), 0) {BILLED}",
    "profit_today": f"SELECT COALESCE(SUM({REVENUE} + m.value), 0) {BILLED}",
    "profit_month": f"SELECT COALESCE(SUM({REVENUE} + m.value), 0) {BILLED}",
    "stock_value": "SELECT COALESCE(SUM(value), 0) FROM stock_level",
    "low_stock": """SELECT COUNT(*) FROM reorder_rule r JOIN product p ON p.id = r.product_id
        LEFT JOIN stock_level s ON s.product_id = r.product_id AND s.warehouse_id = r.warehouse_id
        WHERE r.active = :yes AND p.active = :yes AND COALESCE(s.on_hand, 0) - COALESCE(s.reserved, 0) < r.minimum""",
    "pending_approvals": """SELECT COUNT(*) FROM approval_request a WHERE a.status = 'pending' AND a.author_id <> :me
        AND NOT EXISTS (SELECT 1 FROM approval_decision x WHERE x.request_id = a.id AND x.employee_id = :me)
        AND (a.current_role IN ('manager') OR a.escalated_to IN ('manager'))""",
}
MONEY_FIGURES = ("sales_today", "sales_month", "profit_today", "profit_month", "stock_value")


def hand_dashboard(engine: Engine, me: int, today: date) -> Dashboard:
    """The manager's dashboard by one hand-written statement per figure."""
    zone = ZoneInfo(TIMEZONE)
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    day_start, day_end = (datetime.combine(d, time.min, zone) for d in (today, today + timedelta(days=1)))
    month = (datetime.combine(first, time.min, zone), datetime.combine(following, time.min, zone))
    windows = {"sales_today": (day_start, day_end), "profit_today": (day_start, day_end),
               "sales_month": month, "profit_month": month}
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, sql in HAND.items():
            statement = text(sql)
            values: dict[str, Any] = {}
            if name in windows:
                statement = statement.bindparams(bindparam("start", type_=UTCDateTime()),
                                                 bindparam("end", type_=UTCDateTime()))
                values = {"start": windows[name][0], "end": windows[name][1]}
            elif name == "low_stock":
                values = {"yes": True}
            elif name == "pending_approvals":
                values = {"me": me}
            raw = connection.execute(statement, values).scalar_one()
            found[name] = Decimal(int(raw)) / UNIT if name in MONEY_FIGURES else int(raw)
    return Dashboard(today, first, found["sales_today"], found["sales_month"], found["profit_today"],
                     found["profit_month"], found["stock_value"], found["low_stock"], found["pending_approvals"],
                     False)


def measure(backend: Backend, rounds: int = 5, days: int = HISTORY_DAYS) -> Timing:
    products = max(int(PRODUCTS * scale()), 10)
    now = utcnow()
    texts = Texts(timezone=TIMEZONE)
    with empty_database(backend) as engine:
        added: list[int] = []
        load_seconds = timed(lambda: added.append(load(engine, products, days, now)))
        uow = UnitOfWork(engine)
        manager = load_actor(uow, MANAGER)
        today = now.astimezone(ZoneInfo(TIMEZONE)).date()

        def service() -> Dashboard:
            return read_dashboard(uow, manager, timezone=TIMEZONE, today=today)

        def hand() -> Dashboard:
            return hand_dashboard(engine, manager.employee_id, today)

        board, check = service(), hand()
        if board != check:
            raise AssertionError(f"the service and the hand SQL disagree:\n{board}\n{check}")
        sales_lines = added[0]  # the grown month's lines (the demo history has its own orders besides)
        render_dashboard_png(board, texts, "zh_CN")  # warm up: matplotlib's import and font cache
        service_full, hand_full = interleaved(
            rounds, lambda: timed(lambda: render_dashboard_png(service(), texts, "zh_CN")),
            lambda: timed(lambda: render_dashboard_png(hand(), texts, "zh_CN")))
        service_sql, hand_sql = interleaved(rounds, lambda: timed(service), lambda: timed(hand))
    return Timing(backend.name, products, sales_lines, load_seconds, median(service_full), median(hand_full),
                  median(service_sql), median(hand_sql),
                  median([a / b for a, b in zip(service_full, hand_full, strict=True)]),
                  median([a / b for a, b in zip(service_sql, hand_sql, strict=True)]), board)


def _scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def report(t: Timing) -> str:
    b = t.board
    return (f"dashboard {t.backend}: {t.products:,} products, {t.sales_lines:,} sales lines this month "
            f"(load {t.load_seconds:.1f} s); service + image {t.service_seconds * 1000:.0f} ms, hand SQL + image "
            f"{t.hand_seconds * 1000:.0f} ms, ratio {t.ratio:.2f}; queries alone: service "
            f"{t.service_query_seconds * 1000:.1f} ms, hand {t.hand_query_seconds * 1000:.1f} ms (7 statements), "
            f"ratio {t.query_ratio:.2f}; figures: today {b.sales_today}, month {b.sales_month}, margin "
            f"{b.margin_month}%, stock value {b.stock_value}, low stock {b.low_stock}, pending {b.pending_approvals}")


def main(backends: Sequence[Backend]) -> None:
    results = [measure(backend) for backend in backends]
    for r in results:
        print(report(r))
    print("dashboard ratio (service+image / hand+image): " + ", ".join(f"{r.backend} {r.ratio:.2f}" for r in results))
