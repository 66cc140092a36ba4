"""NFKC folding for the models' own text matching (full-width to ASCII), as handlers.normalise.nfkc does."""

from __future__ import annotations

import unicodedata


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation folded to their plain forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)
