"""滴滴调解: the outcome a mediator records for a dispute ticket (one row per outcome recorded)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

ROUTE = "mediation"  # a category's `route` when its tickets go to mediators, not grid workers


class Outcome(StrEnum):
    """How a mediation ended."""

    SUCCESS = "success"  # 调解成功: an agreement
    FAILED = "failed"  # 调解未成功
    TRANSFERRED = "transferred"  # 转…: sent on (诉调对接 to a court, the police, the 综治中心 …)


class Mediation(Base):
    """One recorded outcome of a dispute ticket: who mediated, for which team, what was agreed."""

    __tablename__ = "mediations"
    __table_args__ = (Index("ix_mediations_recorded", "recorded_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # The mediator's team: the area of the grant he mediated under (a community, or the 综治中心).
    team_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    transferred_to: Mapped[str | None] = mapped_column(String(100))
    agreement: Mapped[str] = mapped_column(Text)  # 协议内容, or why it failed
    amount_fen: Mapped[int | None]  # 涉及金额 in fen (1/100 yuan), None when no sum was involved
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))  # chat or web
