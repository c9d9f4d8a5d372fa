"""The admin's organisations, role grants, message retention and screening rules, as
pages: the API's services behind the API's own capability dependencies
(organisations:manage, roles:manage, settings:manage)."""

import uuid
from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from backend.auth import service as auth_service
from backend.auth.capabilities import ORGANISATION_ROLES, Role
from backend.auth.dependencies import Actor, RoleManager
from backend.auth.models import Account
from backend.auth.schemas import RoleGrantIn
from backend.core.dependencies import DbSession
from backend.core.errors import InvalidInput, NotFound
from backend.membership.dependencies import SettingsEditor
from backend.organisation import service as organisation_service
from backend.organisation.dependencies import OrganisationManager
from backend.organisation.models import OrganisationKind
from backend.organisation.schemas import OrganisationCreate
from backend.privacy import service as privacy_service
from backend.privacy.schemas import MAX_RETENTION_DAYS, RetentionIn
from backend.room.models import RoomKind
from backend.safeguarding import screening
from backend.safeguarding.schemas import SignalRuleIn
from backend.web.dependencies import FormData
from backend.web.forms import submit, validated
from backend.web.render import N_, page, see_other
from moderation import signals

router = APIRouter(include_in_schema=False)

ORGANISATION_KINDS = {
    OrganisationKind.REFERRING_CHARITY: N_("Refers people to the community"),
    OrganisationKind.EMPLOYER: N_("Employs peer workers"),
    OrganisationKind.BOTH: N_("Both"),
}
ROLE_WORDS = {
    Role.MEMBER: N_("Member"),
    Role.ACTIVE_MEMBER: N_("Active member"),
    Role.MENTOR: N_("Mentor"),
    Role.FACILITATOR: N_("Facilitator"),
    Role.PEER_WORKER: N_("Peer worker"),
    Role.COORDINATOR: N_("Coordinator"),
    Role.PROFESSIONAL: N_("Professional"),
    Role.PAYROLL: N_("Payroll"),
    Role.SAFEGUARDING: N_("Safeguarding officer"),
    Role.ROOTS_COORDINATOR: N_("Roots coordinator"),
    Role.ADMIN: N_("Admin"),
}


async def _organisations_page(
    request: Request, actor: Actor, session: DbSession, **extra: Any
) -> Response:
    return page(
        request,
        "organisations.html",
        actor=actor,
        title=N_("Organisations"),
        organisations=await organisation_service.list_organisations(session, include_archived=True),
        kinds=ORGANISATION_KINDS,
        **extra,
    )


@router.get("/admin/organisations", response_class=HTMLResponse)
async def organisations(
    request: Request, actor: OrganisationManager, session: DbSession
) -> Response:
    return await _organisations_page(request, actor, session)


@router.post("/admin/organisations")
async def create_organisation(
    request: Request, actor: OrganisationManager, session: DbSession, form: FormData
) -> Response:
    async def create() -> Response:
        body = validated(OrganisationCreate, name=form.get("name"), kind=form.get("kind") or None)
        await organisation_service.create_organisation(
            session, actor_id=actor.account.id, name=body.name, kind=body.kind
        )
        return see_other("/admin/organisations?saved=1")

    return await submit(
        session,
        create,
        partial(_organisations_page, request, actor, session, values=dict(form.pairs)),
    )


async def _pseudonym(session: DbSession, account_id: uuid.UUID) -> str:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return account.pseudonym


async def _roles_page(
    request: Request, actor: Actor, session: DbSession, pseudonym: str, **extra: Any
) -> Response:
    account = None
    grants: list[Any] = []
    if pseudonym:
        account = await auth_service.get_account_by_pseudonym(session, pseudonym)
        if account is not None:
            grants = await auth_service.list_role_grants(session, account.id)
    orgs = await organisation_service.list_organisations(session)
    return page(
        request,
        "roles.html",
        actor=actor,
        title=N_("Roles"),
        pseudonym=pseudonym,
        account=account,
        grants=grants,
        organisations=orgs,
        org_names={o.id: o.name for o in orgs},
        roles=ROLE_WORDS,
        organisation_roles=sorted(ORGANISATION_ROLES),
        **extra,
    )


@router.get("/admin/roles", response_class=HTMLResponse)
async def roles(
    request: Request, actor: RoleManager, session: DbSession, pseudonym: str = ""
) -> Response:
    """Find a person by pseudonym, then her roles: grant one, or take one back."""
    return await _roles_page(request, actor, session, pseudonym.strip())


@router.post("/admin/roles/{account_id}")
async def grant_role(
    request: Request, account_id: uuid.UUID, actor: RoleManager, session: DbSession, form: FormData
) -> Response:
    pseudonym = await _pseudonym(session, account_id)

    async def grant() -> Response:
        body = validated(
            RoleGrantIn,
            role=form.get("role") or None,
            organisation_id=form.get("organisation_id") or None,
        )
        await auth_service.grant_role(
            session,
            actor_id=actor.account.id,
            account_id=account_id,
            role=body.role,
            organisation_id=body.organisation_id,
        )
        return see_other(
            f"/admin/roles?pseudonym={quote(await _pseudonym(session, account_id))}&saved=1"
        )

    return await submit(session, grant, partial(_roles_page, request, actor, session, pseudonym))


@router.post("/admin/roles/{account_id}/{grant_id}/revoke")
async def revoke_role(
    account_id: uuid.UUID,
    grant_id: uuid.UUID,
    actor: RoleManager,
    session: DbSession,
    _form: FormData,
) -> Response:
    await auth_service.revoke_role(
        session, actor_id=actor.account.id, account_id=account_id, grant_id=grant_id
    )
    return see_other(
        f"/admin/roles?pseudonym={quote(await _pseudonym(session, account_id))}&saved=1"
    )


