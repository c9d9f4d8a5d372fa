"""Screening signals: pure functions over message text and messaging activity.

A signal is a flag for a person (a safeguarding officer) to look at, never a verdict;
the only automatic effect is withholding phone numbers from newcomers until released.
Rules have stable ids (``RULES``) and admins can switch any of them off: every function
takes the set of disabled ids (``None`` for the table's defaults).
"""

from moderation.signals.events import (
    ActivitySignal,
    ActivityThresholds,
    Clock,
    MessageEvent,
    screen_activity,
)
from moderation.signals.normalise import fold
from moderation.signals.rules import (
    RULES,
    RULES_BY_ID,
    Rule,
    RuleKind,
    Severity,
    UnknownRuleError,
    default_disabled_rule_ids,
    disabled_rule_ids,
)
from moderation.signals.text import (
    Evidence,
    TextSignal,
    asks_for_contact,
    find_phone_numbers,
    guess_language,
    screen_message,
)
from moderation.signals.withhold import (
    WithheldPart,
    Withholding,
    release_withheld,
    withhold_phone_numbers,
)

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "ActivitySignal",
    "ActivityThresholds",
    "Clock",
    "Evidence",
    "MessageEvent",
    "Rule",
    "RuleKind",
    "Severity",
    "TextSignal",
    "UnknownRuleError",
    "WithheldPart",
    "Withholding",
    "asks_for_contact",
    "default_disabled_rule_ids",
    "disabled_rule_ids",
    "find_phone_numbers",
    "fold",
    "guess_language",
    "release_withheld",
    "screen_activity",
    "screen_message",
    "withhold_phone_numbers",
]
