"""Input vocabularies read from handlers/data/words.toml: the words that stand for a choice."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from .normalise import bare


def _load() -> dict[str, Any]:
    return tomllib.loads(resources.files("handlers").joinpath("data/words.toml").read_text("utf-8"))


_WORDS = _load()
# Typed at an optional step of the report: the same as 跳过 (compared bare).
SKIP = frozenset(bare(w) for w in _WORDS["skip"])
# Asking words a question is compared with the FAQ without (longest first, as typed).
ASKING = tuple(sorted(_WORDS["asking"], key=len, reverse=True))
# Words that make a message a question (compared on the NFKC text).
QUESTION = tuple(_WORDS["question"])
# 定级's tier argument (compared lower case) -> the tier.
TIER = {word.lower(): tier for tier, words in _WORDS["tier"].items() for word in words}
