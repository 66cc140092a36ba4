"""The [web] and [open311] sections of the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load


def write(tmp_path: Path, body: str) -> Path:
    """A config file with this body."""
    path = tmp_path / "jiesu.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_web_and_open311_sections_are_read(tmp_path: Path) -> None:
    """base_url (trailing slash dropped), tiles, keys by name; the rules carry the base URL for links."""
    config = load(
        write(
            tmp_path,
            '[web]\nbase_url = "https://jiesu.example.org/"\n'
            'tiles = { url = "https://t/{z}/{x}/{y}.png", attribution = "© 地图" }\n'
            '[open311]\napi_keys = [{ name = "12345热线", key = "k1" }]\n',
        ),
        env={},
    )
    assert config.web.base_url == config.rules.web_base_url == "https://jiesu.example.org"
    assert (config.web.tiles_url, config.web.tiles_attribution) == ("https://t/{z}/{x}/{y}.png", "© 地图")
    assert config.open311.api_keys == {"k1": "12345热线"}


def test_defaults_leave_the_office_off(tmp_path: Path) -> None:
    """Without the sections there is no office and no API."""
    config = load(None, env={})
    assert config.web.base_url == "" and config.open311.api_keys == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[web]\nbase_url = "jiesu.example.org"\n', "web.base_url: expected an http:// or https:// address"),
        ("[web]\ntiles = 3\n", "web.tiles: expected a table"),
        ('[open311]\napi_keys = [{ key = "k1" }]\n', "open311.api_keys: each entry needs a name and a key"),
    ],
)
def test_bad_values_say_what_to_fix(tmp_path: Path, body: str, message: str) -> None:
    """A value that cannot be used stops the start with a message naming the key."""
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, body), env={})


def test_office_keys_are_known_and_typos_are_named(tmp_path: Path) -> None:
    """The office's keys raise no warning; a misspelt one is named with the key meant."""
    good = load(
        write(
            tmp_path,
            '[web]\nbase_url = "https://j.example.org"\nsecret = "s"\ntiles = "https://t/{z}/{x}/{y}.png"\n'
            '[open311]\njurisdiction_id = "beiyuan"\napi_keys = [{ name = "12345", key = "k" }]\n',
        ),
        env={},
        log_warnings=False,
    )
    assert good.warnings == []
    typo = load(
        write(tmp_path, '[web]\nbase_ulr = "https://j.example.org"\n[open311]\napi_key = []\n'),
        env={},
        log_warnings=False,
    )
    assert typo.warnings == [
        "[web] unknown key 'base_ulr' (did you mean 'base_url'?), ignored",
        "[open311] unknown key 'api_key' (did you mean 'api_keys'?), ignored",
    ]
