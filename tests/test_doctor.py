"""`jiesu doctor`: what an office must fix before residents arrive, each with its command, in zh or en."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli_doctor
from bot.cli import main
from bot.config import Config, load
from models.clock import FakeClock

from .harness import Harness
from .test_names_only import NAMES_ONLY
from .tgfake import ADMIN_ID, TOKEN, FakeBotApi, Tg, serve_http
from .town import CATALOGUE
from .wxfake import APP_ID, APP_SECRET, FakeWeChatAPI

# 2026-11-23, as every test; in March only the current year's holidays are looked at (chinese-calendar
# 1.11 knows 2026, whatever later release is installed); a year no release can know is far ahead.
NOW = FakeClock()
MARCH = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
FAR = FakeClock(datetime(2099, 3, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
def telegram() -> Iterator[str]:
    """The fake Bot API over HTTP: the base_url to configure."""
    with serve_http(FakeBotApi()) as url:
        yield url


def config(tmp_path: Path, db_url: str, text: str = "") -> Config:
    """The config an office would write (the demo not mentioned), on db_url."""
    path = tmp_path / "jiesu.toml"
    path.write_text(text, encoding="utf-8")
    cfg = load(path, env={})
    cfg.database_url = db_url
    return cfg


def doctor(cfg: Config, lang: str = "en", clock: FakeClock = NOW) -> tuple[bool, str]:
    """Run the checks: whether anything blocks, and the report."""
    ex = cli_doctor.examine(cfg, lang, clock)
    out = io.StringIO()
    cli_doctor.report(ex, lang, out)
    return ex.blocking, out.getvalue()


def names_only(tmp_path: Path, db_url: str, *, catalogue: bool = True) -> None:
    """Import the names-only territory (and the test catalogue) as an office would."""
    path = tmp_path / "territory.toml"
    path.write_text(NAMES_ONLY, encoding="utf-8")
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    if catalogue:
        assert main(["catalogue", "import", "--db", db_url, str(CATALOGUE)]) == 0


def test_a_fresh_database_and_no_channel_block_and_nothing_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No database yet: the doctor says to import the territory, exits 1 and creates no file."""
    path = tmp_path / "fresh.db"
    assert main(["doctor", "--lang", "en", "--db", f"sqlite:///{path}"]) == 1
    out = capsys.readouterr().out
    assert f"BLOCKING no Jiesu database at sqlite:///{path}\n" in out
    assert "  fix: import your territory, which creates it: jiesu territory import TERRITORY.toml\n" in out
    assert "BLOCKING no chat channel is configured" in out
    assert out.endswith("not ready for residents yet\n")
    assert not path.exists()


def test_a_names_only_territory_lists_every_gap_with_its_command(db_url: str, tmp_path: Path) -> None:
    """Territory imported, nothing else: catalogue, workers and chats block; departments and web warn."""
    names_only(tmp_path, db_url, catalogue=False)
    blocking, out = doctor(config(tmp_path, db_url))
    assert blocking
    assert "BLOCKING no service catalogue is imported" in out
    assert "  fix: jiesu catalogue import CATALOGUE.toml" in out
    assert (
        "BLOCKING 3 grids have no worker, so nobody grabs their tickets\n"
        "    - north-1 (北社区 北一网格)\n    - north-2 (北社区 北二网格)\n    - south-1 (南社区 南一网格)\n"
        "  fix: list the workers in the staff file and run jiesu staff import STAFF.toml, "
        "or in chat: /grant USER worker north-1\n"
    ) in out
    assert "BLOCKING the ticket cards of 3 grids reach no chat" in out and "/bind north-1" in out
    assert "WARNING  2 departments have no staff and no chat" in out and "/grant USER admin dept-a" in out
    assert "WARNING  no [web] base_url: the web office (指挥中心) is off" in out
    assert "WARNING  nobody is an admin" in out
    assert "ok       territory: 3 grids (8 areas in all)" in out
    # Blocking findings come first.
    assert out.index("BLOCKING") < out.index("WARNING") and "BLOCKING" not in out[out.index("WARNING") :]


