"""lotsb: a sales order line may name the lot it is reserved and shipped from

Revision ID: 0008_lotsb
Revises: 0007_lots
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_lotsb'
down_revision = '0008_lotsa'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_order_line', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_sales_order_line_lot_id_lot'), 'lot', ['lot_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sales_order_line', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('fk_sales_order_line_lot_id_lot', type_='foreignkey')
        batch_op.drop_column('lot_id')
