"""Routing one point or one typed address against 200 grids and 2,000 小区 names.

    python bench/routing.py [--grids 200] [--names-per-grid 10] [--repeat 2000]

Builds a territory in memory (a 20 x 10 block of square grids drawn in GCJ-02, ten names each:
compounds, building ranges and street ranges), then times Router.route_point (a WGS-84 point,
converted; a GCJ-02 point; a point on no polygon; a point in another city) and
Router.match_address (an exact compound with a building, a street number, a near spelling, no
match). Prints the median and 99th percentile per call in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.routing import Router  # noqa: E402
from models.tables import Area, AreaLevel  # noqa: E402
from models.territory import AreaTree  # noqa: E402

SIZE = 0.005  # degrees per grid square (about 500 m)
LAT0, LON0 = 30.20, 120.10
SURNAMES = (
    "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
WORDS = ["花园", "家园", "新村", "名苑", "公寓", "雅苑", "华庭", "丽景", "嘉园", "景苑"]


def territory(grids: int, names_per_grid: int) -> AreaTree:
    """A subdistrict with one community per 10 grids, square grid polygons and listed names."""
    areas = [
        Area(id=1, code="top", name="基准街道", level=AreaLevel.SUBDISTRICT, datum="gcj02", retired=False)
    ]
    next_id = 2
    for g in range(grids):
        if g % 10 == 0:
            community_id = next_id
            areas.append(
                Area(
                    id=next_id,
                    code=f"c{g // 10}",
                    name=f"社区{g // 10}",
                    level=AreaLevel.COMMUNITY,
                    parent_id=1,
                    retired=False,
                )
            )
            next_id += 1
        row, col = divmod(g, 20)
        lat, lon = LAT0 + row * SIZE, LON0 + col * SIZE
        ring = [[lon, lat], [lon + SIZE, lat], [lon + SIZE, lat + SIZE], [lon, lat + SIZE], [lon, lat]]
        names = []
        for n in range(names_per_grid):
            k = g * names_per_grid + n
            stem = (
                SURNAMES[k % len(SURNAMES)]
                + SURNAMES[(k // len(SURNAMES)) % len(SURNAMES)]
                + WORDS[k % len(WORDS)]
            )
            names.append([stem, f"{stem} 1-20幢", f"{stem}路 1-99号"][n % 3])
        areas.append(
            Area(
                id=next_id,
                code=f"g{g}",
                name=f"网格{g}",
                level=AreaLevel.GRID,
                parent_id=community_id,
                boundary={"type": "Polygon", "coordinates": [ring]},
                names=names,
                retired=False,
                lat=lat + SIZE / 2,
                lon=lon + SIZE / 2,
            )
        )
        next_id += 1
    return AreaTree({a.id: a for a in areas})


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p99 of one call, in microseconds."""
    for _ in range(50):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    """Build the territory, time each case, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=200)
    parser.add_argument("--names-per-grid", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    tree = territory(args.grids, args.names_per_grid)
    start = time.perf_counter()
    router = Router(tree)
    build_ms = (time.perf_counter() - start) * 1000
    names = sum(len(a.names or ()) for a in tree.by_id.values())
    mid_lat, mid_lon = LAT0 + 4.5 * SIZE, LON0 + 10.5 * SIZE
    some = tree.by_id[100].names or []
    place = str(some[0]).split()[0]
    typo = place[0] + "某" + place[2:]  # one wrong character: no exact name, a near one
    samples = (("exact", f"{place}小区3幢2单元"), ("fuzzy", typo + "3幢"), ("none", "延安路100号3单元"))
    for label, address in samples:
        print(f"  {label} case {address!r}: {router.match_address(address).kind}")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("point, GCJ-02 (WeChat), in a polygon", lambda: router.route_point(mid_lat, mid_lon, "gcj02", 3.0)),
        ("point, WGS-84 (Telegram), converted", lambda: router.route_point(mid_lat, mid_lon, "wgs84", 3.0)),
        ("point on no polygon: nearest centre", lambda: router.route_point(LAT0 - 0.01, LON0, "gcj02", 3.0)),
        ("point in another city: outside", lambda: router.route_point(39.9042, 116.4074, "wgs84", 3.0)),
        ("address, exact 小区 + building", lambda: router.match_address(f"{place}小区3幢2单元")),
        ("address, near spelling (fuzzy)", lambda: router.match_address(typo + "3幢")),
        ("address, no match", lambda: router.match_address("延安路100号3单元")),
    ]
    print(f"routing: {args.grids} grids, {names} names; index built in {build_ms:.1f} ms")
    print(f"{'case':44} {'median':>9} {'p99':>9}")
    for label, fn in cases:
        median, p99 = timed(fn, args.repeat)
        print(f"{label:44} {median:7.1f}us {p99:7.1f}us")


if __name__ == "__main__":
    main()
