"""Writing notifications into the outbox, in the caller's transaction, each at most once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import UnknownDocument
from core.models import Employee, EmployeeRole, Notification
from core.payloads import to_plain
from core.uow import Tx, UnitOfWork

NOTIFICATIONS: Table = Notification.__table__  # type: ignore[assignment]
LEASE = timedelta(minutes=2)
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 8
EVENT_TYPES = frozenset({
    "approval_requested", "approved", "rejected", "approval_reminder", "approval_escalated", "low_stock",
    "transfer_awaiting_receipt", "over_receipt_needs_manager",
    "delivery_dead", "low_stock_digest", "daily_summary",  # bot.delivery / bot.scheduler
    "saved_report",  # bot.report_delivery: a scheduled saved report, rendered for its recipient
    "webhook_dead",  # bot.webhooks: a webhook delivery given up
})


@dataclass(frozen=True)
class OutboxMessage:
    """A notification claimed for delivery: who gets it, what happened, and which attempt this is."""

    id: int
    event_type: str
    recipient_id: int
    payload: dict[str, Any]
    attempts: int


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
    dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(NOTIFICATIONS)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(NOTIFICATIONS.c.id)
    )
    return len(tx.session.execute(statement, rows).all())


def claim_due(
    uow: UnitOfWork, limit: int = 100, lease: timedelta = LEASE, now: datetime | None = None
) -> list[OutboxMessage]:
    """Take up to `limit` pending notifications that are due, oldest first, for one sender: each attempt is counted
    and the message is hidden for `lease` (a sender that dies mid-way leaves it to be retried, not lost)."""

    def work(tx: Tx) -> list[OutboxMessage]:
        at = now or tx.now
        rows = tx.session.execute(
            select(Notification.id, Notification.event_type, Notification.recipient_id, Notification.payload,
                   Notification.attempts)
            .where(Notification.status == "pending", Notification.next_attempt_at <= at)
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:
            tx.session.execute(
                update(Notification).where(Notification.id.in_([r.id for r in rows]))
                .values(attempts=Notification.attempts + 1, next_attempt_at=at + lease)
            )
        return [OutboxMessage(r.id, r.event_type, r.recipient_id, r.payload, r.attempts + 1) for r in rows]

    return uow.run(work)


def mark_sent(uow: UnitOfWork, ids: Iterable[int]) -> int:
    """Record that these notifications were delivered; returns how many were still pending."""
    wanted = sorted(set(ids))

    def work(tx: Tx) -> int:
        result = tx.session.execute(
            update(Notification).where(Notification.id.in_(wanted), Notification.status == "pending")
            .values(status="sent", sent_at=tx.now, last_error="")
        )
        return int(getattr(result, "rowcount", 0))

    return uow.run(work) if wanted else 0


def mark_failed(
    uow: UnitOfWork, notification_id: int, error: str, *, retry_after: timedelta | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> str:
    """Record a failed delivery: retried later with exponential backoff (or after the platform's `retry_after`),
    'dead' after `max_attempts`; returns the status it is left in."""

    def work(tx: Tx) -> str:
        row = tx.session.execute(
            select(Notification.status, Notification.attempts).where(Notification.id == notification_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise UnknownDocument(notification_id=notification_id)
        if row.status != "pending":
            return str(row.status)
        status = "dead" if row.attempts >= max_attempts else "pending"
        delay = retry_after if retry_after is not None else BACKOFF * 2 ** max(row.attempts - 1, 0)
        tx.session.execute(
            update(Notification).where(Notification.id == notification_id)
            .values(status=status, last_error=error[:500], next_attempt_at=tx.now + min(delay, MAX_BACKOFF))
        )
        return status

    return uow.run(work)


def employees_with_role(tx: Tx, *roles: str) -> list[int]:
    """Active employees holding any of `roles`, by id."""
    if not roles:
        return []
    statement = (
        select(Employee.id).join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
        .where(EmployeeRole.role.in_(roles), Employee.active).distinct().order_by(Employee.id)
    )
    return list(tx.session.scalars(statement))
