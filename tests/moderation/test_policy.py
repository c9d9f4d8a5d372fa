"""The pure policy: triage order, conflict of interest, appeals, effects, the trust cascade."""

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from moderation import cases, reports, restrictions, trust
from moderation.cases import CaseParties, CaseStatus, Decision
from moderation.reports import QueueEntry, ReportKind, Severity
from moderation.restrictions import Effect
from moderation.trust import EdgeKind, TrustEdge

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_triage_order_is_urgent_then_severity_then_oldest() -> None:
    entries = [
        QueueEntry("old-low", False, Severity.LOW, NOW - timedelta(days=9)),
        QueueEntry("new-high", False, Severity.HIGH, NOW),
        QueueEntry("old-high", False, Severity.HIGH, NOW - timedelta(days=1)),
        QueueEntry("urgent-low", True, Severity.LOW, NOW),
    ]
    assert [e.case_id for e in reports.triage_order(entries)] == [
        "urgent-low",
        "old-high",
        "new-high",
        "old-low",
    ]


def test_immediate_danger_is_critical_and_urgent_whatever_the_kind() -> None:
    for kind in ReportKind:
        assert reports.initial_severity(kind, immediate_danger=True) is Severity.CRITICAL
        assert reports.is_urgent(kind, immediate_danger=True)
        assert reports.is_urgent(kind, immediate_danger=False) is (kind is ReportKind.INFILTRATION)
    assert reports.initial_severity(ReportKind.SPAM, immediate_danger=False) is Severity.LOW


def test_an_infiltration_report_is_urgent_without_the_box() -> None:
    assert reports.is_urgent(ReportKind.INFILTRATION, immediate_danger=False)
    assert reports.initial_severity(ReportKind.INFILTRATION, immediate_danger=False) is (
        Severity.HIGH
    )


def test_conflict_of_interest() -> None:
    parties = CaseParties(
        targets=frozenset({"target"}),
        reporters=frozenset({"reporter"}),
        linked=frozenset({"mentor"}),
    )
    for officer in ("target", "reporter", "mentor"):
        assert cases.has_conflict(officer, parties)
    assert not cases.has_conflict("someone else", parties)


def test_appeal_rules() -> None:
    targets = frozenset({"her"})

    def refusal(**changes: object) -> str | None:
        values: dict[str, object] = {
            "status": CaseStatus.DECIDED,
            "decision": Decision.RESTRICTION,
            "appellant": "her",
            "targets": targets,
            "already_appealed": False,
        }
        values.update(changes)
        return cases.appeal_refusal(**values)  # type: ignore[arg-type]

    assert refusal() is None
    assert refusal(appellant="someone") is not None
    assert refusal(already_appealed=True) is not None
    assert refusal(decision=Decision.NO_ACTION) is not None
    assert refusal(status=CaseStatus.OPEN) is not None
    parties = CaseParties(targets=targets, reporters=frozenset({"r"}))
    assert cases.appeal_decider_refusal("a", decided_by="a", parties=parties) is not None
    assert cases.appeal_decider_refusal("r", decided_by="a", parties=parties) is not None
    assert cases.appeal_decider_refusal("b", decided_by="a", parties=parties) is None


def test_decision_effects() -> None:
    assert cases.effects_for(Decision.SUSPENSION, frozenset()) == restrictions.EVERYTHING
    assert cases.effects_for(Decision.WARNING, frozenset({Effect.READ_ONLY})) == frozenset()
    assert cases.effects_for(Decision.RESTRICTION, frozenset({Effect.HIDDEN})) == {Effect.HIDDEN}
    with pytest.raises(ValueError, match="at least one"):
        cases.effects_for(Decision.RESTRICTION, frozenset())
    assert Effect.DURESS not in restrictions.SETTABLE
    assert restrictions.parse("read_only hidden nonsense") == {Effect.READ_ONLY, Effect.HIDDEN}
    assert restrictions.serialise({Effect.HIDDEN, Effect.READ_ONLY}) == "hidden read_only"


class Edges:
    def __init__(self, edges: list[TrustEdge]) -> None:
        self.edges = edges
        self.asked: list[list[Hashable]] = []

    async def edges_touching(self, accounts: Sequence[Hashable]) -> list[TrustEdge]:
        self.asked.append(list(accounts))
        return [e for e in self.edges if e.source in accounts or e.target in accounts]


async def test_cascade_two_steps_and_the_cards_to_doubt() -> None:
    graph = Edges(
        [
            TrustEdge("x", "rosa", EdgeKind.INTERVIEWED),
            TrustEdge("x", "quinn", EdgeKind.VOTED),
            TrustEdge("x", "paz", EdgeKind.REFERRED),
            TrustEdge("x", "mia", EdgeKind.MENTORED),
            TrustEdge("ana", "rosa", EdgeKind.VOTED),
            TrustEdge("ana", "far", EdgeKind.REFERRED),
        ]
    )
    edges = await trust.collect(graph, "x", 2)
    assert len(graph.asked) == 2
    plan = trust.cascade(edges, "x", steps=2)
    assert plan.review == {"rosa", "quinn", "paz", "mia", "ana"}
    assert "far" not in plan.review  # three steps away
    assert plan.admitted_with_help == {"rosa", "quinn"}
    assert trust.distances(edges, "x")["ana"] == 2


def test_the_cascade_lists_same_place_accounts_apart_and_never_follows_them() -> None:
    edges = [
        TrustEdge("vera", "dalia", EdgeKind.INTERVIEWED),
        TrustEdge("vera", "val", EdgeKind.SAME_PLACE),
        # A shared network: Val's other neighbour is two steps away only through it.
        TrustEdge("val", "shelter-friend", EdgeKind.REFERRED),
        TrustEdge("vera", "dalia", EdgeKind.SAME_PLACE),
    ]
    plan = trust.cascade(edges, "vera")
    assert plan.review == frozenset({"dalia"})
    assert plan.same_place == frozenset({"val"})
    assert plan.admitted_with_help == frozenset({"dalia"})
