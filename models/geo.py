"""Coordinate systems of Chinese maps: WGS-84 (GPS, Telegram) and GCJ-02 (AMap, Tencent, WeChat)."""

from __future__ import annotations

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
