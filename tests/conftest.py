"""Fixtures: the same tests run against SQLite and, when JXC_TEST_PG_URL is set, PostgreSQL.

Under pytest-xdist each worker has a PostgreSQL database of its own (JXC_TEST_PG_URL's name + "_gw0", ...), made
from that URL on first use and dropped when the worker ends, so whole-database tests (backup and restore, leases,
two servers) never meet another worker's rows. The role needs CREATEDB for that; without -n the URL is used as is.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.db import create_db_engine, normalise_url
from core.models import Base
from core.models.base import utcnow
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.permissions import Actor
from core.uow import UnitOfWork

PG_URL = os.environ.get("JXC_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("JXC_TEST_REQUIRE_PG", "") == "1"
_pg_ready = False


def _require_pg() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("JXC_TEST_REQUIRE_PG=1 but JXC_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL tests need JXC_TEST_PG_URL")
    return _worker_pg_url()


def _xdist_worker() -> str:
    """gw0, gw1, ... under pytest-xdist; empty in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def _on_server(statement: str) -> None:
    """Run one statement outside a transaction on JXC_TEST_PG_URL's server (CREATE / DROP DATABASE)."""
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@functools.cache
def _worker_pg_url() -> str:
    """JXC_TEST_PG_URL itself, or under xdist a fresh database of this worker's own beside it."""
    worker = _xdist_worker()
    if not worker:
        return PG_URL
    url = make_url(PG_URL)
    name = f"{url.database}_{worker}"
    try:
        _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _on_server(f'CREATE DATABASE "{name}"')
    except DBAPIError as error:
        pytest.fail(f"parallel PostgreSQL tests need a database per worker: {error.orig} "
                    f"(grant CREATEDB to the role of JXC_TEST_PG_URL, or run pytest without -n)")
    return url.set(database=name).render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this worker's PostgreSQL database, when it made one."""
    if _xdist_worker() and _worker_pg_url.cache_info().currsize:
        _on_server(f'DROP DATABASE IF EXISTS "{make_url(_worker_pg_url()).database}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL per backend: a fresh SQLite file, or the shared PostgreSQL test database."""
    if request.param == "postgresql":
        return _require_pg()
    return f"sqlite:///{tmp_path / 'jxc.db'}"


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL test database, for tests that only make sense there."""
    return _require_pg()


def fresh_schema(engine: Engine) -> None:
    """Empty tables: created on SQLite, truncated on PostgreSQL (created once per run)."""
    global _pg_ready
    if engine.dialect.name != "postgresql":
        Base.metadata.create_all(engine)
        return
    if not _pg_ready:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(engine)
        _pg_ready = True
        return
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty, bootstrapped schema."""
    engine = create_db_engine(db_url, pool_size=20)
    fresh_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on an empty PostgreSQL schema."""
    engine = create_db_engine(pg_url, pool_size=20)
    fresh_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[], datetime]:
    """The books' clock: real time, or under @pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00") a clock that
    starts at that moment and runs (tests whose literal texts name a year); doc_no() follows it."""
    marker = request.node.get_closest_marker("pinned_clock")
    if marker is None:
        return utcnow
    offset = datetime.fromisoformat(marker.args[0]) - utcnow()

    def pinned() -> datetime:
        return utcnow() + offset

    monkeypatch.setattr("tests.factories.utcnow", pinned)
    return pinned


@pytest.fixture
def uow(engine: Engine, clock: Callable[[], datetime]) -> UnitOfWork:
    """A unit of work on a bootstrapped database (system admin and transit warehouse present)."""
    unit = UnitOfWork(engine, clock=clock)
    bootstrap(unit)
    return unit


@pytest.fixture
def pg_uow(pg_engine: Engine) -> UnitOfWork:
    unit = UnitOfWork(pg_engine)
    bootstrap(unit)
    return unit


@pytest.fixture
def admin(uow: UnitOfWork) -> Actor:
    """The built-in system administrator."""
    return load_actor(uow, "system")
