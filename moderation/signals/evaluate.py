"""Precision and recall of the text rules on the labelled messages.

Run from a source checkout: ``python -m moderation.signals.evaluate [--errors]``.
"""

import argparse
import csv
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moderation.signals import rules as r
from moderation.signals.text import screen_message

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "moderation" / "data"
SPLITS = ("dev", "heldout", "fresh", "blind", "blind2", "blind3")

# The label a message carries -> the rule expected to catch it.
CATEGORY_RULES: dict[str, str] = {
    "phone_request": r.PHONE_REQUEST,
    "app_handle": r.APP_HANDLE_REQUEST,
    "app_link": r.APP_LINK,
    "phone_number": r.PHONE_NUMBER,
    "address": r.STREET_ADDRESS,
    "location_ask": r.LOCATION_REQUEST,
    "job_offer": r.JOB_OFFER,
    "travel_offer": r.TRAVEL_OFFER,
    "documents_offer": r.DOCUMENTS_OFFER,
    "money_offer": r.MONEY_OFFER,
}


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    """One row of a labelled set."""

    id: str
    language: str
    risky: bool
    categories: tuple[str, ...]
    text: str


@dataclass(slots=True)
class Score:
    """Counts for one slice of a labelled set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_positives: list[LabelledMessage] = field(default_factory=list)
    misses: list[LabelledMessage] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of flagged messages that are risky (1.0 when nothing was flagged)."""
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        """Share of risky messages that were flagged (1.0 when none is risky)."""
        risky = self.tp + self.fn
        return self.tp / risky if risky else 1.0

    def add(self, message: LabelledMessage, flagged: bool) -> None:
        """Count one message."""
        if message.risky and flagged:
            self.tp += 1
        elif message.risky:
            self.fn += 1
            self.misses.append(message)
        elif flagged:
            self.fp += 1
            self.false_positives.append(message)
        else:
            self.tn += 1


def load(path: Path) -> list[LabelledMessage]:
    """Read a labelled TSV (id, lang, label, categories, text)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            LabelledMessage(
                id=row["id"],
                language=row["lang"],
                risky=row["label"] == "risky",
                categories=tuple(c for c in row["categories"].split(",") if c != "-"),
                text=row["text"],
            )
            for row in rows
        ]


def load_split(split: str) -> list[LabelledMessage]:
    """One packaged labelled set, by name (see ``SPLITS``)."""
    return load(DATA_DIR / f"labelled_messages_{split}.tsv")


@dataclass(slots=True)
class Evaluation:
    """Scores of one labelled set, overall, per language and per expected rule."""

    overall: Score = field(default_factory=Score)
    by_language: dict[str, Score] = field(default_factory=dict)
    # category -> (caught by its own rule, total)
    by_category: dict[str, list[int]] = field(default_factory=dict)


def evaluate(
    messages: Iterable[LabelledMessage], *, disabled: Collection[str] | None = None
) -> Evaluation:
    """Screen every message; a message counts as flagged when any enabled text rule fires."""
    result = Evaluation()
    for message in messages:
        fired = {signal.rule_id for signal in screen_message(message.text, disabled=disabled)}
        flagged = bool(fired)
        result.overall.add(message, flagged)
        result.by_language.setdefault(message.language, Score()).add(message, flagged)
        for category in message.categories:
            counts = result.by_category.setdefault(category, [0, 0])
            counts[0] += CATEGORY_RULES[category] in fired
            counts[1] += 1
    return result


def _report(name: str, messages: Sequence[LabelledMessage], show_errors: bool) -> list[str]:
    result = evaluate(messages)
    score = result.overall
    risky = score.tp + score.fn
    lines = [
        f"{name}: {len(messages)} messages, {risky} risky, {len(messages) - risky} innocent",
        f"  precision {score.precision:.3f}  recall {score.recall:.3f}"
        f"  (tp {score.tp}, fp {score.fp}, fn {score.fn}, tn {score.tn})",
    ]
    for language in sorted(result.by_language):
        s = result.by_language[language]
        lines.append(
            f"  {language}: precision {s.precision:.3f} recall {s.recall:.3f}"
            f" (tp {s.tp}, fp {s.fp}, fn {s.fn}, tn {s.tn})"
        )
    caught = ", ".join(
        f"{category} {hit}/{total}" for category, (hit, total) in sorted(result.by_category.items())
    )
    lines.append(f"  caught by the expected rule: {caught}")
    if show_errors:
        lines.extend(f"  missed   {m.id}: {m.text}" for m in score.misses)
        lines.extend(f"  false +  {m.id}: {m.text}" for m in score.false_positives)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print precision and recall for each split."""
    parser = argparse.ArgumentParser(prog="python -m moderation.signals.evaluate")
    parser.add_argument("--errors", action="store_true", help="list misses and false positives")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    for split in splits:
        print("\n".join(_report(split, load_split(split), args.errors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
