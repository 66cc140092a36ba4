"""What every office page needs: the app, the config, the templates and the signed-in viewer."""

from __future__ import annotations

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
        self.secure = config.web.base_url.startswith("https://")
        self.replies = replies.load(config.web.replies)

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
        context = {"csrftoken": token() if callable(token) else "", **context}
        return self.templates.TemplateResponse(request, name, context, status_code=status)


@dataclass(frozen=True)
class Flash:
    """A one-line outcome shown at the top of a page."""

    text: str
    ok: bool = True
