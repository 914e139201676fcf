"""What every benchmark needs: a throwaway database per backend, a statement counter, bulk products, medians."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, text

from core.catalog.products import create_warehouse
from core.db import create_db_engine, normalise_url
from core.migrate import upgrade
from core.models import Base, Product, Warehouse
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.permissions import Actor
from core.uow import UnitOfWork

PG_ENV = ("JXC_BENCH_PG_URL", "JXC_TEST_PG_URL")


@dataclass(frozen=True)
class Backend:
    """Where benchmark databases live: files in a directory (SQLite) or schemas in one PostgreSQL database."""

    name: str
    directory: Path | None = None
    pg_url: str | None = None


def backends_from_env(directory: Path) -> list[Backend]:
    """SQLite always; PostgreSQL when JXC_BENCH_PG_URL or JXC_TEST_PG_URL is set."""
    found = [Backend("sqlite", directory=directory)]
    url = next((os.environ[name] for name in PG_ENV if os.environ.get(name)), None)
    if url:
        found.append(Backend("postgresql", pg_url=url))
    return found


class StatementCounter:
    """Counts SQL statements sent through an engine while `during` runs (listening only then, so timed runs
    carry no listener); an executemany counts as one, even when the driver sends it in batches."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self._last: object = None

    def _seen(self, _connection: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any,
              _executemany: bool) -> None:
        if context is None or context is not self._last:
            self.count += 1
        self._last = context

    def during(self, action: Callable[[], object]) -> int:
        """How many statements `action` ran."""
        before = self.count
        event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            action()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._seen)
        return self.count - before


@dataclass
class Database:
    """A bootstrapped database with a MAIN and a NORTH warehouse, its admin, and a statement counter."""

    backend: str
    engine: Engine
    uow: UnitOfWork
    admin: Actor
    counter: StatementCounter

    def warehouse_id(self, code: str) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(Warehouse.id).where(Warehouse.code == code)).scalar_one())


@contextmanager
def database(backend: Backend, name: str, *, migrated: bool = False, pool_size: int = 2) -> Iterator[Database]:
    """A fresh database for one benchmark: a SQLite file, or a PostgreSQL schema dropped afterwards; `migrated`
    builds the schema with the migrations (as `jxc init` does), so that `jxc` commands and servers accept it;
    `pool_size` is the PostgreSQL engine's (as many again may overflow)."""
    if backend.name == "sqlite":
        with _sqlite_directory(backend) as directory:
            engine = create_db_engine(f"sqlite:///{directory / name}.db")
            try:
                yield _prepared(backend.name, engine, migrated)
            finally:
                engine.dispose()
        return
    assert backend.pg_url is not None
    schema = f"bench_{name}_{os.getpid()}"
    admin_engine = create_engine(normalise_url(backend.pg_url), isolation_level="AUTOCOMMIT")
    _recreate_schema(admin_engine, schema)
    url = normalise_url(backend.pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_db_engine(url, pool_size=pool_size)
    try:
        yield _prepared(backend.name, engine, migrated)
    finally:
        engine.dispose()
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin_engine.dispose()


@contextmanager
def _sqlite_directory(backend: Backend) -> Iterator[Path]:
    if backend.directory is not None:
        yield backend.directory
        return
    with tempfile.TemporaryDirectory(prefix="jxc-bench-") as directory:
        yield Path(directory)


def _recreate_schema(admin_engine: Engine, schema: str) -> None:
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))


def _prepared(backend: str, engine: Engine, migrated: bool = False) -> Database:
    if migrated:
        upgrade(engine)
    else:
        Base.metadata.create_all(engine)
    uow = UnitOfWork(engine)
    bootstrap(uow)
    admin = load_actor(uow, "system")
    create_warehouse(uow, admin, "MAIN", "主仓 Main")
    create_warehouse(uow, admin, "NORTH", "北仓 North")
    return Database(backend, engine, uow, admin, StatementCounter(engine))


def add_products(db: Database, prefix: str, count: int) -> list[str]:
    """`count` products PREFIX-000001... with purchase prices 1.00 to 1.99, inserted in one statement."""
    skus = [f"{prefix}-{n:06d}" for n in range(1, count + 1)]
    rows = [
        {"sku": sku, "name_zh": f"商品 {sku}", "name_en": f"Item {sku}", "base_unit": "pcs",
         "purchase_price": _price(n), "sale_price": _price(n) * 2, "floor_price": _price(n),
         "active": True, "allow_negative": False}
        for n, sku in enumerate(skus, 1)
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(Product), rows)
    return skus


def _price(n: int) -> Decimal:
    return Decimal(100 + n % 100) / 100


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def interleaved(rounds: int, *measurements: Callable[[], float]) -> list[list[float]]:
    """Run every measurement `rounds` times, rotating which goes first, so drift hits them all alike."""
    results: list[list[float]] = [[] for _ in measurements]
    for n in range(rounds):
        for k in range(len(measurements)):
            index = (n + k) % len(measurements)
            results[index].append(measurements[index]())
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)
