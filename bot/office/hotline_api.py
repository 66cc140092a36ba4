"""The city platform's push endpoint under /hotline/v1/: signed JSON orders and 回访 results."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import HotlineSource
from handlers import hotline
from models.hotline_orders import Intake, Visit
from models.hotline_rows import Mapping_, Problem, check_visits, read_items
from models.store.seen import first_time
from models.store.unit_of_work import Unit

from .context import Office

MAX_BODY = 5_000_000  # bytes: about 2,000 orders per push
MAX_ITEMS = 2000
KEY, TIMESTAMP, NONCE, SIGNATURE = "X-Jiesu-Key", "X-Jiesu-Timestamp", "X-Jiesu-Nonce", "X-Jiesu-Signature"
NONCES = "hotline_nonce"


class Refused(Exception):
    """A push answered with an error and changing nothing."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "timestamp\\nnonce\\n" + body under the source's secret."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Push:
    """A push that passed the key, signature and freshness checks (its nonce not yet spent)."""

    source: HotlineSource
    nonce: str
    body: dict[str, Any]


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"item": p.row, "field": p.column, "problem": p.what} for p in problems]


def routes(office: Office) -> list[BaseRoute]:
    """POST /orders and POST /results (mounted at /hotline/v1)."""
    config = office.config.hotline
    limits = office.config.rules.limits
    zone = ZoneInfo(office.config.rules.sla.timezone)

    async def checked(request: Request, field: str) -> Push:
        source = config.sources.get(request.headers.get(KEY, ""))
        if source is None:
            raise Refused(403, "bad_key", f"unknown {KEY}")
        stamp, nonce, given = (request.headers.get(h, "") for h in (TIMESTAMP, NONCE, SIGNATURE))
        if not stamp.isdigit() or not 8 <= len(nonce) <= 64 or not given:
            raise Refused(
                401, "unsigned", f"{TIMESTAMP} (epoch seconds), {NONCE} (8-64 chars) and {SIGNATURE} needed"
            )
        body = await request.body()
        if len(body) > MAX_BODY:
            raise Refused(413, "too_large", f"at most {MAX_BODY} bytes per push")
        if not hmac.compare_digest(signature(source.secret, stamp, nonce, body), given.lower()):
            raise Refused(403, "bad_signature", "the signature does not match the body")
        now = office.app.clock.now().timestamp()
        if abs(now - int(stamp)) > config.max_skew_seconds:
            raise Refused(
                401, "stale", f"{TIMESTAMP} is more than {config.max_skew_seconds} s from our clock"
            )
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "bad_json", "the body is not JSON") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get(field), list):
            raise Refused(400, "bad_json", f'expected an object with a list "{field}"')
        if len(parsed[field]) > MAX_ITEMS:
            raise Refused(413, "too_large", f"at most {MAX_ITEMS} items per push")
        return Push(source, nonce, parsed)

    def spend(u: Unit, push: Push) -> None:
        if not first_time(u.session, NONCES, f"{push.source.name}:{push.nonce}", u.now):
            raise Refused(409, "replay", f"{NONCE} was used before: a replayed push is refused")

    def answer(fn: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            try:
                return JSONResponse(*await fn(request))
            except Refused as exc:
                return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status)

        return wrapped

    async def orders(request: Request) -> tuple[dict[str, Any], int]:
        push = await checked(request, "orders")
        read = read_items(push.body["orders"], limits, zone)
        good_rows = push.body.get("good_rows") is True
        if read.problems and not good_rows:
            raise_problems(read.problems)

        def work(u: Unit) -> Intake:
            spend(u, push)
            result = hotline.intake(u, read, push.source.name, Mapping_(), good_rows=good_rows)
            assert result is not None
            return result

        result = await office.run(work)
        body = {
            "created": [{"number": n, "ticket_id": t} for n, t in result.created],
            "known": result.known,
            "unrouted": result.unrouted,
            "fell_back": result.fell_back,
            "problems": _problems(read.problems),
        }
        return body, 201 if result.created else 200

    async def results(request: Request) -> tuple[dict[str, Any], int]:
        push = await checked(request, "results")
        items = push.body["results"]
        numbered = [(i, item if isinstance(item, dict) else {}) for i, item in enumerate(items, start=1)]
        rows, problems = check_visits(numbered)
        if problems:
            raise_problems(problems)
        visits = [(r.row, Visit(r.number, r.responded, r.resolved, r.satisfied)) for r in rows]

        def work(u: Unit) -> hotline.Results:
            spend(u, push)
            out = hotline.record_results(u, visits)
            if out.problems:
                raise_problems(out.problems)  # the transaction rolls back: nothing recorded
            return out

        out = await office.run(work)
        return {"recorded": out.recorded, "unchanged": out.unchanged}, 200

    return [
        Route("/orders", answer(orders), methods=["POST"], name="hotline_orders"),
        Route("/results", answer(results), methods=["POST"], name="hotline_results"),
    ]


def raise_problems(problems: list[Problem]) -> None:
    """Refuse the whole push, listing what is wrong with which item."""
    raise Refused(422, "bad_items", json.dumps(_problems(problems), ensure_ascii=False))
