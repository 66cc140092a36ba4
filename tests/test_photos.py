"""Photos leave the office without EXIF: no GPS position, no device, whatever the file carried."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from models.tables import Ticket

from .harness import Harness
from .office import client, office_with_grids, sign_in

GPS_IFD = 0x8825
MAKE = 0x010F


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on, grid siji-1 with workers w1 and w2."""
    async with office_with_grids(db_url) as h:
        yield h


def photo_with_exif(path: Path) -> Path:
    """A JPEG carrying a camera make and a GPS position, as phones write them."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker X1"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (29.0, 20.0, 42.0), 3: "E", 4: (120.0, 4.0, 30.0)})
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, format="JPEG", exif=exif.tobytes())
    with Image.open(path) as check:
        assert check.getexif().get(MAKE) == "PhoneMaker X1"
    return path


async def test_served_photos_carry_no_exif(web: Harness, tmp_path: Path) -> None:
    """The ticket page's photo is the same picture without the GPS block or the camera's name."""
    tid = await web.quick_report()
    path = photo_with_exif(tmp_path / "report.jpg")

    def attach(s: object) -> None:
        s.get(Ticket, tid).photo = str(path)  # type: ignore[attr-defined]

    await web.app.db.run(attach)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        served = await http.get(f"/office/tickets/{tid}/photo/report")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in served.content and b"Exif" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (64, 48) and not image.getexif()


async def test_a_file_that_is_no_image_is_not_served(web: Harness, tmp_path: Path) -> None:
    """A .jpg that is not a picture gets 404, not its bytes."""
    tid = await web.quick_report()
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"<script>alert(1)</script>")

    def attach(s: object) -> None:
        s.get(Ticket, tid).photo = str(fake)  # type: ignore[attr-defined]

    await web.app.db.run(attach)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        assert (await http.get(f"/office/tickets/{tid}/photo/report")).status_code == 404
