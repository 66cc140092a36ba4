"""A ticket's photos to those who see it: local files and chat photos fetched through their channel.

A chat photo is stored as the channel's reference (a Telegram file id, a WeChat PicUrl or media id),
which the page never prints. It is fetched once through the channel's transport (getFile, media/get),
re-encoded without its metadata (EXIF holds the place, the phone and the time), and cached on disk
under the hash of its reference.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Awaitable, Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import Response

from models import ticket_photos
from models.store.unit_of_work import Unit
from models.tables import Person, Ticket

from .auth import Viewer
from .context import Office

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
MOST = 10 * 1024 * 1024  # bytes of one photo at most
MAX_PIXELS = 40_000_000
HEADERS = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
Fetch = Callable[[str, int], Awaitable[bytes | None]]


def clean_image(data: bytes) -> tuple[bytes, str] | None:
    """The picture re-encoded upright and without metadata, with its media type; None if not one."""
    try:
        with Image.open(BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                return None
            png = img.format in ("PNG", "GIF")
            upright = ImageOps.exif_transpose(img)
            out = BytesIO()
            if png:
                upright.save(out, "PNG")
            else:
                upright.convert("RGB").save(out, "JPEG", quality=88)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return out.getvalue(), "image/png" if png else "image/jpeg"


def is_local(ref: str) -> bool:
    """A photo kept as a file on this machine (the console, an upload), not a channel reference."""
    return Path(ref).suffix.lower() in PHOTO_SUFFIXES and Path(ref).is_file()


def cache_dir(office: Office) -> Path:
    """Where cleaned chat photos are kept (beside the charts)."""
    return Path(office.config.rules.chart_dir).parent / "photo-cache"


def _reference(u: Unit, viewer: Viewer, ticket_id: int, which: str) -> tuple[str, str] | None:
    """(reference, channel of the person who sent it), or None when not to be shown."""
    t = u.session.get(Ticket, ticket_id)
    if t is None or not viewer.sees(t):
        return None
    sender: int | None
    if which == "report":
        ref, sender = t.photo, t.resident_id
    elif which == "result":
        ref, sender = t.resolution_photo, t.resolved_by_id or t.handler_id
    elif which.startswith("report-") and which[7:].isdigit():  # the report's second photo, third …
        ref, sender = dict(ticket_photos.extra(u.session, t.id)).get(int(which[7:])), t.resident_id
    else:
        return None
    if not ref:
        return None
    person = u.session.get(Person, sender) if sender is not None else None
    return ref, person.channel if person is not None else ""


async def _bytes(office: Office, ref: str, channel: str) -> bytes | None:
    if is_local(ref):
        path = Path(ref)
        return path.read_bytes() if path.stat().st_size <= MOST else None
    transport = office.app.sender.transports.get(channel)
    fetch: Fetch | None = getattr(transport, "fetch_photo", None)
    return await fetch(ref, MOST) if fetch is not None else None


def photo(office: Office) -> Any:
    """GET /office/tickets/{id}/photo/{which}: the report's or the result's photo, cleaned, cached."""

    async def page(request: Request, viewer: Viewer) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        which = request.path_params["which"]
        found = await office.run(lambda u: _reference(u, viewer, ticket_id, which))
        if found is None:
            return Response(status_code=404)
        ref, channel = found
        key = hashlib.sha256(f"{channel}:{ref}".encode()).hexdigest()
        cached = next(iter(sorted(cache_dir(office).glob(f"{key}.*"))), None)
        if cached is not None:
            media = mimetypes.guess_type(cached.name)[0] or "image/jpeg"
            return Response(cached.read_bytes(), media_type=media, headers=HEADERS)
        data = await _bytes(office, ref, channel)
        cleaned = clean_image(data) if data else None
        if cleaned is None:
            return Response(status_code=404)
        body, media = cleaned
        folder = cache_dir(office)
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f"{key}.part"
        part.write_bytes(body)
        part.replace(folder / f"{key}{'.png' if media == 'image/png' else '.jpg'}")
        return Response(body, media_type=media, headers=HEADERS)

    return page
