"""Counting the SQL statements a piece of code runs, for the tests that bound them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE")


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The statements run on `engine` inside the block, without BEGIN, SAVEPOINT and RELEASE."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
