"""Config file errors say what to fix; the environment overrides the database URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DB_URL, ConfigError, load
from models.policy import PointsPolicy

from . import timing

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str) -> Path:
    """A config file with the given TOML."""
    path = tmp_path / "jiesu.toml"
    path.write_text(body, encoding="utf-8")
    return path


def error_of(tmp_path: Path, body: str) -> str:
    """The message of the ConfigError a config body raises."""
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, body), env={})
    return str(info.value)


def test_example_config_loads_with_the_documented_defaults() -> None:
    """config.example.toml is valid and its values are the defaults (10+20, grab 2, meet 3)."""
    config = load(ROOT / "config.example.toml", env={})
    assert config.rules.points == PointsPolicy()
    assert (config.rules.points.close, config.rules.points.double_yes) == (10, 20)
    assert config.database_url == DEFAULT_DB_URL
    assert config.console_admins == ["admin"]


def test_bad_toml_names_the_file_and_the_place(tmp_path: Path) -> None:
    """A syntax error says the file is not valid TOML and where."""
    message = error_of(tmp_path, "[points]\nclose = = 10\n")
    assert message.startswith(f"{tmp_path / 'jiesu.toml'}: not valid TOML:")
    assert "line 2" in message


def test_bad_duration_says_what_a_duration_looks_like(tmp_path: Path) -> None:
    """A duration that cannot be read names the key and shows the expected form."""
    message = error_of(tmp_path, '[sla]\nclaim_within = "2 hours"\n')
    assert message == "sla.claim_within: expected a duration like '30m', '2h' or '3d', got '2 hours'"


@pytest.mark.parametrize("value", ['"ten"', "1.5", "true", "[10]"])
def test_bad_points_value_names_the_key(tmp_path: Path, value: str) -> None:
    """A points value that is not a whole number names the key and the value."""
    message = error_of(tmp_path, f"[points]\nclose = {value}\n")
    assert message.startswith("points.close: expected a whole number, got ")


@pytest.mark.parametrize(
    ("body", "start"),
    [
        ('[sla]\nsimple_days = "one"\n', "sla.simple_days: expected a whole number"),
        ('[sla]\nreminders = ["half"]\n', "sla.reminders: each fraction must be between 0 and 1"),
        ('[sla]\ntimezone = "Mars/Olympus"\n', "sla.timezone: unknown time zone 'Mars/Olympus'"),
        ('[database]\npool_size = "many"\n', "database.pool_size: expected a whole number"),
        ('[subdistrict]\nnearest_grid_km = "far"\n', "subdistrict.nearest_grid_km: expected a number"),
        ('[telegram]\nadmins = ["@boss"]\n', "telegram.admins: expected numeric Telegram user ids"),
        ("points = 5\n", "[points] must be a table"),
    ],
)
def test_other_bad_values_are_config_errors(tmp_path: Path, body: str, start: str) -> None:
    """Wrong types in any section are reported as config errors naming the key, not as crashes."""
    assert error_of(tmp_path, body).startswith(start)


def test_missing_file(tmp_path: Path) -> None:
    """A config path that does not exist says so."""
    with pytest.raises(ConfigError, match="config file not found"):
        load(tmp_path / "missing.toml", env={})


def test_points_section_sets_the_rules(tmp_path: Path) -> None:
    """Every [points] key is read; unset keys keep their defaults."""
    config = load(write(tmp_path, "[points]\nclose = 5\ndouble_yes = 7\noverdue = -1\n"), env={})
    assert config.rules.points == PointsPolicy(close=5, double_yes=7, grab=2, meet=3, overdue=-1)


def test_environment_overrides_the_database_url(tmp_path: Path) -> None:
    """JIESU_DATABASE_URL wins over [database] url, which wins over the default."""
    path = write(tmp_path, '[database]\nurl = "sqlite:///from-file.db"\n')
    assert load(path, env={}).database_url == "sqlite:///from-file.db"
    env = {"JIESU_DATABASE_URL": "postgresql+asyncpg://u@h/db"}
    assert load(path, env=env).database_url == "postgresql+asyncpg://u@h/db"
    assert load(None, env=env).database_url == "postgresql+asyncpg://u@h/db"
    assert load(None, env={}).database_url == DEFAULT_DB_URL


def test_cli_reports_config_errors_without_a_traceback(tmp_path: Path) -> None:
    """`jiesu console --config bad.toml` prints one 'config error' line and exits 78 (EX_CONFIG)."""
    path = write(tmp_path, '[points]\nmeet = "a lot"\n')
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--config", str(path)],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=timing.bound(60),
        check=False,
    )
    assert result.returncode == 78
    assert result.stderr == "config error: points.meet: expected a whole number, got 'a lot'\n"
    assert not (tmp_path / "jiesu.db").exists()


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `jiesu` command with empty standard input."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input="r1: 你好\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=timing.bound(60),
        check=False,
    )


@pytest.mark.parametrize("url", ["foo://bar", "not a url"])
def test_cli_reports_a_malformed_database_url(tmp_path: Path, url: str) -> None:
    """A database URL of an unknown kind is a one-line config error, not a traceback."""
    result = run_cli(tmp_path, "console", "--db", url)
    assert result.returncode == 78
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("config error: --db: database URL ")
    assert "sqlite:///" in lines[0] and "postgresql://" in lines[0]


def test_cli_reports_a_database_it_cannot_open(tmp_path: Path) -> None:
    """A database file that cannot be opened is named in a one-line error and is a config error (78)."""
    result = run_cli(tmp_path, "db", "upgrade", "--db", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert result.returncode == 78
    lines = result.stderr.splitlines()
    assert lines == ["database error: cannot open the database: unable to open database file"]


def test_unknown_keys_are_named_with_the_nearest_known_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A misspelt key or section still loads, but is warned about with what was probably meant."""
    body = (
        '[sla]\nclaim_whithin = "1h"\n[subdistrict]\nname = "北苑街道"\n'
        '[wechatt]\ntoken = "t"\n[http]\nport = 1\n'
    )
    with caplog.at_level("WARNING", logger="bot.config"):
        config = load(write(tmp_path, body), env={})
    assert config.warnings == [
        "[sla] unknown key 'claim_whithin' (did you mean 'claim_within'?), ignored",
        "unknown section [wechatt] (did you mean 'wechat'?), ignored",
        "[http] unknown key 'port', ignored",
    ]
    assert [r.getMessage() for r in caplog.records] == [f"config: {w}" for w in config.warnings]
    assert config.rules.sla.claim_within.total_seconds() == 2 * 3600  # the default, not the typo's value


