"""Poison input at the boundary, webhook body limit, /healthz, TCP_NODELAY, chart after commit."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, OperationalError

from bot.channels.telegram import MAX_BODY, SECRET_HEADER
from bot.runner import _bind
from bot.web import build_asgi, database_check
from handlers import texts
from handlers.reports import chart
from models.migrations import upgrade
from models.store.database import Database, DatabaseClosed
from models.tables import Outbox, Person, Ticket

from .harness import Harness
from .tgfake import SECRET, Tg, cast


async def raw_post(tg: Tg, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST bytes to the webhook as Telegram would, with the right secret."""
    transport = httpx.ASGITransport(app=build_asgi(tg.runtime.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.org") as client:
        return await client.post(
            tg.runtime.webhook_path, content=body, headers={SECRET_HEADER: SECRET, **(headers or {})}
        )


@pytest.mark.parametrize(
    ("lat", "lon"),
    [("NaN", "120.0"), ("Infinity", "120.0"), ("29.3", "-Infinity"), ("999", "999"), ("-91", "0")],
)
async def test_a_location_not_on_earth_is_answered_and_changes_nothing(tg: Tg, lat: str, lon: str) -> None:
    """NaN, infinite or out-of-range coordinates: 200, a clear answer, no ticket, nothing stored."""
    r1 = cast(tg.u).r1
    update = tg.u.location(r1, 0.0, 0.0)
    body = json.dumps(update).replace('"latitude": 0.0', f'"latitude": {lat}')
    body = body.replace('"longitude": 0.0', f'"longitude": {lon}')
    response = await raw_post(tg, body.encode(), {"Content-Type": "application/json"})
    assert response.status_code == 200
    await tg.app.sender.flush()
    assert tg.api.texts(r1["id"]) == [texts.LOCATION_INVALID]
    assert tg.query(lambda s: s.scalar(select(func.count()).select_from(Ticket))) == 0
    assert tg.query(lambda s: s.scalar(select(func.count()).where(Person.external_id == str(r1["id"])))) == 0


async def test_a_redelivered_bad_location_is_answered_once(tg: Tg) -> None:
    """Telegram posting the same bad location twice: both 200, one answer (the pipeline's dedupe)."""
    r1 = cast(tg.u).r1
    body = json.dumps(tg.u.location(r1, 0.0, 0.0)).replace('"latitude": 0.0', '"latitude": NaN').encode()
    for _ in range(2):
        assert (await raw_post(tg, body, {"Content-Type": "application/json"})).status_code == 200
    await tg.app.sender.flush()
    assert tg.api.texts(r1["id"]) == [texts.LOCATION_INVALID]
    assert tg.query(lambda s: s.scalar(select(func.count()).select_from(Outbox))) == 1


async def test_control_characters_are_stripped_from_every_text_field(tg: Tg) -> None:
    """NUL and other controls in the name and the text: stored and answered without them (PostgreSQL too)."""
    r1 = dict(cast(tg.u).r1, first_name="李\x00\x07", last_name="四\x1b")
    response = await tg.post(tg.u.text(r1, "/start\x00\x08"))
    assert response.status_code == 200
    await tg.app.sender.flush()
    assert tg.api.texts(r1["id"])[0].startswith("您好！")
    name = tg.query(lambda s: s.scalar(select(Person.name).where(Person.external_id == str(r1["id"]))))
    assert name is not None and "\x00" not in name and "\x07" not in name and "\x1b" not in name


async def test_an_update_failing_the_same_way_twice_is_acknowledged_and_counted(
    tg: Tg, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """First failure: 500 (Telegram sends it again); the same failure again: 200, counted, logged."""
    r1 = cast(tg.u).r1

    async def broken(msg: Any) -> Any:
        raise DataError("INSERT …", {}, ValueError("invalid byte sequence"))

    monkeypatch.setattr(tg.app, "handle", broken)
    update = tg.u.text(r1, "/start")
    assert (await tg.post(update)).status_code == 500
    assert (await tg.post(update)).status_code == 200
    assert tg.runtime.ingress.dropped == 1
    assert any("failed twice" in r.getMessage() for r in caplog.records)
    other = tg.u.text(r1, "/help")
    assert (await tg.post(other)).status_code == 500  # a new update gets its own two chances


async def test_a_database_outage_gets_500s_and_one_log_line_per_kind(
    tg: Tg, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """While the database is down every update gets 500 (never dropped), logged once, no tracebacks."""
    r1 = cast(tg.u).r1

    async def down(msg: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(tg.app, "handle", down)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        codes = [(await tg.post(tg.u.text(r1, f"/status {i}"))).status_code for i in range(20)]
        update = tg.u.text(r1, "/start")
        codes += [(await tg.post(update)).status_code for _ in range(3)]
    assert codes == [500] * 23 and tg.runtime.ingress.dropped == 0
    lines = [r for r in caplog.records if r.name.startswith("bot.")]
    assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]


async def test_an_update_that_meets_a_closed_database_is_never_dropped_as_poison(
    tg: Tg, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped database (its worker threads gone) is a dependency failure: 500 each time, not dropped."""
    r1 = cast(tg.u).r1
    closed = Database(db_url)
    closed.close()
    with pytest.raises(DatabaseClosed):
        await closed.run(lambda s: 1)

    async def on_closed(msg: Any) -> Any:
        return await closed.run(lambda s: 1)

    monkeypatch.setattr(tg.app, "handle", on_closed)
    update = tg.u.text(r1, "/start")
    codes = [(await tg.post(update)).status_code for _ in range(3)]
    assert codes == [500, 500, 500] and tg.runtime.ingress.dropped == 0


async def test_the_webhook_refuses_a_body_over_the_limit(tg: Tg) -> None:
    """A body over the limit is refused with 413 before it is parsed, declared or streamed."""
    big = b"{" + b" " * (MAX_BODY + 10) + b"}"
    assert (await raw_post(tg, big)).status_code == 413

    async def chunks() -> Any:
        for _ in range(MAX_BODY // 65536 + 2):
            yield b" " * 65536

    transport = httpx.ASGITransport(app=build_asgi(tg.runtime.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.org") as client:
        streamed = await client.post(
            tg.runtime.webhook_path, content=chunks(), headers={SECRET_HEADER: SECRET}
        )
    assert streamed.status_code == 413
    assert tg.api.sent() == []


def _broken_url(db_url: str, tmp_path: Path) -> str:
    """The same backend, unreachable: a port nobody listens on, or a file in a missing directory."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/missing/dir/jiesu.db"
    return make_url(db_url).set(host="127.0.0.1", port=1).render_as_string(hide_password=False)


async def test_healthz_names_the_database_when_it_is_down(db_url: str, tmp_path: Path) -> None:
    """/healthz: 200 'ok' with the database up, 503 naming the database when it cannot be reached."""
    up, down = Database(db_url), Database(_broken_url(db_url, tmp_path))
    upgrade(up.engine)
    try:
        for db, status, state, names in ((up, 200, "ok", []), (down, 503, "down", ["database"])):
            transport = httpx.ASGITransport(app=build_asgi([], {"database": database_check(db)}))
            async with httpx.AsyncClient(transport=transport, base_url="http://jiesu") as client:
                response = await client.get("/healthz")
            body = response.json()
            assert (response.status_code, body["status"], body["down"]) == (status, state, names)
    finally:
        up.close()
        down.close()


def test_the_webhook_socket_sends_small_responses_at_once() -> None:
    """TCP_NODELAY on the listening socket and on the connections it accepts."""
    listener = _bind("127.0.0.1", 0)
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        client = socket.create_connection(listener.getsockname()[:2])
        accepted, _ = listener.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        accepted.close()
        client.close()
    finally:
        listener.close()


async def test_the_stats_chart_is_drawn_after_the_commit(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """While matplotlib draws, the /stats text is already committed (another connection sees it)."""
    seen: list[int] = []
    draw = chart.write_png

    def watching(*args: Any, **kwargs: Any) -> Path:
        other = Database(h.app.config.database_url)
        try:
            seen.append(
                other.run_sync(lambda s: s.scalar(select(func.count()).where(Outbox.text.like("统计%"))))
            )
        finally:
            other.close()
        return draw(*args, **kwargs)

    monkeypatch.setattr(chart, "write_png", watching)
    out = await h.say("admin: /stats week")
    assert seen == [1]
    assert out[-1]["photo"] and Path(str(out[-1]["photo"])).is_file()


async def test_healthz_names_a_database_that_reads_but_cannot_write(db_url: str) -> None:
    """Disk full: reads still work, every write fails; /healthz says 503 'down: database (writes failing)'."""
    from sqlalchemy import event

    db = Database(db_url)
    upgrade(db.engine)
    full = {"on": False}

    @event.listens_for(db.engine, "before_cursor_execute")
    def disk_full(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if full["on"] and statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise OperationalError(statement, {}, Exception("database or disk is full"))

    try:
        transport = httpx.ASGITransport(app=build_asgi([], {"database": database_check(db)}))
        async with httpx.AsyncClient(transport=transport, base_url="http://jiesu") as client:
            assert (await client.get("/healthz")).json()["status"] == "ok"
            full["on"] = True
            response = await client.get("/healthz")
        report = response.json()
        assert (response.status_code, report["down"]) == (503, ["database"])
        assert report["checks"]["database"].startswith("WritesFailing: writes failing")
    finally:
        db.close()


async def test_healthz_is_ready_only_while_the_channel_takes_updates(db_url: str) -> None:
    """Before the channel takes updates (start-up) and after (stopping), /healthz is 503 naming it."""
    from types import SimpleNamespace

    from bot.runner import health_checks

    db = Database(db_url)
    upgrade(db.engine)
    channel = SimpleNamespace(name="telegram", accepting=False)
    try:
        app = SimpleNamespace(db=db)
        checks = health_checks(app, [channel])  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=build_asgi([], checks))
        async with httpx.AsyncClient(transport=transport, base_url="http://jiesu") as client:
            down = await client.get("/healthz")
            assert (down.status_code, down.json()["down"]) == (503, ["telegram updates"])
            channel.accepting = True
            assert (await client.get("/healthz")).json()["status"] == "ok"
    finally:
        db.close()
