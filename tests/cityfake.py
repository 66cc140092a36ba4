"""A stand-in for the city's 12345 platform: it dispatches orders (a file or a signed push), reads the
replies back from the export or takes them at its callback (slow, failing or hanging at will), and
returns its 回访 results (a file or a push)."""

from __future__ import annotations

import asyncio
import csv
import hmac
import json
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from openpyxl import Workbook, load_workbook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.office.hotline_api import KEY, NONCE, SIGNATURE, TIMESTAMP, signature
from models.hotline_rows import HEADERS

ZONE = ZoneInfo("Asia/Shanghai")
KEY_ID = "bj12345"
SECRET = "s3cret-of-the-city-platform"
# Addresses in the demo territory's listed names (grid) and some that name no grid.
ADDRESSES = {
    "现代花园{n}幢": "siji-1",
    "四季新村{n}幢": "siji-1",  # buildings 1-12 in siji-1
    "四季路{n}号": "siji-2",
    "畈东小区{n}号楼": "jingfa-1",
    "经发大道{m}号": "jingfa-2",
}
NOWHERE = "月亮湾{n}号"


@dataclass
class CityOrder:
    """One order as the city dispatched it, and what it heard back."""

    number: str
    address: str
    grid: str | None  # where it should land (None: nowhere, the dispatchers assign it)
    dispatched_at: datetime
    deadline: datetime
    reply: str | None = None


