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
    """Ids of `notes` asking for work already done; two statements whatever their number."""
    notes = list(notes)
    asking = {n.id: n.payload for n in notes if n.event_type in ASKING and "request_id" in n.payload}
    receiving = {n.id: str(n.payload.get("number", "")) for n in notes if n.event_type == "transfer_awaiting_receipt"}
    done: set[int] = set()
    if asking:
        open_levels = dict(tx.session.execute(
            select(ApprovalRequest.id, ApprovalRequest.current_level).where(
                ApprovalRequest.id.in_(sorted({int(p["request_id"]) for p in asking.values()})),
                ApprovalRequest.status == "pending")).tuples().all())
        done |= {i for i, p in asking.items() if open_levels.get(int(p["request_id"])) != int(p.get("level", 0))}
    if receiving:
        still_open = set(tx.session.scalars(select(StockDocument.number).where(
            StockDocument.number.in_(sorted(set(receiving.values()))), StockDocument.status.in_(OPEN_STATUSES))))
        done |= {i for i, number in receiving.items() if number not in still_open}
    return frozenset(done)


def drop_settled(tx: Tx, ids: Iterable[int]) -> None:
    """Close notes that are not to be sent: 'sent' without a sending, the reason kept; one statement."""
    wanted = sorted(set(ids))
    if wanted:
        tx.session.execute(update(Notification).where(Notification.id.in_(wanted))
                           .values(status="sent", sent_at=tx.now, last_error=SETTLED, claim_token=""))
