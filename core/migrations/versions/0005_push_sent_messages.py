"""push: the message last pushed per chat and topic, replaced in place by a newer push on the topic

Revision ID: 0005_push
Revises: 0005_lead
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0005_push'
down_revision = '0005_lead'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sent_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('chat_id', sa.String(length=100), nullable=False),
        sa.Column('topic', sa.String(length=80), nullable=False),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('sent_at', core.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_sent_message_employee_id_employee')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_message')),
        sa.UniqueConstraint('channel', 'chat_id', 'topic', name=op.f('uq_sent_message_channel_chat_id_topic')),
    )
    with op.batch_alter_table('sent_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_message_employee_id'), ['employee_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sent_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_message_employee_id'))
    op.drop_table('sent_message')
