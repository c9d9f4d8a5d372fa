"""data rights: retention settings per room kind; ballots of erased voters

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 13:52:09.831316

A voter who erases her account while a vote is open leaves a ballot that still counts and
belongs to nobody: ``ballot.voter_id`` becomes nullable. NULLs are distinct in the
(vote_id, voter_id) unique constraint on SQLite and PostgreSQL alike, so one ballot per
real voter still holds.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('retention_setting',
    sa.Column('room_kind', sa.String(length=32), nullable=False),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('room_kind')
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('voter_id', existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # Ballots without a voter cannot go back under NOT NULL; the vote rows keep the counts.
    op.execute("DELETE FROM ballot WHERE voter_id IS NULL")
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('voter_id', existing_type=sa.Uuid(), nullable=False)
    op.drop_table('retention_setting')
