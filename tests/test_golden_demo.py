"""The console transcript of `make demo` is a golden file: a change to it is made on purpose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import timing

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "demo.txt"


def console_script(script: Path, db_url: str, cwd: Path) -> str:
    """Run a script through `jiesu console` in its own process; return what the people in it read."""
    jiesu = Path(sys.executable).with_name("jiesu")
    result = subprocess.run(
        [str(jiesu), "console", "--db", db_url, "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=timing.bound(120),
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_transcript_is_byte_identical_to_the_golden_file(tmp_path: Path) -> None:
    """The whole demo story prints exactly what tests/golden/demo.txt holds (update it on purpose)."""
    out = console_script(ROOT / "examples/story.txt", f"sqlite:///{tmp_path / 'demo.db'}", tmp_path)
    expected = GOLDEN.read_text(encoding="utf-8")
    if out != expected:
        (ROOT / "out").mkdir(exist_ok=True)
        (ROOT / "out" / "demo.actual.txt").write_text(out, encoding="utf-8")
    assert out == expected, "demo transcript changed; see out/demo.actual.txt (copy it over on purpose)"
