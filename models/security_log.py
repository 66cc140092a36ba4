"""The security log (等保 2.0 audit): sign-ins, roles, exports, private data viewed, keys, imports.

Rows are only ever inserted: no function here or elsewhere updates or deletes them, and the
database refuses it (triggers of migration 0011).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .tables import SecurityEntry

DETAIL_MAX = 500
KEPT_DAYS = 180  # the Cybersecurity Law's six months at least; the app itself never deletes a line


class SecurityKind(StrEnum):
    """What a line of the security log records."""

    LINK_ISSUED = "link_issued"
    LINK_USED = "link_used"
    LINK_REFUSED = "link_refused"  # used, expired, unknown, or the person locked out
    LOCKED_OUT = "locked_out"
    SECOND_FACTOR_ON = "second_factor_on"
    SIGNED_OUT = "signed_out"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    EXPORT = "export"
    PRIVATE_VIEWED = "private_viewed"  # a ticket's phone or exact address shown on the web
    OPEN311_KEY = "open311_key"
    CONFIG_IMPORTED = "config_imported"
    ERASED = "erased"  # a resident's personal data erased on request
    RETENTION = "retention"  # the retention job anonymised closed tickets


def record(
    session: Session,
    now: datetime,
    kind: SecurityKind,
    *,
    person_id: int | None = None,
    source: str = "web",
    detail: str = "",
) -> None:
    """Append one line."""
    session.add(
        SecurityEntry(at=now, kind=kind, person_id=person_id, source=source[:80], detail=detail[:DETAIL_MAX])
    )


def entries(session: Session, limit: int, before_id: int | None = None) -> list[SecurityEntry]:
    """The newest lines first (older than before_id when given)."""
    stmt = select(SecurityEntry).order_by(SecurityEntry.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(SecurityEntry.id < before_id)
    return list(session.scalars(stmt))


def recent_count(
    session: Session, kind: SecurityKind, person_id: int, now: datetime, window: timedelta
) -> int:
    """How many lines of a kind a person has within the window."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SecurityEntry)
            .where(
                SecurityEntry.kind == kind,
                SecurityEntry.person_id == person_id,
                SecurityEntry.at > now - window,
            )
        )
        or 0
    )
