"""Catalogs, language choice and dates in her locale and time zone.

The .po files are the source; they are compiled in memory when the app starts, so there
is no build step and no .mo file to forget.
"""

import gettext
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from backend.core.schemas import SUPPORTED_LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parents[2] / "frontend" / "locale"
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "tandem_lang"
# Each language named in itself, never by a flag. The order people see in the switcher.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "it": "Italiano",
    "es": "Español",
    "ro": "Română",
}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})

if set(LANGUAGE_NAMES) != set(SUPPORTED_LANGUAGES):
    raise RuntimeError("LANGUAGE_NAMES and SUPPORTED_LANGUAGES must list the same languages")


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of one language; English (the msgids) when there is none."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def compile_all() -> None:
    """Compile every catalog once at start-up, so a broken .po stops the server early."""
    for language in SUPPORTED_LANGUAGES:
        translations(language)


def pick_language(*candidates: str | None, accept: str | None = None) -> str:
    for candidate in candidates:
        if candidate in LANGUAGE_NAMES:
            return candidate
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGE_NAMES:
            return code
    return DEFAULT_LANGUAGE


def direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Speaker:
    """How one page speaks: language, catalog and time zone."""

    language: str
    time_zone: str

    @property
    def catalog(self) -> gettext.NullTranslations:
        return translations(self.language)

    def gettext(self, message: str, **values: Any) -> str:
        text = self.catalog.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self.catalog.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def when(self, value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value, fmt, tzinfo=zone(self.time_zone), locale=self.language)

    def day(self, value: date | datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(zone(self.time_zone)).date()
        return format_date(value, fmt, locale=self.language)

    def clock(self, value: datetime | None, fmt: str = "short") -> str:
        if value is None:
            return ""
        return format_time(value, fmt, tzinfo=zone(self.time_zone), locale=self.language)

    def weekday(self, value: date) -> str:
        return format_date(value, "EEEE d MMM", locale=self.language)

    def money(self, minor: int, currency: str) -> str:
        """Amounts are kept in minor units (cents); shown in her locale's way."""
        return format_currency(Decimal(minor) / 100, currency, locale=self.language)

    def weekday_name(self, value: date) -> str:
        return format_date(value, "EEEE", locale=self.language)

    def locale_name(self) -> str:
        return Locale.parse(self.language).get_display_name() or self.language
