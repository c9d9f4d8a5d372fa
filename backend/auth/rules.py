"""Pure rules for pseudonyms and passwords. No I/O."""

import re
import unicodedata
import zoneinfo
from datetime import datetime, timedelta
from functools import cache, lru_cache
from importlib import resources

PSEUDONYM_MIN = 3
PSEUDONYM_MAX = 32
PASSWORD_MIN = 10
# Long enough for any passphrase, short enough that hashing it is not a denial of service.
PASSWORD_MAX = 256

_ALLOWED_PUNCTUATION = frozenset(" _-.'")
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|[^@\s]+\s*(@|\(at\)|\[at\])\s*[^@\s]+")
_PHONE_CHARS = re.compile(r"[\d\s\-+().]+")


class RuleViolation(ValueError):
    """A value a person typed breaks a rule; the message is written for her."""


def normalise_pseudonym(raw: str) -> str:
    """The pseudonym as shown: NFKC, surrounding spaces trimmed, inner runs of spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def pseudonym_key(pseudonym: str) -> str:
    """The form two pseudonyms are compared in: "Amara", "AMARA" and a full-width "Amara"
    are the same."""
    return unicodedata.normalize("NFKC", normalise_pseudonym(pseudonym).casefold())


def _looks_like_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    if digits >= 7 and _PHONE_CHARS.fullmatch(value):
        return True
    # Digits spread through letters still carry a number: "call 06 12 34 56 78".
    return digits >= 8


def check_pseudonym(raw: str) -> str:
    """Return the normalised pseudonym or raise RuleViolation saying what to change."""
    pseudonym = normalise_pseudonym(raw)
    if len(pseudonym) < PSEUDONYM_MIN or len(pseudonym) > PSEUDONYM_MAX:
        raise RuleViolation(
            f"A pseudonym has {PSEUDONYM_MIN} to {PSEUDONYM_MAX} characters "
            f"(this one has {len(pseudonym)})."
        )
    if _EMAIL_LIKE.search(pseudonym) or "@" in pseudonym:
        raise RuleViolation("A pseudonym must not look like an e-mail address: pick a name.")
    if _looks_like_phone(pseudonym):
        raise RuleViolation("A pseudonym must not look like a phone number: pick a name.")
    for ch in pseudonym:
        category = unicodedata.category(ch)
        if not (category[0] in "LNM" or ch in _ALLOWED_PUNCTUATION):
            raise RuleViolation(
                "A pseudonym uses letters, digits, spaces and . _ - ' only "
                f"({ch!r} is not accepted)."
            )
    if not any(unicodedata.category(ch)[0] == "L" for ch in pseudonym):
        raise RuleViolation("A pseudonym needs at least one letter.")
    return pseudonym


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("backend.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _is_trivial(password: str) -> bool:
    if len(set(password)) <= 2:
        return True
    lowered = password.casefold()
    for run in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm"):
        if lowered in run or lowered in run[::-1]:
            return True
    return False


def check_password(password: str, *, pseudonym: str | None = None) -> None:
    """Length and a list of common passwords; no composition rules (NIST SP 800-63B)."""
    if len(password) < PASSWORD_MIN:
        raise RuleViolation(f"A password has at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise RuleViolation(f"A password has at most {PASSWORD_MAX} characters.")
    if password.casefold() in common_passwords() or _is_trivial(password):
        raise RuleViolation(
            "This password is one of the most common ones and easy to guess. "
            "A few unrelated words make a strong password."
        )
    if pseudonym and pseudonym_key(pseudonym) in pseudonym_key(password):
        raise RuleViolation("A password must not contain your pseudonym.")


def is_time_zone(name: str) -> bool:
    """True for an IANA zone name this machine knows ("Europe/Bucharest", "UTC")."""
    return name in _known_time_zones()


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def is_session_live(
    revoked_at: datetime | None,
    expires_at: datetime,
    last_seen_at: datetime,
    *,
    idle_minutes: int,
    now: datetime,
) -> bool:
    """Not revoked, before its absolute expiry, and seen within the idle limit."""
    idle_limit = last_seen_at + timedelta(minutes=idle_minutes)
    return revoked_at is None and now < expires_at and now < idle_limit
