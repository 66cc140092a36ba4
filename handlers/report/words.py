"""The report forgives: 不留了 means skip, 是的 means submit, a description needs words."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from models.messages import Inbound

from .. import understand, vocabulary
from ..normalise import bare
from ..payloads import WizardAction, WizardNav


def has_words(text: str) -> bool:
    """Tell whether a description has at least one letter or Chinese character (😡😡😡 has none)."""
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def as_skip(msg: Inbound) -> Inbound:
    """不留了 / 不用 / 算了 typed (at a step that can be skipped) reads as a tap on 跳过."""
    if msg.payload is None and not msg.photo and msg.text and bare(msg.text) in vocabulary.SKIP:
        return replace(msg, payload=WizardNav(WizardAction.SKIP).pack(), text="")
    return msg


def as_submit(msg: Inbound) -> Inbound:
    """是 / 确认 / 提交 typed (at the confirm step) reads as a tap on 确认提交 (anything else is re-asked)."""
    said = understand.reader().answer(msg.text, "confirm") if msg.payload is None else None
    return (
        replace(msg, payload=WizardNav(WizardAction.SUBMIT).pack(), text="") if said == "yes_submit" else msg
    )
