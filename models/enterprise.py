"""Enterprise reporters (问政北苑): a person reporting for a company, and the tickets filed so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base

NAME_MOST = 100
# GB 32100-2015: the 统一社会信用代码 alphabet (no I, O, Z, S, V) and the weights of its 17 digits.
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class ReporterEnterprise(Base):
    """The company a person says he reports for; his next reports are filed for it."""

    __tablename__ = "reporter_enterprises"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MOST))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    updated_at: Mapped[datetime]


class TicketEnterprise(Base):
    """A ticket filed for a company: its name and code as they were when it was filed."""

    __tablename__ = "ticket_enterprises"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MOST))
    credit_code: Mapped[str | None] = mapped_column(String(18))


def credit_code_ok(code: str) -> bool:
    """Tell whether an 18-character 统一社会信用代码 is well formed and its check character right."""
    if len(code) != 18 or any(ch not in CODE_ALPHABET for ch in code):
        return False
    total = sum(CODE_ALPHABET.index(ch) * w for ch, w in zip(code[:17], CODE_WEIGHTS, strict=True))
    return CODE_ALPHABET[(31 - total % 31) % 31] == code[17]


def of_person(session: Session, person_id: int) -> ReporterEnterprise | None:
    """The company a person reports for, if he said so."""
    return session.get(ReporterEnterprise, person_id)


def declare(
    session: Session, person_id: int, name: str, code: str | None, now: datetime
) -> ReporterEnterprise:
    """Say (or change) the company a person reports for."""
    row = session.get(ReporterEnterprise, person_id)
    if row is None:
        row = ReporterEnterprise(person_id=person_id, name=name, credit_code=code, updated_at=now)
        session.add(row)
    else:
        row.name, row.credit_code, row.updated_at = name, code, now
    session.flush()
    return row


def withdraw(session: Session, person_id: int) -> bool:
    """Report as a person again; False when he had named no company."""
    row = session.get(ReporterEnterprise, person_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def stamp(session: Session, ticket_id: int, resident_id: int) -> TicketEnterprise | None:
    """Mark a new ticket as an enterprise's when its resident reports for one."""
    row = session.get(ReporterEnterprise, resident_id)
    if row is None:
        return None
    marked = TicketEnterprise(ticket_id=ticket_id, name=row.name, credit_code=row.credit_code)
    session.add(marked)
    return marked


def of_ticket(session: Session, ticket_id: int) -> TicketEnterprise | None:
    """The company a ticket was filed for, if any."""
    return session.get(TicketEnterprise, ticket_id)


def names_of(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """The companies these tickets were filed for, by ticket (one query; none: not in the dict)."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(TicketEnterprise.ticket_id, TicketEnterprise.name).where(
            TicketEnterprise.ticket_id.in_(ticket_ids)
        )
    )
    return {int(t): str(n) for t, n in rows}
