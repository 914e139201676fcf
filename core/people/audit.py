"""Writing the audit trail: every change names its employee, channel and message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert

from core.models import AuditLog
from core.payloads import to_plain
from core.permissions import Actor
from core.uow import Tx

_AUDIT: Table = AuditLog.__table__  # type: ignore[assignment]
_INSERT_AUDIT = insert(_AUDIT)  # built once: every change writes one


def record(
    tx: Tx, actor: Actor, action: str, entity: str, entity_id: int | None, **detail: Any
) -> None:
    """Append one audit row in the transaction of the change it describes."""
    tx.conn.execute(_INSERT_AUDIT, {
        "at": tx.now, "employee_id": actor.employee_id, "channel": actor.channel,
        "message_id": actor.message_id, "action": action, "entity": entity, "entity_id": entity_id,
        "detail": to_plain(detail),
    })
