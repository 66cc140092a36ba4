"""Urgency is one lookup in the catalogue snapshot (configured codes merged in), no restart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from handlers import texts
from models import refdata
from models.refdata import Catalogue, catalogue
from models.tables import Category

from .harness import Harness
from .test_office_hours import local
from .test_sla import COMMUNITY, bind_ladder, until

pytestmark = pytest.mark.usefixtures("group_privacy")


def flag(h: Harness, code: str, urgent: bool) -> None:
    """Set a category's urgent flag in the database, as `jiesu catalogue import` in another process would."""

    def write(s: Session) -> None:
        s.execute(update(Category).where(Category.code == code).values(urgent=urgent))

    h.query(write)


def reload(h: Harness) -> None:
    """What the snapshot's 60 s refresh does: the next lookup reads the catalogue again."""
    h.query(refdata.forget)


def test_configured_codes_and_flags_cover_their_items() -> None:
    """A configured code and a flagged category make themselves and every item under them urgent."""
    cats = [
        Category(id=1, code="city", name="大城管", parent_code=None, default_tier="simple", position=1),
        Category(id=2, code="road", name="道路破损", parent_code="city", default_tier="simple", position=1),
        Category(id=3, code="safety", name="公共安全", parent_code=None, default_tier="simple", position=2),
        Category(id=4, code="fire", name="消防", parent_code="safety", default_tier="simple", position=1),
        Category(
            id=5, code="gas", name="燃气", parent_code="city", default_tier="simple", position=2, urgent=True
        ),
    ]
    catalogue = Catalogue.of(cats)
    assert catalogue.urgent_codes() == {"gas"}
    configured = frozenset({"safety"})
    assert catalogue.urgent_codes(configured) == {"gas", "safety", "fire"}
    assert catalogue.is_urgent("fire", configured) and not catalogue.is_urgent("fire")
    assert not catalogue.is_urgent("road", configured)


def urgent(h: Harness, code: str) -> bool:
    """What the running bot's lookup says of a category now."""
    return bool(h.query(lambda s: catalogue(s).is_urgent(code, h.app.rules.sla.urgent_categories)))


async def test_a_category_flagged_urgent_while_running_is_urgent_without_restart(h: Harness) -> None:
    """道路破损 flagged urgent after start-up: a 22:00 report is alerted at once and climbs at midnight."""
    await h.setup_grid()
    await bind_ladder(h)
    assert not urgent(h, "road") and urgent(h, "gas-leak") and urgent(h, "safety")
    flag(h, "road", True)
    reload(h)
    assert urgent(h, "road")
    h.clock.set(local(23, 22))
    tid = await h.report()
    alerts = [t for t in h.to("@siji") if t.startswith("【紧急】") and f"#{tid}" in t]
    assert len(alerts) == 1
    out = await until(h, local(23, 22), timedelta(hours=2, minutes=1))
    assert any(t.startswith(f"【督办 · {COMMUNITY}】工单 #{tid}") for t in h.to("@siji", out))
    assert h.ticket(tid).level == 1


async def test_unflagging_a_category_makes_its_reports_wait_for_office_hours_again(h: Harness) -> None:
    """Flagged, then unflagged again: a 22:00 report of 道路破损 waits for office hours as before."""
    await h.setup_grid()
    await bind_ladder(h)
    flag(h, "road", True)
    reload(h)
    flag(h, "road", False)
    reload(h)
    h.clock.set(local(23, 22))
    tid = await h.report()
    night = await until(h, local(23, 22), timedelta(hours=6))
    assert h.to("@siji", night) == [] and h.ticket(tid).level == 0
    assert not urgent(h, "road")
    assert not any(t.startswith(texts.URGENT_CARD.format(card="")) for t in h.to("@siji"))
