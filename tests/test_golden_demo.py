"""The console transcript of `make demo` is a golden file: a change to it is made on purpose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import timing

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "demo.txt"


def test_demo_transcript_is_byte_identical_to_the_golden_file(tmp_path: Path) -> None:
    """The whole demo story prints exactly what tests/golden/demo.txt holds (update it on purpose)."""
    jiesu = Path(sys.executable).with_name("jiesu")
    result = subprocess.run(
        [
            str(jiesu),
            "console",
            "--db",
            f"sqlite:///{tmp_path / 'demo.db'}",
            "--script",
            str(ROOT / "examples/story.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=timing.bound(120),
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = GOLDEN.read_text(encoding="utf-8")
    if result.stdout != expected:
        (ROOT / "out").mkdir(exist_ok=True)
        (ROOT / "out" / "demo.actual.txt").write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected, (
        "demo transcript changed; see out/demo.actual.txt (copy it over on purpose)"
    )
