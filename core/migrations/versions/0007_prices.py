"""prices: price rules (per customer grade or customer; product, category or all; quantity breaks; dates), the
customer's price grade, quotations and their lines, deposits on orders (a payment may be negative: a deposit
refunded or forfeited), VAT rates of products and categories, tax on sales order lines

Revision ID: 0007_prices
Revises: 0007_warehouse_name_en
Create Date: 2026-12-04 01:15:53
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_prices'
down_revision = '0007_warehouse_name_en'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('price_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=20), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('min_qty', sa.BigInteger(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("method IN ('fixed', 'percent', 'cost_plus')", name=op.f('ck_price_rule_method')),
    sa.CheckConstraint('grade IS NULL OR customer_id IS NULL', name=op.f('ck_price_rule_party')),
    sa.CheckConstraint('product_id IS NULL OR category_id IS NULL', name=op.f('ck_price_rule_scope')),
    sa.CheckConstraint('valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from', name=op.f('ck_price_rule_dates')),
    sa.CheckConstraint('value >= 0 AND min_qty >= 0', name=op.f('ck_price_rule_figures')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_price_rule_category_id_category')),
    sa.ForeignKeyConstraint(['created_by'], ['employee.id'], name=op.f('fk_price_rule_created_by_employee')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_price_rule_customer_id_customer')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_price_rule_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_rule'))
    )
    with op.batch_alter_table('price_rule', schema=None) as batch_op:
        batch_op.create_index('ix_price_rule_category_id', ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_rule_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_price_rule_grade', ['grade'], unique=False)
        batch_op.create_index('ix_price_rule_product_id', ['product_id'], unique=False)

    op.create_table('quotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('salesperson_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('tax_total', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('order_number', sa.String(length=30), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'ordered', 'cancelled')", name=op.f('ck_quotation_status')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_quotation_total')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_quotation_customer_id_customer')),
    sa.ForeignKeyConstraint(['salesperson_id'], ['employee.id'], name=op.f('fk_quotation_salesperson_id_employee')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_quotation_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotation')),
    sa.UniqueConstraint('number', name=op.f('uq_quotation_number'))
    )
    with op.batch_alter_table('quotation', schema=None) as batch_op:
        batch_op.create_index('ix_quotation_customer_status', ['customer_id', 'status'], unique=False)

    op.create_table('quotation_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quotation_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.BigInteger(), nullable=False),
    sa.Column('tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('price_rule_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('qty > 0 AND unit_price >= 0 AND amount >= 0', name=op.f('ck_quotation_line_quoted')),
    sa.ForeignKeyConstraint(['price_rule_id'], ['price_rule.id'], name=op.f('fk_quotation_line_price_rule_id_price_rule')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_quotation_line_product_id_product')),
    sa.ForeignKeyConstraint(['quotation_id'], ['quotation.id'], name=op.f('fk_quotation_line_quotation_id_quotation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotation_line')),
    sa.UniqueConstraint('quotation_id', 'line_no', name=op.f('uq_quotation_line_quotation_id_line_no'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_grade', sa.String(length=20), nullable=True))
    op.create_table('order_deposit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=20), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('allocated', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('settlement_id', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("doc_type IN ('sales_order', 'purchase_order')", name=op.f('ck_order_deposit_doc_type')),
    sa.CheckConstraint("status IN ('held', 'allocated', 'refunded', 'forfeited')",
                       name=op.f('ck_order_deposit_status')),
    sa.CheckConstraint('amount > 0 AND allocated >= 0 AND allocated <= amount', name=op.f('ck_order_deposit_amounts')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_order_deposit_payment_id_payment')),
    sa.ForeignKeyConstraint(['settlement_id'], ['payment.id'], name=op.f('fk_order_deposit_settlement_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_deposit')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_order_deposit_payment_id'))
    )
    with op.batch_alter_table('order_deposit', schema=None) as batch_op:
        batch_op.create_index('ix_order_deposit_document', ['doc_type', 'doc_id'], unique=False)
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_amount_positive'), type_='check')
        batch_op.create_check_constraint('amount_not_zero', 'amount <> 0')
    for table in ('product', 'category'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('vat_rate', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_total', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_rate', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_amount', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_amount_not_zero'), type_='check')
        batch_op.create_check_constraint('amount_positive', 'amount > 0')
    op.drop_table('order_deposit')
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.drop_column('tax_amount')
        batch_op.drop_column('tax_rate')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_column('tax_total')
    for table in ('category', 'product'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('vat_rate')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('price_grade')

    op.drop_table('quotation_line')
    with op.batch_alter_table('quotation', schema=None) as batch_op:
        batch_op.drop_index('ix_quotation_customer_status')

    op.drop_table('quotation')
    with op.batch_alter_table('price_rule', schema=None) as batch_op:
        batch_op.drop_index('ix_price_rule_product_id')
        batch_op.drop_index('ix_price_rule_grade')
        batch_op.drop_index(batch_op.f('ix_price_rule_customer_id'))
        batch_op.drop_index('ix_price_rule_category_id')

    op.drop_table('price_rule')
