"""Search: number and description for all; phone, its last digits, name, address only where allowed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from models import search
from models.tables import TicketWord

from .harness import Harness
from .office import city_order, client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; workers w1, w2 in grid siji-1."""
    async with office_with_grids(db_url) as h:
        yield h


def ids_in(page: str) -> list[int]:
    """Ticket numbers listed in the tickets table, in order."""
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)">', page)]


async def found(http: object, q: str) -> list[int]:
    """The tickets a search lists."""
    page = await http.get("/office/tickets", params={"q": q})  # type: ignore[attr-defined]
    assert page.status_code == 200
    return ids_in(page.text)


async def test_search_by_private_fields_only_where_allowed(web: Harness) -> None:
    """Admin and handler find a ticket by phone, last digits, name, address; another worker does not."""
    a = await web.quick_report(
        "张三丰", phone="13912345678", address="春晗路12号3单元", description="楼道灯坏了"
    )
    b = await web.quick_report("r2", phone="13800138000", description="人行道破损")
    await web.say(f"w1: 抢单 {a}")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        for q in ("13912345678", "5678", "张三", "三丰", "春晗路12号", "3单元", "楼道灯", f"#{a}"):
            assert await found(http, q) == [a], q
        assert await found(http, "破损") == [b]
        assert await found(http, "138") == []  # three digits are not a phone ending
        assert await found(http, "%%%") == [] and await found(http, "\u200b\u0301") == []
    async with client(web) as http:
        await sign_in(web, http, "w1")  # the handler
        assert await found(http, "5678") == [a]
        assert await found(http, "张三丰") == [a]
    async with client(web) as http:
        await sign_in(web, http, "w2")  # same grid, not the handler: the ticket, never by its phone
        assert await found(http, "楼道灯") == [a]
        for q in ("13912345678", "5678", "张三丰", "春晗路12号"):
            assert await found(http, q) == [], q


async def test_the_index_is_rebuilt_the_same(web: Harness) -> None:
    """reindex (after a bulk load, and in the migration) gives the words create() gave."""
    await web.quick_report("r1", phone="13912345678", address="春晗路12号")
    await web.quick_report("r2", description="井盖丢失，晚上很危险")

    def words(s: object) -> list[tuple[str, int, bool]]:
        return sorted(s.query(TicketWord.word, TicketWord.ticket_id, TicketWord.private).all())  # type: ignore[attr-defined]

    before = web.query(words)
    assert ("#5678", 1, True) in before and ("井盖", 2, False) in before
    assert web.query(lambda s: (search.reindex(s), words(s))[1]) == before


def test_pairs_fold_width_and_case() -> None:
    """Full-width digits and letters fold (NFKC), case folds, punctuation splits, one-character runs stay."""
    assert search.pairs("ＡＢ路灯，灯") == {"ab", "b路", "路灯", "灯"}
    assert search.phone_words("139-1234-5678") >= {"#5678", "#13912345678"}


@pytest.fixture
async def town(db_url: str) -> AsyncIterator[Harness]:
    """The office on; w1, w2 in siji-1 and j1 in jingfa-1."""
    async with office_with_grids(db_url, jingfa=True) as h:
        yield h


async def test_a_city_number_finds_its_order_for_those_who_see_it(town: Harness) -> None:
    """The 12345 工单编号 finds its ticket, typed whole in any width or case; a part or a near miss
    finds nothing; a worker of another grid never finds it, though he finds his own grid's order."""
    siji = await city_order(town, "BJ2026112300001", "现代花园3幢2单元")
    jingfa = await city_order(town, "BJ2026112300002", "畈东小区5号楼")
    digits = await city_order(town, "202612070042", "现代花园5幢1单元")
    async with client(town) as http:
        await sign_in(town, http, "admin")
        for q in (
            "BJ2026112300001",
            "bj2026112300001",
            "ＢＪ２０２６１１２３００００１",
            " BJ2026112300001 ",
        ):
            assert await found(http, q) == [siji], q
        assert await found(http, "BJ2026112300002") == [jingfa]
        assert await found(http, "202612070042") == [digits]  # digits only: a city number, not a phone
        for q in ("BJ20261123", "BJ2026112300009", "BJ2026112300001X", "BJ2026112300001' OR '1'='1"):
            assert await found(http, q) == [], q
        page = await http.get(f"/office/tickets/{siji}")
        assert "BJ2026112300001" in page.text  # what it was found by is on its page
    async with client(town) as http:
        await sign_in(town, http, "w2")  # siji-1, not the handler: city numbers are not private
        assert await found(http, "BJ2026112300001") == [siji]
        assert await found(http, "BJ2026112300002") == []
    async with client(town) as http:
        await sign_in(town, http, "j1")
        assert await found(http, "BJ2026112300002") == [jingfa]
        assert await found(http, "BJ2026112300001") == []
