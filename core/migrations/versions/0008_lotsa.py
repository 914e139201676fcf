"""lotsa: a stocktake line names the lot it counts (tracked products are counted per lot)

Revision ID: 0008_lotsa
Revises: 0007_lots
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_lotsa'
down_revision = '0008_tax'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stocktake_line', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_stocktake_line_lot_id_lot'), 'lot', ['lot_id'], ['id'])
        batch_op.drop_constraint('uq_stocktake_line_stocktake_id_product_id', type_='unique')
    op.create_index('ux_stocktake_line_lot', 'stocktake_line',
                    ['stocktake_id', 'product_id', sa.text('coalesce(lot_id, 0)')], unique=True)


def downgrade() -> None:
    op.drop_index('ux_stocktake_line_lot', table_name='stocktake_line')
    with op.batch_alter_table('stocktake_line', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_unique_constraint('uq_stocktake_line_stocktake_id_product_id', ['stocktake_id', 'product_id'])
        batch_op.drop_constraint('fk_stocktake_line_lot_id_lot', type_='foreignkey')
        batch_op.drop_column('lot_id')
