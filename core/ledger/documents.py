"""Stock documents: every posting event gets one, numbered per kind and year, pointing at what caused it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert

from core.ledger.numbering import next_number
from core.ledger.posting import MoveSpec, PostedMove, Posting, apply_moves
from core.models import StockDocument
from core.permissions import Actor
from core.stock.low_stock import warn_low_stock
from core.uow import Tx

PREFIXES = {
    "receipt": "RC", "issue": "IS", "adjustment": "AJ", "transfer": "TR", "transfer_in": "TI",
    "reservation": "RS", "release": "RL", "po_receipt": "GR", "purchase_return": "PR",
    "shipment": "SH", "sales_return": "SR", "stocktake": "ST", "so_reservation": "SV",
    "so_release": "SL", "reversal": "RV",
}
_DOCUMENTS: Table = StockDocument.__table__  # type: ignore[assignment]
_INSERT_DOCUMENT = insert(_DOCUMENTS).returning(_DOCUMENTS.c.id)


def open_document(
    tx: Tx,
    actor: Actor,
    kind: str,
    warehouse_id: int,
    *,
    reason: str = "",
    dest_id: int | None = None,
    source: tuple[str, int] | None = None,
    status: str = "posted",
) -> tuple[int, str]:
    """Insert a numbered stock document for one posting event; returns its id and number."""
    number = next_number(tx, PREFIXES[kind])
    document_id: int = tx.conn.execute(_INSERT_DOCUMENT, {
        "number": number, "kind": kind, "status": status, "warehouse_id": warehouse_id, "dest_warehouse_id": dest_id,
        "source_type": None if source is None else source[0], "source_id": None if source is None else source[1],
        "reason": reason.strip()[:500], "employee_id": actor.employee_id, "channel": actor.channel,
        "created_at": tx.now,
    }).scalar_one()
    return document_id, number


def post_moves(tx: Tx, actor: Actor, document_id: int, specs: Sequence[MoveSpec]) -> list[PostedMove]:
    """Post a document's lines in one go (lock, apply in order, write) and warn of positions left below minimum."""
    return write_posting(apply_moves(tx, specs), actor, document_id)


def write_posting(posting: Posting, actor: Actor, document_id: int) -> list[PostedMove]:
    """Write a posting's levels and ledger rows, then the low-stock warning for positions it took below minimum."""
    posted = posting.write(actor, document_id)
    if posting.crossed:
        warn_low_stock(posting.tx, document_id, posting.crossed)
    return posted
