import uuid
from datetime import timedelta

from fastapi import APIRouter, status

from backend.auth.dependencies import SelfActor
from backend.core.dependencies import AppSettings, DbSession
from backend.core.errors import NotFound
from backend.core.jsonbody import StrictJSONRoute
from backend.identity import service as identity_service
from backend.identity.dependencies import Unsealer, VaultDep
from backend.identity.models import UnsealRequest, UnsealStatus
from backend.identity.schemas import (
    DecisionIn,
    IdentityFields,
    IdentityPublic,
    MyUnsealingPublic,
    ReviewIn,
    UnsealRequestIn,
    UnsealRequestPublic,
)

router = APIRouter(prefix="/identity", tags=["identity"], route_class=StrictJSONRoute)


def _public(
    request: UnsealRequest, names: dict[uuid.UUID, str], window: timedelta
) -> UnsealRequestPublic:
    def name(account_id: uuid.UUID | None) -> str | None:
        return names.get(account_id, "erased member") if account_id else None

    return UnsealRequestPublic(
        id=request.id,
        account_id=request.account_id,
        account_pseudonym=name(request.account_id) or "",
        requested_by=name(request.requested_by) or "",
        reason=request.reason,
        status=request.status,
        created_at=request.created_at,
        decided_by=name(request.decided_by),
        decided_at=request.decided_at,
        decision_note=request.decision_note,
        needs_review=request.status == UnsealStatus.EMERGENCY and request.reviewed_at is None,
        reviewed_by=name(request.reviewed_by),
        reviewed_at=request.reviewed_at,
        review_note=request.review_note,
        open_until=identity_service.open_until(request, window),
        open_count=request.open_count,
    )


def _window(settings: AppSettings) -> timedelta:
    return timedelta(hours=settings.unseal_window_hours)


async def _with_names(
    session: DbSession, request: UnsealRequest, settings: AppSettings
) -> UnsealRequestPublic:
    ids = {request.account_id, request.requested_by, request.decided_by, request.reviewed_by}
    names = await identity_service.pseudonyms_of(session, {i for i in ids if i})
    return _public(request, names, _window(settings))


@router.get("/me", response_model=IdentityPublic)
async def my_identity(actor: SelfActor, session: DbSession, vault: VaultDep) -> IdentityPublic:
    """Your own sealed identity, if you stored one."""
    found = await identity_service.read_own_identity(session, vault, actor.account.id)
    if found is None:
        raise NotFound("You have not stored any identity details.")
    fields, updated_at = found
    return IdentityPublic(
        account_id=actor.account.id, fields=IdentityFields(**fields), updated_at=updated_at
    )


@router.put("/me", response_model=IdentityPublic)
async def seal_my_identity(
    body: IdentityFields, actor: SelfActor, session: DbSession, vault: VaultDep
) -> IdentityPublic:
    """Store your identity details sealed: nobody reads them without two officers agreeing."""
    row = await identity_service.seal_identity(
        session, vault, account_id=actor.account.id, fields=body.model_dump(mode="json")
    )
    return IdentityPublic(account_id=actor.account.id, fields=body, updated_at=row.updated_at)


@router.get("/me/unsealings", response_model=list[MyUnsealingPublic])
async def my_unsealings(actor: SelfActor, session: DbSession) -> list[MyUnsealingPublic]:
    """Who opened your identity, when, and why."""
    requests, names = await identity_service.list_unsealings_of(session, actor.account.id)
    disclosures, readers = await identity_service.list_disclosures_of(session, actor.account.id)
    readings = [
        MyUnsealingPublic(
            id=d.id,
            opened_by=readers.get(d.read_by, "erased member"),
            approved_by=None,
            reason=d.reason,
            emergency=False,
            requested_at=d.read_at,
            open_count=1,
            last_opened_at=d.read_at,
            kind=d.purpose,
        )
        for d in disclosures
    ]
    unsealings = [
        MyUnsealingPublic(
            id=r.id,
            opened_by=names.get(r.requested_by, "erased member"),
            approved_by=names.get(r.decided_by) if r.decided_by else None,
            reason=r.reason,
            emergency=r.status == UnsealStatus.EMERGENCY,
            requested_at=r.created_at,
            open_count=r.open_count,
            last_opened_at=r.last_opened_at,
        )
        for r in requests
    ]
    return sorted([*unsealings, *readings], key=lambda u: u.requested_at, reverse=True)


@router.post(
    "/unseal-requests", status_code=status.HTTP_201_CREATED, response_model=UnsealRequestPublic
)
async def request_unseal(
    body: UnsealRequestIn, actor: Unsealer, session: DbSession, settings: AppSettings
) -> UnsealRequestPublic:
    request = await identity_service.request_unseal(
        session,
        officer_id=actor.account.id,
        account_id=body.account_id,
        reason=body.reason,
        emergency=body.emergency,
    )
    return await _with_names(session, request, settings)


@router.get("/unseal-requests", response_model=list[UnsealRequestPublic])
async def list_unseal_requests(
    _actor: Unsealer,
    session: DbSession,
    settings: AppSettings,
    status: UnsealStatus | None = None,
    needs_review: bool = False,
) -> list[UnsealRequestPublic]:
    requests, names = await identity_service.list_unseal_requests(
        session, status=status, needs_review=needs_review
    )
    return [_public(r, names, _window(settings)) for r in requests]


@router.post("/unseal-requests/{request_id}/approve", response_model=UnsealRequestPublic)
async def approve_unseal(
    request_id: uuid.UUID,
    body: DecisionIn,
    actor: Unsealer,
    session: DbSession,
    settings: AppSettings,
) -> UnsealRequestPublic:
    request = await identity_service.decide_unseal(
        session, officer_id=actor.account.id, request_id=request_id, approve=True, note=body.note
    )
    return await _with_names(session, request, settings)


@router.post("/unseal-requests/{request_id}/decline", response_model=UnsealRequestPublic)
async def decline_unseal(
    request_id: uuid.UUID,
    body: DecisionIn,
    actor: Unsealer,
    session: DbSession,
    settings: AppSettings,
) -> UnsealRequestPublic:
    request = await identity_service.decide_unseal(
        session, officer_id=actor.account.id, request_id=request_id, approve=False, note=body.note
    )
    return await _with_names(session, request, settings)


@router.post("/unseal-requests/{request_id}/review", response_model=UnsealRequestPublic)
async def review_unseal(
    request_id: uuid.UUID,
    body: ReviewIn,
    actor: Unsealer,
    session: DbSession,
    settings: AppSettings,
) -> UnsealRequestPublic:
    """A second officer reviews a break-glass opening after the fact."""
    request = await identity_service.review_emergency(
        session, officer_id=actor.account.id, request_id=request_id, note=body.note
    )
    return await _with_names(session, request, settings)


@router.post("/unseal-requests/{request_id}/open", response_model=IdentityPublic)
async def open_unsealed_identity(
    request_id: uuid.UUID,
    actor: Unsealer,
    session: DbSession,
    vault: VaultDep,
    settings: AppSettings,
) -> IdentityPublic:
    """The identity, for the officer who asked, once a second officer approved. Logged."""
    fields, updated_at, account_id = await identity_service.open_identity(
        session,
        vault,
        officer_id=actor.account.id,
        request_id=request_id,
        window=_window(settings),
    )
    return IdentityPublic(
        account_id=account_id, fields=IdentityFields(**fields), updated_at=updated_at
    )
