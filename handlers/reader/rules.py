"""The rules of the trained reader: commands, ticket numbers, and one-word answers.

A classifier guesses; a rule knows. "/my" is a command, "12号" names ticket 12, a lone "是" answers
yes. These are read before the classifier and override it where they apply.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import cn2an

_COMMAND = re.compile(r"^\s*/([A-Za-z_]+)(?:@[A-Za-z0-9_]+)?")
_CN = "零〇一二两三四五六七八九十百千"
_NUMBER = f"(\\d{{1,7}}|[{_CN}]{{1,6}})"
# Marked references: #12, NO.12, 编号 12, 单号12, 工单12, 12号, 第12号, 12号单, 十二号.
_MARKED = [
    re.compile(f"#\\s*{_NUMBER}"),
    re.compile(f"(?:编号|单号|工单|no\\.\\s*|no(?=\\d)|ticket\\s*)\\s*{_NUMBER}", re.IGNORECASE),
    re.compile(f"{_NUMBER}\\s*(?:号|单)"),
]
# A bare number, for messages whose intent names a ticket (抢单 7, done 12): not a phone number.
# Particles and punctuation that cling to an answer word: "没有啊，" leaves no reason by itself.
_AFTER_ANSWER = " ，,。.!！?？~～、;；:：啊呀哦啦嘛呢了的吧哈呐"
# Variation selectors, the zero-width joiner and spaces between emoji.
_MODIFIERS = "\ufe0e\ufe0f\u200d "
_BARE = re.compile(r"(?<!\d)(\d{1,7})(?!\d)")


@dataclass(frozen=True)
class Rules:
    """The answer words and the place words after a number, from handlers/data/reader/rules.toml."""

    answers: dict[str, frozenset[str]]
    symbols: dict[str, frozenset[str]]
    not_after: tuple[str, ...]
    says_why: frozenset[str] = frozenset()


@cache
def rules() -> Rules:
    """The rules file, read once."""
    text = resources.files("handlers").joinpath("data/reader/rules.toml").read_text("utf-8")
    data = tomllib.loads(text)
    answers = {label: frozenset(fold(w) for w in words) for label, words in data["answers"].items()}
    symbols = {label: frozenset(_plain(s) for s in marks) for label, marks in data["symbols"].items()}
    says_why = frozenset(fold(w) for w in data.get("reasons", {}).get("says_why", []))
    return Rules(answers, symbols, tuple(data["tickets"]["not_after"]), says_why)


def _plain(text: str) -> str:
    """Symbols without skin tones, variation selectors, joiners or spaces: 👍🏻 is 👍."""
    return "".join(ch for ch in text if not ("\U0001f3fb" <= ch <= "\U0001f3ff" or ch in _MODIFIERS))


def fold(text: str) -> str:
    """NFKC, lower case, no spaces, punctuation, symbols or emoji: what answer words are compared with."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


def command(text: str) -> str | None:
    """The command name of "/my" or "/grab@JiesuBot 12"; None when the text is not a command."""
    m = _COMMAND.match(text)
    return m.group(1).lower() if m else None


def answer_word(text: str) -> str | None:
    """The answer label when the whole message is one answer word ("是", "不满意"); else None."""
    folded = fold(text)
    if not folded:
        marks = set(_plain(text))
        for label, symbols in rules().symbols.items():
            if marks and marks <= symbols:
                return label
        return None
    for label, words in rules().answers.items():
        if folded in words:
            return label
    return None


def strip_answer(text: str) -> str:
    """The words around a leading or trailing answer word: "没有，灯还是不亮" gives "灯还是不亮"."""
    words = sorted({w for ws in rules().answers.values() for w in ws if len(w) > 1}, key=len, reverse=True)
    rest = text.strip()
    for _ in range(2):
        head = fold(rest[:8])
        for word in words:
            if head.startswith(word):
                rest = _drop_prefix(rest, len(word)).lstrip(_AFTER_ANSWER)
                break
    return rest.strip(_AFTER_ANSWER)


def _drop_prefix(text: str, letters: int) -> str:
    """Text without its first `letters` folded characters (punctuation and spaces skipped over)."""
    seen = 0
    for i, ch in enumerate(text):
        if fold(ch):
            seen += 1
            if seen == letters:
                return text[i + 1 :]
    return ""


def ticket(text: str, bare: bool = False) -> int | None:
    """The ticket a message names (#12, 12号, 第十二单, NO.12); any lone number too when bare is set."""
    folded = unicodedata.normalize("NFKC", text).lower()
    places = rules().not_after
    best: tuple[int, int] | None = None
    for pattern in _MARKED:
        for m in pattern.finditer(folded):
            after = folded[m.end() :].lstrip()
            if m.group(0).rstrip().endswith(("号", "单")) and after.startswith(places):
                continue
            if pattern is _MARKED[2] and folded[m.end() - 1 : m.end()] == "单" and after.startswith("元"):
                continue  # 3单元 is a stairwell
            number = _number(m.group(1))
            if number is not None and (best is None or m.start() < best[0]):
                best = (m.start(), number)
            break
    if best is not None:
        return best[1]
    if bare:
        found = _BARE.findall(folded)
        if len(found) == 1:
            return int(found[0]) or None
    return None


def _number(digits: str) -> int | None:
    if digits.isdigit():
        return int(digits) or None
    try:
        value = cn2an.cn2an(digits, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() and value > 0 else None
