"""inbox failure and lease: an update whose processing failed unexpectedly is finished with the kind of error
kept; an unanswered update belongs to the live process that renews its lease, and to the sweep once it runs out

Revision ID: 0005_lead
Revises: 0004
Create Date: 2026-12-03 12:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_lead'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_inbox_message_lease', ['channel', 'status', 'lease_until'], unique=False)
    # what is unanswered now was left by processes that no longer hold it: the first sweep takes it
    op.execute("UPDATE inbox_message SET lease_until = COALESCE(processed_at, received_at) WHERE status != 'replied'")


def downgrade() -> None:
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_message_lease')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('failure')
