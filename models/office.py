"""Web office sign-in: single-use links, sessions with an idle timeout, public tracking tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .security_log import SecurityKind, recent_count, record
from .tables import Person, SignInLink, Ticket, TicketLink, WebSession

LINK_VALID = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=8)  # without a request
SESSION_ABSOLUTE = timedelta(hours=24)  # after signing in, however active
LINKS_PER_WINDOW = 5  # sign-in links one person may ask for per window
LOCK_AFTER = 5  # refused links within the window lock the person out for the window
WINDOW = timedelta(minutes=15)


def links_exhausted(session: Session, person_id: int, now: datetime) -> bool:
    """Tell whether the person has asked for as many links as the window allows."""
    issued = session.scalar(
        select(func.count())
        .select_from(SignInLink)
        .where(SignInLink.person_id == person_id, SignInLink.created_at > now - WINDOW)
    )
    return int(issued or 0) >= LINKS_PER_WINDOW


def locked_out(session: Session, person_id: int, now: datetime) -> bool:
    """Tell whether too many of the person's links were refused lately (等保: failed sign-ins)."""
    return recent_count(session, SecurityKind.LINK_REFUSED, person_id, now, WINDOW) >= LOCK_AFTER


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_sign_in_link(session: Session, person: Person, now: datetime, next_path: str | None = None) -> str:
    """A single-use sign-in token for a person (opening next_path once signed in); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            token_hash=_hash(token),
            person_id=person.id,
            created_at=now,
            expires_at=now + LINK_VALID,
            next_path=next_path,
        )
    )
    record(session, now, SecurityKind.LINK_ISSUED, person_id=person.id, source="link", detail=next_path or "")
    session.flush()
    return token


@dataclass(frozen=True)
class LinkState:
    """What a sign-in token is: usable, used, expired or unknown."""

    kind: str  # "ok" | "used" | "expired" | "unknown" | "locked"
    person_id: int | None = None
    next_path: str | None = None  # the office page the link opens after signing in


def check_link(session: Session, token: str, now: datetime) -> LinkState:
    """Tell whether a sign-in token can still be used (without using it)."""
    row = session.scalar(select(SignInLink).where(SignInLink.token_hash == _hash(token)))
    if row is None:
        return LinkState("unknown")
    if row.used_at is not None:
        return LinkState("used", row.person_id)
    if row.expires_at <= now:
        return LinkState("expired", row.person_id)
    return LinkState("ok", row.person_id, row.next_path)


def use_link(session: Session, token: str, now: datetime) -> tuple[LinkState, str | None]:
    """Spend a sign-in token and open a session; the database decides who spent it first."""
    state = check_link(session, token, now)
    if state.person_id is not None and locked_out(session, state.person_id, now):
        state = LinkState("locked", state.person_id)
    if state.kind != "ok" or state.person_id is None:
        refuse(session, state, now)
        return state, None
    spent = session.execute(
        update(SignInLink)
        .where(SignInLink.token_hash == _hash(token), SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not spent.rowcount:  # type: ignore[attr-defined]
        refuse(session, LinkState("used", state.person_id), now)
        return LinkState("used", state.person_id), None
    cookie = secrets.token_urlsafe(32)
    session.add(
        WebSession(token_hash=_hash(cookie), person_id=state.person_id, created_at=now, last_seen_at=now)
    )
    record(session, now, SecurityKind.LINK_USED, person_id=state.person_id)
    session.flush()
    return state, cookie


def refuse(session: Session, state: LinkState, now: datetime) -> None:
    """Log a refused link; the one that reaches the limit locks the person out, logged too."""
    record(session, now, SecurityKind.LINK_REFUSED, person_id=state.person_id, detail=state.kind)
    if state.person_id is not None and state.kind != "locked":
        session.flush()
        if recent_count(session, SecurityKind.LINK_REFUSED, state.person_id, now, WINDOW) == LOCK_AFTER:
            record(session, now, SecurityKind.LOCKED_OUT, person_id=state.person_id, detail=str(WINDOW))


def session_person(session: Session, cookie: str, now: datetime) -> Person | None:
    """The person signed in with this cookie, refreshing the idle timer; None when idle or too old."""
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(cookie)))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > SESSION_IDLE or now - row.created_at > SESSION_ABSOLUTE:
        row.ended_at = now
        return None
    if now - row.last_seen_at > timedelta(minutes=1):  # one write a minute at most
        row.last_seen_at = now
    return session.get(Person, row.person_id)


def end_session(session: Session, cookie: str, now: datetime) -> None:
    """Sign out: the cookie is worthless from now on."""
    row = session.scalar(
        select(WebSession).where(WebSession.token_hash == _hash(cookie), WebSession.ended_at.is_(None))
    )
    if row is not None:
        row.ended_at = now
        record(session, now, SecurityKind.SIGNED_OUT, person_id=row.person_id)


def end_sessions_of(session: Session, person_id: int, now: datetime) -> int:
    """End every open session of a person (their last role was revoked); return how many."""
    ended = session.execute(
        update(WebSession)
        .where(WebSession.person_id == person_id, WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]


def tracking_token(session: Session, ticket: Ticket, now: datetime, api_client: str | None = None) -> str:
    """The ticket's unguessable public token (made on first use)."""
    row = session.get(TicketLink, ticket.id)
    if row is None:
        row = TicketLink(
            ticket_id=ticket.id, token=secrets.token_urlsafe(18), api_client=api_client, created_at=now
        )
        session.add(row)
        session.flush()
    return row.token


def ticket_by_token(session: Session, token: str) -> Ticket | None:
    """The ticket behind a public tracking token."""
    row = session.scalar(select(TicketLink).where(TicketLink.token == token))
    return None if row is None else session.get(Ticket, row.ticket_id)
