"""A city order's 签收, 回复, 退单 and 延期 pushed to the city's callback: refused, slow, failing, hung."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from bot.config import ConfigError, HotlineConfig, HotlineSource, load
from bot.hotline_push import CityTransport
from models import outbox
from models.clock import SystemClock
from models.hotline_push import CHANNEL
from models.messages import Reply
from models.tables import Outbox, OutboxStatus

from . import timing
from .cityfake import KEY_ID, SECRET, Callback, CallbackFaults, City
from .flakyapi import serve_app
from .harness import Harness
from .office import client, office_config
from .test_hotline_city import WORKER, jiesu, placed

pytestmark = pytest.mark.usefixtures("group_privacy")


def free_port() -> int:
    """A port nothing listens on (yet): calls to it are refused."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


@dataclass
class Town:
    """The office, the port of the city's callback, the transport that calls it."""

    h: Harness
    port: int
    transport: CityTransport


@pytest.fixture
async def town(db_url: str) -> AsyncIterator[Town]:
    """The demo office whose city platform has a callback (nothing listens there yet)."""
    port = free_port()
    source = HotlineSource("12345热线", SECRET, KEY_ID, f"http://127.0.0.1:{port}/callback")
    config = office_config()
    config.hotline = HotlineConfig(sources={KEY_ID: source})
    config.rules = replace(config.rules, city_callbacks=frozenset({source.name}))
    h = await Harness.create(db_url, config)
    transport = CityTransport({source.name: source}, timeout=1.0)
    h.app.add_transport(transport)
    try:
        await h.quick_grid()
        for grid, worker in (("siji-2", "s2"), ("jingfa-1", "j1"), ("jingfa-2", "j2")):
            await h.quick_grid(group=grid.replace("-", ""), grid=grid, workers=(worker,))
        yield Town(h, port, transport)
    finally:
        await transport.close()
        h.close()


def pushes(h: Harness) -> list[tuple[str, dict[str, object], int]]:
    """The outbox rows for the city, in queue order: status, body, attempts."""
    rows = h.query(
        lambda s: s.execute(
            select(Outbox.status, Outbox.text, Outbox.attempts)
            .where(Outbox.channel == CHANNEL)
            .order_by(Outbox.id)
        ).all()
    )
    return [(str(st), json.loads(text), n) for st, text, n in rows]


