"""Routing: GPS points by grid polygon in the map's datum, typed addresses by 小区 / street names."""

from __future__ import annotations

from collections.abc import AsyncIterator

import prcoords
import pytest
from sqlalchemy.orm import Session

from handlers import texts
from models.datafiles.addresses import MatchKind
from models.refdata import area_tree
from models.routing import How, PointRoute

from .harness import Harness
from .tgfake import Tg, setup_grid
from .town import town_harness
from .wxfake import WxEnv

# Points of the test town, in GCJ-02 (as the map was drawn): one inside each grid polygon.
INSIDE_GCJ = {"west-1": (30.255, 120.145), "east-1": (30.255, 120.155), "east-2": (30.255, 120.165)}
# A point of east-1, 170 m from its border with west-1: its WGS-84 reading (what a phone's GPS
# and Telegram give) lies inside west-1 unless it is converted first.
BORDER_GCJ = (30.255, 120.1517)


def wgs(lat: float, lon: float) -> tuple[float, float]:
    """The WGS-84 reading of a GCJ-02 point (prcoords' exact inverse)."""
    p = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    return float(p.lat), float(p.lon)


@pytest.fixture
async def town(db_url: str) -> AsyncIterator[Harness]:
    """The test territory of tests/data/ on a fresh database."""
    harness = await town_harness(db_url)
    try:
        yield harness
    finally:
        harness.close()


def route(h: Harness, lat: float, lon: float, datum: str) -> tuple[How, str | None]:
    """Route a point as the wizard does; the area's code."""

    def read(s: Session) -> tuple[How, str | None]:
        tree = area_tree(s)
        r: PointRoute = tree.router.route_point(lat, lon, datum, 3.0)
        return r.how, tree.by_id[r.area_id].code if r.area_id is not None else None

    return h.query(read)  # type: ignore[no-any-return]


def match(h: Harness, address: str) -> tuple[MatchKind, list[str]]:
    """Match a typed address as the wizard does; the grid codes, best first."""

    def read(s: Session) -> tuple[MatchKind, list[str]]:
        tree = area_tree(s)
        m = tree.router.match_address(address)
        return m.kind, [tree.by_id[a].code for a in m.area_ids]

    return h.query(read)  # type: ignore[no-any-return]


async def test_points_inside_each_polygon_route_there_from_either_datum(town: Harness) -> None:
    """A point in each grid polygon goes to that grid, sent as GCJ-02 (WeChat) or as WGS-84 (Telegram)."""
    for code, (lat, lon) in INSIDE_GCJ.items():
        assert route(town, lat, lon, "gcj02") == (How.GRID, code)
        assert route(town, *wgs(lat, lon), "wgs84") == (How.GRID, code)


async def test_a_wgs84_point_near_a_border_needs_the_conversion(town: Harness) -> None:
    """Near a border the WGS-84 reading taken as map coordinates is in the wrong grid; converted, right."""
    reading = wgs(*BORDER_GCJ)
    assert route(town, *reading, "gcj02") == (How.GRID, "west-1")  # what no conversion would do
    assert route(town, *reading, "wgs84") == (How.GRID, "east-1")
    assert route(town, *BORDER_GCJ, "gcj02") == (How.GRID, "east-1")


async def test_a_point_on_no_polygon_goes_to_the_nearest_centre(town: Harness) -> None:
    """A point south of the polygons, near the centre of the names-only grid west-2, goes there."""
    assert route(town, 30.2405, 120.1452, "gcj02") == (How.NEAREST, "west-2")


async def test_a_point_outside_the_subdistrict_is_outside(town: Harness) -> None:
    """A point in another city is not routed anywhere."""
    assert route(town, 39.9042, 116.4074, "wgs84") == (How.OUTSIDE, None)


