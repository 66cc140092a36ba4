"""Every secret from the environment or a file (`JIESU_X_FILE`); doctor warns about a readable one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli_doctor import Examination, _secrets_file
from bot.config import Config, ConfigError, load
from bot.secretfiles import SECRETS

ROOT = Path(__file__).resolve().parent.parent
# Where each secret ends up in the loaded configuration, and a value it may take.
WHERE: dict[str, tuple[Callable[[Config], object], str, object]] = {
    "JIESU_DATABASE_URL": (lambda c: c.database_url, "postgresql://j:pw@db/j", "postgresql://j:pw@db/j"),
    "JIESU_TELEGRAM_TOKEN": (lambda c: c.telegram.token, "123:AAE-x", "123:AAE-x"),
    "JIESU_TELEGRAM_SECRET_TOKEN": (lambda c: c.telegram.secret_token, "s3cret", "s3cret"),
    "JIESU_WECHAT_TOKEN": (lambda c: c.wechat.token, "wxtoken", "wxtoken"),
    "JIESU_WECHAT_APP_SECRET": (lambda c: c.wechat.app_secret, "appsecret", "appsecret"),
    "JIESU_WECHAT_AES_KEY": (lambda c: c.wechat.encoding_aes_key, "aeskey", "aeskey"),
    "JIESU_WEB_SECRET": (lambda c: c.web.secret, "f" * 64, "f" * 64),
    "JIESU_METRICS_TOKEN": (lambda c: c.observe.metrics_token, "scrape-me", "scrape-me"),
    "JIESU_OPEN311_API_KEYS": (
        lambda c: c.open311.api_keys,
        "12345热线=k1,网格=k2",
        {"k1": "12345热线", "k2": "网格"},
    ),
}


def test_every_secret_is_covered_here_and_in_the_guide() -> None:
    """This test knows every secret, and docs/operating.md names each, with its _FILE form."""
    assert set(WHERE) == set(SECRETS)
    guide = (ROOT / "docs/operating.md").read_text(encoding="utf-8")
    for name in SECRETS:
        assert f"`{name}`" in guide, name
    assert "_FILE" in guide


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_secret_comes_from_the_environment_or_a_file(tmp_path: Path, name: str) -> None:
    """JIESU_X and JIESU_X_FILE (a file ending in a newline, as `echo` writes it) give the same value."""
    read, value, expected = WHERE[name]
    assert read(load(None, env={name: value})) == expected
    path = tmp_path / "secret"
    path.write_text(value + "\n", encoding="utf-8")
    assert read(load(None, env={f"{name}_FILE": str(path)})) == expected


def test_a_value_set_directly_wins_over_a_file(tmp_path: Path) -> None:
    """Both given: the variable itself counts, the file is not read."""
    env = {"JIESU_TELEGRAM_TOKEN": "1:direct", "JIESU_TELEGRAM_TOKEN_FILE": str(tmp_path / "absent")}
    assert load(None, env=env).telegram.token == "1:direct"


def test_a_secret_file_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    """A _FILE pointing nowhere names the variable and the path, in one line."""
    with pytest.raises(ConfigError) as info:
        load(None, env={"JIESU_WEB_SECRET_FILE": str(tmp_path / "missing")})
    assert str(info.value).startswith(f"JIESU_WEB_SECRET_FILE: cannot read {tmp_path / 'missing'}: ")


def test_doctor_warns_about_secrets_in_a_world_readable_config(tmp_path: Path) -> None:
    """A config with a token that anyone may read is a warning; chmod 640 silences it."""
    path = tmp_path / "jiesu.toml"
    path.write_text('[telegram]\ntoken = "1:AAE"\n[web]\nsecret = "x"\n', encoding="utf-8")
    os.chmod(path, 0o644)
    ex = Examination()
    _secrets_file(str(path), ex)
    assert [(f.kind, f.values["keys"]) for f in ex.findings] == [
        ("secret_readable", "telegram.token, web.secret")
    ]
    os.chmod(path, 0o640)
    ex = Examination()
    _secrets_file(str(path), ex)
    assert ex.findings == []
