"""The unit of work: one transaction per use case, retried when the database asks for it, never half-done."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from core.config import BookRules
from core.db import WRITE_OPTION, session_factory, write_gate
from core.models.base import utcnow

T = TypeVar("T")
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
_open: ContextVar[tuple[UnitOfWork, Tx] | None] = ContextVar("jxc_open_transaction", default=None)
MAX_ATTEMPTS = 12
DEFAULT_RULES = BookRules()


@dataclass(frozen=True)
class Tx:
    """What a use case sees inside its transaction: the session, the one time at which it happens, and the books'
    rules ([books] money_places and the rules of BookRules)."""

    session: Session
    now: datetime
    conn: Connection
    money_places: int = 2
    rules: BookRules = DEFAULT_RULES

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def insert(self, table: Any) -> postgresql.Insert | sqlite.Insert:
        """INSERT in this database's dialect, for ON CONFLICT clauses (PostgreSQL and SQLite spell them alike)."""
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)


def is_retryable(error: BaseException) -> bool:
    """Serialization failures, deadlocks and a busy SQLite database are safe to run again."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    if isinstance(original, sqlite3.OperationalError):
        text = str(original).lower()
        return "locked" in text or "busy" in text
    return False


class UnitOfWork:
    """Runs use cases in transactions against one database."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        money_places: int = 2,
        rules: BookRules = DEFAULT_RULES,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.money_places = money_places
        self.rules = rules
        self._sessions: sessionmaker[Session] = session_factory(engine)
        self._max_attempts = max_attempts
        self._gate = write_gate(engine)

    def run(self, work: Callable[[Tx], T]) -> T:
        """Run `work` in a write transaction and commit; retry it whole on a retryable database error.

        Called while another `run` of this thread is open, `work` joins that transaction inside a savepoint:
        its writes commit with the outer work, or vanish alone when it raises.
        """
        outer = self._joinable()
        if outer is not None:
            with outer.session.begin_nested():
                outer.session.connection()  # emit the SAVEPOINT now: Core statements on tx.conn do not
                return work(outer)
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self._max_attempts),
            wait=wait_random_exponential(multiplier=0.005, max=0.5),
            reraise=True,
        )
        for attempt in retrying:
            with attempt, self._transaction(write=True) as tx:
                token = _open.set((self, tx))
                try:
                    result = work(tx)
                finally:
                    _open.reset(token)
                tx.session.commit()
        return result

    def read(self, work: Callable[[Tx], T]) -> T:
        """Run `work` in a read-only transaction that is rolled back at the end (or inside the open one)."""
        outer = self._joinable()
        if outer is not None:
            return work(outer)
        with self._transaction(write=False) as tx:
            return work(tx)

    def _joinable(self) -> Tx | None:
        opened = _open.get()
        return opened[1] if opened is not None and opened[0] is self else None

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        gate = self._gate if write and self._gate is not None and self._gate.acquire() else None
        try:
            session = self._sessions()
            try:
                connection = session.connection(execution_options={WRITE_OPTION: write})
                yield Tx(session=session, now=self.clock(), conn=connection, money_places=self.money_places,
                         rules=self.rules)
            finally:
                session.rollback()
                session.close()
        finally:
            if gate is not None:
                gate.release()
