"""Writing notifications into the outbox, in the caller's transaction, each at most once (core.integration.queue
hands them to the senders)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select

from core.models import Employee, EmployeeRole, Notification
from core.payloads import to_plain
from core.uow import Tx

NOTIFICATIONS: Table = Notification.__table__  # type: ignore[assignment]
EVENT_TYPES = frozenset({
    "approval_requested", "approval_decided", "approved", "rejected", "approval_reminder", "approval_escalated",
    "low_stock",
    "transfer_awaiting_receipt", "over_receipt_needs_manager",
    "delivery_dead", "low_stock_digest", "daily_summary",  # bot.delivery / bot.scheduler
    "saved_report",  # bot.report_delivery: a scheduled saved report, rendered for its recipient
    "webhook_dead",  # bot.webhooks: a webhook delivery given up
    "update_failed",  # bot.engine: an update whose handling broke unexpectedly, once a day per kind
    "lot_expiry",  # core.reporting.expiry: a lot within its alert lead time, or expired (bot.scheduler, daily)
    "deposit_held",  # core.money.deposits: an order ended with a deposit left to refund or forfeit
})


@dataclass(frozen=True)
class Note:
    """One notification to write: what happened, for whom, with which payload and dedupe key."""

    event_type: str
    recipient_id: int
    payload: dict[str, Any]
    dedupe_key: str


def notify(
    tx: Tx, event_type: str, recipient_ids: Iterable[int], payload: dict[str, Any], dedupe_key: str
) -> int:
    """One notification per recipient (key `dedupe_key:recipient`), duplicates ignored; returns rows written."""
    plain = to_plain(payload)
    return write_notes(
        tx, [Note(event_type, r, plain, f"{dedupe_key}:{r}") for r in sorted(set(recipient_ids))]
    )


def write_notes(tx: Tx, notes: Sequence[Note]) -> int:
    """Insert many notifications in one statement, skipping dedupe keys already written; returns rows written."""
    if not notes:
        return 0
    unknown = {n.event_type for n in notes} - EVENT_TYPES
    if unknown:
        raise ValueError(f"unknown event types {sorted(unknown)}")
    rows = [
        {"event_type": n.event_type, "recipient_id": n.recipient_id, "payload": to_plain(n.payload),
         "dedupe_key": n.dedupe_key[:200], "status": "pending", "attempts": 0, "next_attempt_at": tx.now,
         "created_at": tx.now}
        for n in notes
    ]
    statement = (
        tx.insert(NOTIFICATIONS)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(NOTIFICATIONS.c.id)
    )
    return len(tx.session.execute(statement, rows).all())


def employees_with_role(tx: Tx, *roles: str) -> list[int]:
    """Active employees holding any of `roles`, by id."""
    if not roles:
        return []
    statement = (
        select(Employee.id).join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
        .where(EmployeeRole.role.in_(roles), Employee.active).distinct().order_by(Employee.id)
    )
    return list(tx.session.scalars(statement))
