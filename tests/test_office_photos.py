"""Chat photos on the ticket page: fetched through the channel, EXIF removed, cached, for those allowed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.office import photos
from models.tables import Ticket

from .harness import Harness
from .office import client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")

FILE_ID = "AgACAgUAAxkBAAIBmGZ3_telegram-file-id"


@pytest.fixture
async def web(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """The office on (grids siji-1 and jingfa-1 with a community admin of 经发); photos cached in tmp."""
    monkeypatch.setattr(photos, "cache_dir", lambda office: tmp_path / "photo-cache")
    async with office_with_grids(db_url, jingfa=True) as h:
        await h.run("ca: 你好", "admin: /grant ca admin jingfa")
        yield h


def with_exif() -> bytes:
    """A JPEG whose EXIF names the camera and carries a GPS block."""
    img = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel-XYZ"  # Model
    exif[0x8825] = {2: (29.0, 20.0, 30.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    assert b"PhoneModel-XYZ" in out.getvalue()
    return out.getvalue()


async def test_a_chat_photo_is_fetched_cleaned_and_cached(web: Harness) -> None:
    """The page shows the picture through the office, never the file id; EXIF is gone; one fetch."""
    asked: list[tuple[str, int]] = []
    picture = with_exif()

    async def fetch(ref: str, most: int) -> bytes | None:
        asked.append((ref, most))
        return picture if ref == FILE_ID else b"not an image"

    transport = web.app.sender.transports["console"]
    transport.fetch_photo = fetch  # type: ignore[attr-defined]
    tid = await web.quick_report("r1")
    other = await web.quick_report("r2")

    def attach(s: object) -> None:
        s.get(Ticket, tid).photo = FILE_ID  # type: ignore[attr-defined]
        s.get(Ticket, other).photo = "AgACAgUAAxkBAAIBmGZ3_broken"  # type: ignore[attr-defined]

    web.query(attach)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get(f"/office/tickets/{tid}")).text
        assert FILE_ID not in page and f'/office/tickets/{tid}/photo/report"' in page
        for _ in range(2):
            answer = await http.get(f"/office/tickets/{tid}/photo/report")
            assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
            assert "private" in answer.headers["cache-control"]
            assert b"PhoneModel-XYZ" not in answer.content
            shown = Image.open(io.BytesIO(answer.content))
            assert shown.size == (40, 30) and len(shown.getexif()) == 0
        assert asked == [(FILE_ID, photos.MOST)]  # the second came from the cache
        assert (await http.get(f"/office/tickets/{other}/photo/report")).status_code == 404  # not a picture
        assert (await http.get(f"/office/tickets/{tid}/photo/result")).status_code == 404  # none yet
        assert (await http.get(f"/office/tickets/{tid}/photo/../../etc")).status_code == 404
    async with client(web) as http:
        await sign_in(web, http, "ca")  # another community's admin
        assert (await http.get(f"/office/tickets/{tid}/photo/report")).status_code == 404


def test_clean_image_refuses_what_is_not_a_picture() -> None:
    """Text, an empty file and a truncated JPEG are not pictures; a PNG stays a PNG."""
    assert photos.clean_image(b"") is None and photos.clean_image(b"%PDF-1.4") is None
    assert photos.clean_image(with_exif()[:200]) is None
    out = io.BytesIO()
    Image.new("RGBA", (3, 3)).save(out, "PNG")
    cleaned = photos.clean_image(out.getvalue())
    assert cleaned is not None and cleaned[1] == "image/png"
