"""Make text from people safe to store and show: no control or invisible characters."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls except tab and newline, bidi overrides and isolates, zero-width marks.
_STRIP = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
# The zero-width joiner is kept only inside emoji sequences (a family emoji), where it is part of the picture.
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf"
_STRAY_ZWJ = re.compile(f"(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])")
_PHONE_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_LANDLINE = re.compile(r"^0\d{9,11}$")
_ID = re.compile(r"^[#＃]?(\d{1,12})$")


def clean(text: str) -> str:
    """NFC-normalise, drop invisible and control characters, trim each line."""
    text = _STRIP.sub("", unicodedata.normalize("NFC", text))
    text = _STRAY_ZWJ.sub("", text).replace("\t", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def normalise_command(text: str) -> str:
    """Fold full-width letters and digits so ／ｓｔａｔｕｓ　１２ reads as /status 12."""
    return unicodedata.normalize("NFKC", text)


def parse_id(token: str) -> int | None:
    """A ticket number from '12' or '#12'."""
    m = _ID.match(normalise_command(token).strip())
    return int(m.group(1)) if m else None


def parse_phone(text: str) -> str | None:
    """A Chinese mobile or landline number in a canonical form, or None."""
    digits = re.sub(r"[\s\-()（）]", "", normalise_command(text))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if _PHONE_MOBILE.match(digits) or _PHONE_LANDLINE.match(digits):
        return digits
    return None
