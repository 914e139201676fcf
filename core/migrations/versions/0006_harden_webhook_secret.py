"""harden: room for a webhook secret encrypted at rest ("fernet:<token>")

Revision ID: 0006_harden
Revises: 0005_push
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_harden'
down_revision = '0006_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=100), type_=sa.String(length=300),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=300), type_=sa.String(length=100),
                              existing_nullable=False)
