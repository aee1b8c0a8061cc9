"""links: MATAC and MARAC follow a coordinator's confirmed person match

Each keeps its own copy of the confirmed links (person id -> the id kept for the person),
so incidents and referrals for a merged id land on the kept one whatever order the
projector meets them in; a MARAC case whose victim was merged into an earlier case's victim
records the case it is now part of. A branch of its own (after the MATAC and MARAC tables
exist) so it stays independent of either service's revisions.

Revision ID: links_0001
Revises: 0002
Create Date: 2026-12-02 15:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'links_0001'
down_revision = '0002'
branch_labels = ('links',)
depends_on = ('matac_0003', 'marac_0002')


def upgrade() -> None:
    for table in ('matac_person_links', 'marac_person_links'):
        op.create_table(table,
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('canonical_person_id', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('person_id', name=op.f(f'pk_{table}'))
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_canonical_person_id'), ['canonical_person_id'], unique=False)
    with op.batch_alter_table('marac_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_case_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_marac_cases_merged_into_case_id'), ['merged_into_case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('marac_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marac_cases_merged_into_case_id'))
        batch_op.drop_column('merged_into_case_id')
    for table in ('marac_person_links', 'matac_person_links'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_canonical_person_id'))
        op.drop_table(table)
