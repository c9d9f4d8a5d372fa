"""What the membership path answers when it refuses. A client reads ``code``; these codes
are part of the API and do not change."""

from backend.core.errors import Conflict, Forbidden, InvalidInput, TooManyAttempts


class IllegalTransition(Conflict):
    """The status cannot move that way (rules.transition_refusal says why)."""

    code = "illegal_transition"


class FoundingClosed(Conflict):
    code = "founding_closed"

    def __init__(self) -> None:
        super().__init__(
            "The community has enough active members: new ones are voted in by the Roots."
        )


class MustSign(Conflict):
    """A newer version of an agreement waits for her signature: she can read, not act."""

    code = "must_sign"


class OrganisationRequired(Forbidden):
    code = "organisation_required"

    def __init__(self) -> None:
        super().__init__("Refer on behalf of your organisation: give its id.")


class ReferralBudgetUsed(TooManyAttempts):
    code = "referral_budget_used"


class InvitationRefused(InvalidInput):
    """Used, withdrawn, expired or unknown: one answer, so a code cannot be probed."""

    code = "invitation_refused"

    def __init__(self) -> None:
        super().__init__(
            "This invitation code does not work. It may have been used or have expired.",
            fields={"invitation_code": "This code does not work."},
        )


class InterviewerRefused(Conflict):
    code = "interviewer_refused"


class NotAVoter(Forbidden):
    code = "not_a_voter"


class VoteClosed(Conflict):
    code = "vote_closed"

    def __init__(self) -> None:
        super().__init__("This vote has closed.")
