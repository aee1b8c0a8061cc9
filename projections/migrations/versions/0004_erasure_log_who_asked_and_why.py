"""sharing: the erasure log records who asked, what triggered it and the encrypted reason

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sharing_erasure_log') as batch:
        # the reason is now an encryption token (SubjectErased v2), longer than the text
        batch.alter_column('reason', existing_type=sa.String(length=1000), type_=sa.Text(),
                           existing_nullable=False)
        batch.add_column(sa.Column('erasure_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('trigger', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('requested_by', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('requested_by_agency', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sharing_erasure_log') as batch:
        batch.drop_column('requested_by_agency')
        batch.drop_column('requested_by')
        batch.drop_column('trigger')
        batch.drop_column('erasure_id')
        batch.alter_column('reason', existing_type=sa.Text(), type_=sa.String(length=1000),
                           existing_nullable=False)
