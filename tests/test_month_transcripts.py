"""The first month's audit transcripts, replayed in the console on both databases, come out right."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_golden_demo import console_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "tests" / "data" / "month").glob("*.txt"))


def _expectations(script: str) -> tuple[list[str], list[str]]:
    """The ordered "#= TEXT" lines the output must show, and the "#! TEXT" lines it must never show."""
    shown = [line[3:] for line in script.splitlines() if line.startswith("#= ")]
    never = [line[3:] for line in script.splitlines() if line.startswith("#! ")]
    return shown, never


def _replay(script: Path, db_url: str, cwd: Path) -> str:
    """Run one script through `jiesu console` and keep what the people in it read under out/month/."""
    out = console_script(script, db_url, cwd)
    (ROOT / "out" / "month").mkdir(parents=True, exist_ok=True)
    (ROOT / "out" / "month" / script.name).write_text(out, encoding="utf-8")
    return out


def test_every_transcript_states_what_it_expects() -> None:
    """Each script says what must and must not be read, so a replay that goes wrong fails."""
    assert len(SCRIPTS) >= 5
    for script in SCRIPTS:
        shown, never = _expectations(script.read_text(encoding="utf-8"))
        assert shown and never, script.name


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_month_transcript_comes_out_right(script: Path, db_url: str, tmp_path: Path) -> None:
    """Every expected line is read in order, no forbidden line appears, and no script line is refused."""
    text = script.read_text(encoding="utf-8")
    out = _replay(script, db_url, tmp_path)
    assert "error:" not in out, out
    shown, never = _expectations(text)
    at = 0
    for line in shown:
        found = out.find(line, at)
        assert found >= 0, f"{script.name}: expected after position {at}: {line!r}\n{out}"
        at = found + len(line)
    for line in never:
        assert line not in out, f"{script.name}: must not read {line!r}\n{out}"
