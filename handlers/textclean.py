"""Make text from people safe to store and show: no control or invisible characters; phone numbers."""

from __future__ import annotations

import re
import unicodedata

from .normalise import nfkc

# C0 and C1 control characters (NUL included) except tab and newline: PostgreSQL refuses NUL in
# text, and none of them means anything in a name, a text or a button payload.
CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f]")
# Bidi overrides and isolates, zero-width marks: invisible, and used to disguise text.
_INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
# The zero-width joiner is kept only inside emoji sequences (a family emoji), where it is part of the picture.
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf"
_STRAY_ZWJ = re.compile(f"(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])")
_PHONE_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_LANDLINE = re.compile(r"^0\d{9,11}$")


def strip_controls(text: str) -> str:
    """The text without control characters (tab and newline kept)."""
    return CONTROL.sub("", text)


def clean(text: str) -> str:
    """NFC-normalise, drop invisible and control characters, trim each line."""
    text = _INVISIBLE.sub("", strip_controls(unicodedata.normalize("NFC", text)))
    text = _STRAY_ZWJ.sub("", text).replace("\t", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def parse_phone(text: str) -> str | None:
    """A Chinese mobile or landline number in a canonical form, or None."""
    digits = re.sub(r"[\s\-()（）]", "", nfkc(text))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if _PHONE_MOBILE.match(digits) or _PHONE_LANDLINE.match(digits):
        return digits
    return None


# A phone number written inside a sentence: digits with the separators people type, not part of a
# longer number (an ID card, an order number).
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d])(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?![\d])"
)


def phone_in(text: str) -> str | None:
    """The one phone number a sentence carries ("我电话13912345678，你们打给我"); None for none or several."""
    found = {p for m in _PHONE_IN_TEXT.finditer(nfkc(text)) if (p := parse_phone(m.group())) is not None}
    return found.pop() if len(found) == 1 else None
