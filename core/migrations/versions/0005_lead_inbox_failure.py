"""inbox failure: an update whose processing failed unexpectedly is finished, with the kind of error kept

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


def downgrade() -> None:
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.drop_column('failure')
