"""matac: the cohort exit reason holds a ciphertext token

CohortLeft v2 encrypts the reason a perpetrator left the cohort (data class risk.narrative).
The read model keeps it as published, so the column holds the token, which is longer than
the 200 characters the plain text was allowed: it becomes unbounded text. Rows from v1
events keep their plain text; readers disclose both under the agreement.

Revision ID: matac_0003
Revises: matac_0002
Create Date: 2026-12-02 13:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'matac_0003'
down_revision = 'matac_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matac_cohort', schema=None) as batch_op:
        batch_op.alter_column(
            'exit_reason', existing_type=sa.String(length=200), type_=sa.Text()
        )


def downgrade() -> None:
    with op.batch_alter_table('matac_cohort', schema=None) as batch_op:
        batch_op.alter_column(
            'exit_reason', existing_type=sa.Text(), type_=sa.String(length=200)
        )
