"""Coordinate systems of Chinese maps: WGS-84 (GPS, Telegram) and GCJ-02 (AMap, Tencent, WeChat)."""

from __future__ import annotations

import math
from enum import StrEnum

import prcoords


class Datum(StrEnum):
    """The coordinate system a point or a map was drawn in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


def convert(lat: float, lon: float, source: str, target: str) -> tuple[float, float]:
    """The same place in another coordinate system (prcoords; exact inverse for GCJ-02 -> WGS-84)."""
    if source == target:
        return lat, lon
    if source == Datum.WGS84 and target == Datum.GCJ02:
        point = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    elif source == Datum.GCJ02 and target == Datum.WGS84:
        point = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    else:
        raise ValueError(f"unknown coordinate system {source!r} or {target!r}")
    return float(point.lat), float(point.lon)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
