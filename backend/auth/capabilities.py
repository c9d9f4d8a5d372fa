"""Roles and the capabilities they carry: the one place this mapping lives.

An account holds roles; code asks for capabilities. There is no "is admin" shortcut: an
admin who needs to unseal an identity needs the safeguarding role too.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from moderation.restrictions import Effect


class Role(StrEnum):
    MEMBER = "member"
    ACTIVE_MEMBER = "active_member"
    MENTOR = "mentor"
    FACILITATOR = "facilitator"
    PEER_WORKER = "peer_worker"
    COORDINATOR = "coordinator"
    PROFESSIONAL = "professional"
    # Reads a peer worker's legal identity for payroll, with a stated reason, logged.
    PAYROLL = "payroll"
    SAFEGUARDING = "safeguarding"
    ROOTS_COORDINATOR = "roots_coordinator"
    ADMIN = "admin"


class Capability(StrEnum):
    ACCOUNT_SELF = "account:self"
    ORGANISATIONS_READ = "organisations:read"
    ORGANISATIONS_MANAGE = "organisations:manage"
    ROLES_MANAGE = "roles:manage"
    AUDIT_READ = "audit:read"
    ROOMS_PARTICIPATE = "rooms:participate"
    ROOMS_FACILITATE = "rooms:facilitate"
    ROOMS_MODERATE = "rooms:moderate"
    REPORTS_FILE = "reports:file"
    MEMBERSHIP_APPLY = "membership:apply"
    MEMBERSHIP_VOTE = "membership:vote"
    MEMBERSHIP_INTERVIEW = "membership:interview"
    MEMBERSHIP_REFER = "membership:refer"
    # Says she has met a self-registered newcomer: without it she never becomes a member.
    MEMBERSHIP_VOUCH = "membership:vouch"
    MEMBERSHIP_COORDINATE = "membership:coordinate"
    MEMBERSHIP_READ = "membership:read"
    GROUPS_JOIN = "groups:join"
    MENTORING_MENTOR = "mentoring:mentor"
    PEERWORK_WORK = "peerwork:work"
    PEERWORK_SCHEDULE = "peerwork:schedule"
    PEERWORK_ONBOARD = "peerwork:onboard"
    PEERWORK_PAIR = "peerwork:pair"
    PEERWORK_PAYROLL = "peerwork:payroll"
    SAFETY_REVIEW = "safety:review"
    IDENTITY_UNSEAL = "identity:unseal"
    AGREEMENTS_MANAGE = "agreements:manage"
    SETTINGS_MANAGE = "settings:manage"


# A refused attempt at one of these is audit-logged and counted (backend/core/denials.py):
# they open sealed identities (unsealing, payroll's reading of a legal name), read the log
# of everything, hand out power (roles), or decide about a person (safeguarding's
# restrictions, decisions and status changes). Settings, organisations, agreements and the
# Roots' work are left out: refusals there reveal no one and decide nothing about anyone,
# and members meet them by following an ordinary link.
PRIVILEGED_CAPABILITIES = frozenset(
    {
        Capability.IDENTITY_UNSEAL,
        Capability.PEERWORK_PAYROLL,
        Capability.AUDIT_READ,
        Capability.ROLES_MANAGE,
        Capability.SAFETY_REVIEW,
    }
)

# Every signed-in account, newcomers included.
# Everyone can report: a newcomer harassed in her first conversation most of all.
BASE_CAPABILITIES = frozenset({Capability.ACCOUNT_SELF, Capability.REPORTS_FILE})

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.MEMBER: frozenset(
        {
            Capability.ORGANISATIONS_READ,
            Capability.ROOMS_PARTICIPATE,
            Capability.REPORTS_FILE,
            Capability.MEMBERSHIP_APPLY,
        }
    ),
    Role.ACTIVE_MEMBER: frozenset(
        {
            Capability.ORGANISATIONS_READ,
            Capability.ROOMS_PARTICIPATE,
            Capability.REPORTS_FILE,
            Capability.MEMBERSHIP_VOTE,
            Capability.MEMBERSHIP_INTERVIEW,
            Capability.MEMBERSHIP_REFER,
            Capability.MEMBERSHIP_VOUCH,
            Capability.MEMBERSHIP_READ,
            Capability.GROUPS_JOIN,
        }
    ),
    Role.ROOTS_COORDINATOR: frozenset(
        {Capability.MEMBERSHIP_COORDINATE, Capability.MEMBERSHIP_READ}
    ),
    Role.MENTOR: frozenset({Capability.MENTORING_MENTOR}),
    Role.FACILITATOR: frozenset(
        {
            Capability.ROOMS_PARTICIPATE,
            Capability.ROOMS_FACILITATE,
            Capability.ROOMS_MODERATE,
            Capability.MEMBERSHIP_VOUCH,
        }
    ),
    Role.PEER_WORKER: frozenset({Capability.PEERWORK_WORK}),
    Role.COORDINATOR: frozenset(
        {
            Capability.ORGANISATIONS_READ,
            Capability.PEERWORK_SCHEDULE,
            Capability.PEERWORK_ONBOARD,
            Capability.MEMBERSHIP_REFER,
        }
    ),
    Role.PROFESSIONAL: frozenset({Capability.ORGANISATIONS_READ, Capability.PEERWORK_PAIR}),
    Role.PAYROLL: frozenset({Capability.ORGANISATIONS_READ, Capability.PEERWORK_PAYROLL}),
    Role.SAFEGUARDING: frozenset(
        {
            Capability.SAFETY_REVIEW,
            Capability.IDENTITY_UNSEAL,
            Capability.AUDIT_READ,
            Capability.ROOMS_MODERATE,
            Capability.MEMBERSHIP_READ,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Capability.ORGANISATIONS_READ,
            Capability.ORGANISATIONS_MANAGE,
            Capability.ROLES_MANAGE,
            Capability.AUDIT_READ,
            Capability.AGREEMENTS_MANAGE,
            Capability.SETTINGS_MANAGE,
        }
    ),
}

# These roles are held within one organisation; their capabilities apply to it alone.
ORGANISATION_ROLES = frozenset(
    {Role.PEER_WORKER, Role.COORDINATOR, Role.PROFESSIONAL, Role.PAYROLL}
)


@dataclass(frozen=True)
class Grants:
    """What one account may do, as computed from its role grants."""

    roles: frozenset[Role]
    capabilities: frozenset[Capability]
    organisation_capabilities: dict[UUID, frozenset[Capability]] = field(default_factory=dict)
    # Restrictions in force; those that take capabilities away already did so above.
    restrictions: frozenset[Effect] = frozenset()

    def restricted(self, effect: Effect) -> bool:
        return effect in self.restrictions

    def can(self, capability: Capability, organisation_id: UUID | None = None) -> bool:
        if organisation_id is None:
            return capability in self.capabilities or any(
                capability in caps for caps in self.organisation_capabilities.values()
            )
        return capability in self.organisation_capabilities.get(organisation_id, frozenset())


_ROOM_CAPABILITIES = frozenset(
    {
        Capability.ROOMS_PARTICIPATE,
        Capability.ROOMS_FACILITATE,
        Capability.ROOMS_MODERATE,
        Capability.GROUPS_JOIN,
    }
)
_TRUST_CAPABILITIES = frozenset(
    {
        Capability.MEMBERSHIP_VOTE,
        Capability.MEMBERSHIP_INTERVIEW,
        Capability.MEMBERSHIP_REFER,
        Capability.MEMBERSHIP_VOUCH,
        Capability.MENTORING_MENTOR,
    }
)
# What each restriction takes away. Read-only, hidden and frozen direct messages keep the
# capabilities and are checked by the rules that need them (posting, listing, opening).
RESTRICTION_REMOVES: dict[Effect, frozenset[Capability]] = {
    Effect.READ_ONLY: frozenset(),
    Effect.HIDDEN: frozenset(),
    Effect.DIRECT_MESSAGES_FROZEN: frozenset(),
    Effect.REMOVED_FROM_ROOMS: _ROOM_CAPABILITIES,
    Effect.NO_TRUST_ACTIONS: _TRUST_CAPABILITIES,
    Effect.CARD_REVOKED: frozenset(),
    Effect.DURESS: frozenset(Capability) - BASE_CAPABILITIES,
}


def grants_from_roles(
    held: list[tuple[Role, UUID | None]], restrictions: frozenset[Effect] = frozenset()
) -> Grants:
    capabilities: set[Capability] = set(BASE_CAPABILITIES)
    per_org: dict[UUID, set[Capability]] = {}
    for role, organisation_id in held:
        if role in ORGANISATION_ROLES and organisation_id is not None:
            per_org.setdefault(organisation_id, set()).update(ROLE_CAPABILITIES[role])
        else:
            capabilities.update(ROLE_CAPABILITIES[role])
    removed: set[Capability] = set()
    for effect in restrictions:
        removed |= RESTRICTION_REMOVES[effect]
    return Grants(
        roles=frozenset(role for role, _ in held),
        capabilities=frozenset(capabilities - removed),
        organisation_capabilities={k: frozenset(v - removed) for k, v in per_org.items()},
        restrictions=restrictions,
    )
