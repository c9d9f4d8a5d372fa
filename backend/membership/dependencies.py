from typing import Annotated

from fastapi import Depends, Request

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, require
from backend.membership.approval import CloseContext
from backend.membership.cards import CardSigner


def _card_signer(request: Request) -> CardSigner:
    signer: CardSigner = request.app.state.card_signer
    return signer


async def get_card_signer(request: Request) -> CardSigner:
    return _card_signer(request)


async def get_close_context(request: Request) -> CloseContext:
    return CloseContext(card_signer=_card_signer(request))


CardSignerDep = Annotated[CardSigner, Depends(get_card_signer)]
CloseContextDep = Annotated[CloseContext, Depends(get_close_context)]

Applicant = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_APPLY))]
RootsVoter = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_VOTE))]
Interviewer = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_INTERVIEW))]
RootsCoordinator = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_COORDINATE))]
MembershipReader = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_READ))]
Facilitator = Annotated[Actor, Depends(require(Capability.ROOMS_FACILITATE))]
Voucher = Annotated[Actor, Depends(require(Capability.MEMBERSHIP_VOUCH))]
AgreementEditor = Annotated[Actor, Depends(require(Capability.AGREEMENTS_MANAGE))]
SettingsEditor = Annotated[Actor, Depends(require(Capability.SETTINGS_MANAGE))]
SafeguardingOfficer = Annotated[Actor, Depends(require(Capability.SAFETY_REVIEW))]
GroupMember = Annotated[Actor, Depends(require(Capability.GROUPS_JOIN))]
