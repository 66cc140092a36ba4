"""有事您找我: property companies take their compounds' tickets first; the community steps in (兜底)."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli import main
from bot.config import ConfigError, load
from handlers import texts, texts_property
from handlers.reports import weekly
from models.datafiles import catalogue_file, territory_file
from models.datafiles.problems import DataFileError
from models.property_tables import PropertyCompany, PropertyStaff
from models.tables import Person, TicketEvent

from .harness import Harness
from .office import client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "beiyuan"
ELEVATOR = ("物业", "电梯")
AT_DANXI = "丹溪花园3幢"  # a compound of 丹溪花园物业 (wy-danxi): staff wy3 in the console
DESCRIPTION = "丹溪花园3幢电梯坏了两天了"
PHONE = "13800138000"


async def company_ticket(h: Harness, category: tuple[str, ...] = ELEVATOR) -> int:
    """The danxi grid with its group and worker w1, the companies' console staff, and a report there."""
    await h.run("w1: 你好", "admin@danxi1: /bind danxi-1", "admin: /grant w1 worker danxi-1")
    await h.run("wy3: 你好", "wy1: 你好")
    return await h.report("r1", category=category, description=DESCRIPTION, location=AT_DANXI, phone=PHONE)


def company_of(h: Harness, tid: int) -> str | None:
    """The code of the company a ticket went to first."""
    pid = h.ticket(tid).property_id
    return h.query(lambda s: s.scalar(select(PropertyCompany.code).where(PropertyCompany.id == pid)))  # type: ignore[no-any-return]


def kinds(h: Harness, tid: int) -> list[str]:
    """The kinds of a ticket's events, oldest first."""
    return h.query(  # type: ignore[no-any-return]
        lambda s: list(
            s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == tid).order_by(TicketEvent.id))
        )
    )


async def test_a_property_ticket_goes_first_to_the_company_staff_and_the_resident_is_told_who(
    h: Harness,
) -> None:
    """The compound's company gets the card (masked, with 抢单) privately; the grid group gets nothing."""
    tid = await company_ticket(h)
    assert company_of(h, tid) == "wy-danxi"
    receipt = h.to("r1")[-1]
    assert "已转交 丹溪花园物业（物业服务中心 0579-85550202）先行处理，30分钟内未接单由社区兜底" in receipt
    [card] = [m for m in h.transcript if m["chat"] == "wy3" and f"#{tid}" in str(m["text"])]
    assert card["text"].startswith(f"【有事您找我 · 物业工单 #{tid}】物业/电梯\n丹溪花园**幢电梯坏了两天了")
    assert card["buttons"] == [texts.BTN_GRAB]
    assert PHONE not in card["text"]
    assert not [t for t in h.to("@danxi1") if f"#{tid}" in t]
    assert not [t for t in h.to("wy1") if f"#{tid}" in t]  # another company's staff


async def test_other_categories_and_compounds_without_a_company_go_to_the_grid(h: Harness) -> None:
    """A road in the compound, or an elevator where no company serves, is the grid's as before."""
    road = await company_ticket(h, ("大城管", "道路破损"))
    assert h.ticket(road).property_id is None
    assert h.to("@danxi1")[-1].startswith(f"【新工单 #{road}】大城管/道路破损")
    await h.say("admin@siji1: /bind siji-1")
    elevator = await h.report("r2", category=ELEVATOR, description="四季新村3幢电梯坏了")
    assert h.ticket(elevator).property_id is None
    assert h.to("@siji1")[-1].startswith(f"【新工单 #{elevator}】物业/电梯")


async def test_company_staff_claim_and_handle_in_their_own_window_to_a_double_yes(h: Harness) -> None:
    """Its staff take it like a worker (phone only now), finish it within a day, and the 双是 is theirs."""
    tid = await company_ticket(h)
    out = await h.say("wy3: [tap 抢单]")
    t = h.ticket(tid)
    assert (t.status, t.handler_id is not None) == ("claimed", True)
    assert t.due_at is not None and t.claimed_at is not None and t.due_at - t.claimed_at == timedelta(days=1)
    details = [x for x in h.to("wy3", out) if "详情" in x]
    assert details and PHONE in details[0]
    assert any("已由物业人员 wy3 接单办理" in x for x in h.to("r1", out))
    await h.say(f"wy3: 办结 {tid} 已联系维保单位更换电梯按钮")
    await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert (h.ticket(tid).status, h.ticket(tid).rating) == ("closed", "double_yes")
    stats = h.to("admin", await h.say("admin: /stats"))[0]
    assert texts_property.STATS_HEADER in stats
    assert "丹溪花园物业：1 件，接单 1（响应率 100.0%），办结 1，双是 1（100.0%），转社区兜底 0" in stats


