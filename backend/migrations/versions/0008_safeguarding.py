"""safeguarding: cases, reports, evidence, restrictions, appeals, review marks, duress;
the welcome room every newcomer may read. Message reports move into safety cases.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:54:28.446746
"""
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duress_secret',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('signal_rule_setting',
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.Uuid(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['account.id'], ),
    sa.PrimaryKeyConstraint('rule_id')
    )
    op.create_table('safety_case',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('target_account_id', sa.Uuid(), nullable=True),
    sa.Column('target_room_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('assigned_to', sa.Uuid(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('infiltration_confirmed', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to'], ['account.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['account.id'], ),
    sa.ForeignKeyConstraint(['target_account_id'], ['account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_room_id'], ['room.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('safety_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_case_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_case_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_case_target_account_id'), ['target_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_case_target_room_id'), ['target_room_id'], unique=False)

    op.create_table('case_appeal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('appellant_id', sa.Uuid(), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appellant_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['safety_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by'], ['account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id')
    )
    op.create_table('case_note',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['safety_case.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_case_id'), ['case_id'], unique=False)

    op.create_table('restriction',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('effects', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('applied_by', sa.Uuid(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.Uuid(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['applied_by'], ['account.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['safety_case.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lifted_by'], ['account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('restriction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_restriction_account_id'), ['account_id'], unique=False)

    op.create_table('review_mark',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('distance', sa.Integer(), nullable=False),
    sa.Column('marked_by', sa.Uuid(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['safety_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by'], ['account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'account_id')
    )
    with op.batch_alter_table('review_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_mark_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_mark_case_id'), ['case_id'], unique=False)

    op.create_table('safety_report',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('reporter_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('immediate_danger', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['safety_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('safety_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_report_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_report_reporter_id'), ['reporter_id'], unique=False)

    op.create_table('case_evidence',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=True),
    sa.Column('room_id', sa.Uuid(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('author_pseudonym', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('signal_rule', sa.String(length=64), nullable=True),
    sa.Column('signal_detail', sa.String(length=500), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['safety_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['safety_report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_evidence_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('message_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_report_created_at'))
        batch_op.drop_index(batch_op.f('ix_message_report_room_id'))

    _carry_message_reports()
    op.drop_table('message_report')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restrictions', sa.String(length=200), nullable=False, server_default=''))

    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duress', sa.Boolean(), nullable=False, server_default=sa.false()))

    room = sa.table(
        'room',
        sa.column('id', sa.Uuid()),
        sa.column('kind', sa.String()),
        sa.column('name', sa.String()),
        sa.column('topic', sa.String()),
        sa.column('unique_key', sa.String()),
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('opened_at', sa.DateTime(timezone=True)),
        sa.column('last_seq', sa.Integer()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(room, [{
        'id': uuid.uuid4(), 'kind': 'welcome', 'name': 'Welcome', 'topic': '',
        'unique_key': 'welcome', 'created_at': now, 'opened_at': now, 'last_seq': 0,
    }])


def _carry_message_reports() -> None:
    """Each report made through the rooms API becomes a case with its snapshot as evidence."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT id, room_id, reporter_id, reason, snapshot_seq, snapshot_author_id, '
        'snapshot_author_pseudonym, snapshot_body, snapshot_created_at, created_at '
        'FROM message_report'
    )).all()
    case = sa.table('safety_case', *(sa.column(c) for c in (
        'id', 'source', 'target_account_id', 'status', 'urgent', 'severity', 'opened_at',
        'infiltration_confirmed')))
    report = sa.table('safety_report', *(sa.column(c) for c in (
        'id', 'case_id', 'reporter_id', 'kind', 'target_kind', 'immediate_danger',
        'description', 'created_at')))
    evidence = sa.table('case_evidence', *(sa.column(c) for c in (
        'id', 'case_id', 'report_id', 'room_id', 'seq', 'author_id', 'author_pseudonym',
        'body', 'written_at', 'captured_at')))
    for row in rows:
        case_id, report_id = uuid.uuid4(), uuid.uuid4()
        bind.execute(case.insert().values(
            id=case_id, source='report', target_account_id=row.snapshot_author_id,
            status='open', urgent=False, severity=2, opened_at=row.created_at,
            infiltration_confirmed=False))
        bind.execute(report.insert().values(
            id=report_id, case_id=case_id, reporter_id=row.reporter_id, kind='harassment',
            target_kind='message', immediate_danger=False, description=row.reason,
            created_at=row.created_at))
        bind.execute(evidence.insert().values(
            id=uuid.uuid4(), case_id=case_id, report_id=report_id, room_id=row.room_id,
            seq=row.snapshot_seq, author_id=row.snapshot_author_id,
            author_pseudonym=row.snapshot_author_pseudonym, body=row.snapshot_body,
            written_at=row.snapshot_created_at, captured_at=row.created_at))



def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('duress')

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('restrictions')

    op.create_table('message_report',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sa.Uuid(), nullable=True),
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('reporter_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('snapshot_seq', sa.Integer(), nullable=False),
    sa.Column('snapshot_author_id', sa.Uuid(), nullable=True),
    sa.Column('snapshot_author_pseudonym', sa.String(length=32), nullable=False),
    sa.Column('snapshot_body', sa.Text(), nullable=False),
    sa.Column('snapshot_created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['room_message.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('message_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_report_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_report_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('case_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_evidence_case_id'))

    op.drop_table('case_evidence')
    with op.batch_alter_table('safety_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_report_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_safety_report_case_id'))

    op.drop_table('safety_report')
    with op.batch_alter_table('review_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_mark_case_id'))
        batch_op.drop_index(batch_op.f('ix_review_mark_account_id'))

    op.drop_table('review_mark')
    with op.batch_alter_table('restriction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_restriction_account_id'))

    op.drop_table('restriction')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_case_id'))

    op.drop_table('case_note')
    op.drop_table('case_appeal')
    with op.batch_alter_table('safety_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_case_target_room_id'))
        batch_op.drop_index(batch_op.f('ix_safety_case_target_account_id'))
        batch_op.drop_index(batch_op.f('ix_safety_case_status'))
        batch_op.drop_index(batch_op.f('ix_safety_case_opened_at'))

    op.drop_table('safety_case')
    op.drop_table('duress_secret')
    op.drop_table('signal_rule_setting')
    op.execute("DELETE FROM room WHERE unique_key = 'welcome'")