def test_the_report_speaks_chinese_when_asked(db_url: str, tmp_path: Path) -> None:
    """--lang zh words every finding and fix in Chinese; the locale picks the language by default."""
    names_only(tmp_path, db_url, catalogue=False)
    _, out = doctor(config(tmp_path, db_url), "zh")
    assert "【必须处理】3 个网格没有网格员，工单无人抢单\n    - 北社区 北一网格（north-1）\n" in out
    assert "  处理：jiesu catalogue import CATALOGUE.toml" in out
    assert out.endswith("暂不能接待居民\n")
    assert cli_doctor.default_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert cli_doctor.default_lang({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert cli_doctor.default_lang({}) == "en"


async def test_an_office_with_workers_chats_and_a_channel_is_ready(
    db_url: str, tmp_path: Path, telegram: str
) -> None:
    """Workers on every grid, every grid's group bound, Telegram answering: nothing blocks."""
    names_only(tmp_path, db_url)
    staff = tmp_path / "staff.toml"
    staff.write_text(
        "".join(
            f'[[people]]\nname = "{name}"\nrole = "{role}"\nscopes = ["{scope}"]\nconsole = "{uid}"\n\n'
            for name, role, scope, uid in (
                ("甲网格", "worker", "north", "w1"),
                ("乙网格", "worker", "south-1", "w2"),
                ("丙科长", "admin", "dept-a", "d1"),
                ("丁科长", "admin", "dept-b", "d2"),
            )
        ),
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["staff", "import", "--db", db_url, str(staff)]) == 0
    plain = load(None, env={})
    plain.seed_demo = False
    h = await Harness.create(db_url, plain)
    try:
        await h.run("admin@n1: /bind north-1", "admin@n2: /bind north-2", "admin@s: /bind south")
    finally:
        h.close()
    cfg = config(
        tmp_path,
        db_url,
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{telegram}"\nadmins = [{ADMIN_ID}]\n'
        '[web]\nbase_url = "https://jiesu.example.org"\n',
    )
    blocking, out = await asyncio.to_thread(doctor, cfg, "en", MARCH)
    assert not blocking, out
    assert "ok       Telegram: @jiesu_test_bot answers" in out
    assert "WARNING  1 grids have no chat of their own; their cards go to a chat above them" in out
    assert "    - south-1 (南社区 南一网格) [cards go to south]" in out
    assert "WARNING  1 admins never wrote to the bot" in out and f"telegram {ADMIN_ID}" in out
    assert "/start (@jiesu_test_bot)" in out
    assert "ok       holidays: chinese-calendar" in out
    assert out.endswith("nothing blocking (2 warnings): ready for residents\n")


async def test_an_admin_who_wrote_is_no_longer_listed(db_url: str, telegram: str, tmp_path: Path) -> None:
    """The configured Telegram admin is listed until they send the bot a message."""
    tg = await Tg.create(db_url)
    try:
        cfg = config(tmp_path, db_url, f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{telegram}"\n')
        cfg.telegram.admins = [ADMIN_ID]
        _, out = await asyncio.to_thread(doctor, cfg)
        assert f"    - telegram {ADMIN_ID}\n" in out
        await tg.send(tg.u.text(tg.u.user(ADMIN_ID, "主任"), "/start"))
        _, out = await asyncio.to_thread(doctor, cfg)
        assert "never wrote" not in out
        assert "BLOCKING the database holds the built-in 北苑街道 demo" in out  # Tg runs on the demo
        assert "  fix: jiesu demo remove, then import your files" in out
    finally:
        await tg.close()


def test_unreachable_channels_block_with_the_reason(db_url: str, tmp_path: Path) -> None:
    """Telegram not answering and WeChat refusing the secret are blocking, each with what to check."""
    names_only(tmp_path, db_url)
    fake = FakeWeChatAPI()
    try:
        cfg = config(
            tmp_path,
            db_url,
            f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "http://127.0.0.1:9"\n'
            f'[wechat]\ntoken = "t"\napp_id = "{APP_ID}"\napp_secret = "wrong"\n'
            f'api_base_url = "{fake.base_url}"\n',
        )
        blocking, out = doctor(cfg)
        assert blocking
        assert "BLOCKING Telegram: cannot reach the Telegram Bot API at http://127.0.0.1:9" in out
        assert "BLOCKING WeChat: WeChat refused getcallbackip (errcode 40125: invalid appsecret)" in out
        assert "  fix: check [wechat] app_id, app_secret and the server's IP" in out
        cfg.wechat.app_secret = APP_SECRET
        _, out = doctor(cfg)
        assert "ok       WeChat: the account answers" in out and "WeChat:" not in out.split("ok ")[0]
    finally:
        fake.close()


def test_holidays_the_calendar_does_not_know(db_url: str, tmp_path: Path) -> None:
    """A current year without holidays blocks; next year's warns from October; config holidays count."""
    names_only(tmp_path, db_url)
    cfg = config(tmp_path, db_url)
    _, out = doctor(cfg, clock=FAR)
    assert "BLOCKING the working-day calendar has no holidays for 2099" in out
    assert "  fix: pip install -U chinese-calendar, or list the days in [sla] holidays" in out
    assert "2100" not in out  # March: next year's schedule is not due yet
    october = FakeClock(datetime(2099, 10, 15, 1, 0, tzinfo=UTC))
    cfg = config(tmp_path, db_url, '[sla]\nholidays = ["2099-10-01"]\n')
    _, out = doctor(cfg, clock=october)
    assert "2099" not in out.split("ok ")[0]
    assert "WARNING  no holidays for 2100 yet" in out


def test_a_web_address_without_https_warns(db_url: str, tmp_path: Path) -> None:
    """An http:// base_url for the web office is a warning naming it."""
    names_only(tmp_path, db_url)
    _, out = doctor(config(tmp_path, db_url, '[web]\nbase_url = "http://jiesu.example.org"\n'))
    assert "WARNING  [web] base_url http://jiesu.example.org is not HTTPS" in out


def test_an_unowned_category_warns(db_url: str, tmp_path: Path) -> None:
    """A catalogue imported before a territory that owns only some categories: the rest are named."""
    assert main(["catalogue", "import", "--db", db_url, str(CATALOGUE)]) == 0
    text = NAMES_ONLY.replace('categories = ["city", "housing", "idea", "other"]', 'categories = ["city"]')
    path = tmp_path / "territory.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["territory", "import", "--db", db_url, str(path)]) == 0
    _, out = doctor(config(tmp_path, db_url))
    assert (
        "WARNING  3 categories have no owning department: a late ticket skips the department level\n"
        "    - housing (住房)\n    - idea (金点子)\n    - other (其他)\n"
    ) in out
    assert "  fix: list each under a department's categories in the territory file" in out