async def test_typed_addresses_exact_fuzzy_ambiguous_and_none(town: Harness) -> None:
    """Exact names (building and house-number ranges) pick one grid; near spellings and shared names ask."""
    assert match(town, "现代花园小区3幢2单元") == (MatchKind.ONE, ["west-2"])
    assert match(town, "现代花园8幢") == (MatchKind.ONE, ["east-1"])
    assert match(town, "求是路88号") == (MatchKind.ONE, ["east-2"])
    assert match(town, "杭州市求是路12号楼下") == (MatchKind.ONE, ["east-1"])
    assert match(town, "文一路 66 号") == (MatchKind.ONE, ["west-2"])
    assert match(town, "现代花园门口") == (MatchKind.SEVERAL, ["east-1", "west-2"])
    assert match(town, "翠苑三区") == (MatchKind.SEVERAL, ["east-2", "west-2"])
    assert match(town, "现代化园3幢") == (MatchKind.SEVERAL, ["east-1", "west-2"])
    assert match(town, "延安路100号") == (MatchKind.NONE, [])


async def test_wizard_routes_a_typed_address_to_its_grid(town: Harness) -> None:
    """One clear match: the ticket goes to that grid, and the summary says so."""
    await town.run("r1: /report", "r1: [tap 其他]", "r1: 楼道灯坏了好几天", "r1: [tap 跳过]")
    out = await town.say("r1: 求是路88号3单元")
    assert out[0]["text"] == texts.ASK_PHONE
    out = await town.say("r1: [tap 跳过]")
    assert "地址：求是路88号3单元\n所属：东社区 东二网格" in out[0]["text"]


async def test_wizard_lets_the_resident_pick_among_several_grids(town: Harness) -> None:
    """Several matches: the resident picks one (or none of them, then the community)."""
    await town.run("r1: /report", "r1: [tap 其他]", "r1: 楼道灯坏了好几天", "r1: [tap 跳过]")
    out = await town.say("r1: 翠苑三区")
    assert out[0]["text"] == texts.ASK_GRID_PICK.format(address="翠苑三区")
    assert out[0]["buttons"][:3] == ["东社区 东二网格", "西社区 西二网格", texts.BTN_NONE_OF_THESE]
    out = await town.say("r1: [tap 西社区 西二网格]")
    assert out[0]["text"] == texts.ASK_PHONE
    await town.run("r1: [tap 返回上一步]")
    out = await town.say(f"r1: [tap {texts.BTN_NONE_OF_THESE}]")
    assert out[0]["text"] == texts.ASK_COMMUNITY


async def test_wizard_refuses_a_grid_it_did_not_offer(town: Harness) -> None:
    """A grid button for a grid not among those offered (stale or forged) is refused; the step stays."""
    await town.run("r1: /report", "r1: [tap 其他]", "r1: 楼道灯坏了好几天", "r1: [tap 跳过]", "r1: 翠苑三区")
    for payload in ("wz:grid:east-1", "wz:grid:nowhere", "wz:cat:other"):
        result, out = await town.send("r1", payload=payload)
        assert (result.alert, out) == (texts.BUTTON_EXPIRED, []), payload
    out = await town.say("r1: [tap 东社区 东二网格]")
    assert out[0]["text"] == texts.ASK_PHONE


async def test_wizard_says_a_far_location_is_outside_the_subdistrict(town: Harness) -> None:
    """A location in another city is named as outside 测试街道, then the community is asked."""
    await town.run("r1: /report", "r1: [tap 其他]", "r1: 楼道灯坏了好几天", "r1: [tap 跳过]")
    out = await town.say("r1: [location 39.9042,116.4074]")
    assert [m["text"] for m in out] == [texts.OUT_OF_AREA.format(subdistrict="测试街道"), texts.ASK_COMMUNITY]


