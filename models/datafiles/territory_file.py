"""The territory file (TOML): subdistrict, departments, communities and grids, with their geometry."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import prcoords
import shapely
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from ..geo import Datum
from .addresses import parse_name
from .problems import (
    Collector,
    DataFileError,
    check_code,
    check_name,
    check_strings,
    read_toml,
    unknown_keys,
)
from .property_file import Company, companies

SUBDISTRICT_KEYS = {"code", "name", "datum", "centre", "boundary", "boundaries"}
DEPARTMENT_KEYS = {"code", "name", "categories"}
COMMUNITY_KEYS = {"code", "name", "centre", "boundary", "grids"}
GRID_KEYS = {"code", "name", "centre", "boundary", "names"}
# Two polygons may share a border; an overlap larger than this share of the smaller one is reported.
OVERLAP_SHARE = 0.001
# Baidu maps draw in BD-09; a file drawn there is converted to GCJ-02 (prcoords) as it is read, so
# the database and the router only ever see the two datums phones send.
BD09 = "bd09"
DATUMS = {d.value for d in Datum} | {BD09}


@dataclass(frozen=True)
class Place:
    """A community or grid as the file describes it; boundary is a GeoJSON geometry ([lon, lat])."""

    code: str
    name: str
    centre: tuple[float, float] | None = None  # (lat, lon)
    boundary: dict[str, Any] | None = None
    names: tuple[str, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class Community(Place):
    """A community and its grids."""

    grids: tuple[Place, ...] = ()


@dataclass(frozen=True)
class Department:
    """A subdistrict department and the top-level categories it owns."""

    code: str
    name: str
    categories: tuple[str, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class Territory:
    """A whole territory file, checked."""

    path: Path
    code: str
    name: str
    datum: Datum
    centre: tuple[float, float] | None
    boundary: dict[str, Any] | None
    departments: tuple[Department, ...]
    communities: tuple[Community, ...]
    drawn_in: str = ""  # the file's own datum when it was converted (bd09), else empty
    companies: tuple[Company, ...] = ()  # property companies (有事您找我), each with its compounds and staff

    def grids(self) -> list[tuple[Community, Place]]:
        """Every grid with its community, in file order."""
        return [(c, g) for c in self.communities for g in c.grids]


@dataclass(frozen=True)
class Checked:
    """A parsed territory and the warnings found on the way."""

    territory: Territory
    collector: Collector


def _point(c: Collector, where: str, field_name: str, value: Any) -> tuple[float, float] | None:
    """[lon, lat] as (lat, lon), with a hint when the pair looks swapped."""
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        c.error(
            where,
            field_name,
            f"{value!r} is not a point; write [longitude, latitude], e.g. [120.0799, 29.3426]",
        )
        return None
    lon, lat = float(value[0]), float(value[1])
    if abs(lat) > 90 and abs(lon) <= 90:
        c.error(
            where,
            field_name,
            f"{value!r} looks like [latitude, longitude]; "
            f"write [longitude, latitude]: [{value[1]}, {value[0]}]",
        )
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        c.error(where, field_name, f"{value!r} is out of range; longitude -180..180, latitude -90..90")
        return None
    return lat, lon


def _ring(c: Collector, where: str, value: Any) -> dict[str, Any] | None:
    """An inline boundary [[lon, lat], …] as a GeoJSON Polygon."""
    if not isinstance(value, list) or len(value) < 3:
        c.error(where, "boundary", "write at least three corners [[lon, lat], [lon, lat], [lon, lat], …]")
        return None
    points = [_point(c, where, "boundary", p) for p in value]
    corners = [(p[1], p[0]) for p in points if p is not None]  # (lon, lat): x, y
    if len(corners) != len(points):
        return None
    return _valid(c, where, "boundary", Polygon(corners))


def _valid(c: Collector, where: str, field_name: str, geom: BaseGeometry) -> dict[str, Any] | None:
    """A geometry that shapely accepts as an area, as a GeoJSON dict."""
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        c.error(where, field_name, f"a {geom.geom_type} is not an area; draw a Polygon or MultiPolygon")
        return None
    if not geom.is_valid:
        c.error(
            where,
            field_name,
            f"the polygon is not valid ({explain_validity(geom)}); redraw it so its edges do not cross",
        )
        return None
    if geom.is_empty or geom.area == 0:
        c.error(where, field_name, "the polygon has no area; check that the corners are not all on one line")
        return None
    # JSON round trip: plain lists, as stored in the database (so a re-import compares equal).
    result: dict[str, Any] = json.loads(json.dumps(mapping(geom)))
    return result


def _features(c: Collector, path: Path, base: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Boundaries by area code from a GeoJSON FeatureCollection file."""
    where = "line " + str(c.locator.line("subdistrict", 0, "boundaries") or 0)
    full = path if path.is_absolute() else base / path
    if not full.is_file():
        c.error(
            where, "boundaries", f"GeoJSON file {full} not found; give a path relative to the territory file"
        )
        return {}
    try:
        data = json.loads(full.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        c.error(where, "boundaries", f"{full} is not JSON: {exc}")
        return {}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        c.error(
            where, "boundaries", f'{full} must be a GeoJSON {{"type": "FeatureCollection", "features": […]}}'
        )
        return {}
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, feature in enumerate(data.get("features") or []):
        fwhere = f"{full.name} feature {index + 1}"
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        code = props.get("code") if isinstance(props, dict) else None
        if not isinstance(code, str) or not code:
            c.error(
                fwhere,
                "properties.code",
                'each feature needs the grid code, e.g. "properties": {"code": "siji-1"}',
            )
            continue
        if code in found:
            c.error(
                fwhere,
                "properties.code",
                f"{code!r} already has a boundary ({found[code][0]}); keep one feature per grid",
            )
            continue
        try:
            geom = shape(feature.get("geometry"))
        except (AttributeError, ValueError, TypeError, shapely.errors.GEOSException) as exc:
            c.error(fwhere, "geometry", f"not a GeoJSON geometry ({exc}); write a Polygon or MultiPolygon")
            continue
        bounds = geom.bounds
        if bounds and (abs(bounds[1]) > 90 or abs(bounds[3]) > 90):
            c.error(fwhere, "geometry", "latitudes beyond ±90: GeoJSON coordinates are [longitude, latitude]")
            continue
        valid = _valid(c, fwhere, "geometry", geom)
        if valid is not None:
            found[code] = (fwhere, valid)
    return found


def _names(c: Collector, where: str, value: Any) -> tuple[str, ...]:
    names = check_strings(c, where, value, "names")
    for name in names:
        problem = parse_name(name)
        if isinstance(problem, str):
            c.error(where, "names", problem)
    return names


def _place(c: Collector, table: str, index: int, raw: Any, allowed: set[str], what: str) -> Place | None:
    where = c.at(table, index)
    if not isinstance(raw, dict):
        c.error(where, what, f"expected a [[{table}]] table")
        return None
    unknown_keys(c, where, raw, allowed, f"a {what}")
    code = check_code(c, c.at(table, index, "code"), raw.get("code"))
    name = check_name(c, c.at(table, index, "name"), raw.get("name"))
    centre = None
    if "centre" in raw:
        centre = _point(c, c.at(table, index, "centre"), "centre", raw["centre"])
    boundary = None
    if "boundary" in raw:
        boundary = _ring(c, c.at(table, index, "boundary"), raw["boundary"])
    names = _names(c, c.at(table, index, "names"), raw.get("names")) if "names" in allowed else ()
    if code is None or name is None:
        return None
    return Place(code, name, centre, boundary, names, where)


def parse(path: Path) -> Checked:
    """Read and check a territory file; raise DataFileError listing every error."""
    raw, locator = read_toml(path)
    c = Collector(path, locator)
    unknown_keys(
        c, "file", raw, {"subdistrict", "departments", "communities", "property"}, "the territory file"
    )
    sub = raw.get("subdistrict")
    if not isinstance(sub, dict):
        c.error(
            "file",
            "[subdistrict]",
            'add a [subdistrict] table with code, name and datum = "gcj02" or "wgs84"',
        )
        raise DataFileError(c.errors)
    swhere = c.at("subdistrict", 0)
    unknown_keys(c, swhere, sub, SUBDISTRICT_KEYS, "[subdistrict]")
    code = check_code(c, c.at("subdistrict", 0, "code"), sub.get("code"))
    name = check_name(c, c.at("subdistrict", 0, "name"), sub.get("name"))
    datum_raw = sub.get("datum")
    datum = None
    if datum_raw not in DATUMS:
        c.error(
            c.at("subdistrict", 0, "datum"),
            "datum",
            f'{datum_raw!r}: write datum = "gcj02" for maps drawn on AMap or Tencent maps, "bd09" for '
            'Baidu maps, "wgs84" for GPS',
        )
    else:
        datum = Datum.GCJ02 if datum_raw == BD09 else Datum(datum_raw)
    centre = _point(c, c.at("subdistrict", 0, "centre"), "centre", sub["centre"]) if "centre" in sub else None
    boundary = _ring(c, c.at("subdistrict", 0, "boundary"), sub["boundary"]) if "boundary" in sub else None
    features: dict[str, tuple[str, dict[str, Any]]] = {}
    if "boundaries" in sub:
        if not isinstance(sub["boundaries"], str):
            c.error(
                c.at("subdistrict", 0, "boundaries"),
                "boundaries",
                'write the path of a GeoJSON file, e.g. "grids.geojson"',
            )
        else:
            features = _features(c, Path(sub["boundaries"]), path.parent)

    departments = _departments(c, raw.get("departments", []))
    communities = _communities(c, raw.get("communities", []), features)
    if not communities:
        c.error(
            "file", "[[communities]]", "add at least one [[communities]] table with its [[communities.grids]]"
        )
    if code is not None and features:
        _match_features(c, features, communities, code)
    _check_codes(c, code, departments, communities)
    _check_overlaps(c, communities)
    _check_names(c, communities)
    grid_names = {n: g.code for cm in communities for g in cm.grids for n in g.names}
    codes = {x for x in (code, *(d.code for d in departments), *(cm.code for cm in communities)) if x}
    codes |= {g.code for cm in communities for g in cm.grids}
    firms = companies(c, raw.get("property"), grid_names, codes)
    c.raise_if_errors()
    assert code is not None and name is not None and datum is not None
    territory = Territory(
        path,
        code,
        name,
        datum,
        centre,
        boundary or (features[code][1] if code in features else None),
        tuple(departments),
        tuple(communities),
        companies=firms,
    )
    if datum_raw == BD09:
        territory = _bd09_to_gcj02(territory)
    return Checked(territory, c)


def _gcj_point(p: tuple[float, float] | None) -> tuple[float, float] | None:
    """A (lat, lon) of a Baidu map on AMap's datum (GCJ-02)."""
    if p is None:
        return None
    q = prcoords.bd_gcj(prcoords.Coords(p[0], p[1]))
    return float(q.lat), float(q.lon)


def _gcj_geometry(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A GeoJSON geometry of a Baidu map ([lon, lat] corners) on GCJ-02."""
    if geometry is None:
        return None

    def corners(xy: Any) -> Any:
        return [[q[1], q[0]] for q in (_gcj_point((float(y), float(x))) for x, y in xy) if q is not None]

    moved = shapely.transform(shape(geometry), corners)
    result: dict[str, Any] = json.loads(json.dumps(mapping(moved)))
    return result


def _bd09_to_gcj02(t: Territory) -> Territory:
    """The same territory with every centre and boundary converted from BD-09 to GCJ-02."""

    def place(p: Place) -> Place:
        return replace(p, centre=_gcj_point(p.centre), boundary=_gcj_geometry(p.boundary))

    communities = tuple(
        replace(
            cm,
            centre=_gcj_point(cm.centre),
            boundary=_gcj_geometry(cm.boundary),
            grids=tuple(place(g) for g in cm.grids),
        )
        for cm in t.communities
    )
    return replace(
        t,
        centre=_gcj_point(t.centre),
        boundary=_gcj_geometry(t.boundary),
        communities=communities,
        drawn_in=BD09,
    )


def _departments(c: Collector, raw: Any) -> list[Department]:
    if not isinstance(raw, list):
        c.error("file", "departments", "write each department as a [[departments]] table")
        return []
    out = []
    for index, item in enumerate(raw):
        where = c.at("departments", index)
        if not isinstance(item, dict):
            c.error(where, "departments", "expected a [[departments]] table")
            continue
        unknown_keys(c, where, item, DEPARTMENT_KEYS, "a department")
        code = check_code(c, c.at("departments", index, "code"), item.get("code"))
        name = check_name(c, c.at("departments", index, "name"), item.get("name"))
        cats = check_strings(
            c, c.at("departments", index, "categories"), item.get("categories"), "categories"
        )
        if code and name:
            out.append(Department(code, name, cats, where))
    return out


def _communities(c: Collector, raw: Any, features: dict[str, tuple[str, dict[str, Any]]]) -> list[Community]:
    if not isinstance(raw, list):
        c.error("file", "communities", "write each community as a [[communities]] table")
        return []
    out = []
    grid_index = 0
    for index, item in enumerate(raw):
        place = _place(c, "communities", index, item, COMMUNITY_KEYS, "community")
        grids_raw = item.get("grids", []) if isinstance(item, dict) else []
        grids = []
        for g in grids_raw if isinstance(grids_raw, list) else []:
            grid = _place(c, "communities.grids", grid_index, g, GRID_KEYS, "grid")
            grid_index += 1
            if grid is None:
                continue
            if grid.code in features:
                fwhere, geometry = features[grid.code]
                if grid.boundary is not None:
                    c.error(
                        grid.where,
                        "boundary",
                        f"grid {grid.code} has an inline boundary and one in {fwhere}; keep one of them",
                    )
                grid = Place(grid.code, grid.name, grid.centre, geometry, grid.names, grid.where)
            grids.append(grid)
        if place is None:
            continue
        boundary = place.boundary
        if place.code in features and boundary is None:
            boundary = features[place.code][1]
        if not grids:
            c.error(
                place.where,
                "grids",
                f"community {place.code} has no [[communities.grids]]; add at least one grid",
            )
        out.append(Community(place.code, place.name, place.centre, boundary, (), place.where, tuple(grids)))
    return out


def _match_features(
    c: Collector, features: dict[str, tuple[str, dict[str, Any]]], communities: list[Community], top: str
) -> None:
    known = {top} | {cm.code for cm in communities} | {g.code for cm in communities for g in cm.grids}
    for code, (fwhere, _) in features.items():
        if code not in known:
            c.error(
                fwhere,
                "properties.code",
                f"{code!r} is no grid or community of this file; use one of its codes",
            )


def _check_codes(
    c: Collector, top: str | None, departments: list[Department], communities: list[Community]
) -> None:
    seen: dict[str, str] = {}
    places: list[tuple[str, str]] = [(top, "file")] if top else []
    places += [(d.code, d.where) for d in departments]
    for cm in communities:
        places.append((cm.code, cm.where))
        places += [(g.code, g.where) for g in cm.grids]
    for code, where in places:
        if code in seen:
            c.error(where, "code", f"{code!r} is already used at {seen[code]}; every code must be unique")
        else:
            seen[code] = where
    owners: dict[str, str] = {}
    for d in departments:
        for cat in d.categories:
            if cat in owners:
                c.error(
                    d.where, "categories", f"category {cat!r} is already owned by {owners[cat]}; list it once"
                )
            owners[cat] = d.code


def _check_overlaps(c: Collector, communities: list[Community]) -> None:
    grids = [g for cm in communities for g in cm.grids if g.boundary is not None]
    if len(grids) < 2:
        return  # names only, or one polygon: nothing can overlap (and STRtree cannot query nothing)
    shapes = [shape(g.boundary) for g in grids]
    tree = shapely.STRtree(shapes)
    for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
        if i >= j:
            continue
        common = shapes[i].intersection(shapes[j]).area
        if common > OVERLAP_SHARE * min(shapes[i].area, shapes[j].area):
            c.error(
                grids[j].where,
                "boundary",
                f"grids {grids[i].code} and {grids[j].code} overlap; "
                "redraw them so a point lies in one grid only",
            )


def _check_names(c: Collector, communities: list[Community]) -> None:
    owner: dict[str, str] = {}
    for cm in communities:
        for g in cm.grids:
            for name in g.names:
                if name in owner and owner[name] != g.code:
                    c.warn(
                        g.where,
                        "names",
                        f"{name!r} is also listed in grid {owner[name]}; residents will be asked to pick",
                    )
                owner.setdefault(name, g.code)
            if g.boundary is None and not g.names:
                c.warn(
                    g.where,
                    "boundary",
                    f"grid {g.code} has neither a boundary nor names; only the community choice reaches it",
                )
