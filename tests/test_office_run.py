"""`jiesu run` serves the web office and Open311 with no chat channel configured."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from . import timing
from .test_telegram_lifecycle import finish, free_port, start_jiesu, wait_running


async def test_run_serves_web_office_and_open311_without_a_channel(db_url: str, tmp_path: Path) -> None:
    """Only [web] and [open311] set: the server starts, answers Open311 and the office, stops on SIGTERM."""
    port = free_port()
    config = tmp_path / "jiesu.toml"
    config.write_text(
        "\n".join(
            [
                "[http]",
                f'listen = "127.0.0.1:{port}"',
                "[web]",
                f'base_url = "http://127.0.0.1:{port}"',
                'secret = "a-fixed-secret-for-this-test"',  # required with base_url: CSRF outlives a restart
                "[open311]",
                'api_keys = [{ name = "12345热线", key = "secret-key" }]',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    process = start_jiesu(config, db_url)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=timing.bound(1)).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        await wait_running(process, up)
        services = httpx.get(f"{base}/open311/v2/services.json", timeout=timing.bound(5))
        assert services.status_code == 200 and any(s["service_code"] == "road" for s in services.json())
        office = httpx.get(f"{base}/office/tickets", timeout=timing.bound(5))
        assert office.status_code == 401 and "/web" in office.text
        code, err = finish(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, err
