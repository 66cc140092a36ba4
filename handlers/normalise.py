"""The one reading of inbound text for matching: folded forms, command words, ticket references."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import cn2an

# Emoji, pictographs, dingbats, variation selectors and the zero-width joiner: never part of a command.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0e\ufe0f\u200d\u20e3]")
# Chinese and ASCII punctuation that separates command arguments (after NFKC folding).
SEPARATORS = ",:;、。!?~"
_SEP_RUN = re.compile(f"[\\s{re.escape(SEPARATORS)}]+")
_CN_DIGITS = "零〇一二两三四五六七八九十百千"
# 第十二号工单, #12, 12号, 十二: a ticket reference at the start of the arguments.
_REF = re.compile(
    f"第?(?:#\\s*)?(?:(\\d{{1,12}})(?![\\d.A-Za-z_-])|([{_CN_DIGITS}]{{1,8}})(?=号|工单|$|[\\s{re.escape(SEPARATORS)}]))(?:号)?(?:工单)?"
)
_SLASH = re.compile(r"^/([A-Za-z_]+)(?:@[A-Za-z0-9_]+)?")


@dataclass(frozen=True)
class Shape:
    """How a command's arguments are split: leading words, then an optional free-text tail.

    Word arguments may be separated by Chinese or ASCII punctuation; the tail keeps its own.
    The first `tickets` words are ticket references (十二号, #12), made plain numbers.
    """

    words: int = 0
    tail: bool = False
    tickets: int = 0


PLAIN = Shape()  # a command whose words are split on spaces only


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation folded (／ｓｔａｔｕｓ　１２ reads as /status 12)."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """NFKC (full-width digits, letters, punctuation), no emoji, single spaces, lower case."""
    text = _EMOJI.sub("", nfkc(text))
    return " ".join(text.split()).lower()


@lru_cache(maxsize=4096)
def bare(text: str) -> str:
    """The folded text without any punctuation or spaces: what a phrase table is matched against."""
    return "".join(ch for ch in fold(text) if unicodedata.category(ch)[0] not in "PZS")


def ticket_number(token: str) -> int | None:
    """12 from '12', '#12', '12号', '十二号工单', '第十二号' (Chinese numerals via cn2an); else None."""
    token = fold(token).strip()
    m = _REF.match(token)
    if m is None or m.end() != len(token):
        return None
    return _number(m.group(1) or m.group(2))


def _number(digits: str) -> int | None:
    if digits.isdigit():
        return int(digits)
    try:
        value = cn2an.cn2an(digits, "smart")
    except (ValueError, KeyError):
        return None
    return int(value) if float(value).is_integer() and value > 0 else None


@dataclass(frozen=True)
class Command:
    """A command as typed: its name and its arguments, ticket references made plain numbers."""

    name: str
    args: list[str]
    slash: bool


def _folded_with_index(text: str) -> tuple[str, list[int]]:
    """Fold character by character, remembering where each folded character came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = " " if ch.isspace() else _EMOJI.sub("", nfkc(ch))
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def command(text: str, aliases: Mapping[str, str], shapes: Mapping[str, Shape]) -> Command | None:
    """Read '/assign 1，w1', '抢单１', '抢单#1', '办结：1，已修复', '进展1：已联系' alike; None if no command.

    A Chinese command word must be followed by a separator, the end, or a ticket reference
    (抢单1), so that everyday sentences starting with a command word (查询一下…) stay sentences.
    """
    folded, index = _folded_with_index(text)
    start = len(folded) - len(folded.lstrip())
    head = folded[start:]
    m = _SLASH.match(head)
    if m is not None:
        name = m.group(1).lower()
        args = _arguments(shapes.get(name, PLAIN), text, folded, index, start + m.end())
        return Command(name, args, True)
    if head.startswith("/"):
        parts = head[1:].split(None, 1)
        if not parts:
            return None
        name = parts[0].lower()
        args = _arguments(shapes.get(name, PLAIN), text, folded, index, start + 1 + len(parts[0]))
        return Command(name, args, True)
    for word in sorted((w for w in aliases if head.startswith(w)), key=len, reverse=True):
        rest = head[len(word) :].rstrip()
        name = aliases[word]
        if (
            not rest
            or rest[0] in SEPARATORS
            or rest[0].isspace()
            or (name in shapes and shapes[name].tickets > 0 and _REF.match(rest) is not None)
        ):
            args = _arguments(shapes.get(name, PLAIN), text, folded, index, start + len(word))
            return Command(name, args, False)
    return None


def _skip(folded: str, pos: int) -> int:
    while pos < len(folded) and (folded[pos] in SEPARATORS or folded[pos].isspace()):
        pos += 1
    return pos


def _arguments(shape: Shape, text: str, folded: str, index: list[int], pos: int) -> list[str]:
    """Word arguments split on spaces or punctuation; a free-text tail as typed, split on spaces only."""
    words, tail = shape.words, shape.tail
    if not words:
        return folded[pos:].split()
    args: list[str] = []
    for number_of in range(words):
        pos = _skip(folded, pos)
        if pos >= len(folded):
            break
        ref = _REF.match(folded, pos) if number_of < shape.tickets else None
        if ref is not None and (number := _number(ref.group(1) or ref.group(2))) is not None:
            args.append(str(number))
            pos = ref.end()
            continue
        end = _SEP_RUN.search(folded, pos)
        stop = end.start() if end else len(folded)
        args.append(folded[pos:stop])
        pos = stop
    pos = _skip(folded, pos)
    if pos < len(folded):
        rest = text[index[pos] :] if tail else folded[pos:]
        args.extend(rest.split() if tail else [a for a in _SEP_RUN.split(rest) if a])
    return args
