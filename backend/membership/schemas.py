import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from backend.auth.rules import PASSWORD_MAX, RuleViolation, check_pseudonym
from backend.auth.schemas import ClientKind, Language
from backend.core.schemas import Input, Output
from backend.membership.models import (
    AgreementKind,
    ApplicationStatus,
    MemberStatus,
    NextStep,
    VoteOutcome,
)

Choice = Literal["yes", "no", "abstain"]
Assessment = Literal["meets", "partly", "not_yet"]


class JoinIn(Input):
    """Registration with an invitation code from a referral."""

    pseudonym: str = Field(max_length=200)
    password: str = Field(max_length=PASSWORD_MAX * 4)
    invitation_code: str = Field(min_length=4, max_length=64)
    language: Language = "en"
    client: ClientKind = "web"

    @field_validator("pseudonym")
    @classmethod
    def pseudonym_rules(cls, value: str) -> str:
        try:
            return check_pseudonym(value)
        except RuleViolation as exc:
            raise ValueError(str(exc)) from exc


class ReferralIn(Input):
    organisation_id: uuid.UUID | None = None
    note: str = Field(default="", max_length=4000)


class ReferralCreated(Output):
    id: uuid.UUID
    invitation_code: str
    expires_at: datetime
    notice: str = "Hand this code to the person in private. It works once."


class ReferralPublic(Output):
    id: uuid.UUID
    organisation_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    redeemed: bool
    withdrawn: bool


class ProfileIn(Input):
    languages: list[Language] = Field(default_factory=list, max_length=5)
    city: str | None = Field(default=None, max_length=80)
    region: str | None = Field(default=None, max_length=80)


class MembershipPublic(Output):
    account_id: uuid.UUID
    pseudonym: str
    status: MemberStatus
    vouched: bool
    languages: list[str]
    city: str | None
    region: str | None
    member_since: datetime | None
    active_since: datetime | None
    participation_count: int
    participation_required: int
    must_sign: list[AgreementKind]
    # What a newcomer still has to do to become a member; empty past newcomer.
    next_steps: list[NextStep] = Field(default_factory=list)


class WaitingForVouchPublic(Output):
    """A self-registered newcomer nobody has vouched for yet."""

    account_id: uuid.UUID
    pseudonym: str
    registered_at: datetime
    participation_count: int


class StatusChangeIn(Input):
    status: MemberStatus
    reason: str = Field(min_length=5, max_length=500)


class ParticipationIn(Input):
    note: str = Field(default="", max_length=500)


class AgreementIn(Input):
    kind: AgreementKind
    language: Language
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=20, max_length=100_000)
    # Omitted: publish a new version. Given (the current one): add a translation of it.
    version: int | None = Field(default=None, ge=1)


class AgreementPublic(Output):
    id: uuid.UUID
    kind: AgreementKind
    version: int
    language: str
    title: str
    body: str
    published_at: datetime


class SignIn(Input):
    version: int = Field(ge=1)
    language: Language


class SignaturePublic(Output):
    kind: AgreementKind
    version: int
    language: str
    signed_at: datetime


class CriterionIn(Input):
    title: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=3, max_length=4000)
    position: int = Field(default=0, ge=0, le=1000)


class CriterionPublic(Output):
    id: uuid.UUID
    title: str
    description: str
    position: int


class RulesPublic(Output):
    participation_required: int
    quorum_percent: int
    threshold_percent: int
    min_ballots_for_tally: int
    min_active_days_to_vote: int
    vote_days: int
    referrals_per_period: int
    referral_period_days: int
    inactive_after_days: int
    card_valid_days: int


class RulesIn(Input):
    participation_required: int | None = Field(default=None, ge=0, le=100)
    quorum_percent: int | None = Field(default=None, ge=1, le=100)
    threshold_percent: int | None = Field(default=None, ge=1, le=100)
    min_ballots_for_tally: int | None = Field(default=None, ge=1, le=1000)
    min_active_days_to_vote: int | None = Field(default=None, ge=0, le=3650)
    vote_days: int | None = Field(default=None, ge=1, le=60)
    referrals_per_period: int | None = Field(default=None, ge=0, le=100)
    referral_period_days: int | None = Field(default=None, ge=1, le=3650)
    inactive_after_days: int | None = Field(default=None, ge=7, le=3650)
    card_valid_days: int | None = Field(default=None, ge=7, le=3650)


class ApplicationIn(Input):
    motivation: str = Field(default="", max_length=4000)
    working_group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)


class InterviewersIn(Input):
    interviewer_ids: list[uuid.UUID] = Field(min_length=1, max_length=3)


class AssessmentIn(Input):
    criterion_id: uuid.UUID
    assessment: Assessment
    comment: str = Field(default="", max_length=4000)


class ReportIn(Input):
    summary: str = Field(min_length=10, max_length=20_000)
    assessments: list[AssessmentIn] = Field(min_length=1, max_length=50)


class AssessmentPublic(Output):
    criterion_id: uuid.UUID
    criterion: str
    assessment: Assessment
    comment: str


class ReportPublic(Output):
    written_by: str
    written_at: datetime
    summary: str
    assessments: list[AssessmentPublic]


class OpenVoteIn(Input):
    deadline: datetime | None = None


class ApplicationPublic(Output):
    id: uuid.UUID
    applicant_id: uuid.UUID
    applicant: str
    status: ApplicationStatus
    created_at: datetime
    decided_at: datetime | None
    interviewers: list[str]
    vote_id: uuid.UUID | None
    report: ReportPublic | None = None
    motivation: str | None = None


class BallotIn(Input):
    choice: Choice
    notes: dict[uuid.UUID, str] = Field(default_factory=dict, max_length=50)

    @field_validator("notes")
    @classmethod
    def short_notes(cls, value: dict[uuid.UUID, str]) -> dict[uuid.UUID, str]:
        if any(len(note) > 2000 for note in value.values()):
            raise ValueError("A note has at most 2000 characters.")
        return value


class RecuseIn(Input):
    reason: str = Field(min_length=3, max_length=500)


class TallyPublic(Output):
    yes: int
    no: int
    abstain: int


class VotePublic(Output):
    id: uuid.UUID
    application_id: uuid.UUID
    applicant: str
    opened_at: datetime
    deadline: datetime
    closed: bool
    eligible_voters: int
    recused: int
    ballots_cast: int
    outcome: VoteOutcome | None
    tally: TallyPublic | None
    i_may_vote: bool
    i_recused: bool
    my_choice: Choice | None


class CardPublic(Output):
    number: str
    pseudonym: str
    issued_at: datetime
    expires_at: datetime
    status: str
    token: str
    qr_svg: str


class VerifyIn(Input):
    token: str | None = Field(default=None, max_length=4000)
    number: str | None = Field(default=None, max_length=32)


class VerifyOut(Output):
    result: Literal["valid", "expired", "revoked", "unknown"]
    pseudonym: str | None = None
    status: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None


class RevokeIn(Input):
    reason: str = Field(min_length=5, max_length=300)


class WorkingGroupIn(Input):
    name: str = Field(min_length=3, max_length=80)
    description: str = Field(default="", max_length=4000)


class WorkingGroupPublic(Output):
    id: uuid.UUID
    name: str
    description: str
    members: int
    i_am_member: bool
