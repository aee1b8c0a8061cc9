"""marac: human references on cases and referrals (ReferralSubmitted v4)

Rows projected from earlier versions keep null: their events carry no reference, and pages
show their id instead (docs/references.md).

Revision ID: marac_0004
Revises: marac_0003
Create Date: 2026-12-02 15:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'marac_0004'
down_revision = 'marac_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('marac_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_marac_cases_reference'), ['reference'])
    with op.batch_alter_table('marac_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_marac_referrals_reference'), ['reference'])


def downgrade() -> None:
    with op.batch_alter_table('marac_referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_marac_referrals_reference'), type_='unique')
        batch_op.drop_column('reference')
    with op.batch_alter_table('marac_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_marac_cases_reference'), type_='unique')
        batch_op.drop_column('reference')
