"""双向积分+: volunteers grab only categories open to them and see a phone only once they hold the ticket;
residents earn points for confirmed reports; the ranking keeps staff and the others apart."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import load
from handlers import texts
from models.datafiles.problems import DataFileError
from models.datafiles.staff_file import parse
from models.datafiles.staff_import import import_staff
from models.people import get_or_create_person, grant
from models.tables import PointsEntry, Role, RoleGrant

from .harness import Harness
from .office import client, office_with_grids, sign_in

PHONE = "13800138000"
VOLUNTEER_ROW = "\n".join(
    [
        "[[people]]",
        'name = "王阿姨"',
        'role = "volunteer"',
        'scopes = ["siji"]',
        'console = "v9"',
        "party_member = true",
    ]
)
# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def volunteer(h: Harness, user: str = "v1", area: str = "siji", party: bool = False) -> None:
    """A volunteer of an area, as the staff file makes one."""

    def write(s: Session) -> None:
        u = h.app.unit(s)
        found = u.tree.by_code(area)
        assert found is not None
        person = get_or_create_person(s, "console", user, u.now, name=user, handle=user, chat_id=user)
        grant(s, person, Role.VOLUNTEER, found.id, None, u.now, party_member=party)

    await h.app.db.run(write)


async def test_a_volunteer_grabs_an_open_category_and_only_then_sees_the_phone(h: Harness) -> None:
    """v1 hears nothing private before 抢单; after it he alone gets the details with the phone."""
    await h.quick_grid()
    await volunteer(h, party=True)
    tid = await h.quick_report(
        category="elderly-help", description="独居老人需要有人陪同去医院复诊", phone=PHONE
    )
    asked = await h.say(f"v1: /status {tid}")
    assert h.to("v1", asked) and not any(PHONE in m["text"] for m in h.transcript if m["chat"] == "v1")
    out = await h.say(f"v1: 抢单 {tid}")
    assert h.ticket(tid).handler_id is not None and h.ticket(tid).status == "claimed"
    told = h.to("v1", out)
    assert any(PHONE in t for t in told), told
    assert not any(PHONE in m["text"] for m in out if m["chat"] != "v1")
    assert ("v1", "grab", 2) in h.ledger()
    history = h.to("admin", await h.say(f"admin: /history {tid}"))[0]
    assert "党员志愿者" in history


async def test_a_volunteer_grabbing_a_closed_category_is_refused_and_nothing_changes(h: Harness) -> None:
    """A 道路破损 ticket in v1's area: a clear refusal, still open, no points, no details."""
    await h.quick_grid()
    await volunteer(h)
    tid = await h.quick_report(phone=PHONE)
    before = h.ledger()
    out = await h.say(f"v1: 抢单 {tid}")
    assert h.to("v1", out) == [texts.VOLUNTEER_CLOSED.format(id=tid)]
    assert h.ticket(tid).status == "open" and h.ticket(tid).handler_id is None
    assert h.ledger() == before
    assert not any(PHONE in m["text"] for m in out)


async def test_a_volunteer_outside_his_area_hears_it_is_not_his_scope(h: Harness) -> None:
    """An open category in another community: the usual out-of-scope answer, nothing claimed."""
    await h.quick_grid()
    await volunteer(h, area="jingfa")
    tid = await h.quick_report(category="elderly-help", description="独居老人需要有人帮忙代购生活用品")
    out = await h.say(f"v1: 抢单 {tid}")
    assert h.to("v1", out) == [texts.NOT_IN_SCOPE.format(id=tid)]
    assert h.ticket(tid).status == "open"


async def test_a_volunteer_gets_no_web_office(h: Harness) -> None:
    """/web is for office staff: a volunteer is refused."""
    await volunteer(h)
    out = await h.say("v1: /web")
    assert h.to("v1", out) == [texts.WEB_STAFF_ONLY]


def test_the_staff_file_carries_volunteers_and_the_party_flag(tmp_path: Path) -> None:
    """role = "volunteer" with party_member = true is read; the flag on a worker is an error."""
    good = tmp_path / "staff.toml"
    good.write_text(
        VOLUNTEER_ROW,
        encoding="utf-8",
    )
    (member,) = parse(good).people
    assert (member.role, member.party_member) == (Role.VOLUNTEER, True)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[people]]\nname = "赵网格"\nrole = "worker"\nscopes = ["siji-1"]\n'
        'console = "w9"\nparty_member = true\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as caught:
        parse(bad)
    assert "only a volunteer carries the flag" in str(caught.value)


async def test_importing_a_volunteer_grants_the_role_with_the_flag(h: Harness, tmp_path: Path) -> None:
    """The staff file's volunteer becomes a volunteer grant marked party member."""
    path = tmp_path / "staff.toml"
    path.write_text(
        VOLUNTEER_ROW,
        encoding="utf-8",
    )
    checked = parse(path)
    await h.app.db.run(lambda s: import_staff(h.app.unit(s), path, checked.people))
    rows = h.query(lambda s: [(g.role, g.party_member) for g in s.scalars(select(RoleGrant))])
    assert (Role.VOLUNTEER, True) in rows


