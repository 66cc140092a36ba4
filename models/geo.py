"""Coordinate systems of Chinese maps: WGS-84 (GPS, Telegram) and GCJ-02 (AMap, Tencent, WeChat)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import prcoords

EARTH_KM = 6371.0  # the mean radius of the earth


class Datum(StrEnum):
    """The coordinate system a point or a map was drawn in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


# Remembered: the map converts the same stored points on every view (tens of thousands of them).
@lru_cache(maxsize=65536)
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


def great_circle_km(
    lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """The great-circle (haversine) distance in km from one point to each of many, all in degrees."""
    p, lam = np.radians(lat), np.radians(lon)
    q, mu = np.radians(np.asarray(lats, dtype=float)), np.radians(np.asarray(lons, dtype=float))
    h = np.sin((q - p) / 2) ** 2 + np.cos(p) * np.cos(q) * np.sin((mu - lam) / 2) ** 2
    return np.asarray(2 * EARTH_KM * np.arcsin(np.sqrt(h)), dtype=np.float64)
