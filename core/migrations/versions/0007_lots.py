"""lots: products tracked by lot or serial, the lot table, per-lot levels and the lot on every ledger row

Revision ID: 0007_lots
Revises: 0007_picture_reading
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_lots'
down_revision = '0007_picture_reading'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of `product` on SQLite would lose its search triggers and expression index
    op.add_column('product', sa.Column('tracking', sa.String(length=10), server_default='none', nullable=False))
    op.add_column('product', sa.Column('shelf_life_days', sa.Integer(), nullable=True))
    op.add_column('product', sa.Column('alert_days', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':  # SQLite cannot add a table constraint to an existing table
        op.create_check_constraint(op.f('ck_product_tracking'), 'product', "tracking IN ('none', 'lot', 'serial')")
        op.create_check_constraint(
            op.f('ck_product_shelf_life'), 'product',
            '(shelf_life_days IS NULL OR shelf_life_days > 0) AND (alert_days IS NULL OR alert_days >= 0)')
    op.create_table('lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('produced', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_lot_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('product_id', 'code', name=op.f('uq_lot_product_id_code'))
    )
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.create_index('ix_lot_product_expiry', ['product_id', 'expiry'], unique=False)
    op.create_table('lot_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.Column('allow_negative', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('allow_negative OR (on_hand >= 0 AND on_hand - reserved >= 0)',
                       name=op.f('ck_lot_level_lot_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_lot_level_lot_reserved_not_negative')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_lot_level_lot_id_lot')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_lot_level_product_id_product')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_lot_level_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_level')),
    sa.UniqueConstraint('lot_id', 'warehouse_id', name=op.f('uq_lot_level_lot_id_warehouse_id'))
    )
    with op.batch_alter_table('lot_level', schema=None) as batch_op:
        batch_op.create_index('ix_lot_level_product_warehouse', ['product_id', 'warehouse_id'], unique=False)
    with op.batch_alter_table('stock_move', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_stock_move_lot_id_lot'), 'lot', ['lot_id'], ['id'])
        batch_op.drop_constraint('uq_stock_move_document_id_line_no_warehouse_id', type_='unique')
        batch_op.create_index('ix_stock_move_lot_id', ['lot_id'], unique=False)
    op.create_index('ux_stock_move_line_lot', 'stock_move',
                    ['document_id', 'line_no', 'warehouse_id', sa.text('coalesce(lot_id, 0)')], unique=True)
    with op.batch_alter_table('purchase_receipt_line', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_purchase_receipt_line_lot_id_lot'), 'lot', ['lot_id'], ['id'])
        batch_op.drop_constraint('uq_purchase_receipt_line_document_id_order_line_id', type_='unique')
    op.create_index('ux_purchase_receipt_line_lot', 'purchase_receipt_line',
                    ['document_id', 'order_line_id', sa.text('coalesce(lot_id, 0)')], unique=True)


def downgrade() -> None:
    op.drop_index('ux_purchase_receipt_line_lot', table_name='purchase_receipt_line')
    with op.batch_alter_table('purchase_receipt_line', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_unique_constraint('uq_purchase_receipt_line_document_id_order_line_id',
                                          ['document_id', 'order_line_id'])
        batch_op.drop_constraint('fk_purchase_receipt_line_lot_id_lot', type_='foreignkey')
        batch_op.drop_column('lot_id')
    op.drop_index('ux_stock_move_line_lot', table_name='stock_move')
    with op.batch_alter_table('stock_move', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_stock_move_lot_id')
        batch_op.create_unique_constraint('uq_stock_move_document_id_line_no_warehouse_id',
                                          ['document_id', 'line_no', 'warehouse_id'])
        batch_op.drop_constraint('fk_stock_move_lot_id_lot', type_='foreignkey')
        batch_op.drop_column('lot_id')
    op.drop_table('lot_level')
    op.drop_table('lot')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_product_shelf_life'), 'product', type_='check')
        op.drop_constraint(op.f('ck_product_tracking'), 'product', type_='check')
    op.drop_column('product', 'alert_days')
    op.drop_column('product', 'shelf_life_days')
    op.drop_column('product', 'tracking')