async def test_not_taken_in_30_minutes_the_community_takes_over_and_the_ladder_runs_from_then(
    h: Harness,
) -> None:
    """At 30 minutes the grid gets the card, the community the notice, the company's card says so."""
    await h.say("admin@danxi: /bind danxi")
    tid = await company_ticket(h)
    start = h.clock.now()
    await h.advance(timedelta(minutes=29))
    assert h.ticket(tid).property_left_at is None
    out = await h.advance(timedelta(minutes=2))
    t = h.ticket(tid)
    assert (t.status, t.level, t.property_left_at is not None) == ("open", 1, True)
    assert kinds(h, tid)[-1] == "backstopped"
    [notice] = h.to("@danxi", out)
    assert notice.startswith(f"【有事您找我 · 社区兜底】工单 #{tid} 物业/电梯")
    assert "物业：丹溪花园物业，未在30分钟内接单。" in notice
    assert h.to("@danxi1", out)[0].startswith(f"【新工单 #{tid}】物业/电梯")
    assert h.to("wy3", out)[0].startswith(f"【物业工单 #{tid} · 已转社区】")
    assert h.to("r1", out) == [
        texts_property.R_BACKSTOP.format(
            id=tid, company="丹溪花园物业", why="未在30分钟内接单", level="社区（丹溪社区）"
        )
    ]
    # The company's turn is over: its staff can no longer take it; the grid can.
    refused = await h.say(f"wy3: 抢单 {tid}")
    assert h.to("wy3", refused) == [texts.NOT_IN_SCOPE.format(id=tid)]
    assert h.ticket(tid).status == "open"
    # Unclaimed, it climbs one level per claim window (2h of office time) from the takeover at 09:30:
    # the department at 11:30, not at 14:30 as it would from the report at 09:00.
    await h.advance(start + timedelta(hours=2, minutes=29) - h.clock.now())
    assert h.ticket(tid).level == 1
    await h.advance(timedelta(minutes=2))
    assert h.ticket(tid).level == 2
    await h.say(f"w1: 抢单 {tid}")
    assert h.ticket(tid).status == "claimed"


async def test_taken_but_not_finished_in_a_day_the_community_takes_it_over(h: Harness) -> None:
    """Reminders to the company's handler, then at the day's end the ticket is the community's."""
    tid = await company_ticket(h)
    await h.say("wy3: [tap 抢单]")
    out = await h.advance(timedelta(hours=12, minutes=5))
    assert any(x.startswith("⏰") or "办理时限" in x for x in h.to("wy3", out)), h.to("wy3", out)
    assert h.ticket(tid).status == "claimed"
    out = await h.advance(timedelta(hours=12))
    t = h.ticket(tid)
    assert (t.status, t.handler_id, t.level) == ("open", None, 1)
    assert h.to("wy3", out)[-1] == texts_property.W_BACKSTOP.format(id=tid, why="接单后未在1天内办结")
    assert any(x.startswith(f"【新工单 #{tid}】") for x in h.to("@danxi1", out))
    stats = h.to("admin", await h.say("admin: /stats"))[0]
    assert "丹溪花园物业：1 件，接单 1（响应率 100.0%），办结 0，双是 0（—），转社区兜底 1" in stats.replace(
        texts.STATS_NA, "—"
    )


async def test_company_staff_see_the_phone_only_when_they_hold_the_ticket(h: Harness) -> None:
    """Before the claim /status shows no phone; another company's staff can neither take nor see it."""
    tid = await company_ticket(h)
    before = h.to("wy3", await h.say(f"wy3: /status {tid}"))
    assert before and not any(PHONE in x for x in before)
    other = await h.say(f"wy1: 抢单 {tid}")
    assert h.to("wy1", other) == [texts.NOT_IN_SCOPE.format(id=tid)]
    assert h.to("wy1", await h.say(f"wy1: /status {tid}")) == [texts.NOT_FOUND.format(id=tid)]
    assert h.ticket(tid).status == "open"
    await h.say("wy3: [tap 抢单]")
    after = h.to("wy3", await h.say(f"wy3: /status {tid}"))
    assert any(PHONE in x for x in after)


