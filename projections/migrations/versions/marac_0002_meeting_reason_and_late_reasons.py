"""marac: why a meeting was recorded after it was held; late-addition reasons per agenda version

MeetingScheduled v3 carries ``recorded_after_the_event_reason`` (a meeting recorded with a
date in the past) and AgendaPublished v2 carries ``late_reasons`` (encrypted, one per late
case given a reason). Rows projected before these versions keep nulls: their events had no
such fields.

Revision ID: marac_0002
Revises: marac_0001
Create Date: 2026-12-14 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'marac_0002'
down_revision = 'marac_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('marac_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_after_the_event_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('marac_agenda_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('late_reasons', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('marac_agenda_versions', schema=None) as batch_op:
        batch_op.drop_column('late_reasons')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('marac_meetings', schema=None) as batch_op:
        batch_op.drop_column('recorded_after_the_event_reason')