async def points_on(db_url: str, tmp_path: Path) -> Harness:
    cfg = tmp_path / "jiesu.toml"
    cfg.write_text("[points]\nreport = 5\n", encoding="utf-8")
    return await Harness.create(db_url, config=load(cfg, env={}))


async def test_a_confirmed_report_pays_the_resident_once_and_he_is_told(db_url: str, tmp_path: Path) -> None:
    """Closed by 双是: r1 gets +5 (report) once, hears it, and sees it in /points."""
    h = await points_on(db_url, tmp_path)
    try:
        tid = await h.quick_resolved()
        out = await h.run("r1: 是", "r1: 满意")
        assert h.ticket(tid).status == "closed"
        assert [row for row in h.ledger() if row[0] == "r1"] == [("r1", "report", 5)]
        assert texts.R_REPORT_POINTS.format(id=tid, points=5) in h.to("r1", out)
        assert h.to("r1", await h.say("r1: /points")) == [texts.POINTS.format(total=5, week=5, month=5)]
    finally:
        h.close()


async def test_a_rejected_report_pays_the_resident_nothing(db_url: str, tmp_path: Path) -> None:
    """A rejected report never closes, so it earns its resident nothing."""
    h = await points_on(db_url, tmp_path)
    try:
        await h.quick_grid()
        rejected = await h.quick_report()
        await h.say(f"admin: /reject {rejected} 重复反映")
        assert h.ticket(rejected).status == "rejected"
        assert not [row for row in h.ledger() if row[1] == "report"]
    finally:
        h.close()


async def test_the_ranking_keeps_staff_and_volunteers_apart(h: Harness) -> None:
    """排行 lists the office's staff, then volunteers and residents, each numbered from 1."""
    await h.quick_grid()
    await volunteer(h)
    mine = await h.quick_report(category="elderly-help", description="独居老人需要有人帮忙代购生活用品")
    theirs = await h.quick_report(description="春晗路路灯不亮已经三天了请尽快修理")
    await h.run(f"v1: 抢单 {mine}", f"w1: 抢单 {theirs}", f"w1: 见面 {theirs}")
    text = h.to("admin", await h.say("admin: 排行"))[0]
    staff, public = text.split(texts.RANK_SECTION.format(who=texts.RANK_PUBLIC))
    assert texts.RANK_SECTION.format(who=texts.RANK_STAFF) in staff
    assert "1. w1 5 分" in staff and "v1" not in staff
    assert "1. v1 2 分" in public and "w1" not in public
    rows = h.query(lambda s: s.scalars(select(PointsEntry.reason)).all())
    assert sorted(rows) == ["grab", "grab", "meet"]


async def test_the_weekly_workbook_ranks_volunteers_apart(db_url: str) -> None:
    """周报 and 统计: the staff ranking without the volunteer, then a ranking of volunteers and residents."""
    async with office_with_grids(db_url) as h:
        await volunteer(h)
        tid = await h.quick_report(category="elderly-help", description="独居老人需要有人帮忙代购生活用品")
        await h.say(f"v1: 抢单 {tid}")
        async with client(h) as http:
            await sign_in(h, http, "admin")
            wb = load_workbook(io.BytesIO((await http.get("/office/report/week.xlsx")).content))
            stats = (await http.get("/office/stats")).text
        public_table = stats[stats.index('id="public-ranking"') :]
        assert "<td>v1</td><td>2 分</td>" in public_table[: public_table.index("</table>")]
        rows = [r[:3] for r in wb["四季社区"].iter_rows(values_only=True) if r[0] is not None]
        staff = rows.index(texts.XLS_WEEKLY_RANKING)
        public = rows.index(texts.XLS_WEEKLY_PUBLIC_RANKING)
        assert staff < public and rows[public + 1] == (1, "v1", 2)
        assert all(r[1] != "v1" for r in rows[staff + 1 : public])


async def test_a_merged_duplicate_pays_only_the_first_report(db_url: str, tmp_path: Path) -> None:
    """r2's duplicate is merged into r1's ticket: when it closes, r1 earns the report points, r2 nothing."""
    h = await points_on(db_url, tmp_path)
    try:
        await h.quick_grid()
        first = await h.quick_report("r1")
        dup = await h.quick_report("r2", description="春晗路12号门口人行道也塌了一块，很危险")
        await h.say(f"admin: /merge {dup} {first}")
        await h.run(f"w1: 抢单 {first}", f"w1: 办结 {first} 已修复", "r1: 是", "r1: 满意")
        assert (h.ticket(first).status, h.ticket(dup).status) == ("closed", "merged")
        assert [row for row in h.ledger() if row[1] == "report"] == [("r1", "report", 5)]
    finally:
        h.close()