async def test_the_claim_window_is_configurable(db_url: str, tmp_path: Path) -> None:
    """[sla] property_claim_within = "10m": the community takes over after ten minutes."""
    path = tmp_path / "jiesu.toml"
    path.write_text('[sla]\nproperty_claim_within = "10m"\nproperty_handle_within = "4h"\n', encoding="utf-8")
    config = load(path, env={})
    assert config.rules.sla.property_claim_within == timedelta(minutes=10)
    assert config.rules.sla.property_handle_within == timedelta(hours=4)
    path.write_text('[sla]\nproperty_claim_within = "0m"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load(path, env={})
    config = load(None, env={})
    config.rules = replace(
        config.rules, sla=replace(config.rules.sla, property_claim_within=timedelta(minutes=10))
    )
    h = await Harness.create(db_url, config)
    try:
        tid = await company_ticket(h)
        await h.advance(timedelta(minutes=11))
        assert h.ticket(tid).property_left_at is not None
    finally:
        h.close()


# --- the territory file's [[property]] tables -------------------------------------------------

GOOD = """
[[property]]
code = "wy-x"
name = "某物业"
phone = "0579-85550101"
compounds = ["丹溪花园"]

  [[property.staff]]
  name = "甲"
  phone = "13900000301"
  wecom = "jia"
"""


def territory_with(tmp_path: Path, extra: str) -> Path:
    """The example territory without its companies, plus the given TOML."""
    text = (EXAMPLE / "territory.toml").read_text(encoding="utf-8")
    text = text[: text.index("# 有事您找我")]
    shutil.copy(EXAMPLE / "grids.geojson", tmp_path / "grids.geojson")
    path = tmp_path / "territory.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def errors(tmp_path: Path, extra: str) -> list[str]:
    """The errors `jiesu territory check` reports for the example territory plus extra."""
    with pytest.raises(DataFileError) as caught:
        territory_file.parse(territory_with(tmp_path, extra))
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_the_example_territory_names_each_compound_s_company_and_its_staff() -> None:
    """Two companies, each with its compounds as the grids list them and staff with ids."""
    t = territory_file.parse(EXAMPLE / "territory.toml").territory
    assert [(c.code, c.compounds) for c in t.companies] == [
        ("wy-fandong", ("畈东小区",)),
        ("wy-danxi", ("丹溪花园",)),
    ]
    assert all(s.phone and s.ids for c in t.companies for s in c.staff)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("丹溪花园", "丹溪花苑"),
            "compounds: '丹溪花苑' is no name any grid lists (did you mean '丹溪花园'?)",
        ),
        (
            ('wecom = "jia"', 'wecom = "jia"\n  bogus = 1'),
            "bogus: unknown key in a property company's staff member",
        ),
        (('phone = "13900000301"', 'phone = "12345"'), "phone: '12345' is not a mainland mobile number"),
        (('  wecom = "jia"\n', ""), "wecom: give a wecom, telegram or wechat id"),
        (('  phone = "13900000301"\n', ""), "phone: write their mobile"),
        (('code = "wy-x"', 'code = "danxi-1"'), "code: 'danxi-1' is already used"),
        (
            ('phone = "0579-85550101"', 'phone = "call us"'),
            "phone: 'call us': write the service desk's number",
        ),
        (('compounds = ["丹溪花园"]', "compounds = []"), "compounds: list the compounds it serves"),
    ],
)
def test_bad_property_tables_are_refused_with_the_fix(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    """Each mistake names its field and what to write instead (the table as given passes)."""
    assert territory_file.parse(territory_with(tmp_path, GOOD)).territory.companies[0].code == "wy-x"
    found = errors(tmp_path, GOOD.replace(*change))
    assert any(e.startswith(expected) for e in found), found


def test_a_company_without_staff_and_a_compound_served_twice_are_refused(tmp_path: Path) -> None:
    """A compound has one company; a company needs someone to send its tickets to."""
    twice = GOOD + GOOD.replace('code = "wy-x"', 'code = "wy-y"').replace("jia", "yi")
    assert any("'丹溪花园' is already served by wy-x" in e for e in errors(tmp_path, twice))
    lone = GOOD[: GOOD.index("  [[property.staff]]")]
    assert any(e.startswith("staff: add [[property.staff]] tables") for e in errors(tmp_path, lone))
    same = GOOD + GOOD.replace('code = "wy-x"', 'code = "wy-y"').replace("丹溪花园", "畈东小区")
    assert any("'jia' already answers for wy-x" in e for e in errors(tmp_path, same))


def test_a_bad_file_imports_nothing_and_a_good_one_imports_once(db_url: str, tmp_path: Path) -> None:
    """A refused import leaves the companies as they were; importing the same file again changes nothing."""
    url = db_url
    assert main(["territory", "import", "--db", url, str(territory_with(tmp_path, GOOD))]) == 0

    def companies(s: Session) -> list[tuple[str, bool, int]]:
        staff = func.count(PropertyStaff.id)
        rows = s.execute(
            select(PropertyCompany.code, PropertyCompany.retired, staff)
            .outerjoin(PropertyStaff, PropertyStaff.company_id == PropertyCompany.id)
            .group_by(PropertyCompany.code, PropertyCompany.retired)
            .order_by(PropertyCompany.code)
        )
        return [(str(c), bool(r), int(n)) for c, r, n in rows]

    from models.store.database import Database

    db = Database(url)
    try:
        before = db.run_sync(companies)
        assert ("wy-x", False, 1) in before
        bad = territory_with(tmp_path, GOOD.replace("丹溪花园", "丹溪花苑"))
        assert main(["territory", "import", "--db", url, str(bad)]) != 0
        assert db.run_sync(companies) == before
        assert main(["territory", "import", "--db", url, str(territory_with(tmp_path, GOOD))]) == 0
        assert db.run_sync(companies) == before
        # Left out of the file: retired, its staff no longer get its tickets.
        assert main(["territory", "import", "--db", url, str(territory_with(tmp_path, ""))]) == 0
        assert ("wy-x", True, 0) in db.run_sync(companies)
        person = db.run_sync(lambda s: s.scalar(select(Person.name).where(Person.external_id == "jia")))
        assert person == "甲"
    finally:
        db.close()


def test_a_catalogue_s_first_handler_is_checked(tmp_path: Path) -> None:
    """first = "property" or "grid"; anything else is refused with both choices; inherited downwards."""
    text = (EXAMPLE / "catalogue.toml").read_text(encoding="utf-8")
    path = tmp_path / "catalogue.toml"
    path.write_text(text.replace('\nfirst = "property"', '\nfirst = "owner"', 1), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        catalogue_file.parse(path)
    assert any(
        p.field == "first" and p.message.startswith("'owner': write first = \"property\"")
        for p in caught.value.problems
    )
    nodes = catalogue_file.parse(EXAMPLE / "catalogue.toml").catalogue.by_code()
    assert nodes["elevator"].first == "property"  # from its category
    assert nodes["road"].first is None


async def test_the_statistics_page_and_the_weekly_workbook_show_each_company(db_url: str) -> None:
    """The office's statistics and the 周报 carry the company's row: sent first, taken, 双是, taken over."""
    async with office_with_grids(db_url) as h:
        tid = await company_ticket(h)
        await h.say("wy3: [tap 抢单]")
        await h.say(f"wy3: 办结 {tid} 已更换电梯按钮")
        await h.run("r1: [tap 是]", "r1: [tap 满意]")
        row = ["丹溪花园物业", "1", "1", "100.0%", "1", "1", "100.0%", "0"]
        async with client(h) as http:
            await sign_in(h, http, "admin")
            page = (await http.get("/office/stats?period=week")).text
        table = page.split('<table id="property">')[1].split("</table>")[0]
        assert all(f"<th>{c}</th>" in table for c in texts_property.COLUMNS)
        assert "".join(f"<td>{c}</td>" for c in row) in table

        def book(s: Session) -> bytes:
            u = h.app.unit(s)
            danxi = u.tree.by_code("danxi")
            assert danxi is not None
            return weekly.workbook(u, True, [], [danxi.id])

        sheet = load_workbook(io.BytesIO(h.query(book))).active
        assert sheet is not None
        cells = [[str(c) if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
        at = cells.index(list(texts_property.COLUMNS) + [""] * (len(cells[0]) - len(texts_property.COLUMNS)))
        assert cells[at + 1][: len(row)] == row
