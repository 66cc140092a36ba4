"""What every channel does to a message at the door: control characters out, locations checked."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from typing import Any

from starlette.requests import Request

from handlers.textclean import CONTROL, strip_controls
from models.messages import Inbound


class BadLocation(ValueError):
    """A location that is not a place on Earth (NaN, infinite, out of range)."""


def location(lat: object, lon: object) -> tuple[float, float]:
    """A finite latitude in [-90, 90] and longitude in [-180, 180], or BadLocation."""
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadLocation(f"not numbers: {lat!r}, {lon!r}") from None
    if not (math.isfinite(la) and math.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180):
        raise BadLocation(f"not on Earth: {la!r}, {lo!r}")
    return la, lo


def clean_inbound(inbound: Inbound) -> Inbound:
    """Every text field of a message without control characters."""
    changes: dict[str, Any] = {}
    for f in fields(inbound):
        value = getattr(inbound, f.name)
        if isinstance(value, str) and CONTROL.search(value):
            changes[f.name] = strip_controls(value)
    return replace(inbound, **changes) if changes else inbound


class BodyTooLarge(ValueError):
    """A request body over the endpoint's limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused before it is parsed (or even fully read) when over `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(str(size))
        chunks.append(chunk)
    return b"".join(chunks)
