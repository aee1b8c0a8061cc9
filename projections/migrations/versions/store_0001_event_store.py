"""store: the append-only event store, the relay's cursor and idempotency keys

Revision ID: store_0001
Revises: 0002
Create Date: 2026-12-02 07:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'store_0001'
down_revision = '0002'
branch_labels = ('store',)
depends_on = None


def upgrade() -> None:
    op.create_table('event_store',
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('schema_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('mac', sa.LargeBinary(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kafka_partition', sa.Integer(), nullable=True),
    sa.Column('kafka_offset', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('sequence', name=op.f('pk_event_store')),
    sa.UniqueConstraint('event_id', name=op.f('uq_event_store_event_id'))
    )
    op.create_index('ix_event_store_position', 'event_store', ['stream', 'kafka_partition', 'kafka_offset'], unique=False)
    op.create_table('event_store_cursors',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_event_store_cursors'))
    )
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    op.drop_table('event_store_cursors')
    op.drop_index('ix_event_store_position', table_name='event_store')
    op.drop_table('event_store')
