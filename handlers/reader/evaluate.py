"""Scoring the trained reader: accuracy per intent, a confusion table, cross-validation, near-copies.

Used by `jiesu understand eval|cv` and by the tests; imports scikit-learn through model.py.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.model_selection import StratifiedKFold

from . import Expect, Intent, Reading, categories, read
from .classifier import Model, fit_quiet
from .generate import key
from .labelled import INTENTS, Labelled

# Two messages this similar (rapidfuzz ratio of their folded forms, 0-100) count as one message.
NEAR_COPY = 85
FOLDS = 5
# Short labels for the columns of the confusion table.
SHORT = {
    "problem": "prob",
    "report": "rep",
    "status": "stat",
    "withdraw": "wdr",
    "consult": "cons",
    "thanks": "thx",
    "greeting": "greet",
    "other": "oth",
    "yes": "yes",
    "no": "no",
    "satisfied": "sat",
    "unsatisfied": "unsat",
    "grab": "grab",
    "progress": "prog",
    "resolve": "res",
}


@dataclass
class Scores:
    """What one evaluation counted."""

    intents: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, got) -> messages
    category_top1: int = 0
    category_top3: int = 0
    categories: int = 0
    answers_right: int = 0
    answers: int = 0
    english_right: int = 0
    english: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Messages scored for their intent."""
        return sum(self.intents.values())

    @property
    def right(self) -> int:
        """Messages whose intent was right."""
        return sum(n for (a, b), n in self.intents.items() if a == b)

    def accuracy(self, intent: str | None = None) -> float:
        """Share of messages (of one intent, or all) read right."""
        if intent is None:
            return self.right / self.total if self.total else 0.0
        total = sum(n for (a, _), n in self.intents.items() if a == intent)
        return self.intents[(intent, intent)] / total if total else 0.0

    def count(self, intent: str) -> int:
        """Messages of one intent."""
        return sum(n for (a, _), n in self.intents.items() if a == intent)


def score(rows: Sequence[Labelled], reader: Callable[[str, Expect], Reading] | None = None) -> Scores:
    """Read every row with the shipped reader (or another) and count what it got right."""
    reader = reader or read
    scores = Scores()
    for row in rows:
        expecting = Expect(row.expecting)
        reading = reader(row.text, expecting)
        if expecting is not Expect.NOTHING:
            scores.answers += 1
            got = reading.answer or ""
            if got == row.answer:
                scores.answers_right += 1
            else:
                scores.misses.append(
                    f"{row.expecting} {row.text!r}: expected {row.answer or 'none'}, got {got or 'none'}"
                )
            continue
        got_intent = reading.intent.value
        scores.intents[(row.intent, got_intent)] += 1
        if got_intent != row.intent:
            scores.misses.append(f"{row.intent} {row.text!r}: got {got_intent} ({reading.confidence:.2f})")
        if row.text.isascii():
            scores.english += 1
            scores.english_right += got_intent == row.intent
        if row.intent == Intent.PROBLEM and row.category:
            scores.categories += 1
            codes = [c for c, _ in categories(row.text)]
            fits = [row.category == c or row.category in ancestors().get(c, ()) for c in codes]
            scores.category_top1 += fits[:1] == [True]
            scores.category_top3 += any(fits[:3])
            if fits[:1] != [True]:
                scores.misses.append(f"category {row.text!r}: expected {row.category}, got {codes}")
    return scores


@cache
def ancestors() -> dict[str, tuple[str, ...]]:
    """The branches above each item of the demo catalogue: a label "property" fits "elevator"."""
    text = resources.files("models").joinpath("demo_data/catalogue.toml").read_text("utf-8")
    out: dict[str, tuple[str, ...]] = {}

    def walk(node: dict[str, Any], above: tuple[str, ...]) -> None:
        out[node["code"]] = above
        for child in node.get("items", []) + node.get("subitems", []):
            walk(child, (*above, node["code"]))

    for top in tomllib.loads(text)["categories"]:
        walk(top, ())
    return out


def cross_validate(rows: Sequence[Labelled], folds: int = FOLDS, seed: int = 0) -> Scores:
    """Train on all folds but one and score the one left, for each fold (stratified by intent)."""
    texts = [r.text for r in rows]
    intents = [r.intent for r in rows]
    categories = [r.category for r in rows]
    scores = Scores()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(rows)), intents):
        fold_model = fit_quiet(
            [texts[i] for i in train], [intents[i] for i in train], [categories[i] for i in train]
        )
        held = [rows[i] for i in test]
        features = fold_model.features([r.text for r in held])
        intent_p = fold_model.intent_probabilities(features)
        category_p = fold_model.category_probabilities(features)
        labels, codes = fold_model.intents, fold_model.categories
        for row, ip, cp in zip(held, intent_p, category_p, strict=True):
            got = labels[int(np.argmax(ip))]
            scores.intents[(row.intent, got)] += 1
            if row.text.isascii():
                scores.english += 1
                scores.english_right += got == row.intent
            if row.category:
                top = [codes[i] for i in np.argsort(-cp)[:3]]
                scores.categories += 1
                scores.category_top1 += top[0] == row.category
                scores.category_top3 += row.category in top
    return scores