async def test_every_answer_reaches_the_city_once_and_in_order(
    town: Town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """20 pushed orders signed, one returned, one extended, 19 replied, one reply edited: queued while
    the city refuses connections, then delivered through 503s, slow and hung calls: 0 lost, 0 twice,
    0 out of order; a hung call's repeat is absorbed by its idempotency key."""
    h = town.h
    city = City(now=h.clock.now())
    orders = city.dispatch(20, "P")
    by_file = city.dispatch(1, "F")
    async with client(h) as http:
        assert (await city.push(http, orders)).status_code == 201
    code, _, err = jiesu(h, capsys, "hotline", "import", str(city.export_xlsx(tmp_path / "d.xlsx", by_file)))
    assert code == 0, err
    where = placed(h)
    for o in [*orders, *by_file]:
        await h.say(f"{WORKER[o.grid or '']}: 抢单 {where[o.number][0]}")
    returned, extended = orders[0], orders[1]
    rid, eid = where[returned.number][0], where[extended.number][0]
    await h.say(f"{WORKER[returned.grid or '']}: /city_return {rid} 属于邻街道辖区")
    await h.say(f"admin: /city_return {rid} 同意")
    await h.say(f"{WORKER[extended.grid or '']}: /city_extend {eid} 2026-12-20 需协调燃气公司")
    await h.say(f"admin: /city_extend {eid} 同意 市级平台已批准延期")
    for o in [*orders[1:], *by_file]:
        await h.say(f"{WORKER[o.grid or '']}: 办结 {where[o.number][0]} 已联系诉求人，现场已修复")
    await h.say(f"admin: /city_reply {eid} 已联系燃气公司更换管道并回访诉求人")
    await h.app.sender.flush()
    queued = pushes(h)
    # The file's order has no callback source: its answers go back as the export only.
    assert all(body["number"] != by_file[0].number for _, body, _ in queued)
    kinds = [body["action"] for _, body, _ in queued]
    assert (kinds.count("sign"), kinds.count("return"), kinds.count("extend"), kinds.count("reply")) == (
        20,
        1,
        1,
        20,
    )
    # One lane per city: only its head was tried (refused), the rest wait behind it in order.
    assert {st for st, _, _ in queued} == {OutboxStatus.PENDING}
    assert queued[0][2] >= 1 and all(n == 0 for _, _, n in queued[1:])
    expected = [str(body["idempotency_key"]) for _, body, _ in queued]
    assert len(set(expected)) == len(expected)

    callback = Callback(CallbackFaults(fail=0.2, hang=0.1, slow=0.2, hang_s=1.5))
    with serve_app(callback.app(), town.port):
        for _ in range(80):
            if all(st == OutboxStatus.SENT for st, _, _ in pushes(h)):
                break
            h.clock.advance(timedelta(minutes=11))
            await h.app.sender.flush()
    lost, twice, reordered = callback.counts(expected)
    print(
        f"\n{len(expected)} answers, {callback.arrivals} calls "
        f"({callback.repeats} repeats absorbed by the key): "
        f"lost {lost}, applied twice {twice}, out of order {reordered}"
    )
    assert (lost, twice, reordered) == (0, 0, 0)
    assert callback.unsigned == 0 and callback.repeats >= 1
    assert {st for st, _, _ in pushes(h)} == {OutboxStatus.SENT}
    got = callback.applied
    assert got[f"{returned.number}:return"]["reason"] == "属于邻街道辖区"
    [extension] = [b for k, b in got.items() if k.startswith(f"{extended.number}:extend:")]
    assert extension["reason"] == "需协调燃气公司" and str(extension["until"]).startswith("2026-12-20T23:59")
    assert got[f"{extended.number}:reply:1"]["result"] == "已联系诉求人，现场已修复"
    assert got[f"{extended.number}:reply:2"]["result"] == "已联系燃气公司更换管道并回访诉求人"
    assert all(got[f"{o.number}:sign"]["handler"] for o in orders)
    # What the city receives is what docs/schemas/hotline-callback.schema.json documents.
    schema_file = Path(__file__).parent.parent / "docs/schemas/hotline-callback.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    rules = {r["if"]["properties"]["action"]["const"]: set(r["then"]["required"]) for r in schema["allOf"]}
    for body in got.values():
        assert set(schema["required"]) | rules[str(body["action"])] <= set(body) <= set(schema["properties"])


async def test_a_city_that_rejects_the_answer_for_good_fails_it_visibly(town: Town) -> None:
    """A 422 from the city is final at once (the row is failed with the city's words); a 403 (a secret
    being fixed) is tried again."""
    h = town.h
    city = City(now=h.clock.now())
    [order] = city.dispatch(1, "P")
    async with client(h) as http:
        assert (await city.push(http, [order])).status_code == 201
    wrong = Callback(secret="not-the-secret-we-sign-with")
    with serve_app(wrong.app(), town.port):
        await h.say(f"{WORKER[order.grid or '']}: 抢单 {placed(h)[order.number][0]}")
        await h.app.sender.flush()
    [(status, _, attempts)] = pushes(h)
    assert (status, attempts, wrong.unsigned, wrong.applied) == (OutboxStatus.PENDING, 1, 1, {})
    right = Callback()
    with serve_app(right.app(), town.port):
        h.clock.advance(timedelta(minutes=1))
        await h.app.sender.flush()
    assert [st for st, _, _ in pushes(h)] == [OutboxStatus.SENT] and list(right.applied) == [
        f"{order.number}:sign"
    ]


def test_a_callback_that_is_not_a_url_is_refused_at_start(tmp_path: Path) -> None:
    """[hotline] sources with a callback that is not http(s): the operator is told what to fix."""
    path = tmp_path / "jiesu.toml"
    path.write_text(
        '[hotline]\nsources = [{ name = "12345", key = "bj", secret = "sixteen-chars-at-least", '
        'callback = "ftp://city" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="callback of '12345' must be an http"):
        load(path, env={})
    path.write_text(
        '[hotline]\nsources = [{ name = "12345", key = "bj", secret = "sixteen-chars-at-least", '
        'callback = "https://city.example/cb" }]\n',
        encoding="utf-8",
    )
    config = load(path, env={})
    assert config.rules.city_callbacks == frozenset({"12345"})
    assert config.hotline.sources["bj"].callback == "https://city.example/cb"


def test_a_killed_sender_loses_and_doubles_no_answer(empty_db_url: str) -> None:
    """kill -9 while answers go to a slow city: another process finishes the lane in order; the one
    call in flight may arrive twice, and its idempotency key keeps the city from applying it twice."""
    from .test_delivery_processes import _env, log_of, wait_ready  # the process tests' helpers

    count = 40
    expected = queued_answers(empty_db_url, count)
    callback = Callback(CallbackFaults(slow=1.0, slow_s=0.15))
    with serve_app(callback.app()) as base:
        url = f"{base}/callback"
        first = city_worker(empty_db_url, url, _env())
        wait_ready(first)
        deadline = time.monotonic() + timing.bound(30)
        while len(callback.applied) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.kill()  # SIGKILL: no clean-up at all
        first.wait(timeout=timing.bound(10))
        log_of(first)
        second = city_worker(empty_db_url, url, _env(), "--until-empty")
        try:
            second.wait(timeout=timing.bound(90))
        finally:
            if second.poll() is None:
                second.kill()
        err = log_of(second)
    assert second.returncode == 0, err
    lost, twice, reordered = callback.counts(expected)
    print(
        f"\nkill -9 after 10 of {count} answers: {callback.arrivals} calls, {callback.repeats} repeated "
        f"(absorbed by the key): lost {lost}, applied twice {twice}, out of order {reordered}"
    )
    assert (lost, twice, reordered) == (0, 0, 0)
    assert callback.repeats <= 1  # at most the call that was in flight


def queued_answers(url: str, count: int) -> list[str]:
    """Migrate and seed, then queue `count` answers for the city (as the flows would); their keys."""
    config = load(None, env={})
    config.database_url = url
    app = App(config)
    app.prepare(console=False)
    now = SystemClock().now()
    keys = [f"Q{n:05d}:sign" for n in range(count)]

    def add(session: Session) -> None:
        for key in keys:
            body = {
                "idempotency_key": key,
                "number": key.split(":")[0],
                "action": "sign",
                "at": now.isoformat(),
            }
            outbox.enqueue(session, Reply(CHANNEL, "12345热线", json.dumps(body, ensure_ascii=False)), now)

    app.db.run_sync(add)
    app.close()
    return keys


def city_worker(url: str, callback: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start one delivery process for the city's lane (its log to a file: a full pipe would block it)."""
    from .test_delivery_processes import ROOT, _logs

    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by log_of)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.city_worker", url, callback, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    _logs[process.pid] = log
    return process
