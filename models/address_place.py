"""A typed address placed by the territory's names: its grid, and the grid's centre, approximately."""

from __future__ import annotations

from dataclasses import dataclass

from .datafiles.addresses import MatchKind
from .geo import Datum, convert
from .routing import Router, router_for
from .store.unit_of_work import Unit


@dataclass(frozen=True)
class Placed:
    """Where an address goes: one grid (None: no single grid names it) and its centre in WGS-84."""

    area_id: int | None
    lat: float | None = None
    lon: float | None = None


def place(u: Unit, address: str, router: Router | None = None) -> Placed:
    """The one grid whose 小区 / road / building names the address names, at the grid's centre."""
    router = router or router_for(u.tree)
    match = router.match_address(address)
    if match.kind != MatchKind.ONE:
        return Placed(None)
    grid = match.area_ids[0]
    centre = router.centres.get(grid)
    if centre is None:
        return Placed(grid)
    lat, lon = convert(centre[0], centre[1], router.datum, Datum.WGS84)  # tickets keep GPS coordinates
    return Placed(grid, lat, lon)
