"""Writing the audit trail: every change names its employee, channel and message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert

from core.models import AuditLog
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
        "detail": _plain(detail),
    })


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
