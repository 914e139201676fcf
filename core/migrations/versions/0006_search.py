"""search: the searchable pinyin and text of products, customers and suppliers, filled for the rows there are

Revision ID: 0006_search
Revises: 0005_push
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.models.search_index import create_search_index, drop_search_index
from core.models.searchable import FORMS, PINYIN_LENGTH, search_values

revision = '0006_search'
down_revision = '0006_inbound_file'
branch_labels = None
depends_on = None
TABLES = ('product', 'customer', 'supplier')
BATCH = 5000


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_pinyin', sa.String(length=PINYIN_LENGTH), server_default='',
                                          nullable=False))
            batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
            batch_op.create_index(batch_op.f(f'ix_{table}_search_pinyin'), ['search_pinyin'], unique=False)
        _fill(table)
    create_search_index(op.get_bind())


def _fill(table: str) -> None:
    """Spell the rows already there, a batch of rows per UPDATE statement."""
    connection = op.get_bind()
    names = FORMS[table]
    rows = connection.execute(sa.text(f"SELECT id, {', '.join(names)} FROM {table}")).mappings().all()
    statement = sa.text(f"UPDATE {table} SET search_pinyin = :search_pinyin, search_text = :search_text "
                        "WHERE id = :row_id")
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, [{"row_id": r["id"], **search_values(table, dict(r))}
                                       for r in rows[start:start + BATCH]])


def downgrade() -> None:
    drop_search_index(op.get_bind())
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_search_pinyin'))
            batch_op.drop_column('search_text')
            batch_op.drop_column('search_pinyin')
