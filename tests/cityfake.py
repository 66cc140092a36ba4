"""A stand-in for the city's 12345 platform: it dispatches orders (a file or a signed push), reads the
replies back from the export, and returns its 回访 results (a file or a push)."""

from __future__ import annotations

import csv
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from openpyxl import Workbook, load_workbook

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
