"""linked-account places (keyed hashes, 30 days) and who vouched for a newcomer

Numbered 0017 for issue 15 (signals); down_revision is the head when it was written
(0012) and is re-chained at merge with 0013-0016 and 0018.

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-06 22:58:05.718746
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_place',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=64), nullable=False),
    sa.Column('place_before', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'kind', 'period', 'place')
    )
    with op.batch_alter_table('account_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_place_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_place_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_place_place'), ['place'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_place_place_before'), ['place_before'], unique=False)

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vouched_by', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('vouched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_membership_vouched_by'), ['vouched_by'], unique=False)
        batch_op.create_foreign_key('fk_membership_vouched_by_account', 'account', ['vouched_by'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint('fk_membership_vouched_by_account', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_membership_vouched_by'))
        batch_op.drop_column('vouched_at')
        batch_op.drop_column('vouched_by')

    with op.batch_alter_table('account_place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_place_place_before'))
        batch_op.drop_index(batch_op.f('ix_account_place_place'))
        batch_op.drop_index(batch_op.f('ix_account_place_at'))
        batch_op.drop_index(batch_op.f('ix_account_place_account_id'))

    op.drop_table('account_place')