@dataclass
class City:
    """The fake platform: its orders, its key, what the office pushed back."""

    now: datetime
    orders: list[CityOrder] = field(default_factory=list)
    key_id: str = KEY_ID
    secret: str = SECRET

    def dispatch(self, count: int, prefix: str, *, nowhere_every: int = 0) -> list[CityOrder]:
        """New orders, addresses cycling through the territory's names (every n-th one nowhere)."""
        made = []
        kinds = list(ADDRESSES.items())
        for i in range(count):
            n = len(self.orders) + 1
            if nowhere_every and (i + 1) % nowhere_every == 0:
                address, grid = NOWHERE.format(n=n), None
            else:
                pattern, grid = kinds[i % len(kinds)]
                address = pattern.format(n=(i % 10) + 1, m=100 + i)
            order = CityOrder(
                number=f"{prefix}{n:05d}",
                address=address,
                grid=grid,
                dispatched_at=self.now - timedelta(hours=1),
                deadline=self.now + timedelta(days=7),
            )
            self.orders.append(order)
            made.append(order)
        return made

    @staticmethod
    def row(order: CityOrder) -> dict[str, Any]:
        """The order by the terminal's headers."""
        return {
            HEADERS["number"]: order.number,
            HEADERS["dispatched_at"]: order.dispatched_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
            HEADERS["category"]: "城市管理/道路",
            HEADERS["description"]: f"{order.address}附近路面破损，市民来电反映",
            HEADERS["address"]: order.address,
            HEADERS["caller"]: "王先生",
            HEADERS["phone"]: "13700001111",
            HEADERS["deadline"]: order.deadline.astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
            HEADERS["urgency"]: "一般",
        }

    def export_xlsx(self, path: Path, orders: list[CityOrder]) -> Path:
        """The terminal's 派单 export."""
        book = Workbook()
        ws = book.active
        assert ws is not None
        ws.title = "派单列表"
        ws.append(list(HEADERS.values()))
        for o in orders:
            row = self.row(o)
            ws.append([row[h] for h in HEADERS.values()])
        book.save(path)
        return path

    def signed(
        self, body: dict[str, Any], *, nonce: str | None = None, at: datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a signed push."""
        raw = json.dumps(body, ensure_ascii=False).encode()
        stamp = str(int((at or self.now).timestamp()))
        nonce = nonce or secrets.token_hex(8)
        headers = {
            KEY: self.key_id,
            TIMESTAMP: stamp,
            NONCE: nonce,
            SIGNATURE: signature(self.secret, stamp, nonce, raw),
            "Content-Type": "application/json",
        }
        return raw, headers

    async def push(self, http: httpx.AsyncClient, orders: list[CityOrder], **kw: Any) -> httpx.Response:
        """Push orders as JSON by our field names."""
        items = [{f: self.row(o)[h] for f, h in HEADERS.items()} for o in orders]
        raw, headers = self.signed({"orders": items}, **kw)
        return await http.post("/hotline/v1/orders", content=raw, headers=headers)

    async def push_results(
        self, http: httpx.AsyncClient, results: list[tuple[str, bool, bool, bool]]
    ) -> httpx.Response:
        """Push 回访 results."""
        items = [
            {
                "number": n,
                "responded": "是" if a else "否",
                "resolved": "是" if b else "否",
                "satisfied": "满意" if c else "不满意",
            }
            for n, a, b, c in results
        ]
        raw, headers = self.signed({"results": items})
        return await http.post("/hotline/v1/results", content=raw, headers=headers)

    def read_replies(self, path: Path) -> dict[str, tuple[Any, ...]]:
        """The office's reply export, as the terminal takes it in: by city number."""
        sheet = load_workbook(path).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        for row in rows[1:]:
            for o in self.orders:
                if o.number == row[0]:
                    o.reply = str(row[1])
        return {str(r[0]): r for r in rows[1:]}

    @staticmethod
    def results_csv(path: Path, results: list[tuple[str, bool, bool, bool]]) -> Path:
        """The 回访 results file the terminal exports."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["工单编号", "是否响应", "是否解决", "是否满意"])
            for n, a, b, c in results:
                w.writerow([n, "是" if a else "否", "是" if b else "否", "满意" if c else "不满意"])
        return path


# --- the city's callback: what the office pushes back (签收, 回复, 退单, 延期) -------------------------


@dataclass
class CallbackFaults:
    """Probabilities per call, and how long slow and hung calls take."""

    fail: float = 0.0  # 503, not applied
    hang: float = 0.0  # applied, but the answer comes after hang_s (the caller has given up by then)
    slow: float = 0.0  # applied and answered after slow_s
    slow_s: float = 0.05
    hang_s: float = 1.0


@dataclass
class Callback:
    """The city's callback endpoint: checks the signature and applies each idempotency key once."""

    faults: CallbackFaults = field(default_factory=CallbackFaults)
    key_id: str = KEY_ID
    secret: str = SECRET
    seed: int = 7
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> body, in arrival order
    arrivals: int = 0  # signed calls that reached the handler
    repeats: int = 0  # calls with a key applied before (answered 200, not applied again)
    unsigned: int = 0  # calls refused for their key or signature
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _fate(self) -> str:
        f = self.faults
        with self._lock:
            r = self._rng.random()
        for name, p in (("fail", f.fail), ("hang", f.hang), ("slow", f.slow)):
            if r < p:
                return name
            r -= p
        return "ok"

    def _apply(self, key: str, body: dict[str, Any]) -> bool:
        with self._lock:
            if key in self.applied:
                self.repeats += 1
                return False
            self.applied[key] = body
            return True

    def app(self) -> Starlette:
        """The endpoint as an ASGI app (POST /callback)."""

        async def callback(request: Request) -> JSONResponse:
            raw = await request.body()
            stamp, nonce = request.headers.get(TIMESTAMP, ""), request.headers.get(NONCE, "")
            given = request.headers.get(SIGNATURE, "")
            if request.headers.get(KEY) != self.key_id or not hmac.compare_digest(
                signature(self.secret, stamp, nonce, raw), given
            ):
                with self._lock:
                    self.unsigned += 1
                return JSONResponse({"error": "bad_signature"}, status_code=403)
            body = json.loads(raw)
            key = request.headers.get("Idempotency-Key", "")
            if key != body.get("idempotency_key"):
                return JSONResponse({"error": "bad_key"}, status_code=422)
            with self._lock:
                self.arrivals += 1
            fate = self._fate()
            if fate == "fail":
                return JSONResponse({"error": "busy"}, status_code=503)
            if fate == "slow":
                await asyncio.sleep(self.faults.slow_s)
            fresh = self._apply(key, body)
            if fate == "hang":
                await asyncio.sleep(self.faults.hang_s)
            return JSONResponse({"ok": True, "duplicate": not fresh})

        return Starlette(routes=[Route("/callback", callback, methods=["POST"])])

    def counts(self, expected: list[str]) -> tuple[int, int, int]:
        """(lost, applied twice, out of place) for the keys the office queued, in queue order; a call
        repeated with its key (the office did not hear the answer) is counted in `repeats`."""
        got = list(self.applied)  # each key once: a repeat is answered, never applied again
        lost = len(set(expected) - set(got))
        what = {(b["number"], b["action"], b.get("revision"), b.get("until")) for b in self.applied.values()}
        twice = len(self.applied) - len(what)  # one action applied under two keys
        arrived = [k for k in expected if k in self.applied]
        reordered = sum(
            1 for a, b in zip([k for k in got if k in set(expected)], arrived, strict=True) if a != b
        )
        return lost, twice, reordered
