"""The table of screening rules: stable ids that admins can switch off."""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How soon a human should look at a signal."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RuleKind(StrEnum):
    """What a rule looks at: one message's text, a sender's activity, or a withholding."""

    TEXT = "text"
    ACTIVITY = "activity"
    WITHHOLD = "withhold"


@dataclass(frozen=True, slots=True)
class Rule:
    """One screening rule. ``id`` is stable: settings and stored flags refer to it."""

    id: str
    kind: RuleKind
    severity: Severity
    description: str
    default_enabled: bool = True


PHONE_REQUEST = "contact.phone_request"
APP_HANDLE_REQUEST = "contact.app_handle_request"
APP_LINK = "contact.app_link"
PHONE_NUMBER = "contact.phone_number"
EMAIL_ADDRESS = "contact.email_address"
HANDLE_SHARED = "contact.handle_shared"
STREET_ADDRESS = "location.street_address"
LOCATION_REQUEST = "location.home_or_work_request"
JOB_OFFER = "offer.job"
TRAVEL_OFFER = "offer.travel"
DOCUMENTS_OFFER = "offer.documents"
MONEY_OFFER = "offer.money"
NEWCOMER_FANOUT = "activity.newcomer_fanout"
NEW_ACCOUNT_CONTACT_SWEEP = "activity.new_account_contact_sweep"
WITHHOLD_PHONE_NUMBER = "withhold.phone_number_to_newcomers"

RULES: tuple[Rule, ...] = (
    Rule(
        PHONE_REQUEST,
        RuleKind.TEXT,
        Severity.MEDIUM,
        "Asks the reader for her phone number.",
    ),
    Rule(
        APP_HANDLE_REQUEST,
        RuleKind.TEXT,
        Severity.MEDIUM,
        "Asks the reader for a messaging-app handle or to move the talk to another app"
        " (WhatsApp, Telegram, Signal, Snapchat, Instagram, Messenger, Viber...).",
    ),
    Rule(
        APP_LINK,
        RuleKind.TEXT,
        Severity.HIGH,
        "Contains a link that opens a chat or group in a messaging app"
        " (wa.me, t.me, signal.me...).",
    ),
    Rule(
        PHONE_NUMBER,
        RuleKind.TEXT,
        Severity.MEDIUM,
        "Contains a phone number.",
    ),
    Rule(
        EMAIL_ADDRESS,
        RuleKind.TEXT,
        Severity.MEDIUM,
        "Contains an e-mail address.",
    ),
    Rule(
        HANDLE_SHARED,
        RuleKind.TEXT,
        Severity.LOW,
        "Contains an @handle. Off by default: members also write @name to address each other.",
        default_enabled=False,
    ),
    Rule(
        STREET_ADDRESS,
        RuleKind.TEXT,
        Severity.MEDIUM,
        "Contains a street address (number and street).",
    ),
    Rule(
        LOCATION_REQUEST,
        RuleKind.TEXT,
        Severity.HIGH,
        "Asks where the reader lives, stays, sleeps or works, or for her address.",
    ),
    Rule(
        JOB_OFFER,
        RuleKind.TEXT,
        Severity.HIGH,
        "Offers a job or recruits ('work for you', 'hiring girls', 'well paid, no papers').",
    ),
    Rule(
        TRAVEL_OFFER,
        RuleKind.TEXT,
        Severity.HIGH,
        "Offers to pay for or arrange travel, tickets or lodging.",
    ),
    Rule(
        DOCUMENTS_OFFER,
        RuleKind.TEXT,
        Severity.HIGH,
        "Offers to obtain papers, a passport, a visa or a permit.",
    ),
    Rule(
        MONEY_OFFER,
        RuleKind.TEXT,
        Severity.HIGH,
        "Offers money, a loan or 'easy money', or asks to be paid back later.",
    ),
    Rule(
        NEWCOMER_FANOUT,
        RuleKind.ACTIVITY,
        Severity.HIGH,
        "One account writes privately to many newcomers within a short window.",
    ),
    Rule(
        NEW_ACCOUNT_CONTACT_SWEEP,
        RuleKind.ACTIVITY,
        Severity.HIGH,
        "A new account asks several people for contact details within a short window.",
    ),
    Rule(
        WITHHOLD_PHONE_NUMBER,
        RuleKind.WITHHOLD,
        Severity.MEDIUM,
        "Holds back phone numbers in messages to rooms with newcomers until a moderator"
        " releases them.",
    ),
)

RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in RULES}

# The rules whose hits count as "asking for (or handing out) contact details".
CONTACT_RULE_IDS: frozenset[str] = frozenset(
    {PHONE_REQUEST, APP_HANDLE_REQUEST, APP_LINK, PHONE_NUMBER, EMAIL_ADDRESS}
)


class UnknownRuleError(ValueError):
    """A rule id that is not in the table (a typo in a setting, or a removed rule)."""


def check_rule_ids(rule_ids: Iterable[str]) -> frozenset[str]:
    """Return ``rule_ids`` as a frozenset, raising ``UnknownRuleError`` for an unknown id."""
    ids = frozenset(rule_ids)
    unknown = sorted(ids - RULES_BY_ID.keys())
    if unknown:
        raise UnknownRuleError(f"unknown screening rule: {', '.join(unknown)}")
    return ids


def default_disabled_rule_ids() -> frozenset[str]:
    """The rules that are off until an admin switches them on."""
    return frozenset(rule.id for rule in RULES if not rule.default_enabled)


def disabled_rule_ids(overrides: Mapping[str, bool]) -> frozenset[str]:
    """The disabled set from an admin's choices (rule id -> enabled) over the defaults."""
    check_rule_ids(overrides)
    return frozenset(rule.id for rule in RULES if not overrides.get(rule.id, rule.default_enabled))


def resolve_disabled(disabled: Collection[str] | None) -> frozenset[str]:
    """``None`` means the defaults; otherwise the given ids, checked."""
    if disabled is None:
        return default_disabled_rule_ids()
    return check_rule_ids(disabled)
