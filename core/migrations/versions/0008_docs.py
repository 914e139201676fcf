"""docs: a customer's language (its documents print in it) and a product's spec (规格, e.g. 500ml)

Revision ID: 0008_docs
Revises: 0007_lots
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_docs'
down_revision = '0007_lots'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of `product` or `customer` on SQLite would lose their search triggers
    op.add_column('customer', sa.Column('language', sa.String(length=10), server_default='zh_CN', nullable=False))
    op.add_column('product', sa.Column('spec', sa.String(length=60), server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('product', 'spec')
    op.drop_column('customer', 'language')