# ---------------------------------------------------------------- message retention

ROOM_KIND_WORDS = {
    RoomKind.SUPPORT_GROUP: N_("Support groups"),
    RoomKind.WORKING_GROUP: N_("Working groups"),
    RoomKind.MENTORING: N_("Mentoring conversations"),
    RoomKind.ACTIVE_MEMBERS: N_("The active members' room"),
    RoomKind.ANNOUNCEMENTS: N_("Announcements"),
    RoomKind.DIRECT: N_("Private conversations"),
    RoomKind.WELCOME: N_("The welcome room"),
    RoomKind.WELCOME_CHAT: N_("Welcome conversations with newcomers"),
}
DAYS_MESSAGE = N_("Give a number of days from 1 to 3650, or leave it empty to keep them.")


async def _retention_page(
    request: Request, actor: Actor, session: DbSession, **extra: Any
) -> Response:
    return page(
        request,
        "retention.html",
        actor=actor,
        title=N_("Message retention"),
        rows=await privacy_service.list_retention(session),
        kinds=ROOM_KIND_WORDS,
        max_days=MAX_RETENTION_DAYS,
        **{"values": {}, **extra},
    )


@router.get("/admin/retention", response_class=HTMLResponse)
async def retention(request: Request, actor: SettingsEditor, session: DbSession) -> Response:
    """How long messages are kept, per room kind (empty: kept)."""
    return await _retention_page(request, actor, session)


@router.post("/admin/retention/{room_kind}")
async def set_retention(
    request: Request,
    room_kind: RoomKind,
    actor: SettingsEditor,
    session: DbSession,
    form: FormData,
) -> Response:
    field = f"days-{room_kind}"

    async def save() -> Response:
        try:
            body = validated(RetentionIn, days=form.text("days") or None)
        except InvalidInput as exc:
            # One form per room kind on the page: the message goes next to this one's field.
            raise InvalidInput(exc.message, fields={field: DAYS_MESSAGE}) from exc
        await privacy_service.set_retention(
            session, actor_id=actor.account.id, room_kind=room_kind, days=body.days
        )
        return see_other(f"/admin/retention?saved=1#kind-{room_kind}")

    return await submit(
        session,
        save,
        partial(_retention_page, request, actor, session, values={field: form.get("days")}),
    )


# ---------------------------------------------------------------- screening rules

# The rules' descriptions, for the catalogs: the same English as moderation/signals/rules.py
# (a test checks they match); a rule missing here is shown with its own description.
RULE_WORDS = {
    "contact.phone_request": N_("Asks the reader for her phone number."),
    "contact.app_handle_request": N_(
        "Asks the reader for a messaging-app handle or to move the talk to another app"
        " (WhatsApp, Telegram, Signal, Snapchat, Instagram, Messenger, Viber...)."
    ),
    "contact.app_link": N_(
        "Contains a link that opens a chat or group in a messaging app (wa.me, t.me, signal.me...)."
    ),
    "contact.phone_number": N_("Contains a phone number."),
    "contact.email_address": N_("Contains an e-mail address."),
    "contact.handle_shared": N_(
        "Contains an @handle. Off by default: members also write @name to address each other."
    ),
    "location.street_address": N_("Contains a street address (number and street)."),
    "location.home_or_work_request": N_(
        "Asks where the reader lives, stays, sleeps or works, or for her address."
    ),
    "offer.job": N_(
        "Offers a job or recruits ('work for you', 'hiring girls', 'well paid, no papers')."
    ),
    "offer.travel": N_("Offers to pay for or arrange travel, tickets or lodging."),
    "offer.documents": N_("Offers to obtain papers, a passport, a visa or a permit."),
    "offer.money": N_("Offers money, a loan or 'easy money', or asks to be paid back later."),
    "activity.newcomer_fanout": N_(
        "One account writes privately to many newcomers within a short window."
    ),
    "activity.new_account_contact_sweep": N_(
        "A new account asks several people for contact details within a short window."
    ),
    "withhold.phone_number_to_newcomers": N_(
        "Holds back phone numbers in messages to rooms with newcomers until a moderator"
        " releases them."
    ),
}
RULE_KIND_WORDS = {
    signals.RuleKind.TEXT: N_("Looks at a message's text"),
    signals.RuleKind.ACTIVITY: N_("Looks at an account's activity"),
    signals.RuleKind.WITHHOLD: N_("Holds text back"),
}
SEVERITY_WORDS = {
    signals.Severity.LOW: N_("Low urgency"),
    signals.Severity.MEDIUM: N_("Medium urgency"),
    signals.Severity.HIGH: N_("High urgency"),
}


@router.get("/admin/screening", response_class=HTMLResponse)
async def screening_rules(request: Request, actor: SettingsEditor, session: DbSession) -> Response:
    """The screening rules, what each looks for, and whether it is on."""
    disabled = await screening.disabled_rules(session)
    return page(
        request,
        "screening.html",
        actor=actor,
        title=N_("Screening rules"),
        rules=[(rule, rule.id not in disabled) for rule in signals.RULES],
        descriptions=RULE_WORDS,
        rule_kinds=RULE_KIND_WORDS,
        severities=SEVERITY_WORDS,
    )


@router.post("/admin/screening/{rule_id}")
async def switch_screening_rule(
    rule_id: str, actor: SettingsEditor, session: DbSession, form: FormData
) -> Response:
    body = validated(SignalRuleIn, enabled=form.get("enabled") or None)
    await screening.set_rule(
        session, admin_id=actor.account.id, rule_id=rule_id, enabled=body.enabled
    )
    return see_other(f"/admin/screening?saved=1#rule-{quote(rule_id)}")
