"""Document numbers people can say aloud (PO-2026-000123): per prefix and year, without gaps."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from core.models import DocumentSequence
from core.uow import Tx


def next_number(tx: Tx, prefix: str) -> str:
    """Take the next number for `prefix` in the current year; the row lock holds until commit, so no gaps."""
    year = tx.now.year
    dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
    upsert = dialect_insert(DocumentSequence).values(prefix=prefix, year=year, last_number=1)
    statement = upsert.on_conflict_do_update(
        index_elements=["prefix", "year"],
        set_={"last_number": DocumentSequence.last_number + 1},
    ).returning(DocumentSequence.last_number)
    number = tx.session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
