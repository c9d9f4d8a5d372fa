"""The catalogue: every text in five languages with the same blanks, neutral words only."""

import re
import string

import pytest

from backend.notification import producers
from backend.notification.catalogue import LANGUAGES, TEMPLATES, WORDS, Kind, render

# A phone may be checked: no text names what the community is about.
FORBIDDEN = re.compile(r"traffick|survivor|victim|exploit|traite|víctima|vittima|victimă", re.I)


def blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_speaks_five_languages_with_the_same_blanks(template: str) -> None:
    texts = TEMPLATES[template]
    assert set(texts) == set(LANGUAGES)
    expected = blanks(texts["en"])
    for language, text in texts.items():
        assert blanks(text) == expected, (template, language)
        assert not FORBIDDEN.search(text), (template, language)


def test_words_are_translated_everywhere() -> None:
    for name, values in WORDS.items():
        for value, texts in values.items():
            assert set(texts) == set(LANGUAGES), (name, value)


def test_every_kind_has_a_template_that_starts_with_its_name() -> None:
    for kind in Kind:
        assert any(t.startswith(kind.value.split(".")[0]) for t in TEMPLATES), kind
    for kind, template, _link in producers.PEERWORK_NOTICES.values():
        assert template in TEMPLATES
        assert kind in Kind


def test_render_falls_back_to_english_and_formats_times_in_her_zone() -> None:
    text = render(
        "card.expiring", {"expires_at": "2030-12-31T23:30:00+00:00"}, "de", "Europe/Bucharest"
    )
    assert text == "Your card expires on 01/01/2031 01:30."
    words = render(
        "safety.restriction_applied",
        {"restriction": ["read_only", "direct_messages_frozen"]},
        "en",
        "UTC",
    )
    assert words == (
        "For now, you can read but not write; direct conversations are paused. "
        "You can ask a safeguarding officer what this means."
    )
