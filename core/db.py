"""Engines for SQLite (WAL, foreign keys, write transactions that take the lock up front) and PostgreSQL."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "jxc_write"
GATE_OPTION = "jxc_write_gate"
BUSY_SECONDS = 30.0


class WriteGate:
    """SQLite's writers in this process, let in one at a time, first come first served, from BEGIN IMMEDIATE to
    after COMMIT. SQLite itself lets one writer in and has the others poll (sleeping up to 100 ms between tries,
    so a writer that has waited longest is the likeliest to miss its turn); a queue here keeps the tail of write
    latency near its median. Other processes on the same file still meet SQLite's busy timeout."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, timeout: float = BUSY_SECONDS) -> bool:
        """Wait for the turn (at most `timeout`); False when it did not come, and the caller is not let in."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed the turn just as the wait ran out

    def release(self) -> None:
        """Hand the turn to the longest waiter, or leave the gate open."""
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._held = False


def normalise_url(url: str | URL) -> URL:
    """Use psycopg 3 for every PostgreSQL URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_db_engine(url: str | URL, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """An engine configured for jxc's transactions on SQLite or PostgreSQL."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, echo=echo, connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False},
            execution_options={GATE_OPTION: WriteGate()},
        )
        _configure_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    return create_engine(
        parsed,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        isolation_level="READ COMMITTED",
    )


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def write_gate(engine: Engine) -> WriteGate | None:
    """The gate a SQLite engine's write transactions pass (None on PostgreSQL, whose writers do not queue)."""
    gate = engine.get_execution_options().get(GATE_OPTION)
    return gate if isinstance(gate, WriteGate) else None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit, so results can be returned from a transaction."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
