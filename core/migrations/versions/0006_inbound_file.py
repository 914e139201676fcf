"""inbound files: the bytes that came with an update wait in inbound_file until it is processed, never base64 in
its inbox row; what older versions left in rows is moved out (waiting) or dropped (processed)

Revision ID: 0006_inbound_file
Revises: 0005_push
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0006_inbound_file'
down_revision = '0006_sales'
branch_labels = None
depends_on = None
LEGACY = "file_content_b64"


def upgrade() -> None:
    op.create_table(
        'inbound_file',
        sa.Column('inbox_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('stored_at', core.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['inbox_id'], ['inbox_message.id'], name=op.f('fk_inbound_file_inbox_id_inbox_message'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('inbox_id', name=op.f('pk_inbound_file')),
    )
    inbox = sa.table('inbox_message', sa.column('id', sa.Integer()), sa.column('payload', sa.JSON()))
    files = sa.table('inbound_file', sa.column('inbox_id', sa.Integer()), sa.column('content', sa.LargeBinary()),
                     sa.column('stored_at', core.models.base.UTCDateTime()))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, status, payload FROM inbox_message "
                                "WHERE CAST(payload AS TEXT) LIKE :legacy"), {"legacy": f'%"{LEGACY}"%'}).all()
    for row in rows:
        payload: dict[str, Any] = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        content = payload.pop(LEGACY, None)
        if content and row.status == "received":
            bind.execute(files.insert().values(inbox_id=row.id, content=base64.b64decode(content),
                                               stored_at=datetime.now(UTC)))
        bind.execute(inbox.update().where(inbox.c.id == row.id).values(payload=payload))


def downgrade() -> None:
    op.drop_table('inbound_file')
