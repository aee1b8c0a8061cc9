"""tracking: the event id at each projection's position (detects a broker that reused offsets)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = ('tracking',)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('projection_offsets') as batch:
        batch.add_column(sa.Column('last_event_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('projection_offsets') as batch:
        batch.drop_column('last_event_id')
