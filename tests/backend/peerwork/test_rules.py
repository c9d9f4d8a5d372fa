"""Pure rules: pay to the minor unit, night minutes across DST, constraint checks."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.peerwork import rules
from backend.peerwork.roster import rules as roster_rules
from backend.peerwork.roster import solver as roster

PARIS = ZoneInfo("Europe/Paris")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


class TestComputePay:
    @pytest.mark.parametrize(
        ("kind", "rate", "minutes", "night", "premium", "expected"),
        [
            # 5 h at 15.00 with one night hour at +25 %: 75.00 + 3.75.
            ("employment", 1500, 300, 60, 25, 7875),
            # Project contract, 7 h 50 at 12.34: 96.6633... rounds down.
            ("project_contract", 1234, 470, 0, 25, 9666),
            # Internship, 1 h 30 at 8.33 = 12.495 -> 12.50 (half up, once).
            ("internship", 833, 90, 0, 0, 1250),
            # Reimbursed volunteering: no premium, even at night.
            ("reimbursed_volunteer", 1000, 240, 240, 25, 4000),
            # Vouchers: the voucher value of the hours, no premium.
            ("vouchers", 1000, 360, 120, 50, 6000),
            # Night premium 100 % on 45 night minutes of 2 h at 20.00: 40.00 + 15.00.
            ("employment", 2000, 120, 45, 100, 5500),
            ("employment", 1500, 0, 0, 25, 0),
        ],
    )
    def test_exact_amounts(
        self, kind: str, rate: int, minutes: int, night: int, premium: int, expected: int
    ) -> None:
        pay = rules.compute_pay(
            kind=kind, rate_minor=rate, minutes=minutes, night=night, premium_percent=premium
        )
        assert pay.amount_minor == expected
        assert isinstance(pay.amount_minor, int)

    def test_night_minutes_must_fit(self) -> None:
        with pytest.raises(ValueError, match="night"):
            rules.compute_pay(
                kind="employment", rate_minor=1, minutes=10, night=11, premium_percent=0
            )


class TestNightMinutes:
    def test_evening_shift(self) -> None:
        start, end = local(2030, 3, 4, 18), local(2030, 3, 4, 23)
        assert (
            rules.night_minutes(start, end, night_start=22 * 60, night_end=6 * 60, tz=PARIS) == 60
        )

    def test_overnight_shift_spans_two_windows(self) -> None:
        start, end = local(2030, 3, 4, 5), local(2030, 3, 5, 7)
        # 05-06 on the 4th, 22-06 into the 5th.
        assert (
            rules.night_minutes(start, end, night_start=22 * 60, night_end=6 * 60, tz=PARIS)
            == 60 + 480
        )

    def test_spring_forward_night_is_one_hour_shorter(self) -> None:
        # Europe/Paris skips 02:00-03:00 on 31 March 2030: 22:00 to 06:00 lasts seven hours.
        start, end = local(2030, 3, 30, 22), local(2030, 3, 31, 6)
        assert end - start == timedelta(hours=7)
        assert (
            rules.night_minutes(start, end, night_start=22 * 60, night_end=6 * 60, tz=PARIS) == 420
        )

    def test_window_within_a_day(self) -> None:
        start, end = local(2030, 3, 4, 12), local(2030, 3, 4, 20)
        assert (
            rules.night_minutes(start, end, night_start=19 * 60, night_end=23 * 60, tz=PARIS) == 60
        )
        assert rules.night_minutes(start, end, night_start=0, night_end=0, tz=PARIS) == 0


def facts(day: int, start: int, end: int, **extra: object) -> rules.ShiftFacts:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "starts_at": local(2030, 3, day, start),
        "ends_at": local(2030, 3, day, end),
        "zone": "North",
        "required_trainings": (),
        "needs_pairing": False,
        "peers_needed": 1,
        "professionals_needed": 0,
        "tz": PARIS,
    }
    values.update(extra)
    return rules.shift_facts(**values)  # type: ignore[arg-type]


ALWAYS = rules.Availability(weekly={d: (rules.Window(0, 24 * 60),) for d in range(7)})


def peer(**extra: object) -> rules.PeerFacts:
    values: dict[str, object] = {
        "account_id": uuid.uuid4(),
        "contracts": (
            rules.ContractTerms(uuid.uuid4(), "employment", date(2030, 1, 1), None, 20 * 60),
        ),
        "trainings": (),
        "availability": ALWAYS,
        "excluded_zones": frozenset(),
    }
    values.update(extra)
    return rules.PeerFacts(**values)  # type: ignore[arg-type]


class TestConstraints:
    def test_rest_is_eleven_hours(self) -> None:
        evening = facts(4, 12, 20)
        assert roster_rules.too_close(evening, facts(5, 6, 10))  # 10 h later
        assert not roster_rules.too_close(evening, facts(5, 7, 10))  # exactly 11 h
        assert roster_rules.too_close(evening, facts(4, 19, 22))  # overlap

    def test_availability_exception_replaces_the_week(self) -> None:
        shift = facts(4, 9, 13)
        off = rules.Availability(weekly=ALWAYS.weekly, exceptions={date(2030, 3, 4): ()})
        assert roster_rules.static_peer_reasons(peer(availability=off), shift) == [
            roster_rules.Reason.UNAVAILABLE
        ]

    def test_window_past_midnight(self) -> None:
        night = facts(4, 22, 23)
        overnight = rules.shift_facts(
            id=uuid.uuid4(),
            starts_at=local(2030, 3, 4, 22),
            ends_at=local(2030, 3, 5, 4),
            zone="North",
            required_trainings=(),
            needs_pairing=False,
            peers_needed=1,
            professionals_needed=0,
            tz=PARIS,
        )
        evenings = rules.Availability(weekly={0: (rules.Window(20 * 60, 29 * 60),)})
        assert roster_rules.static_peer_reasons(peer(availability=evenings), night) == []
        assert roster_rules.static_peer_reasons(peer(availability=evenings), overnight) == []

    def test_training_valid_until_its_expiry_day(self) -> None:
        training = uuid.uuid4()
        done = (rules.TrainingDone(training, date(2029, 3, 4), date(2030, 3, 4)),)
        assert roster_rules.training_reason(done, training, date(2030, 3, 3)) is None
        assert (
            roster_rules.training_reason(done, training, date(2030, 3, 4))
            == roster_rules.Reason.TRAINING_EXPIRED
        )
        assert (
            roster_rules.training_reason((), training, date(2030, 3, 4))
            == roster_rules.Reason.TRAINING_MISSING
        )

    def test_concerning_debrief(self) -> None:
        assert rules.is_concerning(wellbeing=2, incident=False, wants_to_talk=False)
        assert rules.is_concerning(wellbeing=5, incident=True, wants_to_talk=False)
        assert rules.is_concerning(wellbeing=5, incident=False, wants_to_talk=True)
        assert not rules.is_concerning(wellbeing=3, incident=False, wants_to_talk=False)


class TestSolverDirectly:
    def test_spread_is_minimised_and_greedy_is_no_better(self) -> None:
        peers = [peer() for _ in range(3)]
        shifts = [facts(day, 9, 13) for day in range(4, 10)] + [
            facts(day, 14, 18) for day in range(4, 7)
        ]
        problem = roster.Problem(shifts=shifts, peers=peers, professionals=[], time_limit_seconds=2)
        solution = roster.solve(problem)
        assert solution.complete
        assert solution.spread_minutes == 0
        assert solution.status == "OPTIMAL"
        baseline = roster.greedy(problem)
        assert baseline.spread_minutes >= solution.spread_minutes

    def test_held_shifts_count_for_rest_and_caps(self) -> None:
        someone = peer()
        before = facts(3, 18, 23)
        shift = facts(4, 8, 12)
        problem = roster.Problem(
            shifts=[shift], peers=[someone], professionals=[], held={someone.account_id: (before,)}
        )
        solution = roster.solve(problem)
        assert solution.placed == []
        assert solution.shortfalls[0].candidates == {str(someone.account_id): ["rest"]}
