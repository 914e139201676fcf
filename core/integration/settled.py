"""Notifications whose subject is already done when they are about to go out: a request decided (or moved past the
level it asked about) needs no approval card, a transfer already received needs no "please receive"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import select, update

from core.models import ApprovalRequest, Notification, StockDocument
from core.stock.transfers import OPEN_STATUSES
from core.uow import Tx

ASKING = frozenset({"approval_requested", "approval_reminder", "approval_escalated"})
SETTLED = "settled: its subject was done before it was sent"


class Pending(Protocol):
    """What is checked of a note: its id, event type and payload."""

    @property
    def id(self) -> int: ...

    @property
    def event_type(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


def settled_notes(tx: Tx, notes: Iterable[Pending]) -> frozenset[int]:
    """Ids of `notes` asking for work already done (a request or transfer not found is left to send); two
    statements whatever their number."""
    notes = list(notes)
    asking = {n.id: n.payload for n in notes if n.event_type in ASKING and "request_id" in n.payload}
    receiving = {n.id: str(n.payload.get("number", "")) for n in notes if n.event_type == "transfer_awaiting_receipt"}
    done: set[int] = set()
    if asking:
        standing = {r.id: r for r in tx.session.execute(
            select(ApprovalRequest.id, ApprovalRequest.status, ApprovalRequest.current_level).where(
                ApprovalRequest.id.in_(sorted({int(p["request_id"]) for p in asking.values()}))))}
        done |= {i for i, p in asking.items() if (r := standing.get(int(p["request_id"]))) is not None
                 and (r.status != "pending" or r.current_level != int(p.get("level", 0)))}
    if receiving:
        statuses = dict(tx.session.execute(select(StockDocument.number, StockDocument.status).where(
            StockDocument.number.in_(sorted(set(receiving.values()))))).tuples().all())
        done |= {i for i, number in receiving.items() if statuses.get(number, OPEN_STATUSES[0]) not in OPEN_STATUSES}
    return frozenset(done)


def drop_settled(tx: Tx, ids: Iterable[int]) -> None:
    """Close notes that are not to be sent: 'sent' without a sending, the reason kept; one statement."""
    wanted = sorted(set(ids))
    if wanted:
        tx.session.execute(update(Notification).where(Notification.id.in_(wanted))
                           .values(status="sent", sent_at=tx.now, last_error=SETTLED, claim_token=""))


def close_backlog(tx: Tx, reason: str) -> int:
    """Close every note still waiting, unsent, with `reason` (a demo company's history leaves no pushes behind);
    one statement; returns how many."""
    result = tx.session.execute(update(Notification).where(Notification.status.in_(("pending", "sending")))
                                .values(status="sent", sent_at=tx.now, last_error=reason[:500], claim_token=""))
    return int(getattr(result, "rowcount", 0))
