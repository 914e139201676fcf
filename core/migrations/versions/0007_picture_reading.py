"""picture reading: a partner's words for our products (learned from confirmed delivery-note rows) and the
picture each receipt was posted from, and the picture's bytes (kept [reading] keep_days)

Revision ID: 0007_picture_reading
Revises: 0007_prices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0007_picture_reading'
down_revision = '0007_prices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'partner_item_alias',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_kind', sa.String(length=10), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('alias', sa.String(length=200), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('learned_by', sa.Integer(), nullable=True),
        sa.Column('learned_at', core.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("partner_kind IN ('supplier', 'customer')", name=op.f('ck_partner_item_alias_kind')),
        sa.ForeignKeyConstraint(['learned_by'], ['employee.id'], name=op.f('fk_partner_item_alias_learned_by_employee')),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_partner_item_alias_product_id_product')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_item_alias')),
        sa.UniqueConstraint('partner_kind', 'partner_id', 'alias', name='uq_partner_item_alias'),
    )
    op.create_table(
        'document_picture',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('order_number', sa.String(length=40), nullable=False),
        sa.Column('document_number', sa.String(length=40), nullable=False),
        sa.Column('note_number', sa.String(length=40), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('created_at', core.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_document_picture_employee_id_employee')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_picture')),
        sa.UniqueConstraint('sha256', 'purpose', name='uq_document_picture'),
    )
    op.create_table(
        'picture_file',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('stored_at', core.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_picture_file')),
    )


def downgrade() -> None:
    op.drop_table('picture_file')
    op.drop_table('document_picture')
    op.drop_table('partner_item_alias')
