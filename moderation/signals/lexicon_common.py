"""Pieces shared by the per-language word lists.

Patterns are written against folded text (see ``normalise.fold``): lower case, no
accents, hyphens as spaces, one space between words. ``<APP>`` in a pattern stands for
any messaging app's name, with the spellings people use to slip past filters.
"""

from dataclasses import dataclass

from moderation.signals import rules

# "whatsapp", "whats app", "what's app", "watsap", "w.h.a.t.s.a.p.p"...
_SEP = r"[ ._*]"
_WHATSAPP = r"wh?at'?s?\W{0,2}ap{1,2}|wapp|wpp|wsp|wasap|guasap|" + _SEP.join("whatsapp").replace(
    "[ ._*]", "[ ._*]?", 1
)
_TELEGRAM = r"tele?gram+|telegrm|tlg|tg|" + _SEP.join("telegram")
APP = (
    r"(?:"
    + "|".join(
        (
            _WHATSAPP,
            _TELEGRAM,
            r"signal",
            r"snap(?:\W?chat)?",
            r"insta(?:gram)?|ig",
            r"(?:facebook |fb )?messenger|facebook|fb",
            r"viber|tik ?tok|we ?chat|kik|imo|discord|threema|skype|botim|line app",
            # Named by colour to slip past filters: "the green app", "l'app verde".
            r"(?:the )?(?:green|blue) app|app(?:li)? (?:verde|verte|azzurra|blu)"
            r"|(?:la )?aplicacion verde|aplicatia verde",
        )
    )
    + r")(?:\b|(?=\W))"
)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pattern of a rule in one language. When ``requires`` is set, the message must
    also contain it somewhere (context that turns an ambiguous phrase into a signal)."""

    regex: str
    requires: str | None = None


@dataclass(frozen=True, slots=True)
class Lexicon:
    """What one language contributes: patterns per rule id, negations, and stop words."""

    language: str
    patterns: dict[str, tuple[Pattern, ...]]
    # A negation in the same clause before a match cancels it ("never give your number").
    negation: str
    stopwords: frozenset[str]


def expand(regex: str, placeholders: dict[str, str]) -> str:
    """Replace ``<NAME>`` placeholders, ``<APP>`` included, in a pattern."""
    regex = regex.replace("<APP>", APP)
    for name, value in placeholders.items():
        regex = regex.replace(f"<{name}>", value)
    return regex


def lexicon(
    language: str,
    placeholders: dict[str, str],
    patterns: dict[str, tuple[str | tuple[str, str], ...]],
    negation: str,
    stopwords: str,
) -> Lexicon:
    """Build a ``Lexicon``, expanding placeholders and checking the rule ids."""
    rules.check_rule_ids(patterns)
    built: dict[str, tuple[Pattern, ...]] = {}
    for rule_id, entries in patterns.items():
        items: list[Pattern] = []
        for entry in entries:
            if isinstance(entry, tuple):
                items.append(
                    Pattern(expand(entry[0], placeholders), expand(entry[1], placeholders))
                )
            else:
                items.append(Pattern(expand(entry, placeholders)))
        built[rule_id] = tuple(items)
    return Lexicon(language, built, negation, frozenset(stopwords.split()))
