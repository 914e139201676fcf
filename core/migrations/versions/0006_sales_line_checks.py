"""sales line checks: the largest quantity of a product ever held or ordered, read from an index at line entry

Revision ID: 0006_sales
Revises: 0005_push
Create Date: 2026-12-03 17:10:00
"""

from __future__ import annotations

from alembic import op

revision = '0006_sales'
down_revision = '0005_push'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.create_index('ix_sales_order_line_product_qty', ['product_id', 'qty'], unique=False)
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.create_index('ix_stock_move_product_balance', ['product_id', 'balance_qty'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_move_product_balance')
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_line_product_qty')
