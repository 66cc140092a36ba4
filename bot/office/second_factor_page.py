"""Setting up the second factor (/office/second-factor): a TOTP secret as a QR code, confirmed by a code."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
from qrcode.image.svg import SvgPathImage
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers import texts
from models import second_factor
from models.security_log import SecurityKind, record
from models.store.unit_of_work import Unit
from models.tables import SecondFactor

from .auth import Viewer
from .context import Flash, Office


def _qr(uri: str) -> str:
    """The address as an SVG QR code in a data: URL (the page loads nothing from elsewhere)."""
    out = io.BytesIO()
    qrcode.make(uri, image_factory=SvgPathImage).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def second_factor_page(office: Office) -> Any:
    """GET shows a new secret; POST confirms it with a code and switches it on."""

    async def page(request: Request, viewer: Viewer) -> Response:
        if viewer.second_factor:
            return office.page(request, "message.html", {"message": texts.WEB_2FA_ALREADY, "viewer": viewer})
        flash = None
        if request.method == "POST":
            code = str((await request.form()).get("code", ""))

            def confirm(u: Unit) -> bool:
                row = u.session.get(SecondFactor, viewer.person_id)
                if row is None or not second_factor.confirm(row, code, u.now):
                    return False
                record(u.session, u.now, SecurityKind.SECOND_FACTOR_ON, person_id=viewer.person_id)
                return True

            if await office.run(confirm):
                return RedirectResponse(str(request.url_for("tickets")), status_code=303)
            flash = Flash(texts.WEB_CODE_WRONG, ok=False)
        elif office.config.web.second_factor == "required" and viewer.admin:
            flash = Flash(texts.WEB_2FA_REQUIRED, ok=False)

        def begin(u: Unit) -> tuple[str, str]:
            row = u.session.get(SecondFactor, viewer.person_id)
            if row is None or request.method == "GET":
                row = second_factor.start(u.session, viewer.person_id, u.now)
            return row.secret, second_factor.uri(row, f"{viewer.name}（{viewer.person_id}）")

        secret, uri = await office.run(begin)
        context = {"viewer": viewer, "flash": flash, "secret": secret, "qr": _qr(uri)}
        return office.page(request, "second_factor.html", context, 400 if request.method == "POST" else 200)

    return page
