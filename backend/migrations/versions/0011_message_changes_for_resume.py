"""message changes for resume: a resuming client hears of edits and deletions it missed

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 14:27:33.166989
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('room_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_room_message_room_changed', ['room_id', 'changed_at'], unique=False)
    op.execute(
        'UPDATE room_message SET changed_at = COALESCE(deleted_at, edited_at) '
        'WHERE deleted_at IS NOT NULL OR edited_at IS NOT NULL'
    )



def downgrade() -> None:
    with op.batch_alter_table('room_message', schema=None) as batch_op:
        batch_op.drop_index('ix_room_message_room_changed')
        batch_op.drop_column('changed_at')