async def test_wizard_walks_three_catalogue_levels_with_back_at_each(town: Harness) -> None:
    """Category -> item -> sub-item, each with a back button; back returns level by level."""
    out = await town.say("r1: /report")
    assert out[0]["buttons"] == ["城管", "住房", "公共安全", "金点子", "其他", texts.BTN_CANCEL]
    out = await town.say("r1: [tap 住房]")
    assert out[0]["buttons"] == ["房屋维修", "其他住房问题", texts.BTN_BACK, texts.BTN_CANCEL]
    out = await town.say("r1: [tap 房屋维修]")
    assert out[0]["text"] == "「住房/房屋维修」下请再选择具体类别："
    assert out[0]["buttons"] == ["屋顶漏水", "墙体开裂", texts.BTN_BACK, texts.BTN_CANCEL]
    out = await town.say("r1: [tap 返回上一步]")
    assert out[0]["buttons"] == ["房屋维修", "其他住房问题", texts.BTN_BACK, texts.BTN_CANCEL]
    await town.say("r1: [tap 房屋维修]")
    out = await town.say("r1: [tap 屋顶漏水]")
    assert out[0]["text"].startswith("类别：住房/房屋维修/屋顶漏水\n")
    await town.run(
        "r1: 屋顶漏水滴到床上", "r1: [tap 跳过]", "r1: [location 30.2574,120.1470]", "r1: [tap 跳过]"
    )
    out = await town.say("r1: [tap 确认提交]")
    assert out[0]["text"].startswith(
        "已受理！工单编号 #1。\n类别：住房/房屋维修/屋顶漏水\n办理时限：简单事项"
    )
    assert "东社区 东一网格" in out[0]["text"]  # the console's location is WGS-84: converted


async def test_urgent_category_goes_to_community_and_department_at_once(town: Harness) -> None:
    """A gas leak posts its card to the grid, the community and the owning department together."""
    await town.run(
        "admin@g: /bind east-1", "admin@c: /bind east", "admin@d: /bind dept-b", "admin@a: /bind dept-a"
    )
    await town.run("r1: /report", "r1: [tap 公共安全]", "r1: [tap 燃气泄漏]", "r1: 三楼楼道燃气味很重")
    await town.run(
        "r1: [tap 跳过]", "r1: [location 30.2574,120.1470]", "r1: [tap 跳过]", "r1: [tap 确认提交]"
    )
    assert town.last("@g")["text"].startswith("【新工单 #1】公共安全/燃气泄漏")
    assert town.last("@c")["text"].startswith("【紧急】【新工单 #1】公共安全/燃气泄漏")
    assert town.last("@d")["text"].startswith("【紧急】【新工单 #1】公共安全/燃气泄漏")
    assert not any(m["chat"] == "@a" and "#1" in m["text"] for m in town.transcript)


# The demo map (examples/beiyuan) is GCJ-02 too: a point of 四季社区 第二网格 near its border with
# 第一网格, and its WGS-84 reading (which, unconverted, lies in 第一网格).
DEMO_BORDER_GCJ = (29.34403, 120.08425)
DEMO_BORDER_WGS = wgs(*DEMO_BORDER_GCJ)


async def test_telegram_location_is_read_as_wgs84(tg: Tg) -> None:
    """Telegram's GPS location near a border lands in the right grid of the GCJ-02 map."""
    c = await setup_grid(tg)
    u, r1 = tg.u, c.r1
    await tg.send(u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "其他")
    await tg.send(u.text(r1, "楼道灯坏了好几天"))
    await tg.tap(r1, r1["id"], "跳过")
    await tg.send(u.location(r1, *DEMO_BORDER_WGS))
    await tg.tap(r1, r1["id"], "跳过")
    await tg.tap(r1, r1["id"], "确认提交")
    assert any("已转交 四季社区 第二网格 的网格员" in t for t in tg.api.texts(r1["id"]))


async def test_wechat_location_is_read_as_gcj02(wx: WxEnv) -> None:
    """A WeChat location message is GCJ-02 already: the same border point lands in the same grid."""
    user = "resident"
    await wx.text(user, "/report")
    await wx.text(user, "其他")
    await wx.text(user, "楼道灯坏了好几天")
    await wx.text(user, "跳过")
    await wx.location(user, *DEMO_BORDER_GCJ)
    await wx.text(user, "跳过")
    assert "已转交 四季社区 第二网格 的网格员" in await wx.text(user, "确认提交")
