"""warehouse_name_en: a warehouse's English name, shown to English readers (the name stays the Chinese one)

Revision ID: 0007_warehouse_name_en
Revises: 0006_harden
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_warehouse_name_en'
down_revision = '0006_harden'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('warehouse', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=100), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('warehouse', schema=None) as batch_op:
        batch_op.drop_column('name_en')
