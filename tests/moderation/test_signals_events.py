from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from moderation.signals import ActivityThresholds, MessageEvent, Severity, screen_activity

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def burst(
    sender: UUID,
    recipients: list[UUID],
    *,
    start: datetime,
    every: timedelta,
    newcomer: bool = True,
    contact: bool = False,
) -> list[MessageEvent]:
    return [
        MessageEvent(sender, recipient, newcomer, start + i * every, asks_for_contact=contact)
        for i, recipient in enumerate(recipients)
    ]


@pytest.fixture
def lurker() -> UUID:
    return UUID(int=1)


@pytest.fixture
def newcomers() -> list[UUID]:
    return [uuid4() for _ in range(6)]


class TestNewcomerFanout:
    def test_five_newcomers_in_a_day_raise_a_signal(
        self, lurker: UUID, newcomers: list[UUID]
    ) -> None:
        events = burst(
            lurker, newcomers[:5], start=NOW - timedelta(hours=5), every=timedelta(hours=1)
        )
        (hit,) = screen_activity(events, clock=clock, account_created_at={})
        assert hit.rule_id == "activity.newcomer_fanout"
        assert hit.severity is Severity.HIGH
        assert hit.account_id == lurker
        assert hit.recipient_ids == tuple(newcomers[:5])
        assert (hit.first_at, hit.last_at) == (NOW - timedelta(hours=5), NOW - timedelta(hours=1))

    def test_four_newcomers_are_below_the_threshold(
        self, lurker: UUID, newcomers: list[UUID]
    ) -> None:
        events = burst(
            lurker, newcomers[:4], start=NOW - timedelta(hours=5), every=timedelta(hours=1)
        )
        assert screen_activity(events, clock=clock, account_created_at={}) == ()

    def test_many_messages_to_one_newcomer_are_not_fanout(
        self, lurker: UUID, newcomers: list[UUID]
    ) -> None:
        events = burst(
            lurker, [newcomers[0]] * 10, start=NOW - timedelta(hours=5), every=timedelta(minutes=5)
        )
        assert screen_activity(events, clock=clock, account_created_at={}) == ()

    def test_spread_over_days_is_not_fanout(self, lurker: UUID, newcomers: list[UUID]) -> None:
        events = burst(
            lurker, newcomers[:5], start=NOW - timedelta(days=5), every=timedelta(hours=25)
        )
        assert screen_activity(events, clock=clock, account_created_at={}) == ()

    def test_members_who_are_not_newcomers_do_not_count(
        self, lurker: UUID, newcomers: list[UUID]
    ) -> None:
        events = burst(
            lurker,
            newcomers,
            start=NOW - timedelta(hours=6),
            every=timedelta(hours=1),
            newcomer=False,
        )
        assert screen_activity(events, clock=clock, account_created_at={}) == ()

    def test_events_before_the_lookback_or_in_the_future_are_ignored(
        self, lurker: UUID, newcomers: list[UUID]
    ) -> None:
        old = burst(
            lurker, newcomers[:5], start=NOW - timedelta(days=9), every=timedelta(minutes=1)
        )
        future = burst(
            lurker, newcomers[:5], start=NOW + timedelta(minutes=1), every=timedelta(minutes=1)
        )
        assert screen_activity(old + future, clock=clock, account_created_at={}) == ()

    def test_thresholds_are_settings(self, lurker: UUID, newcomers: list[UUID]) -> None:
        events = burst(
            lurker, newcomers[:3], start=NOW - timedelta(hours=1), every=timedelta(minutes=10)
        )
        thresholds = ActivityThresholds(newcomer_recipients=3)
        (hit,) = screen_activity(events, clock=clock, account_created_at={}, thresholds=thresholds)
        assert hit.rule_id == "activity.newcomer_fanout"

    def test_can_be_switched_off(self, lurker: UUID, newcomers: list[UUID]) -> None:
        events = burst(lurker, newcomers, start=NOW - timedelta(hours=6), every=timedelta(hours=1))
        result = screen_activity(
            events, clock=clock, account_created_at={}, disabled={"activity.newcomer_fanout"}
        )
        assert result == ()

    def test_times_must_be_aware(self, lurker: UUID, newcomers: list[UUID]) -> None:
        naive = MessageEvent(lurker, newcomers[0], True, datetime(2025, 5, 1, 11))  # noqa: DTZ001
        with pytest.raises(ValueError, match="timezone-aware"):
            screen_activity([naive], clock=clock, account_created_at={})


class TestNewAccountContactSweep:
    def test_new_account_asking_three_people(self, lurker: UUID) -> None:
        people = [uuid4() for _ in range(3)]
        events = burst(
            lurker,
            people,
            start=NOW - timedelta(hours=3),
            every=timedelta(hours=1),
            newcomer=False,
            contact=True,
        )
        (hit,) = screen_activity(
            events, clock=clock, account_created_at={lurker: NOW - timedelta(days=2)}
        )
        assert hit.rule_id == "activity.new_account_contact_sweep"
        assert hit.recipient_ids == tuple(people)

    def test_established_account_is_not_a_new_account(self, lurker: UUID) -> None:
        people = [uuid4() for _ in range(3)]
        events = burst(
            lurker,
            people,
            start=NOW - timedelta(hours=3),
            every=timedelta(hours=1),
            newcomer=False,
            contact=True,
        )
        created = {lurker: NOW - timedelta(days=200)}
        assert screen_activity(events, clock=clock, account_created_at=created) == ()

    def test_messages_without_contact_requests_do_not_count(self, lurker: UUID) -> None:
        people = [uuid4() for _ in range(4)]
        events = burst(
            lurker,
            people,
            start=NOW - timedelta(hours=3),
            every=timedelta(minutes=30),
            newcomer=False,
        )
        created = {lurker: NOW - timedelta(days=1)}
        assert screen_activity(events, clock=clock, account_created_at=created) == ()

    def test_both_rules_for_one_account(self, lurker: UUID, newcomers: list[UUID]) -> None:
        events = burst(
            lurker,
            newcomers,
            start=NOW - timedelta(hours=6),
            every=timedelta(hours=1),
            contact=True,
        )
        created = {lurker: NOW - timedelta(days=1)}
        result = screen_activity(events, clock=clock, account_created_at=created)
        assert [hit.rule_id for hit in result] == [
            "activity.newcomer_fanout",
            "activity.new_account_contact_sweep",
        ]
