"""Labelled messages on disk: the corpus TSV, the sectioned hand-written files and the old gold set.

Three formats, told apart by their content:
- corpus TSV: ``intent<TAB>category<TAB>text`` (category empty unless the intent is a problem);
- sectioned text: ``=== intent [category]`` starts a section, each other non-empty line is a message,
  ``# `` starts a comment line;
- the gold set of the old reader (tests/data/intents.tsv): ``context<TAB>text<TAB>expected<TAB>category``,
  whose contexts (free, yesno, satisfaction) and labels (my, unknown, none) are mapped to this reader's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

INTENTS = (
    "problem",
    "report",
    "status",
    "withdraw",
    "consult",
    "thanks",
    "greeting",
    "other",
    "yes",
    "no",
    "satisfied",
    "unsatisfied",
    "grab",
    "progress",
    "resolve",
)

# The old reader's names for the same things.
_GOLD_INTENTS = {"my": "status", "unknown": "other"}
_GOLD_CONTEXTS = {"free": "", "yesno": "resolved", "satisfaction": "satisfied"}


@dataclass(frozen=True)
class Labelled:
    """One message with its intent, its category (problems only) and, for answers, the question asked.

    expecting: "" for a message outside any dialog; "resolved" or "satisfied" when it answers that
    question (the gold set only). answer: the expected answer then ("yes", "no", "satisfied",
    "unsatisfied" or "" for text that answers nothing).
    """

    text: str
    intent: str
    category: str = ""
    expecting: str = ""
    answer: str = ""


class LabelError(ValueError):
    """A labelled file has a line this module cannot read."""


def load(path: Path) -> list[Labelled]:
    """Read a labelled file in any of the three formats."""
    lines = path.read_text("utf-8").splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.startswith("# context\t"):
        return list(_gold(lines, path))
    if any(line.startswith("=== ") for line in lines):
        return list(_sections(lines, path))
    return list(_tsv(lines, path))


def _check(intent: str, path: Path, number: int) -> None:
    if intent not in INTENTS:
        raise LabelError(f"{path}:{number}: unknown intent {intent!r}; expected one of {', '.join(INTENTS)}")


def _tsv(lines: list[str], path: Path) -> Iterable[Labelled]:
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise LabelError(f"{path}:{number}: expected intent<TAB>category<TAB>text")
        intent, category, text = parts
        _check(intent, path, number)
        yield Labelled(text, intent, category)


def _sections(lines: list[str], path: Path) -> Iterable[Labelled]:
    intent = category = ""
    for number, line in enumerate(lines, 1):
        if line.startswith("=== "):
            intent, _, category = line[4:].strip().partition(" ")
            _check(intent, path, number)
            category = category.strip()
            continue
        if not line.strip() or line.startswith("# ") or line == "#":
            continue
        if not intent:
            raise LabelError(f"{path}:{number}: a message before the first '=== intent' line")
        yield Labelled(line.strip(), intent, category)


def _gold(lines: list[str], path: Path) -> Iterable[Labelled]:
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        context, text, expected, category = [*line.split("\t"), "", "", ""][:4]
        if context not in _GOLD_CONTEXTS:
            raise LabelError(f"{path}:{number}: unknown context {context!r}")
        expecting = _GOLD_CONTEXTS[context]
        if expecting:
            answer = "" if expected == "none" else expected
            yield Labelled(text, answer or "other", "", expecting, answer)
        else:
            intent = _GOLD_INTENTS.get(expected, expected)
            _check(intent, path, number)
            yield Labelled(text, intent, category)


def write_tsv(rows: Iterable[Labelled], path: Path, header: str) -> int:
    """Write rows as corpus TSV under a comment header; the number of rows written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for line in header.splitlines():
            fh.write(f"# {line}\n".replace("# \n", "#\n"))
        for row in rows:
            fh.write(f"{row.intent}\t{row.category}\t{row.text}\n")
            count += 1
    return count
