"""matac: the latest incident carrying each suspect's date of birth

Ages come from the recorded date of birth when there is one (see
services/matac/domain/ages.py), so each perpetrator row points at the latest incident (by
date, then incident id) whose payload carries the suspect's date of birth (still encrypted).
Existing rows are filled in from the incidents already stored.

Revision ID: matac_0002
Revises: matac_0001
Create Date: 2026-12-10 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'matac_0002'
down_revision = 'matac_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matac_perpetrators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_event_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('birth_incident_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('birth_occurred_on', sa.Date(), nullable=True))

    incidents = sa.table(
        'matac_incidents',
        sa.column('incident_id', sa.String),
        sa.column('event_id', sa.String),
        sa.column('person_id', sa.String),
        sa.column('occurred_on', sa.Date),
        sa.column('payload', sa.JSON),
    )
    perpetrators = sa.table(
        'matac_perpetrators',
        sa.column('person_id', sa.String),
        sa.column('birth_event_id', sa.String),
        sa.column('birth_incident_id', sa.String),
        sa.column('birth_occurred_on', sa.Date),
    )
    conn = op.get_bind()
    latest: dict = {}
    for row in conn.execute(sa.select(incidents)):
        if (row.payload or {}).get('suspect_date_of_birth') is None:
            continue
        known = latest.get(row.person_id)
        later = known is None or (
            (row.occurred_on, row.incident_id) > (known.occurred_on, known.incident_id)
        )
        if later:
            latest[row.person_id] = row
    for person_id, row in latest.items():
        conn.execute(
            perpetrators.update()
            .where(perpetrators.c.person_id == person_id)
            .values(
                birth_event_id=row.event_id,
                birth_incident_id=row.incident_id,
                birth_occurred_on=row.occurred_on,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('matac_perpetrators', schema=None) as batch_op:
        batch_op.drop_column('birth_occurred_on')
        batch_op.drop_column('birth_incident_id')
        batch_op.drop_column('birth_event_id')
