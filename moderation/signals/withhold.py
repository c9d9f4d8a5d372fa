"""Holding phone numbers back from newcomers until a moderator releases them."""

from collections.abc import Collection
from dataclasses import dataclass

from moderation.signals import rules as r
from moderation.signals.text import find_phone_numbers

PLACEHOLDER = "[number held for review]"


@dataclass(frozen=True, slots=True)
class WithheldPart:
    """A part of a message replaced by the placeholder.

    ``start``/``end`` locate the placeholder in the *masked* text; ``original`` is what it
    replaced. The backend keeps these out of every reader's view until released.
    """

    start: int
    end: int
    original: str


@dataclass(frozen=True, slots=True)
class Withholding:
    """The text to deliver now and what was held back from it."""

    text: str
    withheld: tuple[WithheldPart, ...]

    @property
    def is_withheld(self) -> bool:
        """Whether anything was held back."""
        return bool(self.withheld)


def withhold_phone_numbers(
    text: str,
    *,
    room_has_newcomers: bool,
    disabled: Collection[str] | None = None,
    placeholder: str = PLACEHOLDER,
) -> Withholding:
    """Mask phone numbers in a message bound for a room that has newcomers.

    Nothing is held when the room has no newcomers or the admin switched off
    ``withhold.phone_number_to_newcomers``. The returned parts are what a moderator
    releases with ``release_withheld``.
    """
    off = r.resolve_disabled(disabled)
    if not room_has_newcomers or r.WITHHOLD_PHONE_NUMBER in off:
        return Withholding(text, ())
    pieces: list[str] = []
    parts: list[WithheldPart] = []
    cursor = 0
    length = 0
    for start, end in find_phone_numbers(text):
        pieces.append(text[cursor:start])
        length += start - cursor
        parts.append(WithheldPart(length, length + len(placeholder), text[start:end]))
        pieces.append(placeholder)
        length += len(placeholder)
        cursor = end
    pieces.append(text[cursor:])
    return Withholding("".join(pieces), tuple(parts))


def release_withheld(
    masked_text: str, withheld: Collection[WithheldPart], *, placeholder: str = PLACEHOLDER
) -> str:
    """Put the withheld parts back into ``masked_text`` (a moderator released them).

    Raises ``ValueError`` when a part no longer sits where it was withheld, e.g. the
    message was edited since: the backend must then show the parts to the moderator
    instead of splicing them blindly.
    """
    out = masked_text
    for part in sorted(withheld, key=lambda p: p.start, reverse=True):
        if out[part.start : part.end] != placeholder:
            raise ValueError("the message changed since its contact details were withheld")
        out = out[: part.start] + part.original + out[part.end :]
    return out
