"""What a free-text message means: an answer to a pending question, an intent, or a problem.

Everything it knows comes from handlers/data/understand.toml (phrases, category keywords and
examples) and from the keywords of the office's own catalogue file, so an office adds words
without code. Chinese is segmented with jieba, examples are
compared with rapidfuzz; both are initialised once, on first use (see warm()).
"""

from __future__ import annotations

import logging
import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import jieba
from rapidfuzz import fuzz

from .normalise import bare

Kind = Literal["yesno", "satisfaction", "confirm"]
ANSWERS: dict[Kind, tuple[str, str]] = {
    "yesno": ("yes", "no"),
    "satisfaction": ("satisfied", "unsatisfied"),
    "confirm": ("yes_submit", "no"),
}
# Unmatched characters an answer may carry (嗯嗯解决了师傅辛苦 is an answer; a new complaint is not).
ANSWER_SLACK = 3
# A problem description must say this much (folded, without punctuation) to start a report by itself.
PROBLEM_MIN_CHARS = 5
KEYWORD_WEIGHT = 1.0
EXAMPLE_WEIGHT = 1.5
CATEGORY_THRESHOLD = 0.6

_lock = threading.Lock()


@dataclass(frozen=True)
class Understood:
    """The reading of one message outside a dialog: report, my, thanks, greeting, problem or unknown."""

    intent: str
    categories: list[str] = field(default_factory=list)


@dataclass
class Reader:
    """Phrase tables and category data from the data file, with a jieba tokenizer of its own."""

    answers: dict[str, list[str]]
    filler: list[str]
    intents: dict[str, list[str]]
    keywords: dict[str, list[str]]
    examples: dict[str, list[list[str]]]
    tokenizer: jieba.Tokenizer

    @classmethod
    def load(cls, data: dict[str, Any]) -> Reader:
        """Build a reader from the parsed data file; segment every example once."""
        logging.getLogger("jieba").setLevel(logging.WARNING)
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        cats = data.get("categories", {})
        keywords = {code: [bare(k) for k in c.get("keywords", [])] for code, c in cats.items()}
        for words in keywords.values():
            for word in words:
                if len(word) > 1:
                    tokenizer.add_word(word)
        answers = {k: [bare(p) for p in v] for k, v in data["answers"].items() if k != "filler"}
        answers["yes_submit"] = answers["yes"] + answers.pop("submit", [])
        reader = cls(
            answers=answers,
            filler=[bare(p) for p in data["answers"].get("filler", [])],
            intents={k: [bare(p) for p in v] for k, v in data["intents"].items()},
            keywords=keywords,
            examples={},
            tokenizer=tokenizer,
        )
        reader.examples = {
            code: [reader.tokens(e) for e in c.get("examples", [])] for code, c in cats.items()
        }
        return reader

    def tokens(self, text: str) -> list[str]:
        """The words of a message, as jieba segments its folded form (no punctuation)."""
        return [t for t in self.tokenizer.lcut(bare(text)) if t.strip()]

    def answer(self, text: str, kind: Kind) -> str | None:
        """yes/no (or satisfied/unsatisfied) when the whole message answers; None otherwise."""
        labels = {label: self.answers[label] for label in ANSWERS[kind]}
        folded = bare(text)
        if any(len(g) > 1 and g in folded for g in self.intents.get("greeting", [])):
            return None  # 你好 / 你们好 / 在吗 are not 好
        found, unmatched = _phrases(folded, labels, self.filler)
        # Short replies must be answers through and through (你好 is not 好).
        if len(found) != 1 or unmatched > min(ANSWER_SLACK, len(folded) // 3):
            return None
        return found.pop()

    def categories(
        self, text: str, limit: int = 3, office: Mapping[str, Sequence[str]] | None = None
    ) -> list[tuple[str, float]]:
        """Categories ranked by keyword hits and similarity to examples, best first, above the threshold.

        office: the catalogue's own keywords per category code (any level), added to this file's.
        """
        folded = bare(text)
        words = self.tokens(text)
        joined = " ".join(words)
        table = dict(self.keywords)
        for code, extra in (office or {}).items():
            table[code] = [*table.get(code, []), *(bare(k) for k in extra)]
        scores: list[tuple[str, float]] = []
        for code, keywords in table.items():
            hits = sum(1 for k in keywords if k and k in folded)
            similar = max(
                (fuzz.token_set_ratio(joined, " ".join(e)) / 100 for e in self.examples.get(code, [])),
                default=0.0,
            )
            score = KEYWORD_WEIGHT * hits + EXAMPLE_WEIGHT * max(0.0, similar - 0.4)
            if score >= CATEGORY_THRESHOLD * KEYWORD_WEIGHT:
                scores.append((code, score))
        scores.sort(key=lambda cs: -cs[1])
        return scores[:limit]

    def intent(self, text: str, office: Mapping[str, Sequence[str]] | None = None) -> Understood:
        """Read a message sent outside any dialog (office: the catalogue's keywords, as for categories)."""
        folded = bare(text)
        if not folded:
            return Understood("unknown")
        if _any(folded, self.intents.get("my", [])):
            return Understood("my")
        cats = [code for code, _ in self.categories(text, office=office)]
        problem_words = _any(folded, self.intents.get("problem", []))
        if len(folded) >= PROBLEM_MIN_CHARS and (cats or problem_words):
            return Understood("problem", cats)
        for name in ("report", "thanks", "greeting"):
            if _any(folded, self.intents.get(name, [])):
                return Understood(name)
        return Understood("unknown")


def _any(folded: str, phrases: list[str]) -> bool:
    return any(p and p in folded for p in phrases)


def _phrases(folded: str, labels: dict[str, list[str]], filler: list[str]) -> tuple[set[str], int]:
    """Leftmost-longest phrase cover of the text: the labels found and how many characters matched none."""
    table: dict[str, str | None] = {p: None for p in filler if p}
    for label, phrases in labels.items():
        for p in phrases:
            if p:
                table[p] = label
    longest = max((len(p) for p in table), default=1)
    found: set[str] = set()
    unmatched = pos = 0
    while pos < len(folded):
        for size in range(min(longest, len(folded) - pos), 0, -1):
            piece = folded[pos : pos + size]
            if piece in table:
                if table[piece] is not None:
                    found.add(table[piece])  # type: ignore[arg-type]
                pos += size
                break
        else:
            unmatched += 1
            pos += 1
    return found, unmatched


@cache
def _data() -> dict[str, Any]:
    return tomllib.loads(resources.files("handlers").joinpath("data/understand.toml").read_text("utf-8"))


_reader: Reader | None = None


def reader() -> Reader:
    """The shared reader, built on first use (jieba loads its dictionary from the wheel, once)."""
    global _reader
    if _reader is None:
        with _lock:
            if _reader is None:
                _reader = Reader.load(_data())
    return _reader


def warm() -> None:
    """Build the reader now (at start-up) rather than on the first message."""
    reader()
