"""Restrictions: what each one takes away, and which decisions carry which restrictions.

Each effect is immediate and reversible; the backend maps effects to the capabilities they
remove and applies them on every request and every realtime frame.
"""

from collections.abc import Iterable
from enum import StrEnum


class Effect(StrEnum):
    # Reads rooms she is in, posts nothing.
    READ_ONLY = "read_only"
    # Left out of room member lists, the directory and typing indicators.
    HIDDEN = "hidden"
    # Direct and mentoring conversations frozen: no new ones, no posts in existing ones.
    DIRECT_MESSAGES_FROZEN = "direct_messages_frozen"
    # Reads no room at all while it lasts (her memberships come back when it is lifted).
    REMOVED_FROM_ROOMS = "removed_from_rooms"
    # Cannot refer, vouch, vote or interview.
    NO_TRUST_ACTIONS = "no_trust_actions"
    # Her active-member card is revoked (a new one is issued by hand after a lift).
    CARD_REVOKED = "card_revoked"
    # Signed in with her duress password: a harmless, empty view.
    DURESS = "duress"


# What an officer can set by hand; DURESS comes only from a login.
SETTABLE = frozenset(Effect) - {Effect.DURESS}

# The interim restriction an officer applies in one click while a case is examined.
INTERIM = frozenset({Effect.READ_ONLY, Effect.HIDDEN, Effect.DIRECT_MESSAGES_FROZEN})

# Everything that limits what a person can reach, short of taking her account away.
EVERYTHING = SETTABLE


def parse(text: str) -> frozenset[Effect]:
    """The effects stored as a space-separated list; unknown words are ignored."""
    known = {e.value for e in Effect}
    return frozenset(Effect(word) for word in text.split() if word in known)


def serialise(effects: Iterable[Effect]) -> str:
    return " ".join(sorted(e.value for e in effects))
