"""Enterprise reporters (问政北苑): 企业 名称 [统一社会信用代码] files a resident's reports for a company."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from handlers import texts
from models.enterprise import ReporterEnterprise, TicketEnterprise, credit_code_ok

from .harness import Harness
from .office import client, office_with_grids, sign_in

CODE = "91330782MA2H1B2C3L"  # a well-formed 统一社会信用代码 (its check character computed)
COMPANY = "义乌市萤萤电子商务商行"


def marked(h: Harness) -> list[tuple[int, str, str | None]]:
    rows = h.query(
        lambda s: s.execute(
            select(TicketEnterprise.ticket_id, TicketEnterprise.name, TicketEnterprise.credit_code).order_by(
                TicketEnterprise.ticket_id
            )
        ).all()
    )
    return [tuple(r) for r in rows]


def test_the_check_character_is_verified() -> None:
    """GB 32100's check character: a published code passes, a changed digit or letter fails."""
    assert credit_code_ok("91350100M000100Y43") and credit_code_ok(CODE)
    assert not credit_code_ok("91350100M000100Y44") and not credit_code_ok("91350100M000100Y4")
    assert not credit_code_ok("91350100M000100I43")  # I is not in the alphabet


async def test_a_resident_reports_for_his_company_then_as_himself(h: Harness) -> None:
    """企业 名称 代码: the next report is marked and its receipt says so; 企业 取消: the next is his own."""
    await h.setup_grid(workers=("w1",))
    out = await h.say(f"r1: 企业 {COMPANY} {CODE}")
    assert h.to("r1", out) == [
        texts.COMPANY_SET.format(name=COMPANY, code=texts.COMPANY_CODE.format(code=CODE))
    ]
    first = await h.report("r1")
    assert texts.SUBMITTED_COMPANY.format(name=COMPANY) in h.to("r1")[-1]
    assert h.to("r1", await h.say("r1: /company")) == [
        texts.COMPANY_NOW.format(name=COMPANY, code=texts.COMPANY_CODE.format(code=CODE))
    ]
    out = await h.say(f"w1: 抢单 {first}")
    assert any(f"企业诉求：{COMPANY}" in t for t in h.to("w1", out)), "the handler's details name the company"
    assert h.to("r1", await h.say("r1: 企业 取消")) == [texts.COMPANY_CLEARED]
    second = await h.report("r1")
    assert texts.SUBMITTED_COMPANY.format(name=COMPANY) not in h.to("r1")[-1]
    assert marked(h) == [(first, COMPANY, CODE)] and second != first
    assert h.to("r1", await h.say("r1: 企业")) == [texts.COMPANY_NONE]


async def test_the_code_is_optional(h: Harness) -> None:
    """A company name alone is enough (个体经营户 have no code at hand)."""
    out = await h.say("r1: 企业 北苑副食品店")
    assert h.to("r1", out) == [texts.COMPANY_SET.format(name="北苑副食品店", code="")]
    n = await h.quick_report("r1")
    assert marked(h) == [(n, "北苑副食品店", None)]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (f"企业 {COMPANY} 91330782MA2H1B2C3M", texts.CREDIT_CODE_INVALID.format(code="91330782MA2H1B2C3M")),
        (f"企业 {COMPANY} 913307821234567", texts.CREDIT_CODE_INVALID.format(code="913307821234567")),
        ("企业 店", texts.COMPANY_NAME_BAD.format(most=100)),
        ("企业 " + "很" * 101, texts.COMPANY_NAME_BAD.format(most=100)),
    ],
)
async def test_bad_companies_are_answered_and_change_nothing(h: Harness, line: str, answer: str) -> None:
    """A wrong check character or length, a name too short or too long: a clear answer, nothing stored."""
    out = await h.say(f"r1: {line}")
    assert h.to("r1", out) == [answer]
    assert h.count(ReporterEnterprise) == 0


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    async with office_with_grids(db_url) as h:
        yield h


async def test_enterprise_tickets_are_tagged_filtered_and_counted(web: Harness) -> None:
    """The office list marks and filters them; the stats page and /stats count them."""
    await web.say(f"r1: 企业 {COMPANY} {CODE}")
    company = await web.quick_report("r1")
    own = await web.quick_report("r2")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        everything = (await http.get("/office/tickets")).text
        assert f'title="{COMPANY}"' in everything
        only = (await http.get("/office/tickets?enterprise=1")).text
        assert f'data-id="{company}"' in only and f'data-id="{own}"' not in only
        stats = (await http.get("/office/stats")).text
        assert texts.STATS_ENTERPRISE.format(count=1) in stats
        page = (await http.get(f"/office/tickets/{company}")).text
        assert f"{COMPANY}（{CODE}）" in page
    answer = web.to("admin", await web.say("admin: /stats"))[0]
    assert texts.STATS_ENTERPRISE.format(count=1) in answer
