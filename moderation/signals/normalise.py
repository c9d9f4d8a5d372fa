"""Text folding for matching: one spelling per word, with a way back to the original."""

import unicodedata
from dataclasses import dataclass

# Typographic variants people type on phones, folded to the ASCII the patterns use.
_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A folded copy of a text, with, for every folded character, its index in the original."""

    original: str
    folded: str
    origin: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``folded`` back to the span of ``original`` it came from."""
        if start >= end:
            index = self.origin[start] if start < len(self.origin) else len(self.original)
            return index, index
        return self.origin[start], self.origin[end - 1] + 1


def fold_char(char: str) -> str:
    """Casefold one character and drop its accents: ``Ș``, ``Ş`` and ``ş`` all become ``s``."""
    decomposed = unicodedata.normalize("NFKD", char.translate(_PUNCTUATION).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> FoldedText:
    """Fold ``text`` for matching: casefolded, without diacritics, hyphens read as spaces
    (``dă-mi``, ``da mi``), runs of white space collapsed to one space.

    Romanian comma-below and cedilla letters (ș/ş, ț/ţ) fold to the same ``s`` and ``t``.
    """
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = fold_char(char)
        if piece == "-":
            piece = " "
        for out in piece:
            if out.isspace():
                if folded and folded[-1] == " ":
                    continue
                out = " "
            folded.append(out)
            origin.append(index)
    return FoldedText(original=text, folded="".join(folded), origin=tuple(origin))
