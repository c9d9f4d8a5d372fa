"""Pure rules of the membership path: status transitions, vote outcomes. No I/O."""

from dataclasses import dataclass

from backend.membership.models import MemberStatus, NextStep, VoteOutcome

S = MemberStatus

# Every move the path allows, and why it exists. Anything else is refused with a reason.
TRANSITIONS: dict[tuple[MemberStatus, MemberStatus], str] = {
    (S.NEWCOMER, S.MEMBER): "signed the community rules and took part",
    (S.MEMBER, S.CANDIDATE): "applied to become active",
    (S.CANDIDATE, S.MEMBER): "application not approved or withdrawn",
    (S.CANDIDATE, S.ACTIVE): "approved by the Roots vote",
    (S.ACTIVE, S.NON_ACTIVE): "no participation for the configured period, or asked",
    (S.NON_ACTIVE, S.ACTIVE): "came back",
    **{
        (s, S.SUSPENDED): "suspended by safeguarding"
        for s in (S.NEWCOMER, S.MEMBER, S.CANDIDATE, S.ACTIVE, S.NON_ACTIVE)
    },
    (S.SUSPENDED, S.MEMBER): "suspension lifted",
    (S.SUSPENDED, S.ACTIVE): "suspension lifted",
    (S.SUSPENDED, S.NEWCOMER): "suspension lifted",
    **{
        (s, S.EXPELLED): "expelled by safeguarding"
        for s in (S.NEWCOMER, S.MEMBER, S.CANDIDATE, S.ACTIVE, S.NON_ACTIVE, S.SUSPENDED)
    },
}


def transition_refusal(current: MemberStatus, target: MemberStatus) -> str | None:
    """None when the move is allowed, else a sentence saying why not."""
    if current == target:
        return f"The status is already {current}."
    if (current, target) in TRANSITIONS:
        return None
    if current == S.EXPELLED:
        return "An expelled account cannot change status."
    if current == S.ERASED:
        return "This account was erased."
    allowed = sorted(t for (c, t) in TRANSITIONS if c == current)
    return (
        f"A {current} cannot become {target} directly; "
        f"possible next steps: {', '.join(allowed) or 'none'}."
    )


def newcomer_next_steps(
    *, signed_rules: bool, participation: int, required: int, vouched: bool
) -> list[NextStep]:
    """Empty when she is ready to be a member. A self-registered newcomer also needs someone
    who has met her (a facilitator or an active member) to vouch for her: taking part alone
    is what an account made to watch the rooms can do too."""
    steps = []
    if not signed_rules:
        steps.append(NextStep.SIGN_RULES)
    if participation < required:
        steps.append(NextStep.TAKE_PART)
    if not vouched:
        steps.append(NextStep.BE_VOUCHED)
    return steps


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    eligible: int
    recused: int

    @property
    def ballots(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def voters(self) -> int:
        """Recused voters leave the quorum's denominator."""
        return self.eligible - self.recused


def meets_quorum(tally: Tally, quorum_percent: int) -> bool:
    # Integer arithmetic: "exactly 50%" must not depend on float rounding.
    return tally.voters > 0 and tally.ballots * 100 >= quorum_percent * tally.voters


def meets_threshold(tally: Tally, threshold_percent: int) -> bool:
    """Share of yes among yes + no; abstentions count for the quorum only."""
    decided = tally.yes + tally.no
    return decided > 0 and tally.yes * 100 >= threshold_percent * decided


def outcome_of(tally: Tally, quorum_percent: int, threshold_percent: int) -> VoteOutcome:
    if not meets_quorum(tally, quorum_percent):
        return VoteOutcome.NO_QUORUM
    if meets_threshold(tally, threshold_percent):
        return VoteOutcome.APPROVED
    return VoteOutcome.REJECTED


def everyone_has_voted(tally: Tally) -> bool:
    return tally.voters > 0 and tally.ballots >= tally.voters


def tally_may_be_shown(tally: Tally, min_ballots: int) -> bool:
    """With few ballots an exact tally tells who voted how; show it only above a minimum."""
    return tally.ballots >= min_ballots
