"""With demo = false and nothing imported, `jiesu console` and `jiesu run` stop and say what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

from .town import CATALOGUE, TOWN


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
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 2
    err = capsys.readouterr().err
    assert "This database has no territory and no service catalogue and [subdistrict] demo = false" in err
    assert "jiesu territory import TERRITORY.toml" in err and "jiesu catalogue import CATALOGUE.toml" in err
    assert main(["run", "--config", cfg, "--db", db_url]) == 2
    assert "jiesu territory import TERRITORY.toml" in capsys.readouterr().err


def test_after_both_imports_the_console_runs(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A territory alone is still refused (no catalogue); with both imported the console takes a report."""
    cfg = config(tmp_path)
    script = tmp_path / "story.txt"
    script.write_text("r1: /report\n", encoding="utf-8")
    assert main(["territory", "import", "--config", cfg, "--db", db_url, str(TOWN)]) == 0
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 2
    assert "has no service catalogue" in capsys.readouterr().err
    assert main(["catalogue", "import", "--config", cfg, "--db", db_url, str(CATALOGUE)]) == 0
    capsys.readouterr()
    assert main(["console", "--config", cfg, "--db", db_url, "--script", str(script)]) == 0
    assert (
        "[r1] 请选择问题类别：\n  [1] 城管  [2] 住房  [3] 公共安全  [4] 金点子  [5] 其他"
        in capsys.readouterr().out
    )
