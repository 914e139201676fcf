"""One leased queue over an outbox table (notifications, webhook deliveries): claim, mark sent, give back, retry
with backoff, dead letter.

A row is 'pending' until it is 'sent' or 'dead'. A sender claims due rows with FOR UPDATE SKIP LOCKED (PostgreSQL;
SQLite has one writer at a time) and leases them to its claim token: the attempt is counted and the row is due again
only when the lease runs out, so a sender that dies mid-way leaves it to be retried, not lost. Marks and give-backs
change a row only while it is still held under the caller's token: a late mark after another sender took the row
over changes nothing. Rows that an earlier version left 'sending' are claimed like due pending ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, select, update

from core.integration.outbox import Note, employees_with_role, write_notes
from core.models import Notification, WebhookDelivery
from core.uow import Tx, UnitOfWork

BASE_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(hours=1)
DUE = ("pending", "sending")  # 'sending': left by versions that marked a claimed row so


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff with jitter: 2 s, 4 s, 8 s ... (each between half and all of it), at most an hour."""
    full = min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    jittered: timedelta = full * (0.5 + 0.5 * rng())
    return jittered


@dataclass(frozen=True)
class Alert:
    """What the admins are told when a row is given up: one note each, keyed by the row."""

    event_type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class LeasedQueue:
    """An outbox table worked as a leased queue; every statement is one round trip whatever the batch size."""

    model: type[Notification] | type[WebhookDelivery]

    def due(self, now: datetime, limit: int, *columns: Any) -> Select[Any]:
        """Up to `limit` rows due at `now`, oldest first: id, event_type, payload, attempts (counting the one to
        come) and `columns`; join and filter it further before `take`."""
        m = self.model
        return (select(m.id, m.event_type, m.payload, (m.attempts + 1).label("attempts"), *columns)
                .where(m.status.in_(DUE), m.next_attempt_at <= now)
                .order_by(m.next_attempt_at, m.id).limit(limit))

    def take(self, tx: Tx, due: Select[Any], token: str, now: datetime, lease: timedelta) -> list[Row[Any]]:
        """Lock the rows of `due` (skipping rows another sender holds) and lease them to `token` until now + lease,
        the attempt counted."""
        m = self.model
        rows = list(tx.session.execute(due.with_for_update(skip_locked=True, of=m)).all())
        if rows:
            tx.session.execute(
                update(m).where(m.id.in_([r.id for r in rows]))
                .values(status="pending", claim_token=token, attempts=m.attempts + 1, next_attempt_at=now + lease))
        return rows

    def mark_sent(self, uow: UnitOfWork, token: str, ids: Sequence[int], now: datetime) -> int:
        """'sent' for the rows still held under `token` (one statement); returns how many."""
        return self._update_held(uow, token, ids, status="sent", sent_at=now, last_error="", claim_token="")

    def give_back(self, uow: UnitOfWork, token: str, ids: Sequence[int], now: datetime) -> int:
        """Rows due again at once, untried (the attempt is not counted): too little of the lease was left to send
        them safely."""
        return self._update_held(uow, token, ids, next_attempt_at=now, claim_token="",
                                 attempts=self.model.attempts - 1)

    def mark_failed(self, uow: UnitOfWork, token: str, row_id: int, attempts: int, error: str, now: datetime, *,
                    max_attempts: int, retry_after: timedelta | None = None, permanent: bool = False,
                    backoff_of: Callable[[int], timedelta] = backoff, alert: Alert | None = None) -> str:
        """Due again after `retry_after` (else backoff, at most MAX_BACKOFF), or 'dead' after `max_attempts` or a
        permanent refusal, with `alert` to every admin; returns the status left ('' when the row is not ours)."""
        m = self.model

        def work(tx: Tx) -> str:
            dead = permanent or attempts >= max_attempts
            delay = retry_after if retry_after is not None else backoff_of(attempts)
            result = tx.session.execute(
                update(m).where(m.id == row_id, m.status == "pending", m.claim_token == token)
                .values(status="dead" if dead else "pending", claim_token="", last_error=error[:500],
                        next_attempt_at=now + min(delay, MAX_BACKOFF)))
            if not getattr(result, "rowcount", 0):
                return ""
            if dead and alert is not None:
                write_notes(tx, [Note(alert.event_type, admin, alert.payload, f"{alert.event_type}:{row_id}:{admin}")
                                 for admin in employees_with_role(tx, "admin")])
            return "dead" if dead else "pending"

        return uow.run(work)

    def _update_held(self, uow: UnitOfWork, token: str, ids: Sequence[int], **values: Any) -> int:
        if not ids:
            return 0
        m = self.model

        def work(tx: Tx) -> int:
            result = tx.session.execute(
                update(m).where(m.id.in_(list(ids)), m.status == "pending", m.claim_token == token).values(**values))
            return int(getattr(result, "rowcount", 0))

        return uow.run(work)


NOTIFICATION_QUEUE = LeasedQueue(Notification)
WEBHOOK_QUEUE = LeasedQueue(WebhookDelivery)
