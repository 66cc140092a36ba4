"""The `jiesu` command as a newcomer meets it: version, fast help, exit statuses, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory as _Scripts
from sqlalchemy.exc import OperationalError

from bot import cli, startretry
from bot.cli import LAZY, build_parser, main
from bot.exitcodes import Exit, database_status
from bot.version import __version__
from models.migrations import HERE as _MIGRATIONS

# The newest migration: what a fresh database is upgraded to.
HEAD = _Scripts(str(_MIGRATIONS)).get_current_head()

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`jiesu ARGS` in a subprocess, in an empty directory."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
        env=env,
        input="",
    )


def test_the_version_is_written_once_and_shown_by_jiesu_version(tmp_path: Path) -> None:
    """pyproject.toml reads the version from bot/version.py; the installed metadata and --version agree."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert installed_version("jiesu") == __version__, "reinstall (make .venv/.installed) after a bump"
    done = run(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.startswith(f"jiesu {__version__} (Python ")


def test_the_changelog_opens_with_this_version_and_says_what_operators_must_do() -> None:
    """CHANGELOG.md's newest release is this version; every release has an 'Operators must' part."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## (\S+)", text, re.M)
    assert releases[0] == __version__.removesuffix(".dev0")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) == len(releases) >= 2
    for section in sections:
        assert "### Operators must" in section, section.splitlines()[0]


def test_help_imports_none_of_the_application(tmp_path: Path) -> None:
    """`jiesu --help` lists every command without importing models, handlers, SQLAlchemy or PTB."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('models', 'handlers', 'scheduler', 'sqlalchemy', 'telegram', 'wechatpy', 'jieba')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"
    for name in ("console", "run", "db", *LAZY):
        assert f"    {name} " in done.stdout


def test_lazy_help_lines_match_the_real_ones() -> None:
    """The help line --help shows for a lazy command is the one its own module registers."""
    full, light = build_parser(cli.ALL), build_parser(None)

    def helps(parser: object) -> dict[str, str | None]:
        sub = next(a for a in parser._actions if a.dest == "command")  # type: ignore[attr-defined]
        return {a.dest: a.help for a in sub._choices_actions}

    assert helps(light) == helps(full)


def test_a_lazy_command_still_parses_and_runs(tmp_path: Path) -> None:
    """Only the named command's module is imported, and its parser is the real one."""
    path = tmp_path / "t.toml"
    path.write_text("[subdistrict]\n", encoding="utf-8")
    assert main(["territory", "check", str(path)]) == 1  # a territory file with errors: FAILURE


def test_the_exit_statuses_match_the_systemd_unit_and_the_guide() -> None:
    """RestartPreventExitStatus is the config status; docs/operating.md lists every status."""
    unit = (ROOT / "deploy/jiesu.service").read_text(encoding="utf-8")
    assert re.search(r"^RestartPreventExitStatus=(\d+)$", unit, re.M).group(1) == str(int(Exit.CONFIG))  # type: ignore[union-attr]
    guide = (ROOT / "docs/operating.md").read_text(encoding="utf-8")
    for status in Exit:
        assert re.search(rf"^\| {int(status)} \|", guide, re.M), f"exit {int(status)} not in the guide"


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (
            '[http]\nlisten = "localhost"\n',
            "config error: http.listen: expected HOST:PORT like 'localhost:8080', got 'localhost'",
        ),
        (
            '[http]\nlisten = "0.0.0.0:http"\n',
            "config error: http.listen: expected HOST:PORT like '127.0.0.1:8080', got '0.0.0.0:http'",
        ),
        (
            '[database]\nurl = "mysql://u@h/db"\n',
            "config error: database.url: database URL of kind 'mysql': Jiesu keeps its data in SQLite or "
            "PostgreSQL; write sqlite:///FILE or postgresql://USER@HOST/DATABASE",
        ),
        (
            '[database]\nurl = "postgres://u@h/db"\n',
            "config error: database.url: database URL starts with postgres://; write postgresql:// instead",
        ),
        ('[log]\nformat = "xml"\n', "config error: log.format: expected 'text' or 'json', got 'xml'"),
    ],
)
def test_a_broken_config_is_one_line_and_exit_78(tmp_path: Path, body: str, line: str) -> None:
    """What a newcomer got as a traceback is one line saying what to write, and EX_CONFIG."""
    path = tmp_path / "jiesu.toml"
    path.write_text(body, encoding="utf-8")
    done = run(tmp_path, "db", "upgrade", "--config", str(path))
    assert (done.returncode, done.stderr.splitlines()) == (78, [line])


