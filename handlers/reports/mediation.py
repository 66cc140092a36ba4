"""Mediation figures in words: the /mediation answer, and the rows of the statistics page and workbook."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.reports import mediation as figures_of
from models.store.unit_of_work import Unit

from .. import texts
from ..render import fmt_amount


def yuan(fen: int) -> str:
    """An amount in yuan as people write it: 3000, 1.5, 12.35."""
    whole, cents = divmod(fen, 100)
    return f"{whole}" if not cents else f"{whole}.{cents:02d}".rstrip("0")


def _rate(rate: float | None) -> str:
    return texts.STATS_NA if rate is None else f"{rate * 100:.1f}%"


def cells(label: str, t: figures_of.Tally) -> tuple[str, int, int, int, int, str, str, str]:
    """One team's or community's figures: name, cases, outcomes, rate, amount, time to settle."""
    hours = t.settle_hours
    settle = fmt_amount(timedelta(hours=hours)) if hours is not None else texts.STATS_NA
    return (
        label,
        t.cases,
        t.success,
        t.failed,
        t.transferred,
        _rate(t.success_rate),
        yuan(t.amount_fen),
        settle,
    )


def rows(u: Unit, figs: figures_of.Figures) -> list[tuple[str, int, int, int, int, str, str, str]]:
    """The total, then each team, then each community (team names marked as teams)."""
    out = [cells(texts.MEDIATION_STATS_TOTAL, figs.total)]
    out += [
        cells(texts.MEDIATION_TEAM.format(name=u.tree.by_id[t.area_id or 0].name), t) for t in figs.by_team
    ]
    out += [cells(u.tree.by_id[t.area_id or 0].name, t) for t in figs.by_community]
    return out


def tally_line(label: str, t: figures_of.Tally) -> str:
    """One team's or community's figures in a line."""
    name, cases, success, failed, transferred, rate, amount, settle = cells(label, t)
    return texts.MEDIATION_STATS_LINE.format(
        name=name,
        cases=cases,
        success=success,
        failed=failed,
        transferred=transferred,
        rate=rate,
        yuan=amount,
        settle=settle,
    )


def stats_text(u: Unit, area_ids: set[int] | None, since: datetime | None, heading: str) -> str:
    """The mediation figures of a scope since then, under a heading, as /mediation answers them."""
    figs = figures_of.compute(u.session, u.tree, area_ids, since)
    lines = [heading]
    lines.append(tally_line(texts.MEDIATION_STATS_TOTAL, figs.total))
    if figs.by_team:
        lines.append(texts.MEDIATION_STATS_TEAMS)
        lines += [tally_line(u.tree.by_id[t.area_id or 0].name, t) for t in figs.by_team]
    if figs.by_community:
        lines.append(texts.MEDIATION_STATS_COMMUNITIES)
        lines += [tally_line(u.tree.by_id[t.area_id or 0].name, t) for t in figs.by_community]
    return "\n".join(lines)
