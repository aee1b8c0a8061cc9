"""marac: a referral's withdrawal and latest correction (ReferralWithdrawn, ReferralCorrected)

The referring agency may withdraw or correct a referral before its meeting's cut-off. The
referral row keeps when and by which event (and the event's payload, ciphertext included, to
decrypt per caller). Rows projected before these events keep nulls: nothing was withdrawn or
corrected.

Revision ID: marac_0003
Revises: marac_0002
Create Date: 2026-12-02 15:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'marac_0003'
down_revision = 'marac_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('marac_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_event_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_payload', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('corrected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('corrected_event_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('corrected_payload', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('marac_referrals', schema=None) as batch_op:
        for column in (
            'corrected_payload', 'corrected_event_id', 'corrected_on',
            'withdrawn_payload', 'withdrawn_event_id', 'withdrawn_on',
        ):
            batch_op.drop_column(column)
