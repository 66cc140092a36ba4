"""Retention and erasure (PIPL): personal data goes, statistics stay; /mydata tells what is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers import texts
from handlers.reports.weekly import figures, scope
from models.tables import Person, SecurityEntry, Ticket, TicketEvent

from .harness import Harness, write_png

pytestmark = pytest.mark.usefixtures("group_privacy")

PHONE = "13912345678"


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    """The demo subdistrict with a grid and its workers."""
    harness = await Harness.create(db_url)
    try:
        await harness.quick_grid()
        yield harness
    finally:
        harness.close()


async def closed_with_photo(h: Harness, tmp_path: Path, user: str = "r1") -> int:
    """A ticket with phone, address, point, a local photo and a phone in its text, closed as 满意."""
    tid = await h.quick_report(
        user, description=f"楼道灯坏了，打{PHONE}，3幢201室", address="幸福里7幢3单元", phone=PHONE
    )
    photo = write_png(tmp_path / f"photo-{tid}.png")

    def attach(s: object) -> None:
        t = s.get(Ticket, tid)  # type: ignore[attr-defined]
        t.photo, t.contact_name = str(photo), "王建国"

    await h.app.db.run(attach)
    await h.say(f"w1: 抢单 {tid}")
    await h.say(f"w1: 办结 {tid} 已修复")
    await h.run(f"{user}: [tap 是]", f"{user}: [tap 满意]")
    assert h.ticket(tid).status == "closed"
    return tid


async def later(h: Harness, delta: timedelta) -> None:
    """Jump the fake clock (a year of 5-minute ticks is too many), then run an hour of jobs."""
    h.clock.advance(delta - timedelta(hours=1))
    await h.advance(timedelta(hours=1))


def stats(h: Harness) -> dict[str, object]:
    """The statistics page's figures for the whole subdistrict, all time."""

    def read(s: object) -> dict[str, object]:
        u = h.app.unit(s)  # type: ignore[arg-type]
        f = figures(u, scope(u, True, [], "all", None))
        return {k: v for k, v in f.items() if k != "stats"} | {"stats": repr(f["stats"])}

    return h.query(read)


async def test_retention_removes_personal_data_and_keeps_statistics(h: Harness, tmp_path: Path) -> None:
    """A year after closing: no phone, address, name, photo or exact point; the figures are the same."""
    tid = await closed_with_photo(h, tmp_path)
    open_one = await h.quick_report("r2", phone="13800138000")
    before = stats(h)
    photo = Path(h.ticket(tid).photo or "")
    await later(h, timedelta(days=364))
    assert h.ticket(tid).phone == PHONE and photo.is_file()  # not yet
    await later(h, timedelta(days=2))
    t = h.ticket(tid)
    assert (t.phone, t.address, t.contact_name, t.photo, t.anonymised_at is not None) == (
        None,
        None,
        None,
        None,
        True,
    )
    assert not photo.exists() and PHONE not in t.description and "201室" not in t.description
    assert (t.lat, t.lon) == (29.345, 120.075)
    resident = h.query(lambda s: s.get(Person, t.resident_id))
    assert resident.channel == "erased" and resident.chat_id is None
    notes = h.query(
        lambda s: [e.note or "" for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid))]
    )
    assert not any(PHONE in n for n in notes)
    assert (t.category_code, t.status, t.area_id, t.rating) == (
        "road",
        "closed",
        h.ticket(tid).area_id,
        "double_yes",
    )
    assert stats(h) == before
    assert h.ticket(open_one).phone == "13800138000"  # an open ticket keeps what the worker needs
    logged = h.query(
        lambda s: list(s.scalars(select(SecurityEntry.kind).where(SecurityEntry.kind == "retention")))
    )
    assert logged == ["retention"]


async def test_retention_days_come_from_the_config(h: Harness, tmp_path: Path) -> None:
    """With [privacy] retention_days = 30 the data goes a month after closing."""
    h.app.rules.__dict__["retention_days"] = 30  # Rules is frozen: as the config would set it
    tid = await closed_with_photo(h, tmp_path)
    await later(h, timedelta(days=31))
    assert h.ticket(tid).phone is None


async def test_erase_on_request_is_immediate_and_logged(h: Harness, tmp_path: Path) -> None:
    """/erase USER by the subdistrict admin clears a resident's data now; a worker may not."""
    tid = await closed_with_photo(h, tmp_path)
    out = await h.say("w1: /erase r1")
    assert h.to("w1", out) == [texts.ERASE_TOP_ADMIN_ONLY]
    resident_id = h.ticket(tid).resident_id
    out = await h.say("admin: /erase r1")
    assert h.to("admin", out) == [texts.ERASE_DONE.format(id=resident_id, count=1)]
    t = h.ticket(tid)
    assert t.phone is None and t.photo is None
    person = h.query(lambda s: s.get(Person, resident_id))
    assert (person.name, person.chat_id, person.handle) == ("", None, None)
    logged = h.query(lambda s: s.scalar(select(SecurityEntry.detail).where(SecurityEntry.kind == "erased")))
    assert logged == f"person={resident_id} tickets=1"


async def test_mydata_shows_what_is_kept_and_until_when(h: Harness, tmp_path: Path) -> None:
    """/mydata lists the resident's tickets with the personal data stored and its deletion date."""
    tid = await closed_with_photo(h, tmp_path)
    out = await h.say("r1: /mydata")
    [reply] = h.to("r1", out)
    assert reply.startswith(texts.MYDATA_HEAD.format(name="r1", days=365)[:10])
    assert f"#{tid}" in reply and "电话" in reply and "照片" in reply and "将于" in reply
    assert PHONE not in reply
