"""夜访日记: a visit recorded in chat or on the web, each need a 代办 ticket linked to it, the visit and its
tickets listed together, and a printable 交办单; bad input is answered and stores nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from handlers import texts
from models.people import get_or_create_person, grant
from models.tables import NightVisit, NightVisitTicket, Role, Ticket

from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

NEED = "现代花园消防通道被杂物堵塞，需要清理"


async def visited(h: Harness) -> int:
    """w1 records the visit to 现代花园 (siji-1) in chat; return its number."""
    await h.quick_grid()
    out = await h.say("w1: 夜访 今天 第一夜访小组 现代花园 12 物业交接后服务跟不上")
    (said,) = h.to("w1", out)
    assert said.startswith(
        "夜访记录 1 已登记：2026-11-23 第一夜访小组，现代花园（四季社区 第一网格），走访 12 户。"
    )
    return 1


async def test_a_visit_and_its_need_become_a_linked_proxy_ticket(h: Harness) -> None:
    """夜访需求 files a 夜访 代办 ticket in the visit's grid; its card reaches the grid's group."""
    vid = await visited(h)
    out = await h.say(f"w1: 夜访需求 {vid} {NEED}")
    (said,) = h.to("w1", out)
    tid = h.query(lambda s: s.query(Ticket.id).scalar())
    assert said == texts.VISIT_NEED_FILED.format(
        visit=vid, id=tid, category="公共安全/消防通道堵塞", area="四季社区 第一网格"
    )
    t = h.ticket(tid)
    assert (t.source, t.status, t.filed_by_id, t.contact_name) == (
        "visit",
        "open",
        t.resident_id,
        "第一夜访小组",
    )
    assert h.to("@siji1", out) and h.to("@siji1", out)[0].startswith(f"【新工单 #{tid}】")
    assert h.count(NightVisitTicket, NightVisitTicket.visit_id == vid) == 1
    listed = h.to("w1", await h.say(f"w1: 夜访记录 {vid}"))[0]
    assert listed.startswith("夜访记录 1：2026-11-23 第一夜访小组") and f"#{tid} " in listed
    assert "物业交接后服务跟不上" in listed
    overview = h.to("admin", await h.say("admin: 夜访记录"))[0]
    assert "1. 2026-11-23 第一夜访小组 · 现代花园 · 走访 12 户 · 需求 1 条" in overview


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("w1: 夜访 今天 第一夜访小组 现代花园 0", texts.VISIT_EMPTY),
        ("w1: 夜访 下辈子 第一夜访小组 现代花园 12", texts.VISIT_DATE_BAD.format(date="下辈子")),
        ("w1: 夜访 今天 第一夜访小组 现代花园 十几户", texts.VISIT_HOUSEHOLDS_BAD.format(count="十几户")),
        ("w1: 夜访 今天 第一夜访小组", texts.USAGE.format(usage=texts.USAGE_NIGHTVISIT)),
        ("r1: 夜访 今天 第一夜访小组 现代花园 12", texts.NOT_STAFF),
        ("v1: 夜访 今天 第一夜访小组 现代花园 12", texts.NOT_STAFF),
    ],
)
async def test_a_bad_visit_is_answered_and_nothing_is_stored(h: Harness, line: str, answer: str) -> None:
    """An empty visit, an unreadable date or count, too few words, a resident, a volunteer."""
    await h.quick_grid()

    def volunteer(s: object) -> None:
        u = h.app.unit(s)  # type: ignore[arg-type]
        person = get_or_create_person(u.session, "console", "v1", u.now, name="v1", handle="v1", chat_id="v1")
        grant(u.session, person, Role.VOLUNTEER, u.tree.top().id, None, u.now)

    await h.app.db.run(volunteer)
    user = line.split(":")[0]
    out = await h.say(line)
    assert h.to(user, out) == [answer]
    assert h.count(NightVisit) == 0


async def test_a_need_for_no_visit_or_without_words_files_nothing(h: Harness) -> None:
    """夜访需求 for an unknown visit, or with no need written: answered, no ticket."""
    vid = await visited(h)
    out = await h.run("w1: 夜访需求 9 楼道灯坏了需要更换", f"w1: 夜访需求 {vid}")
    assert h.to("w1", out) == [
        texts.VISIT_UNKNOWN.format(id=9),
        texts.USAGE.format(usage=texts.USAGE_VISIT_NEED),
    ]
    assert h.count(Ticket) == 0


async def test_the_web_form_records_a_visit_with_its_needs_and_prints_the_jiaobandan(db_url: str) -> None:
    """One form: the visit and a ticket per need line; the visit page lists them; /print is the 交办单."""
    async with office_with_grids(db_url) as h, client(h) as http:
        await sign_in(h, http, "admin")
        form = {
            "date": "2026-11-22",
            "team": "第二夜访小组",
            "place": "siji-1",
            "households": "8",
            "notes": "居民反映停车难、噪音大",
            "needs": f"{NEED}\n\n小区健身器材陈旧，希望更换\n",
        }
        saved = await post_form(http, "/office/visits", "/office/visits", form)
        assert saved.status_code == 303 and saved.headers["location"].endswith("/office/visits/1")
        page = (await http.get("/office/visits/1")).text
        assert texts.WEB_VISIT_SAVED.format(id=1, count=2) in page
        ids = h.query(lambda s: [t.id for t in s.query(Ticket).order_by(Ticket.id)])
        assert len(ids) == 2 and all(f'data-id="{i}"' in page for i in ids)
        visit = h.query(lambda s: s.get(NightVisit, 1))
        assert (visit.visited_on, visit.households) == (date(2026, 11, 22), 8)
        printed = (await http.get("/office/visits/1/print")).text
        assert texts.WEB_VISIT_PRINT_TITLE.format(id=1) in printed and NEED in printed
        assert all(f"#{i}" in printed for i in ids) and texts.WEB_VISIT_PRINT_SIGN[0] in printed
        listed = (await http.get("/office/visits")).text
        assert 'data-id="1"' in listed and "第二夜访小组" in listed


async def test_an_empty_web_visit_is_refused_and_stores_nothing(db_url: str) -> None:
    """No households and no notes: the form comes back with the reason; no visit, no ticket."""
    async with office_with_grids(db_url) as h, client(h) as http:
        await sign_in(h, http, "w1")
        form = {
            "date": "今天",
            "team": "第一夜访小组",
            "place": "现代花园",
            "households": "0",
            "needs": NEED,
        }
        answer = await post_form(http, "/office/visits", "/office/visits", form)
        assert answer.status_code == 400 and texts.VISIT_EMPTY in answer.text
        assert h.count(NightVisit) == 0 and h.count(Ticket) == 0
        assert (await http.get("/office/visits/1")).status_code == 404


async def test_the_jiaobandan_downloads_as_a_sheet_with_the_visit_its_tickets_and_signature_lines(
    db_url: str,
) -> None:
    """/office/visits/1/jiaoban.xlsx: title, the visit, a row per need's ticket (no phone), sign lines;
    a visit that does not exist is a 404 and no file."""
    async with office_with_grids(db_url) as h, client(h) as http:
        await sign_in(h, http, "admin")
        form = {
            "date": "2026-11-22",
            "team": "第二夜访小组",
            "place": "siji-1",
            "households": "8",
            "notes": "居民反映停车难",
            "needs": f"{NEED}，联系电话13800138000\n小区健身器材陈旧，希望更换\n",
        }
        saved = await post_form(http, "/office/visits", "/office/visits", form)
        assert saved.status_code == 303
        answer = await http.get("/office/visits/1/jiaoban.xlsx")
        assert answer.status_code == 200
        assert "attachment" in answer.headers["content-disposition"]
        missing = await http.get("/office/visits/9/jiaoban.xlsx")
        assert missing.status_code == 404 and not missing.content.startswith(b"PK")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    flat = " ".join(str(c) for row in cells for c in row)
    assert texts.WEB_VISIT_PRINT_TITLE.format(id=1) in str(cells[0][0])
    assert "第二夜访小组" in str(cells[1][0])
    header = next(i for i, row in enumerate(cells) if tuple(row) == texts.XLS_VISIT_HEADERS)
    tickets = [row for row in cells[header + 1 :] if row and str(row[0]).startswith("#")]
    assert len(tickets) == 2
    assert "13800138000" not in flat  # lists and exports never carry a phone
    assert all(label in flat for label in texts.WEB_VISIT_PRINT_SIGN)
