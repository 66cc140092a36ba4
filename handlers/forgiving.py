"""The wizard forgives (issue 12, part 4): 不留了 means skip, a description needs words."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from models.messages import Inbound

from .normalise import bare

# Said at an optional step (photo, phone): the same as tapping 跳过.
SKIP_WORDS = frozenset(
    bare(w)
    for w in (
        "跳过",
        "不留了",
        "不留",
        "不用",
        "不用了",
        "算了",
        "没有",
        "没有照片",
        "不发了",
        "不要",
        "无",
        "不给",
        "不方便",
    )
)


def has_words(text: str) -> bool:
    """Tell whether a description has at least one letter or Chinese character (😡😡😡 has none)."""
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def as_skip(msg: Inbound, optional_step: bool) -> Inbound:
    """不留了 / 不用 / 算了 typed at an optional step reads as a tap on 跳过."""
    if optional_step and msg.payload is None and not msg.photo and msg.text and bare(msg.text) in SKIP_WORDS:
        return replace(msg, payload="wz:skip", text="")
    return msg
