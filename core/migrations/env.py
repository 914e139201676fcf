"""Alembic environment: runs on the connection that core.migrate hands over."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from core.models import Base
from core.models.base import ScaledDecimal, UTCDateTime


def render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write jxc's column types as the plain types they store, so migrations never import models."""
    if kind == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