def test_a_misspelt_section_or_key_is_one_line_each(tmp_path: Path) -> None:
    """A typo warns with the nearest name, one line per typo, and the command goes on."""
    path = tmp_path / "jiesu.toml"
    path.write_text('[telgram]\ntoken = "x"\n[sla]\nsimpel_days = 2\n', encoding="utf-8")
    done = run(tmp_path, "db", "upgrade", "--config", str(path), "--db", f"sqlite:///{tmp_path}/j.db")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "config warning: unknown section [telgram] (did you mean 'telegram'?), ignored",
        "config warning: [sla] unknown key 'simpel_days' (did you mean 'simple_days'?), ignored",
    ]


def test_the_web_office_needs_a_lasting_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With [web] base_url and no secret, `jiesu run` refuses (78) and says how to make one."""
    path = tmp_path / "jiesu.toml"
    path.write_text('[web]\nbase_url = "https://jiesu.example.org"\n', encoding="utf-8")
    assert main(["run", "--config", str(path), "--db", f"sqlite:///{tmp_path}/j.db"]) == 78
    err = capsys.readouterr().err
    assert err.startswith("config error: [web] secret is required") and "JIESU_WEB_SECRET" in err


def test_db_upgrade_says_what_it_applied_then_current_and_history(empty_db_url: str, tmp_path: Path) -> None:
    """upgrade lists each migration, then says nothing is left; current and history name revisions."""
    assert run(tmp_path, "db", "current", "--db", empty_db_url).returncode == 1  # no schema yet
    first = run(tmp_path, "db", "upgrade", "--db", empty_db_url)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "applied 0001: initial schema"
    assert lines[-1].endswith(f"upgraded from empty to {HEAD}")
    again = run(tmp_path, "db", "upgrade", "--db", empty_db_url)
    assert again.stdout.strip().endswith(f"is up to date (revision {HEAD}); nothing to apply")
    assert run(tmp_path, "db", "current", "--db", empty_db_url).stdout == f"{HEAD} (up to date)\n"
    history = run(tmp_path, "db", "history", "--db", empty_db_url).stdout.splitlines()
    assert (
        history[0] == "0001  initial schema"
        and history[-1] == f"{HEAD}  " + lines[-2].split(": ", 1)[1] + "  <- database"
    )
    assert len(history) == len(lines) - 1


def test_start_up_retries_what_is_temporary_and_gives_up_on_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """75 is tried again with growing waits within the budget; 78 and 0 are returned at once."""
    monkeypatch.setenv(startretry.BUDGET_ENV, "10")
    slept: list[float] = []
    results = iter([Exit.TEMPORARY, Exit.TEMPORARY, Exit.OK])
    assert startretry.retrying(lambda: next(results), sleep=slept.append) == Exit.OK
    assert slept == [1.0, 2.0]
    slept.clear()
    assert startretry.retrying(lambda: Exit.CONFIG, sleep=slept.append) == Exit.CONFIG
    assert slept == []
    assert startretry.retrying(lambda: Exit.TEMPORARY, sleep=slept.append) == Exit.TEMPORARY
    assert slept == [1.0, 2.0, 4.0]  # 1+2+4 = 7 ≤ 10 < 15
    monkeypatch.setenv(startretry.BUDGET_ENV, "0")
    assert startretry.retrying(lambda: Exit.TEMPORARY, sleep=slept.append) == Exit.TEMPORARY


def test_a_database_that_does_not_answer_is_temporary_one_that_refuses_us_is_config() -> None:
    """Connection refused: 75 (systemd restarts); a wrong password or database name: 78."""

    def error(reason: str) -> OperationalError:
        return OperationalError("SELECT 1", {}, Exception(reason))

    assert database_status(error("connection refused (is the server running?)")) == Exit.TEMPORARY
    assert database_status(error('password authentication failed for user "jiesu"')) == Exit.CONFIG
    assert database_status(error('database "jiesu" does not exist')) == Exit.CONFIG
    assert database_status(error("unable to open database file")) == Exit.CONFIG


def test_an_unreachable_postgres_exits_75_after_its_retries(tmp_path: Path) -> None:
    """`jiesu db upgrade` on a PostgreSQL nobody listens for: one line, exit 75 (systemd tries again)."""
    done = run(tmp_path, "db", "upgrade", "--db", "postgresql://jiesu@127.0.0.1:1/jiesu")
    assert done.returncode == 75
    assert done.stderr.startswith("database error: cannot open the database: ")
    assert len(done.stderr.splitlines()) == 1
