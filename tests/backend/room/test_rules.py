from datetime import UTC, datetime, timedelta

import pytest

from backend.auth.capabilities import Grants, Role, grants_from_roles
from backend.room import rules
from backend.room.models import MemberState, RoomKind, RoomRole
from moderation.restrictions import Effect

MEMBER = grants_from_roles([(Role.MEMBER, None)])
FACILITATOR = grants_from_roles([(Role.FACILITATOR, None)])
OFFICER = grants_from_roles([(Role.SAFEGUARDING, None)])
NEWCOMER = grants_from_roles([])
ACTIVE = rules.MemberView(RoomRole.MEMBER, MemberState.ACTIVE)
MODERATOR = rules.MemberView(RoomRole.MODERATOR, MemberState.ACTIVE)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class TestReadAndPost:
    @pytest.mark.parametrize("kind", list(RoomKind))
    def test_members_read_their_rooms_and_outsiders_do_not(self, kind: RoomKind) -> None:
        assert rules.can_read(kind, ACTIVE, MEMBER)
        assert not rules.can_read(kind, None, MEMBER)
        # Newcomers read the welcome room and their conversations with facilitators only.
        assert rules.can_read(kind, ACTIVE, NEWCOMER) is (kind in rules.NEWCOMER_KINDS)

    def test_newcomers_see_the_welcome_room_and_nothing_they_were_not_brought_into(self) -> None:
        assert rules.can_see(RoomKind.WELCOME, None, NEWCOMER)
        assert rules.can_join(RoomKind.WELCOME, None, NEWCOMER)
        for kind in set(RoomKind) - {RoomKind.WELCOME}:
            assert not rules.can_see(kind, None, NEWCOMER), kind
            assert not rules.can_join(kind, None, NEWCOMER), kind
        assert rules.post_refusal(RoomKind.WELCOME, ACTIVE, NEWCOMER, is_open=True, now=NOW) == (
            "announcements_only"
        )
        assert (
            rules.post_refusal(RoomKind.WELCOME_CHAT, ACTIVE, NEWCOMER, is_open=True, now=NOW)
            is None
        )

    def test_restrictions_on_reading_and_posting(self) -> None:
        def member_with(*effects: Effect) -> Grants:
            return grants_from_roles([(Role.MEMBER, None)], frozenset(effects))

        read_only = member_with(Effect.READ_ONLY)
        assert rules.can_read(RoomKind.SUPPORT_GROUP, ACTIVE, read_only)
        assert (
            rules.post_refusal(RoomKind.SUPPORT_GROUP, ACTIVE, read_only, is_open=True, now=NOW)
            == "read_only"
        )
        frozen = member_with(Effect.DIRECT_MESSAGES_FROZEN)
        assert (
            rules.post_refusal(RoomKind.SUPPORT_GROUP, ACTIVE, frozen, is_open=True, now=NOW)
            is None
        )
        for kind in (RoomKind.DIRECT, RoomKind.MENTORING, RoomKind.WELCOME_CHAT):
            assert rules.post_refusal(kind, ACTIVE, frozen, is_open=True, now=NOW) == (
                "direct_messages_frozen"
            )
        removed = member_with(Effect.REMOVED_FROM_ROOMS)
        for kind in RoomKind:
            assert not rules.can_read(kind, ACTIVE, removed), kind
        duress = grants_from_roles(
            [(Role.ACTIVE_MEMBER, None), (Role.MEMBER, None)], frozenset({Effect.DURESS})
        )
        for kind in RoomKind:
            assert not rules.can_read(kind, ACTIVE, duress), kind
            assert not rules.can_see(kind, None, duress), kind

    def test_community_moderators_read_communal_rooms_only(self) -> None:
        assert rules.can_read(RoomKind.SUPPORT_GROUP, None, OFFICER)
        assert not rules.can_read(RoomKind.MENTORING, None, OFFICER)
        assert not rules.can_read(RoomKind.DIRECT, None, OFFICER)

    def test_removed_and_left_members_read_nothing(self) -> None:
        for state in (MemberState.REMOVED, MemberState.LEFT, MemberState.INVITED):
            view = rules.MemberView(RoomRole.MEMBER, state)
            assert not rules.can_read(RoomKind.SUPPORT_GROUP, view, MEMBER)

    def test_post_refusals(self) -> None:
        def refusal(
            kind: RoomKind, view: rules.MemberView | None, is_open: bool = True
        ) -> str | None:
            return rules.post_refusal(kind, view, MEMBER, is_open=is_open, now=NOW)

        assert refusal(RoomKind.SUPPORT_GROUP, ACTIVE) is None
        assert refusal(RoomKind.SUPPORT_GROUP, None) == "not_member"
        assert refusal(RoomKind.DIRECT, ACTIVE, is_open=False) == "not_open"
        assert refusal(RoomKind.ANNOUNCEMENTS, ACTIVE) == "announcements_only"
        assert refusal(RoomKind.ANNOUNCEMENTS, MODERATOR) is None
        muted = rules.MemberView(RoomRole.MEMBER, MemberState.ACTIVE, NOW + timedelta(minutes=1))
        assert refusal(RoomKind.SUPPORT_GROUP, muted) == "muted"
        expired = rules.MemberView(RoomRole.MEMBER, MemberState.ACTIVE, NOW)
        assert refusal(RoomKind.SUPPORT_GROUP, expired) is None

    def test_joining(self) -> None:
        assert rules.can_join(RoomKind.SUPPORT_GROUP, None, MEMBER)
        assert not rules.can_join(RoomKind.WORKING_GROUP, None, MEMBER)
        assert not rules.can_join(RoomKind.SUPPORT_GROUP, None, NEWCOMER)
        removed = rules.MemberView(RoomRole.MEMBER, MemberState.REMOVED)
        assert not rules.can_join(RoomKind.SUPPORT_GROUP, removed, MEMBER)

    def test_sessions_are_scheduled_by_facilitating_moderators(self) -> None:
        assert rules.can_schedule_sessions(RoomKind.SUPPORT_GROUP, MODERATOR, FACILITATOR)
        assert not rules.can_schedule_sessions(RoomKind.SUPPORT_GROUP, MODERATOR, MEMBER)
        assert not rules.can_schedule_sessions(RoomKind.WORKING_GROUP, MODERATOR, FACILITATOR)


class TestLimits:
    def test_body(self) -> None:
        assert rules.clean_body("  hi  ") == "hi"
        with pytest.raises(ValueError, match="empty"):
            rules.clean_body(" \n ")
        with pytest.raises(ValueError, match="4000"):
            rules.clean_body("x" * 4001)

    def test_feedback_is_hidden_below_the_minimum(self) -> None:
        questions = [("q1", "Useful?", "scale"), ("q2", "Change?", "text")]
        answers = [("q1", 5, None), ("q1", 3, None), ("q2", None, "zebra"), ("q2", None, "apple")]
        hidden = rules.summarise_feedback(questions, answers, submissions=2)
        assert [(q.responses, q.average, q.texts) for q in hidden] == [
            (2, None, None),
            (2, None, None),
        ]
        shown = rules.summarise_feedback(questions, answers, submissions=3)
        assert shown[0].average == 4.0
        assert shown[0].distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
        assert shown[1].texts == ["apple", "zebra"]
