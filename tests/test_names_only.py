"""Territories of names only (no polygon), of some polygons and of all polygons: check, import, route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import prcoords
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import main
from bot.config import load
from handlers import texts
from models.tables import Area

from .harness import Harness
from .town import CATALOGUE

# Three grids known by their 小区 and street names only, as most offices start.
NAMES_ONLY = """\
[subdistrict]
code = "lake"
name = "湖畔街道"
datum = "gcj02"

[[departments]]
code = "dept-a"
name = "综合办"
categories = ["city", "housing", "idea", "other"]

[[departments]]
code = "dept-b"
name = "平安办"

[[communities]]
code = "north"
name = "北社区"

[[communities.grids]]
code = "north-1"
name = "北一网格"
names = ["湖景花园", "湖滨路 1-99号"]

[[communities.grids]]
code = "north-2"
name = "北二网格"
names = ["望湖小区 1-10幢"]

[[communities]]
code = "south"
name = "南社区"

[[communities.grids]]
code = "south-1"
name = "南一网格"
names = ["南湖新村"]
"""

# Side by side, 0.01° squares: north-1, north-2, south-1 from west to east.
SQUARES = {
    "north-1": "[[120.10, 30.20], [120.11, 30.20], [120.11, 30.21], [120.10, 30.21]]",
    "north-2": "[[120.11, 30.20], [120.12, 30.20], [120.12, 30.21], [120.11, 30.21]]",
    "south-1": "[[120.12, 30.20], [120.13, 30.20], [120.13, 30.21], [120.12, 30.21]]",
}
INSIDE_NORTH_1 = (30.205, 120.105)  # GCJ-02 (lat, lon): what the console sends is WGS-84, see below


def with_polygons(codes: tuple[str, ...]) -> str:
    """The names-only file with an inline boundary added to the given grids."""
    text = NAMES_ONLY
    for code in codes:
        text = text.replace(f'code = "{code}"\n', f'code = "{code}"\nboundary = {SQUARES[code]}\n')
    return text


VARIANTS = {
    "no polygons": (),
    "some polygons": ("north-1",),
    "all polygons": ("north-1", "north-2", "south-1"),
}


def territory(tmp_path: Path, variant: str) -> Path:
    """The variant's territory file in the test's directory."""
    path = tmp_path / "territory.toml"
    path.write_text(with_polygons(VARIANTS[variant]), encoding="utf-8")
    return path


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_check_counts_the_grids_with_and_without_boundaries(
    variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jiesu territory check` accepts a file whatever share of its grids has a polygon."""
    assert main(["territory", "check", str(territory(tmp_path, variant))]) == 0
    out = capsys.readouterr().out
    polygons = len(VARIANTS[variant])
    assert f"3 grids ({polygons} with a boundary, 3 with names)" in out
    assert "overlapping polygons: none" in out


@pytest.mark.parametrize("variant", list(VARIANTS))
async def test_import_twice_then_nothing_to_change(
    variant: str, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jiesu territory import` imports every variant, and a second import has nothing to change."""
    path = territory(tmp_path, variant)
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    assert "  add grid south-1 (南一网格)\n" in capsys.readouterr().out
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    assert capsys.readouterr().out.endswith(f"nothing to change: the database already matches {path}\n")


@pytest.fixture(params=list(VARIANTS))
async def lake(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A bot on an imported variant of the territory and the test catalogue, demo off."""
    path = territory(tmp_path, request.param)
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    assert main(["catalogue", "import", "--db", db_url, str(CATALOGUE)]) == 0
    config = load(None, env={})
    config.seed_demo = False
    harness = await Harness.create(db_url, config)
    try:
        yield harness
    finally:
        harness.close()


async def report_at(h: Harness, where: str) -> str:
    """File a report typed at an address (or sent as a location); the confirmation's text."""
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 楼道灯坏了好几天", "r1: [tap 跳过]")
    out = await h.say(f"r1: {where}")
    if out[0]["text"] == texts.ASK_COMMUNITY:
        return "asked for the community"
    await h.say("r1: [tap 跳过]")
    out = await h.say("r1: [tap 确认提交]")
    return str(out[0]["text"])


async def test_typed_addresses_route_by_names(lake: Harness) -> None:
    """A typed 小区, building or house number goes to the grid that lists it, with or without polygons."""
    assert "北社区 北一网格" in await report_at(lake, "湖景花园3幢2单元")
    assert "北社区 北二网格" in await report_at(lake, "望湖小区5幢")
    assert "南社区 南一网格" in await report_at(lake, "南湖新村门口")
    assert "北社区 北一网格" in await report_at(lake, "湖滨路18号")


async def test_a_location_is_never_called_outside_a_territory_without_geometry(lake: Harness) -> None:
    """A shared location goes by polygon where one holds it, else the community is asked: never 'outside'."""
    wgs = prcoords.gcj_wgs_bored(prcoords.Coords(*INSIDE_NORTH_1))
    await lake.run("r1: /report", "r1: [tap 其他]", "r1: 楼道灯坏了好几天", "r1: [tap 跳过]")
    out = await lake.say(f"r1: [location {wgs.lat:.6f},{wgs.lon:.6f}]")
    texts_sent = [m["text"] for m in out]
    assert texts.OUT_OF_AREA.format(subdistrict="湖畔街道") not in texts_sent
    if lake.query(lambda s: _has_polygon(s, "north-1")):
        assert texts_sent == [texts.ASK_PHONE]  # inside north-1's square
    else:
        assert texts_sent == [texts.ASK_COMMUNITY]


def _has_polygon(session: Session, code: str) -> bool:
    """Whether the grid was imported with a boundary."""
    return session.scalar(select(Area.boundary).where(Area.code == code)) is not None
