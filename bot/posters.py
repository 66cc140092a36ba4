"""码上说 posters: one printable A4 page per grid with its name, what to report and the codes to scan.

The Telegram code is drawn by the `qrcode` library from the bot's deep link; the WeChat code is the
account's own permanent QR picture (bot/channels/wechat_admin.py). Pillow composes the page.

Chinese needs a CJK font: Debian's fonts-noto-cjk (Noto Sans CJK SC, regular and bold) when
fontconfig lists it, else Noto Sans SC from pylopdf-fonts-zh-cn, which Jiesu depends on anyway (the
/stats chart uses it), so a fresh machine prints posters too.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pylopdf_fonts_zh_cn
import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from handlers import texts

# A4 at 150 dpi: sharp enough for a notice board, small enough to send around.
DPI = 150
WIDTH, HEIGHT = 1240, 1754
RED = (200, 16, 46)
GREY = (90, 90, 90)
NOTO_CJK_SC = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Font:
    """A font file (with its face index in a collection) and where it came from."""

    path: str
    index: int
    source: str


@dataclass(frozen=True)
class Fonts:
    """The faces a poster uses."""

    regular: Font
    bold: Font


def telegram_link(bot: str, code: str) -> str:
    """The deep link that opens the bot with `/start CODE` (the grid is filled in for the report)."""
    return f"https://t.me/{bot.lstrip('@')}?start={code}"


def cjk_fonts() -> Fonts:
    """Noto Sans CJK SC from fonts-noto-cjk when fontconfig has it, else the bundled Noto Sans SC."""
    found: dict[str, Font] = {}
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        listing = subprocess.run(
            [fc_list, "--format", "%{file}|%{index}|%{family[0]}|%{style[0]}\n", ":lang=zh"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        for line in listing.splitlines():
            path, _, rest = line.partition("|")
            index, _, rest = rest.partition("|")
            family, _, style = rest.partition("|")
            if family == NOTO_CJK_SC and style in ("Regular", "Bold") and index.isdigit():
                found[style] = Font(path, int(index), "fonts-noto-cjk")
    if "Regular" in found:
        return Fonts(found["Regular"], found.get("Bold", found["Regular"]))
    bundled = Font(str(pylopdf_fonts_zh_cn.sans_path()), 0, "pylopdf-fonts-zh-cn")
    return Fonts(bundled, bundled)


@dataclass(frozen=True)
class Poster:
    """What one grid's poster says and carries."""

    code: str
    place: str  # subdistrict, community and grid names
    telegram: str | None  # the deep link
    wechat: bytes | None  # the account's QR picture for this grid


def _qr_image(link: str, size: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(link)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def _centred(
    draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, fill: str | tuple[int, ...]
) -> int:
    """Draw each line of text centred at height y; the height below the last line."""
    for line in text.split("\n"):
        left, top, right, bottom = (int(v) for v in draw.textbbox((0, 0), line, font=font))
        draw.text(((WIDTH - (right - left)) // 2 - left, y - top), line, font=font, fill=fill)
        y += (bottom - top) + int(font.size) // 2
    return y


def render(poster: Poster, fonts: Fonts) -> Image.Image:
    """The A4 page of one poster."""

    def font(f: Font, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(f.path, size, index=f.index)

    page = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, WIDTH, 250), fill=RED)
    _centred(draw, 70, texts.POSTER_TITLE, font(fonts.bold, 120), "white")
    y = _centred(draw, 320, poster.place, font(fonts.bold, 64), "black")
    y = _centred(draw, y + 30, texts.POSTER_WHAT, font(fonts.regular, 40), GREY)
    codes: list[tuple[Image.Image, str, str]] = []
    two = poster.telegram is not None and poster.wechat is not None
    size = 500 if two else 720
    if poster.wechat is not None:
        picture = Image.open(io.BytesIO(poster.wechat)).convert("RGB")
        codes.append((picture.resize((size, size), Image.Resampling.NEAREST), texts.POSTER_WECHAT, ""))
    if poster.telegram is not None:
        codes.append((_qr_image(poster.telegram, size), texts.POSTER_TELEGRAM, poster.telegram))
    block = size + 140  # a code with its caption and link
    top = y + 40 + max(0, (HEIGHT - 150 - (y + 40) - block) // 2)  # centred between the text and the foot
    gap = (WIDTH - size * len(codes)) // (len(codes) + 1)
    caption, small = font(fonts.bold, 44), font(fonts.regular, 26)
    for i, (image, label, link) in enumerate(codes):
        left = gap + i * (size + gap)
        page.paste(image, (left, top))
        for text, f, dy in ((label, caption, 30), (link.removeprefix("https://"), small, 100)):
            if text:
                w = draw.textlength(text, font=f)
                draw.text((left + (size - w) / 2, top + size + dy), text, font=f, fill="black")
    _centred(draw, HEIGHT - 110, texts.POSTER_FOOT.format(code=poster.code), font(fonts.regular, 28), GREY)
    return page


def write(posters: list[Poster], folder: Path, pdf: bool, fonts: Fonts) -> list[Path]:
    """Write qr-CODE.png per poster (and qr-posters.pdf with every page); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = [render(p, fonts) for p in posters]
    paths = []
    for poster, page in zip(posters, pages, strict=True):
        path = folder / f"qr-{poster.code}.png"
        page.save(path, "PNG", dpi=(DPI, DPI))
        paths.append(path)
    if pdf and pages:
        path = folder / "qr-posters.pdf"
        pages[0].save(path, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
        paths.append(path)
    return paths
