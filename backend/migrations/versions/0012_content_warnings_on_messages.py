"""content warnings on messages: a few words shown before a message kept folded

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 14:44:37.115810
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('room_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_warning', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('room_message', schema=None) as batch_op:
        batch_op.drop_column('content_warning')
