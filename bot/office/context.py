"""What every office page needs: the app, the config, the templates and the signed-in viewer."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from bot.app import App
from bot.config import Config
from handlers import texts
from handlers.masking import mask_private
from models.store.unit_of_work import Unit

from . import replies

T = TypeVar("T")
HERE = Path(__file__).resolve().parent


class Office:
    """The web office's shared state."""

    def __init__(self, app: App, config: Config) -> None:
        self.app = app
        self.config = config
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        env = self.templates.env
        env.globals["texts"] = texts
        env.globals["W"] = texts.OFFICE  # the pages' words
        env.globals["subdistrict"] = config.rules.subdistrict_name
        env.filters["local"] = self.local
        env.filters["masked"] = mask_private  # phones and doors, for viewers who may not see them
        self.secure = config.web.base_url.startswith("https://")
        self.secret = config.web.secret or secrets.token_hex(32)  # signs CSRF tokens
        self._flashes: OrderedDict[tuple[int, int], Flash] = OrderedDict()
        self.replies = replies.load(config.web.replies)
        self.stats_cache: dict[str, Any] = {}  # statistics.cached: this office's figures per scope

    def local(self, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A UTC time as local wall-clock text."""
        if when is None:
            return ""
        return when.astimezone(ZoneInfo(self.config.rules.sla.timezone)).strftime(fmt)

    async def run(self, fn: Callable[[Unit], T]) -> T:
        """Run fn in one transaction with a unit of work; wake the sender if it queued messages."""

        def body(session: Session) -> tuple[T, bool]:
            u = self.app.unit(session)
            out = fn(u)
            return out, bool(u.sent)

        result, sent = await self.app.db.run(body)
        if sent:
            self.app.sender.wake()
        return result

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        """Render a template; the CSRF token is there for forms."""
        token = request.scope.get("csrftoken")
        context = {
            "csrftoken": token() if callable(token) else "",
            "csp_nonce": request.scope.get("csp_nonce", ""),
            **context,
        }
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def flash(self, person_id: int, ticket_id: int, flash: Flash) -> None:
        """Keep an outcome for the person's next view of the ticket (never from the URL)."""
        self._flashes[(person_id, ticket_id)] = flash
        while len(self._flashes) > FLASHES_KEPT:
            self._flashes.popitem(last=False)

    def take_flash(self, person_id: int, ticket_id: int) -> Flash | None:
        """The outcome kept for this person and ticket, once."""
        return self._flashes.pop((person_id, ticket_id), None)


FLASHES_KEPT = 1000  # outcomes not yet shown (one per person and ticket); the oldest go first


@dataclass(frozen=True)
class Flash:
    """A one-line outcome shown at the top of a page."""

    text: str
    ok: bool = True
