"""Reply templates for the 进展, 办结 and 驳回 forms: shipped ones, replaced per kind by the office's file."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULTS = Path(__file__).resolve().parent.parent.parent / "handlers" / "data" / "replies.toml"
KINDS = ("note", "close", "reject")
MOST = 30  # templates per kind
LONGEST = 500  # characters, as the forms allow


def _read(path: Path) -> dict[str, list[str]]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        items = raw.get(kind)
        if items is None:
            continue
        if not isinstance(items, list) or not all(
            isinstance(i, str) and 0 < len(i) <= LONGEST for i in items
        ):
            raise ValueError(f"{kind}: expected a list of texts of 1 to {LONGEST} characters")
        if len(items) > MOST:
            raise ValueError(f"{kind}: at most {MOST} templates")
        out[kind] = [i.strip() for i in items]
    unknown = sorted(set(raw) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; expected {list(KINDS)}")
    return out


def load(path: str = "") -> dict[str, list[str]]:
    """The templates per kind; an office file that cannot be read is named in the log and ignored."""
    found = _read(DEFAULTS)
    if path:
        try:
            found.update(_read(Path(path)))
        except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
            log.error("[web] replies = %r is not used: %s", path, exc)
    return found
