"""The city hotline's work orders (12345 接诉即办): one row per city number, beside its ticket."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Routed(StrEnum):
    """How a city order's typed address found its area."""

    NAME = "name"  # one grid's listed 小区 / road / building names
    UNROUTED = "unrouted"  # no or several grids: the dispatchers (subdistrict admins) assign it


class Request(StrEnum):
    """Where a 退单 or 延期 request stands."""

    ASKED = "asked"
    APPROVED = "approved"
    REFUSED = "refused"


class HotlineOrder(Base):
    """A city order: the city's number, dates and wording, its requests, reply and 回访."""

    __tablename__ = "hotline_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)  # 工单编号
    source: Mapped[str] = mapped_column(String(80))  # "file", or the pushing platform's key name
    dispatched_at: Mapped[datetime]  # 派单时间
    deadline: Mapped[datetime]  # 办结时限 as dispatched (an approved 延期 moves the ticket's city_due_at)
    category: Mapped[str] = mapped_column(String(80))  # 问题分类 as the city wrote it
    urgency: Mapped[str | None] = mapped_column(String(20))  # 紧急程度
    routed: Mapped[str] = mapped_column(String(20))
    imported_at: Mapped[datetime]
    return_state: Mapped[str | None] = mapped_column(String(20))
    return_reason: Mapped[str | None] = mapped_column(Text)
    return_by_id: Mapped[int | None]
    extend_state: Mapped[str | None] = mapped_column(String(20))
    extend_reason: Mapped[str | None] = mapped_column(Text)
    extend_to: Mapped[datetime | None]
    extend_by_id: Mapped[int | None]
    reply: Mapped[str | None] = mapped_column(Text)  # the formal 办理情况 sent back to the city
    replied_at: Mapped[datetime | None]  # when the reply became final (at 办结, 退单 or an admin's edit)
    visit_responded: Mapped[bool | None]  # the city's 回访: 是否响应
    visit_resolved: Mapped[bool | None]  # 是否解决
    visit_satisfied: Mapped[bool | None]  # 是否满意
    visit_at: Mapped[datetime | None]
    # Replies pushed to the city's callback so far: each one (a second 办理, an edit) has its own key.
    reply_revision: Mapped[int] = mapped_column(default=0, server_default=text("0"))
