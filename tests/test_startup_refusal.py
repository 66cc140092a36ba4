"""`jiesu console` and `jiesu run` stop and say what to run when no report could be filed, or on the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.config import load
from handlers import texts
from models.tables import IDLE, Dialog

from .harness import Harness
from .test_territory_files import areas
from .town import CATALOGUE, TOWN, import_town


def config(tmp_path: Path, extra: str = "") -> str:
    """A config file with the demo switched off."""
    path = tmp_path / "jiesu.toml"
    path.write_text(f"[subdistrict]\ndemo = false\n{extra}", encoding="utf-8")
    return str(path)


def test_console_and_run_refuse_an_empty_database(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both commands exit 2 naming the import commands, instead of a bot that cannot take a report."""
    script = tmp_path / "story.txt"
    script.write_text("r1: /report\n", encoding="utf-8")
    cfg = config(tmp_path, '[telegram]\ntoken = "123:abc"\n')
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 78
    err = capsys.readouterr().err
    assert "This database has no territory and no service catalogue and [subdistrict] demo = false" in err
    assert "jiesu territory import TERRITORY.toml" in err and "jiesu catalogue import CATALOGUE.toml" in err
    assert main(["run", "--config", cfg, "--db", db_url]) == 78
    assert "jiesu territory import TERRITORY.toml" in capsys.readouterr().err


def test_after_both_imports_the_console_runs(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A territory alone is still refused (no catalogue); with both imported the console takes a report."""
    cfg = config(tmp_path)
    script = tmp_path / "story.txt"
    script.write_text("r1: /report\n", encoding="utf-8")
    assert main(["territory", "import", "--config", cfg, "--db", db_url, str(TOWN)]) == 0
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 78
    assert "has no service catalogue" in capsys.readouterr().err
    assert main(["catalogue", "import", "--config", cfg, "--db", db_url, str(CATALOGUE)]) == 0
    capsys.readouterr()
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 0
    assert (
        "[r1] 请选择问题类别：\n  [1] 城管  [2] 住房  [3] 公共安全  [4] 金点子  [5] 其他"
        in capsys.readouterr().out
    )


def plain_config(tmp_path: Path, extra: str = "") -> str:
    """A config file that says nothing about the demo (so it is on, the default)."""
    path = tmp_path / "plain.toml"
    path.write_text(extra, encoding="utf-8")
    return str(path)


def test_a_territory_without_its_catalogue_is_refused_even_with_the_demo_on(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Demo on (the default) and only a territory imported: the console names the catalogue import."""
    cfg = plain_config(tmp_path)
    script = tmp_path / "story.txt"
    script.write_text("r1: [tap 反映问题]\n", encoding="utf-8")
    assert main(["territory", "import", "--config", cfg, "--db", db_url, str(TOWN)]) == 0
    capsys.readouterr()
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 78
    captured = capsys.readouterr()
    assert "This database has a territory but no service catalogue" in captured.err
    assert "jiesu catalogue import CATALOGUE.toml" in captured.err
    assert "请选择问题类别" not in captured.out


async def test_a_resident_is_never_shown_an_empty_category_menu(db_url: str) -> None:
    """A bot whose database has no category answers 反映问题 and a described problem with a notice."""
    import_town(db_url, catalogue=None)
    config = load(None, env={})
    config.seed_demo = False
    h = await Harness.create(db_url, config)
    try:
        await h.say("r1: 你好")
        for line in ("r1: [tap 反映问题]", "r1: /report", "r1: 楼道灯坏了好几天了，现代花园3幢"):
            out = await h.say(line)
            assert [m["text"] for m in out] == [texts.NO_CATALOGUE], line
        assert h.query(lambda s: s.scalar(select(Dialog.state).where(Dialog.user_id == "r1"))) == IDLE
    finally:
        h.close()


def test_run_on_a_chat_channel_does_not_seed_the_demo(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jiesu run` with a Telegram token and no territory refuses, naming the imports, and seeds nothing."""
    cfg = plain_config(tmp_path, '[telegram]\ntoken = "123:abc"\n')
    assert main(["run", "--config", cfg, "--db", db_url]) == 78
    err = capsys.readouterr().err
    assert "does not load the built-in 北苑街道 demo (only [subdistrict] demo = true makes it)" in err
    assert "jiesu territory import TERRITORY.toml" in err and "jiesu doctor" in err
    assert areas(db_url) == {}


def test_run_on_a_chat_channel_refuses_a_database_that_holds_the_demo(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database the console seeded with the demo: `jiesu run` on Telegram says how to clear it."""
    script = tmp_path / "story.txt"
    script.write_text("r1: 你好\n", encoding="utf-8")
    assert main(["console", "--db", db_url, "--script", str(script)]) == 0
    cfg = plain_config(tmp_path, '[telegram]\ntoken = "123:abc"\n')
    capsys.readouterr()
    assert main(["run", "--config", cfg, "--db", db_url]) == 78
    err = capsys.readouterr().err
    assert "This database holds the built-in 北苑街道 demo" in err
    assert "jiesu demo remove" in err and "--replace-demo" in err
