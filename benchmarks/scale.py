"""Scale: the demo company (`jxc seed demo`) grown to ROWS ledger rows (JXC_SCALE_ROWS, default 1,000,000), against
the same company grown to BASELINE (100,000) rows in the same invocation: posting, this month's sales report, the
dashboard, `jxc check`, `jxc backup` and restore, each with its time and the ratio of the two sizes.

The demo (DEMO_PRODUCTS products, a month of history posted through the real services, sales included) is grown
with GROW_PRODUCTS products in the hub whose histories are as deep as the size needs (100 rows each at 100,000,
1,000 at 1,000,000: the catalogue stays the same, the ledger grows), set-based, with consistent running balances
(benchmarks.history_independence.fill_history), so `jxc check` passes at every size. Posting (a 3-line receipt plus
an issue, median of rounds) is also timed on an empty ledger. On PostgreSQL every size gets a database of its own,
and restore goes into another, so that pg_dump and pg_restore see what `jxc backup` and restore would."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from benchmarks.common import Backend, Database, StatementCounter, add_products, database, median, timed
from benchmarks.history_independence import HISTORY_PREFIX, fill_history
from bot.backup import backup_database, restore_database
from core.db import create_db_engine, normalise_url
from core.demo.company import seed_demo
from core.ledger.check import check_ledger
from core.migrate import upgrade
from core.models import StockMove
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.reporting.dashboard import read_dashboard
from core.reporting.periods import Filters, parse_period
from core.reporting.trade_reports import sales_report
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import UnitOfWork

ROWS = 1_000_000
BASELINE = 100_000
DEMO_PRODUCTS = 1000
DEMO_DAYS = 30
GROW_PRODUCTS = 1000
HUB = "SH"
TIMEZONE = "Asia/Shanghai"
POSTED = 3
ROUNDS = 5
OPERATIONS = ("post", "sales_report", "dashboard", "check", "backup", "restore")


@dataclass
class Size:
    """One grown company: how many ledger rows, how long growing took, and each operation's seconds."""

    rows: int
    build_seconds: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    backup_bytes: int = 0


@dataclass(frozen=True)
class Result:
    backend: str
    empty_post: float
    sizes: tuple[Size, ...]


def measure(backend: Backend, rows: int = ROWS, baseline: int = BASELINE, rounds: int = ROUNDS,
            demo_products: int = DEMO_PRODUCTS) -> Result:
    """The baseline size, then `rows`, then posting on an empty ledger."""
    sizes = tuple(_size(backend, n, rounds, demo_products) for n in (baseline, rows))
    with database(backend, "scale_empty") as empty:
        skus = add_products(empty, HISTORY_PREFIX, POSTED)
        _post(empty, "MAIN", skus)
        empty_post = median([timed(lambda: _post(empty, "MAIN", skus)) for _ in range(rounds)])
    return Result(backend.name, empty_post, sizes)


def _size(backend: Backend, rows: int, rounds: int, demo_products: int) -> Size:
    with tempfile.TemporaryDirectory(prefix="jxc-scale-") as directory, \
            _database(backend, Path(directory), "scale") as url, \
            _database(backend, Path(directory), "restored") as restored:
        engine = create_db_engine(url, pool_size=2)
        try:
            upgrade(engine)
            uow = UnitOfWork(engine)
            bootstrap(uow)
            admin = load_actor(uow, "system")
            size = Size(rows)

            def grow() -> None:
                seed_demo(uow, admin, products=demo_products, days=DEMO_DAYS)
                db = Database(backend.name, engine, uow, admin, StatementCounter(engine))
                demo_rows = _ledger_rows(db)
                add_products(db, HISTORY_PREFIX, GROW_PRODUCTS)
                fill_history(db, max(1, (rows - demo_rows) // GROW_PRODUCTS), warehouse=HUB)
                if backend.name == "postgresql":
                    with engine.begin() as connection:
                        connection.execute(text("ANALYZE"))

            size.build_seconds = timed(grow)
            db = Database(backend.name, engine, uow, admin, StatementCounter(engine))
            size.rows = _ledger_rows(db)
            skus = [f"{HISTORY_PREFIX}-{n:06d}" for n in range(1, POSTED + 1)]
            _post(db, HUB, skus)
            month = Filters(period=parse_period(today=date.today()), by=("product",), timezone=TIMEZONE)
            size.seconds["post"] = median([timed(lambda: _post(db, HUB, skus)) for _ in range(rounds)])
            size.seconds["sales_report"] = median([timed(lambda: sales_report(uow, admin, month))
                                                   for _ in range(rounds)])
            size.seconds["dashboard"] = median([timed(lambda: read_dashboard(uow, admin, timezone=TIMEZONE))
                                                for _ in range(rounds)])
            problems: list[object] = []
            size.seconds["check"] = timed(lambda: problems.extend(uow.read(check_ledger)))
            assert not problems, f"the grown books do not pass the check: {problems[:3]}"
        finally:
            engine.dispose()
        copy = Path(directory) / "backup"
        size.seconds["backup"] = timed(lambda: backup_database(url, copy))
        size.backup_bytes = copy.stat().st_size
        size.seconds["restore"] = timed(lambda: restore_database(restored, copy))
        return size


def _ledger_rows(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(StockMove)).scalar_one())


def _post(db: Database, warehouse: str, skus: Sequence[str]) -> None:
    receive_stock(db.uow, db.admin, warehouse, [LineIn(s, 2, "1.50") for s in skus])
    issue_stock(db.uow, db.admin, warehouse, [LineIn(s, 2) for s in skus])


@contextmanager
def _database(backend: Backend, directory: Path, name: str) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a PostgreSQL database of its own, dropped afterwards."""
    if backend.name == "sqlite":
        yield f"sqlite:///{directory / name}.db"
        return
    assert backend.pg_url is not None
    server = normalise_url(backend.pg_url)
    own = f"{server.database}_{name}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{own}"'))
        yield server.set(database=own).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
    finally:
        admin.dispose()


def report(result: Result) -> str:
    small, large = result.sizes
    lines = [f"scale {result.backend}: the demo company grown to {small.rows:,} and {large.rows:,} ledger rows "
             f"(built in {small.build_seconds:.0f} s and {large.build_seconds:.0f} s)",
             f"  {'operation':<14}{small.rows:>12,}{large.rows:>12,}{'ratio':>8}"]
    for name in OPERATIONS:
        a, b = small.seconds[name], large.seconds[name]
        lines.append(f"  {name:<14}{_shown(a):>12}{_shown(b):>12}{b / a:>8.2f}")
    lines.append(f"  post on an empty ledger {_shown(result.empty_post)}; with {large.rows:,} rows "
                 f"{large.seconds['post'] / result.empty_post:.2f}x; backups {small.backup_bytes / 1e6:.1f} MB and "
                 f"{large.backup_bytes / 1e6:.1f} MB")
    return "\n".join(lines)


def _shown(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(backends: Sequence[Backend]) -> None:
    rows = int(os.environ.get("JXC_SCALE_ROWS", ROWS))
    for backend in backends:
        print(report(measure(backend, rows)), flush=True)
