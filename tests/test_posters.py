"""码上说 posters (`jiesu qr`): the codes printed on them decode to the grid's links, on both channels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot import posters
from bot.cli import main

from .tgfake import TOKEN, FakeBotApi, serve_http
from .town import import_town
from .wxfake import APP_ID, APP_SECRET, FakeWeChatAPI, qr_url


def decoded(path: Path) -> set[str]:
    """The texts of every QR code in a picture."""
    with Image.open(path) as image:
        return {r.text for r in zxingcpp.read_barcodes(image)}


def config_file(tmp_path: Path, text: str) -> str:
    """A config file in the test's directory."""
    path = tmp_path / "jiesu.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def telegram() -> Iterator[str]:
    """The fake Bot API over HTTP: the base_url to configure."""
    with serve_http(FakeBotApi()) as url:
        yield url


def test_telegram_posters_carry_the_deep_link_of_each_grid(
    db_url: str, tmp_path: Path, telegram: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a bot token, each grid's poster holds t.me/<bot>?start=<grid> (the bot's name from getMe)."""
    import_town(db_url)
    cfg = config_file(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{telegram}"\n')
    out = tmp_path / "posters"
    assert main(["qr", "east-1", "west-2", "--pdf", "--out", str(out), "--config", cfg, "--db", db_url]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'qr-east-1.png'}" in printed and "font: " in printed
    assert decoded(out / "qr-east-1.png") == {"https://t.me/jiesu_test_bot?start=east-1"}
    assert decoded(out / "qr-west-2.png") == {"https://t.me/jiesu_test_bot?start=west-2"}
    with Image.open(out / "qr-east-1.png") as page:
        assert page.size == (posters.WIDTH, posters.HEIGHT)
    pdf = (out / "qr-posters.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") == 2


def test_with_wechat_a_poster_also_carries_the_accounts_permanent_code(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With WeChat configured, qrcode/create (QR_LIMIT_STR_SCENE, the grid code) gives the second code."""
    import_town(db_url)
    fake = FakeWeChatAPI()
    try:
        cfg = config_file(
            tmp_path,
            f'[wechat]\ntoken = "t"\napp_id = "{APP_ID}"\napp_secret = "{APP_SECRET}"\n'
            f'api_base_url = "{fake.base_url}"\n',
        )
        out = tmp_path / "posters"
        args = ["qr", "east-1", "--telegram-bot", "@town_bot", "--out", str(out), "--config", cfg]
        assert main([*args, "--db", db_url]) == 0
    finally:
        fake.close()
    assert decoded(out / "qr-east-1.png") == {"https://t.me/town_bot?start=east-1", qr_url("east-1")}
    assert list(fake.qr_scenes.values()) == ["east-1"]


def test_an_unknown_grid_writes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A code that is no grid is refused with the codes there are, and no poster is written."""
    import_town(db_url)
    out = tmp_path / "posters"
    assert main(["qr", "east-1", "nowhere", "--telegram-bot", "b", "--out", str(out), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "'nowhere' is no grid or community of the territory; use one of: east-1, east-2" in err
    assert not out.exists()


def test_posters_need_a_channel(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without Telegram or WeChat there is no code to print: the command says what to set."""
    import_town(db_url)
    assert main(["qr", "--all", "--out", str(tmp_path / "p"), "--db", db_url]) == 1
    assert "no channel to put on the posters" in capsys.readouterr().err


def test_an_unreachable_telegram_writes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """getMe failing (nothing listens) is reported with the address, and nothing is written."""
    import_town(db_url)
    cfg = config_file(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "http://127.0.0.1:9"\n')
    assert main(["qr", "--all", "--out", str(tmp_path / "p"), "--config", cfg, "--db", db_url]) == 1
    assert "cannot reach the Telegram Bot API at http://127.0.0.1:9" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_the_font_comes_from_fonts_noto_cjk_or_the_bundled_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Noto Sans CJK SC when fontconfig lists it; without fontconfig, the Noto Sans SC Jiesu ships with."""
    fonts = posters.cjk_fonts()
    assert Path(fonts.regular.path).is_file()
    assert fonts.regular.source in ("fonts-noto-cjk", "pylopdf-fonts-zh-cn")
    monkeypatch.setenv("PATH", "")
    bundled = posters.cjk_fonts()
    assert bundled.regular.source == "pylopdf-fonts-zh-cn" and Path(bundled.regular.path).is_file()
    page = posters.render(
        posters.Poster("x-1", "测试街道 东社区 东一网格", "https://t.me/b?start=x-1", None), bundled
    )
    assert page.size == (posters.WIDTH, posters.HEIGHT)
