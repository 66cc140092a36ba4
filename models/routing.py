"""Where a report goes: a GPS point by grid polygon (then nearest centre), a typed address by name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import shape

from .datafiles.addresses import AddressIndex, AddressMatch
from .geo import Datum, convert, great_circle_km
from .tables import AreaLevel

if TYPE_CHECKING:
    from .territory import AreaTree


class How(StrEnum):
    """Why a point went where it went."""

    GRID = "grid"  # inside a grid's polygon
    COMMUNITY = "community"  # inside a community's polygon, in none of its grids
    NEAREST = "nearest"  # no polygon holds it: the nearest grid centre within nearest_grid_km
    INSIDE = "inside"  # inside the subdistrict boundary, near no grid: the resident picks
    OUTSIDE = "outside"  # not in the subdistrict at all
    UNPLACED = "unplaced"  # a territory of names only (no polygon, centre or outline): the resident picks


@dataclass(frozen=True)
class PointRoute:
    """The area a point belongs to (None: ask the resident) and why."""

    how: How
    area_id: int | None = None


# The last router built, by the fingerprint of its areas: the area snapshot is reloaded every
# minute (refdata), but the index (about 100 ms for 200 grids) is rebuilt only when they changed.
_last: tuple[object, Router] | None = None


def router_for(tree: AreaTree) -> Router:
    """The router of a territory snapshot, reusing the previous one when nothing changed."""
    global _last
    key = tuple(
        (a.id, a.code, a.level, a.parent_id, a.retired, a.lat, a.lon, a.datum, str(a.boundary), str(a.names))
        for a in sorted(tree.by_id.values(), key=lambda a: a.id)
    )
    last = _last
    if last is not None and last[0] == key:
        return last[1]
    router = Router(tree)
    _last = (key, router)
    return router


class Router:
    """Polygons, centres and names of the live territory, indexed once per snapshot."""

    def __init__(self, tree: AreaTree) -> None:
        top = tree.top() if tree.by_id else None
        self.datum = Datum((top.datum if top is not None else None) or Datum.WGS84)
        self.grid_ids, grid_shapes = self._polygons(tree, AreaLevel.GRID)
        self.community_ids, community_shapes = self._polygons(tree, AreaLevel.COMMUNITY)
        self._grids = shapely.STRtree(grid_shapes)
        self._communities = shapely.STRtree(community_shapes)
        self._outline = shape(top.boundary) if top is not None and top.boundary else None
        if self._outline is not None:
            shapely.prepare(self._outline)
        centres: list[tuple[int, float, float]] = []
        names: dict[int, tuple[str, ...]] = {}
        shape_of = dict(zip(self.grid_ids, grid_shapes, strict=True))
        for grid in tree.level(AreaLevel.GRID):
            if grid.lat is not None and grid.lon is not None:
                centres.append((grid.id, grid.lat, grid.lon))
            elif grid.id in shape_of:
                p = shape_of[grid.id].centroid
                centres.append((grid.id, p.y, p.x))
            if grid.names:
                names[grid.id] = tuple(grid.names)
        self.centres = {c[0]: (c[1], c[2]) for c in centres}  # grid id -> its centre, in self.datum
        self._centre_ids = [c[0] for c in centres]
        self._centre_lat = np.array([c[1] for c in centres], dtype=float)
        self._centre_lon = np.array([c[2] for c in centres], dtype=float)
        self.addresses = AddressIndex.of(names)

    @staticmethod
    def _polygons(tree: AreaTree, level: AreaLevel) -> tuple[list[int], list[shapely.Geometry]]:
        ids, shapes = [], []
        for area in tree.level(level):
            if area.boundary:
                geom = shape(area.boundary)
                shapely.prepare(geom)
                ids.append(area.id)
                shapes.append(geom)
        return ids, shapes

    def route_point(self, lat: float, lon: float, datum: str, max_km: float) -> PointRoute:
        """Grid polygon, else community polygon, else nearest centre within max_km, else outside."""
        lat, lon = convert(lat, lon, datum, self.datum)
        point = shapely.Point(lon, lat)
        inside = self._grids.query(point, predicate="within")
        if len(inside):
            return PointRoute(How.GRID, self.grid_ids[int(min(inside))])
        community = self._communities.query(point, predicate="within")
        if len(community):
            return PointRoute(How.COMMUNITY, self.community_ids[int(min(community))])
        nearest = self._nearest_centre(lat, lon, max_km)
        if nearest is not None:
            return PointRoute(How.NEAREST, nearest)
        if self._outline is not None and self._outline.contains(point):
            return PointRoute(How.INSIDE)
        if self._outline is None and not self._centre_ids and not self.community_ids:
            return PointRoute(How.UNPLACED)  # nothing to measure a point against: never "outside"
        return PointRoute(How.OUTSIDE)

    def _nearest_centre(self, lat: float, lon: float, max_km: float) -> int | None:
        if not self._centre_ids:
            return None
        km = great_circle_km(lat, lon, self._centre_lat, self._centre_lon)
        best = int(np.argmin(km))
        return self._centre_ids[best] if km[best] <= max_km else None

    def match_address(self, address: str) -> AddressMatch:
        """The grids whose listed 小区 / street / building names the address names."""
        return self.addresses.match(address)
