"""Document numbers people can say aloud (PO-2026-000123): per prefix and year, without gaps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from core.models import DocumentSequence, PurchaseOrder, SalesOrder
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

_SEQUENCE: Table = DocumentSequence.__table__  # type: ignore[assignment]
# Built once per dialect: every document takes a number.
_TAKE_NUMBER = {
    name: dialect_insert(_SEQUENCE)
    .values(prefix=bindparam("prefix"), year=bindparam("year"), last_number=literal(1))
    .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last_number": _SEQUENCE.c.last_number + 1})
    .returning(_SEQUENCE.c.last_number)
    for name, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}

# Documents a prompt may name as its example: the model, the states in which the reader acts on one, and the
# permission whose warehouses bound which ones the reader may act on (receive a purchase order, ship a sales order).
_OPEN_FOR_EXAMPLE: dict[str, tuple[type[PurchaseOrder] | type[SalesOrder], tuple[str, ...], Permission]] = {
    "PO": (PurchaseOrder, ("approved", "partially_received"), Permission.PURCHASE_RECEIVE),
    "SO": (SalesOrder, ("approved", "partially_shipped"), Permission.SALES_SHIP),
}


def next_number(tx: Tx, prefix: str) -> str:
    """Take the next number for `prefix` in the current year; the row lock holds until commit, so no gaps."""
    year = tx.now.year
    statement = _TAKE_NUMBER["postgresql" if tx.dialect == "postgresql" else "sqlite"]
    number = tx.conn.execute(statement, {"prefix": prefix, "year": year}).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def sample_number(prefix: str, when: datetime, serial: int = 1) -> str:
    """A made-up number of the year of `when`, for prompts: sample_number("PO", now, 12) == "PO-2026-000012"."""
    return f"{prefix}-{when.year}-{serial:06d}"


def example_number(uow: UnitOfWork, actor: Actor, prefix: str, serial: int = 1) -> str:
    """The number a prompt shows as its example: the newest open document of `prefix` the actor may act on,
    else a made-up one of this year."""

    def work(tx: Tx) -> str:
        entry = _OPEN_FOR_EXAMPLE.get(prefix)
        if entry is None or not actor.can(entry[2]):
            return sample_number(prefix, tx.now, serial)
        model, states, permission = entry
        statement = select(model.number).where(model.status.in_(states)).order_by(model.id.desc()).limit(1)
        scope = actor.warehouse_scope(permission)
        if scope is not None:
            statement = statement.where(model.warehouse_id.in_(scope))
        return tx.session.scalar(statement) or sample_number(prefix, tx.now, serial)

    return uow.read(work)
