"""Loading the demo community: everyone, then each part in order."""

import random
from datetime import date, timedelta

from sqlmodel import select

from backend.auth import service as auth_service
from backend.auth.capabilities import Capability, Role, grants_from_roles
from backend.auth.models import Account
from backend.core.config import Settings
from backend.core.time import frozen_clock, utc_now
from backend.demo.cast import FAMILY, FOUNDERS, GIVEN, HARBOUR, OTHERS, Builder, describe
from backend.demo.peer_work import build_peer_work
from backend.demo.rooms import demo_notifications, demo_rooms
from backend.identity import service as identity_service
from backend.membership import referrals as referral_service
from backend.membership import status as status_service
from backend.membership import votes as vote_service
from backend.membership.approval import CloseContext
from backend.mentoring import service as mentoring_service
from backend.mentoring.models import MentorshipStatus
from backend.runtime import build_runtime


async def load_demo(
    settings: Settings, *, seed: int = 7, only_if_empty: bool = False
) -> list[tuple[str, str]]:
    rng = random.Random(seed)  # noqa: S311 - demo names, not secrets
    runtime = build_runtime(settings)
    try:
        async with runtime.db.session() as session:
            if only_if_empty and (await session.exec(select(Account).limit(1))).first():
                return []
            build = Builder(runtime, session, rng)
            # The founders have been active for two months: long enough to vote.
            with frozen_clock(utc_now() - timedelta(days=60)):
                for person in FOUNDERS:
                    await build.person(person)
            for person in OTHERS:
                await build.person(person)
            await build_steps(build)
            await build_peer_work(build)
            await demo_rooms(session, runtime, build.accounts, rng)
            build.notes["Vera"] = (
                "a confirmed infiltration: her case and trust graph are in the queue"
            )
            build.notes["Val"] = (
                "a second account of Vera's, registered from the same place: in her trust graph"
            )
            build.notes["Ivy"] = "restricted (read-only, hidden) while a report is reviewed"
            build.notes["Efe"] = "reported for spam: the report waits in the queue"
            build.notes["Dalia"] += "; a report about her was closed with no action"
            listing = []
            for person in (*FOUNDERS, *OTHERS):
                account_id = build.id(person.pseudonym)
                membership = await status_service.load_membership(session, account_id)
                grants = await auth_service.list_role_grants(session, account_id)
                held: list[tuple[Role, str | None]] = [
                    (
                        g.role,
                        next(
                            (n for n, i in build.organisations.items() if i == g.organisation_id),
                            None,
                        ),
                    )
                    for g in grants
                    if g.role not in (Role.MEMBER, Role.ACTIVE_MEMBER)
                ]
                listing.append(
                    (
                        person.pseudonym,
                        describe(
                            person.pseudonym,
                            membership.status,
                            held,
                            build.notes.get(person.pseudonym, ""),
                        ),
                    )
                )
            await demo_notifications(session, build.accounts)
            return listing
    finally:
        await runtime.close()


async def build_steps(build: Builder) -> None:
    session, runtime = build.session, build.runtime
    # Sealed identities for the peer worker (payroll) and one member, and a pending unsealing.
    for pseudonym in ("Joy", "Lina"):
        await identity_service.seal_identity(
            session,
            runtime.vault,
            account_id=build.id(pseudonym),
            fields={
                "legal_name": f"{build.rng.choice(GIVEN)} {build.rng.choice(FAMILY)}",
                "date_of_birth": date(
                    build.rng.randint(1970, 1999),
                    build.rng.randint(1, 12),
                    build.rng.randint(1, 28),
                ).isoformat(),
                "phone": None,
                "email": None,
                "address": None,
                "notes": "Demo data: not a real person.",
            },
        )
    await identity_service.request_unseal(
        session,
        officer_id=build.id("Noor"),
        account_id=build.id("Joy"),
        reason="Payroll for the Harbour Outreach contract needs her legal name.",
        emergency=False,
    )
    # A referral waiting to be used.
    claire_grants = grants_from_roles([(Role.COORDINATOR, build.organisations[HARBOUR])])
    assert claire_grants.can(Capability.MEMBERSHIP_REFER, build.organisations[HARBOUR])  # noqa: S101
    await referral_service.create_referral(
        session,
        vault=runtime.vault,
        secret=runtime.auth.secret,
        actor_id=build.id("Claire"),
        grants=claire_grants,
        organisation_id=build.organisations[HARBOUR],
        note="Met at the drop-in on Thursday; prefers French.",
    )
    build.notes["Claire"] = "has a referral waiting to be used"
    # Dalia: in interview. Esther: her vote is open with two ballots. Farah: approved.
    await build.application("Dalia", "Vera", report=False)
    build.notes["Dalia"] = "application in interview (Vera)"
    context = CloseContext(card_signer=runtime.card_signer)
    esther = await build.application("Esther", "Ioana", report=True)
    vote = await vote_service.open_vote(
        session, coordinator_id=build.id("Blessing"), application_id=esther, deadline=None
    )
    for voter in ("Amara", "Noor", "Vera"):
        await vote_service.cast_ballot(
            session,
            voter_id=build.id(voter),
            vote_id=vote.id,
            choice="yes",
            notes={},
            context=context,
        )
    build.notes["Esther"] = "her Roots vote is open: 3 of 5 ballots cast (one by Vera)"
    farah = await build.application("Farah", "Blessing", report=True)
    vote = await vote_service.open_vote(
        session, coordinator_id=build.id("Blessing"), application_id=farah, deadline=None
    )
    for voter in ("Amara", "Noor", "Ioana", "Blessing", "Vera"):
        await vote_service.cast_ballot(
            session,
            voter_id=build.id(voter),
            vote_id=vote.id,
            choice="yes",
            notes={},
            context=context,
        )
    for mentorship in await mentoring_service.mentorships_of(session, build.id("Farah")):
        if mentorship.status == MentorshipStatus.PROPOSED:
            await mentoring_service.confirm_mentorship(
                session,
                coordinator_id=build.id("Blessing"),
                mentorship_id=mentorship.id,
                mentor_id=None,
                reason=None,
            )
    build.notes["Farah"] = "approved: mentor confirmed, card issued"
    build.notes["Mira"] = "self-registered, unvouched"
