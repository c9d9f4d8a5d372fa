"""Screening one message's text."""

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache

from moderation.signals import lexicon_en, lexicon_es, lexicon_fr, lexicon_it, lexicon_ro
from moderation.signals import rules as r
from moderation.signals.lexicon_common import Lexicon
from moderation.signals.normalise import FoldedText, fold

LEXICONS: tuple[Lexicon, ...] = (
    lexicon_en.LEXICON,
    lexicon_fr.LEXICON,
    lexicon_it.LEXICON,
    lexicon_es.LEXICON,
    lexicon_ro.LEXICON,
)
LANGUAGES: tuple[str, ...] = tuple(lex.language for lex in LEXICONS)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the original message (``text[start:end] == excerpt``) that matched."""

    start: int
    end: int
    excerpt: str


@dataclass(frozen=True, slots=True)
class TextSignal:
    """A rule that fired on a message, with the spans that made it fire.

    ``language`` is the language of the pattern that matched (``None`` for rules that
    read no words, such as phone numbers and links).
    """

    rule_id: str
    severity: r.Severity
    evidence: tuple[Evidence, ...]
    language: str | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule_id: str
    language: str
    regex: re.Pattern[str]
    requires: re.Pattern[str] | None
    negation: re.Pattern[str]


@cache
def _compiled() -> tuple[_Compiled, ...]:
    out: list[_Compiled] = []
    for lex in LEXICONS:
        negation = re.compile(lex.negation)
        for rule_id, patterns in lex.patterns.items():
            for pattern in patterns:
                out.append(
                    _Compiled(
                        rule_id,
                        lex.language,
                        re.compile(pattern.regex),
                        re.compile(pattern.requires) if pattern.requires else None,
                        negation,
                    )
                )
    return tuple(out)


_CLAUSE_END = re.compile(r"[.!?;,:\n¿¡()]")


def _is_negated(folded: str, start: int, negation: re.Pattern[str]) -> bool:
    """Whether a negation precedes ``start`` in the same clause ("never give your number")."""
    clause_start = 0
    for match in _CLAUSE_END.finditer(folded, 0, start):
        clause_start = match.end()
    return negation.search(folded[clause_start:start]) is not None


# Digits with at most two separators between them; the length is checked afterwards.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[ \t.\-/()]{0,2}\d){6,16}(?!\w)")
_DATE = re.compile(
    r"^\d{1,2}[./\- ]\d{1,2}[./\- ](?:\d{2}|(?:19|20)\d{2})$"
    r"|^(?:19|20)\d{2}[./\-]\d{1,2}[./\-]\d{1,2}$"
)
_LINK = re.compile(
    r"(?<![\w.])(?:https?:?/*)?(?:www\.)?(?:wa ?\. ?me|api\.whatsapp\.com|chat\.whatsapp\.com"
    r"|whatsapp\.com/(?:send|channel|invite)|t ?\. ?me|telegram\.(?:me|dog)|tg://|signal\.me"
    r"|signal\.group|snapchat\.com/add|instagram\.com|ig\.me|m\.me|messenger\.com"
    r"|invite\.viber\.com|viber\.(?:me|click)|line\.me|discord\.gg|discord\.com/invite"
    r"|tiktok\.com/@|kik\.me|threema\.id|u\.wechat\.com|join\.skype\.com)(?:/|\b)\S*"
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_HANDLE = re.compile(r"(?<![\w.@/])@[\w.]{3,30}")


def find_phone_numbers(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of ``text`` that read as phone numbers: 8 to 13 digits, or 8 to 15 written
    with an international prefix (``+`` or ``00``), allowing spaces, dots, dashes,
    slashes and brackets between digits. Dates are not phone numbers."""
    spans: list[tuple[int, int]] = []
    for match in _PHONE.finditer(text):
        candidate = match.group()
        digits = sum(ch.isdigit() for ch in candidate)
        international = candidate.startswith(("+", "00"))
        if not 8 <= digits <= (15 if international else 13):
            continue
        if _DATE.match(candidate):
            continue
        spans.append(match.span())
    return tuple(spans)


def guess_language(text: str) -> str | None:
    """The most likely of en/fr/it/es/ro from common words and letters, or ``None``."""
    folded = fold(text).folded
    words = re.findall(r"[\w']+", folded)
    scores = {lex.language: sum(word in lex.stopwords for word in words) for lex in LEXICONS}
    lowered = text.casefold()
    scores["ro"] += 2 * sum(ch in "ăâșşțţî" for ch in lowered)
    scores["es"] += 2 * sum(ch in "ñ¿¡" for ch in lowered)
    scores["fr"] += 2 * sum(ch in "çœêëèû" for ch in lowered)
    scores["it"] += 2 * sum(ch in "òì" for ch in lowered)
    best = max(scores, key=lambda language: scores[language])
    return best if scores[best] > 0 else None


def _lexicon_hits(
    folded: FoldedText, disabled: frozenset[str]
) -> Iterator[tuple[str, str, int, int]]:
    for item in _compiled():
        if item.rule_id in disabled:
            continue
        if item.requires is not None and not item.requires.search(folded.folded):
            continue
        for match in item.regex.finditer(folded.folded):
            if _is_negated(folded.folded, match.start(), item.negation):
                continue
            start, end = folded.original_span(*match.span())
            yield item.rule_id, item.language, start, end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def screen_message(text: str, *, disabled: Collection[str] | None = None) -> tuple[TextSignal, ...]:
    """Screen one message against every enabled text rule.

    ``disabled`` is the set of rule ids an admin switched off; ``None`` means the table's
    defaults. Returns one ``TextSignal`` per rule that fired, in table order, each with
    the matching spans of ``text`` as evidence. A signal is a flag for a person to look
    at, never a verdict.
    """
    off = r.resolve_disabled(disabled)
    folded = fold(text)
    found: dict[str, list[tuple[int, int]]] = {}
    languages: dict[str, str | None] = {}

    def add(rule_id: str, span: tuple[int, int], language: str | None) -> None:
        if rule_id in off:
            return
        found.setdefault(rule_id, []).append(span)
        languages.setdefault(rule_id, language)

    for rule_id, language, start, end in _lexicon_hits(folded, off):
        add(rule_id, (start, end), language)
    for match in _LINK.finditer(folded.folded):
        add(r.APP_LINK, folded.original_span(*match.span()), None)
    for span in find_phone_numbers(text):
        add(r.PHONE_NUMBER, span, None)
    for match in _EMAIL.finditer(text):
        add(r.EMAIL_ADDRESS, match.span(), None)
    for match in _HANDLE.finditer(text):
        add(r.HANDLE_SHARED, match.span(), None)

    signals: list[TextSignal] = []
    for rule in r.RULES:
        if rule.id not in found:
            continue
        evidence = tuple(
            Evidence(start, end, text[start:end]) for start, end in _merge(found[rule.id])
        )
        signals.append(TextSignal(rule.id, rule.severity, evidence, languages[rule.id]))
    return tuple(signals)


def asks_for_contact(text: str, *, disabled: Collection[str] | None = None) -> bool:
    """Whether the message asks for or hands out contact details (phone, app, link, e-mail);
    the backend stores this per message for the activity rules."""
    return any(
        signal.rule_id in r.CONTACT_RULE_IDS for signal in screen_message(text, disabled=disabled)
    )