@dataclass(frozen=True)
class NearCopy:
    """A held-out message and the most similar training message."""

    text: str
    corpus_text: str
    similarity: float


def near_copies(rows: Sequence[Labelled], corpus: Sequence[Labelled]) -> list[NearCopy]:
    """For each row, its closest training message by rapidfuzz ratio of the folded forms, closest first."""
    choices = [key(r.text) for r in corpus]
    queries = [key(r.text) for r in rows]
    matrix = process.cdist(queries, choices, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
    best = matrix.argmax(axis=1)
    out = [
        NearCopy(r.text, corpus[int(j)].text, float(matrix[i, j]))
        for i, (r, j) in enumerate(zip(rows, best, strict=True))
    ]
    out.sort(key=lambda c: (-c.similarity, c.text))
    return out


def without_near_copies(
    rows: Sequence[Labelled], corpus: Sequence[Labelled]
) -> tuple[list[Labelled], list[NearCopy]]:
    """The rows that are no near-copy of a training message, and the near-copies removed."""
    copies = {c.text: c for c in near_copies(rows, corpus) if c.similarity >= NEAR_COPY}
    return [r for r in rows if r.text not in copies], sorted(
        copies.values(), key=lambda c: (-c.similarity, c.text)
    )


def train(rows: Sequence[Labelled]) -> Model:
    """Train the shipped model on the corpus rows."""
    return fit_quiet([r.text for r in rows], [r.intent for r in rows], [r.category for r in rows])


def predictions(m: Model, texts: Sequence[str]) -> list[tuple[str, str]]:
    """(intent, top category) for each text: what two models must agree on to be the same model."""
    features = m.features(texts)
    intents = m.intent_probabilities(features).argmax(axis=1)
    categories = m.category_probabilities(features).argmax(axis=1)
    return [(m.intents[int(i)], m.categories[int(c)]) for i, c in zip(intents, categories, strict=True)]


# --- tables --------------------------------------------------------------------------------------
def table(scores: Scores) -> str:
    """Accuracy per intent as a Markdown table, with the totals under it."""
    lines = ["| intent | messages | right | accuracy |", "|---|---:|---:|---:|"]
    for intent in INTENTS:
        n = scores.count(intent)
        if n:
            lines.append(
                f"| {intent} | {n} | {scores.intents[(intent, intent)]} | {scores.accuracy(intent):.1%} |"
            )
    lines.append(f"| **all** | {scores.total} | {scores.right} | **{scores.accuracy():.1%}** |")
    notes = []
    if scores.categories:
        notes.append(
            f"category of a problem: top-1 {scores.category_top1 / scores.categories:.1%}, "
            f"top-3 {scores.category_top3 / scores.categories:.1%} of {scores.categories}"
        )
    if scores.english:
        notes.append(f"English messages: {scores.english_right / scores.english:.1%} of {scores.english}")
    if scores.answers:
        notes.append(
            f"answers to a pending question: {scores.answers_right / scores.answers:.1%} of {scores.answers}"
        )
    return "\n".join(lines) + ("\n\n" + "; ".join(notes) + "." if notes else "")


def confusion(scores: Scores) -> str:
    """The confusion table as Markdown: rows are the expected intents, columns what was read."""
    present = [i for i in INTENTS if scores.count(i) or any(b == i for (_, b) in scores.intents)]
    head = "| expected \\ read | " + " | ".join(SHORT[i] for i in present) + " |"
    lines = [head, "|---|" + "---:|" * len(present)]
    for a in present:
        if not scores.count(a):
            continue
        cells = [str(scores.intents[(a, b)] or "·") for b in present]
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(title: str, scores: Scores, misses: bool = False) -> str:
    """A titled section: the accuracy table, the confusion table and, if asked, every miss."""
    parts = [f"## {title}\n", table(scores) + "\n"]
    if scores.total:
        parts.append(confusion(scores) + "\n")
    if misses and scores.misses:
        parts.append("misses:\n" + "\n".join(f"  {m}" for m in scores.misses) + "\n")
    return "\n".join(parts)
