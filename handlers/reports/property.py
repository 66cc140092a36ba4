"""有事您找我 in words and rows: the property companies in /stats, the statistics page and the workbook."""

from __future__ import annotations

from datetime import datetime

from models.reports.property import CompanyFigures, by_company
from models.store.unit_of_work import Unit

from .. import texts, texts_property


def _pct(rate: float | None) -> str:
    return texts.STATS_NA if rate is None else f"{rate * 100:.1f}%"


def rows(u: Unit, area_ids: set[int] | None, since: datetime | None) -> list[tuple[str | int, ...]]:
    """One row per company, in the order of texts_property.COLUMNS."""
    return [_row(f) for f in by_company(u.session, area_ids, since)]


def _row(f: CompanyFigures) -> tuple[str | int, ...]:
    return (
        f.name,
        f.routed,
        f.claimed,
        _pct(f.response_rate),
        f.resolved,
        f.double_yes,
        _pct(f.double_yes_rate),
        f.backstopped,
    )


def stats_lines(u: Unit, area_ids: set[int] | None, since: datetime | None) -> list[str]:
    """The /stats lines of the companies (none when no ticket went to one)."""
    found = by_company(u.session, area_ids, since)
    if not found:
        return []
    lines = [texts_property.STATS_HEADER]
    for f in found:
        lines.append(
            texts_property.STATS_LINE.format(
                company=f.name,
                routed=f.routed,
                claimed=f.claimed,
                response=_pct(f.response_rate),
                resolved=f.resolved,
                double_yes=f.double_yes,
                double_yes_rate=_pct(f.double_yes_rate),
                backstopped=f.backstopped,
            )
        )
    return lines
