"""mappa: the nominal's human reference (MappaNominalRegistered v2)

Nominals registered before v2 keep null and are shown by their id (docs/references.md).

Revision ID: mappa_0002
Revises: mappa_0001
Create Date: 2026-12-02 15:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'mappa_0002'
down_revision = 'mappa_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mappa_nominals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_mappa_nominals_reference'), ['reference'])


def downgrade() -> None:
    with op.batch_alter_table('mappa_nominals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_mappa_nominals_reference'), type_='unique')
        batch_op.drop_column('reference')
