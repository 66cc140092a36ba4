"""Geometry, control-character stripping, NFKC folding and ticket numbers each live in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers.normalise import ticket_number
from handlers.textclean import clean, strip_controls
from models.geo import great_circle_km

ROOT = Path(__file__).resolve().parent.parent
# The trained reader folds text its own way, as its model was trained (handlers/reader/).
OWN_FOLDING = ("handlers/reader/",)


def _sources() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for package in ("bot", "handlers", "models", "scheduler")
        for p in (ROOT / package).rglob("*.py")
    }


def _where(pattern: str) -> list[str]:
    return sorted(path for path, text in _sources().items() if re.search(pattern, text))


def test_one_great_circle() -> None:
    """The haversine is written once (models/geo.py) and gives the known distance."""
    assert _where(r"\b(arcsin|asin)\(") == ["models/geo.py"]
    beijing_shanghai = great_circle_km(39.9042, 116.4074, [31.2304], [121.4737])[0]
    assert beijing_shanghai == pytest.approx(1068, abs=5)


def test_one_control_stripping_and_one_nfkc() -> None:
    """Control characters are stripped by textclean only, NFKC folding is normalise.nfkc only."""
    assert _where(r"\\u0000-\\u0008") == ["handlers/textclean.py"]
    nfkc = [p for p in _where(r"normalize\(\"NFKC\"") if not p.startswith(OWN_FOLDING)]
    assert nfkc == ["handlers/normalise.py", "models/folding.py"]  # models cannot import handlers
    assert strip_controls("a\x00b\x1b\tc\n") == "ab\tc\n"
    assert clean("a\u202eb\x00") == "ab"


def test_one_ticket_number_reading() -> None:
    """Every ticket number is read by normalise.ticket_number; read_body is written once."""
    assert _where(r"def (parse_id|ticket_number)\(") == ["handlers/normalise.py"]
    assert [ticket_number(t) for t in ("12", "#12", "＃１２", "十二号", "x")] == [12, 12, 12, 12, None]
    assert len(re.findall(r"size > limit", "".join(_sources().values()))) == 1
