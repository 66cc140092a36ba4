"""Web office sign-in: single-use links, sessions with an idle timeout, public tracking tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .tables import Person, SignInLink, Ticket, TicketLink, WebSession

LINK_VALID = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=8)  # without a request
SESSION_ABSOLUTE = timedelta(hours=24)  # after signing in, however active


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
    session.flush()
    return token


@dataclass(frozen=True)
class LinkState:
    """What a sign-in token is: usable, used, expired or unknown."""

    kind: str  # "ok" | "used" | "expired" | "unknown"
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
    if state.kind != "ok" or state.person_id is None:
        return state, None
    spent = session.execute(
        update(SignInLink)
        .where(SignInLink.token_hash == _hash(token), SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not spent.rowcount:  # type: ignore[attr-defined]
        return LinkState("used", state.person_id), None
    cookie = secrets.token_urlsafe(32)
    session.add(
        WebSession(token_hash=_hash(cookie), person_id=state.person_id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return state, cookie


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
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == _hash(cookie), WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )


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
