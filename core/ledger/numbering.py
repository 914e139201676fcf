"""Document numbers people can say aloud (PO-2026-000123): per prefix and year, without gaps."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, literal
from sqlalchemy.dialects import postgresql, sqlite

from core.models import DocumentSequence
from core.uow import Tx

_SEQUENCE: Table = DocumentSequence.__table__  # type: ignore[assignment]
# Built once per dialect: every document takes a number.
_TAKE_NUMBER = {
    name: dialect_insert(_SEQUENCE)
    .values(prefix=bindparam("prefix"), year=bindparam("year"), last_number=literal(1))
    .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last_number": _SEQUENCE.c.last_number + 1})
    .returning(_SEQUENCE.c.last_number)
    for name, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def next_number(tx: Tx, prefix: str) -> str:
    """Take the next number for `prefix` in the current year; the row lock holds until commit, so no gaps."""
    year = tx.now.year
    statement = _TAKE_NUMBER["postgresql" if tx.dialect == "postgresql" else "sqlite"]
    number = tx.conn.execute(statement, {"prefix": prefix, "year": year}).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