def test_the_example_config_has_no_unknown_keys() -> None:
    """Every key of config.example.toml is one the loader reads."""
    assert load(ROOT / "config.example.toml", env={}).warnings == []


def test_jiesu_prints_the_warnings_once(tmp_path: Path) -> None:
    """`jiesu console` names an unknown key on stderr, once, and runs anyway."""
    path = write(tmp_path, '[points]\nclsoe = 5\n[database]\nurl = "sqlite:///j.db"\n')
    result = run_cli(tmp_path, "console", "--config", str(path))
    assert result.returncode == 0
    assert result.stderr == "config warning: [points] unknown key 'clsoe' (did you mean 'close'?), ignored\n"


def test_wechat_options_are_typed_fields(tmp_path: Path) -> None:
    """[wechat] passive_budget, max_body and template_fields are read once, and checked."""
    body = '[wechat]\npassive_budget = 2.5\nmax_body = 4096\ntemplate_fields = { title = "first_x" }\n'
    wx = load(write(tmp_path, body), env={}).wechat
    assert (wx.passive_budget, wx.max_body, wx.template_fields) == (2.5, 4096, {"title": "first_x"})
    assert load(None, env={}).wechat.passive_budget is None
    assert error_of(tmp_path, '[wechat]\npassive_budget = "soon"\n') == (
        "wechat.passive_budget: expected a number, got 'soon'"
    )
    assert error_of(tmp_path, "[wechat]\ntemplate_fields = 3\n").startswith("wechat.template_fields:")


def test_wecom_section_with_secrets_from_the_environment(tmp_path: Path) -> None:
    """[wecom] is read; the secret, token and AES key may come from the environment instead."""
    path = write(
        tmp_path, '[wecom]\ncorp_id = "ww1"\nagent_id = 1000002\nsecret = "in-file"\nadmins = ["boss"]\n'
    )
    wc = load(path, env={"JIESU_WECOM_SECRET": "from-env", "JIESU_WECOM_TOKEN": "t"}).wecom
    assert (wc.corp_id, wc.agent_id, wc.secret, wc.token, wc.admins) == (
        "ww1",
        1000002,
        "from-env",
        "t",
        ["boss"],
    )
    assert "wecom.agent_id: expected a whole number" in error_of(tmp_path, '[wecom]\nagent_id = "1000002"\n')
