"""Rows of an outbox table (notifications, webhook deliveries) claimed under a token: marked sent or given back
only while the claim is still the caller's, in one statement each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update

from core.uow import Tx, UnitOfWork


def mark_sent(uow: UnitOfWork, model: Any, token: str, ids: Sequence[int], now: datetime) -> int:
    """'sent' for the rows of `model` still held under `token`; returns how many."""
    return _update_held(uow, model, token, ids, status="sent", sent_at=now, last_error="", claim_token="")


def release(uow: UnitOfWork, model: Any, token: str, ids: Sequence[int], now: datetime) -> int:
    """Give rows back untried (the attempt is not counted): too little of the lease was left to send them."""
    return _update_held(uow, model, token, ids, status="pending", next_attempt_at=now, claim_token="",
                        attempts=model.attempts - 1)


def _update_held(uow: UnitOfWork, model: Any, token: str, ids: Sequence[int], **values: Any) -> int:
    if not ids:
        return 0

    def work(tx: Tx) -> int:
        result = tx.session.execute(
            update(model)
            .where(model.id.in_(list(ids)), model.status == "sending", model.claim_token == token)
            .values(**values))
        return int(getattr(result, "rowcount", 0))

    return uow.run(work)
