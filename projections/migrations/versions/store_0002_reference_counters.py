"""store: counters for human references (OX-2026-0143), one row per (kind, area code, year)

Write-model state, like the store itself: ``tandem replay`` never touches it. See
docs/references.md.

Revision ID: store_0002
Revises: store_0001
Create Date: 2026-12-02 15:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'store_0002'
down_revision = 'store_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reference_counters',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'area_code', 'year', name=op.f('pk_reference_counters'))
    )


def downgrade() -> None:
    op.drop_table('reference_counters')
