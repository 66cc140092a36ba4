"""docs/operating.md's end-to-end walk: every command of it runs, in order, on a fresh database."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory as _Scripts

from models.migrations import HERE as _MIGRATIONS

from .tgfake import TOKEN, FakeBotApi, serve_http

# The newest migration: what a fresh database is upgraded to.
HEAD = _Scripts(str(_MIGRATIONS)).get_current_head()

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs/operating.md"


def walk_commands() -> list[str]:
    """The `jiesu` lines of the sh blocks in 'One deployment, end to end', in order."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## One deployment, end to end", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [
        line.split("#", 1)[0].strip() for b in blocks for line in b.splitlines() if line.startswith("jiesu ")
    ]


def test_the_walk_has_the_steps_an_office_takes() -> None:
    """Schema, the three files, the revision and the doctor, in that order."""
    words = [" ".join(shlex.split(c)[1:3]) for c in walk_commands()]
    assert words == [
        "--version",
        "db upgrade",
        "territory check",
        "territory import",
        "catalogue import",
        "staff import",
        "db current",
        "doctor --lang",
    ]


def test_every_command_of_the_walk_runs_on_a_fresh_database(tmp_path: Path) -> None:
    """Each command exits 0 (the doctor 1, naming the groups still to bind), with no traceback."""
    api = FakeBotApi()
    with serve_http(api) as base_url:
        config = tmp_path / "jiesu.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{tmp_path}/jiesu.db"\n'
            '[subdistrict]\nname = "北苑街道"\ndemo = false\n'
            f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{base_url}"\nadmins = [700001]\n'
            '[web]\nbase_url = "https://jiesu.example.org"\nsecret = "0123456789abcdef"\n',
            encoding="utf-8",
        )
        config.chmod(0o640)
        outputs = []
        for command in walk_commands():
            words = [str(config) if w == "jiesu.toml" else w for w in shlex.split(command)[1:]]
            done = subprocess.run(
                [sys.executable, "-m", "bot.cli", *words],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=180,
                check=False,
            )
            assert "Traceback" not in done.stderr, (command, done.stderr)
            expected = 1 if words[0] == "doctor" else 0
            assert done.returncode == expected, (command, done.stdout, done.stderr)
            outputs.append(done.stdout)
    assert outputs[1].splitlines()[-1].endswith(f"upgraded from empty to {HEAD}")
    assert outputs[6].strip().endswith("(up to date)")
    assert "/bind" in outputs[7]  # what still blocks: the grids' groups, bound from the chat
