"""Choosing a mentor. Pure: the service gathers the candidates, this ranks them."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class MentorCandidate:
    account_id: uuid.UUID
    pseudonym: str
    languages: frozenset[str]
    city: str | None
    region: str | None
    capacity: int
    current_load: int
    available: bool


@dataclass(frozen=True)
class Mentee:
    account_id: uuid.UUID
    languages: frozenset[str]
    city: str | None
    region: str | None


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def choose_mentor(
    mentee: Mentee, candidates: list[MentorCandidate], excluded: set[uuid.UUID]
) -> MentorCandidate | None:
    """The best mentor, or None when nobody fits.

    Must: available, below capacity, shares a language, not the mentee, not excluded
    (blocks either way, reports, a mentor she asked to change). Then prefer the same city,
    then the same region, then the lightest current load; ties go to the pseudonym first
    in alphabetical order so the choice is reproducible.
    """
    fitting = [
        c
        for c in candidates
        if c.available
        and c.current_load < c.capacity
        and c.languages & mentee.languages
        and c.account_id != mentee.account_id
        and c.account_id not in excluded
    ]
    if not fitting:
        return None

    def rank(c: MentorCandidate) -> tuple[int, int, str]:
        place = 0 if _same(c.city, mentee.city) else 1 if _same(c.region, mentee.region) else 2
        return (place, c.current_load, c.pseudonym.casefold())

    return min(fitting, key=rank)


def parse_languages(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
