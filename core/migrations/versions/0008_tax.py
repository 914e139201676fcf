"""tax: whether an order's prices include VAT (sales and purchase), and VAT per purchase order line and document

Revision ID: 0008_tax
Revises: 0007_lots
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_tax'
down_revision = '0008_docs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_included', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_total', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_included', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_rate', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_amount', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.drop_column('tax_amount')
        batch_op.drop_column('tax_rate')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_column('tax_included')
        batch_op.drop_column('tax_total')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_column('tax_included')
