"""What a domain is told when a member erases her account (backend/privacy runs it).

Here, in core, so every domain can write its eraser against it without importing the
privacy package that sits above them all. docs/privacy.md lists what each domain does.
"""

import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

# How what is left of her is shown to others.
ERASED_NAME = "erased member"


@dataclass
class ErasureContext:
    """``pseudonym`` is her name before erasure, given only so texts that quote it can be
    found; it must never be stored or logged."""

    account_id: uuid.UUID
    pseudonym: str
    now: datetime
    placeholder: str = field(default_factory=lambda: f"erased-{secrets.token_hex(6)}")
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, number: int) -> None:
        """Add to the audit summary (numbers only)."""
        if number:
            self.counts[what] = self.counts.get(what, 0) + number

    def name_pattern(self) -> re.Pattern[str]:
        return re.compile(r"(?<!\w)" + re.escape(self.pseudonym) + r"(?!\w)", re.IGNORECASE)

    def mentions(self, text: str) -> bool:
        """Whether a text names her, as a whole word (pseudonyms are unique)."""
        return self.name_pattern().search(text) is not None


Eraser = Callable[[AsyncSession, ErasureContext], Awaitable[None]]
