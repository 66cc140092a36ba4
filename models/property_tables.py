"""Property companies (物业) from the territory file and their staff, who take 有事您找我 tickets first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class PropertyCompany(Base):
    """A property company and the compounds (小区, as the grids list them) it serves."""

    __tablename__ = "property_companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))  # the service desk's number (物业服务中心)
    compounds: Mapped[list[Any] | None]
    retired: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class PropertyStaff(Base):
    """A person who answers for a property company: gets its cards, claims and handles its tickets."""

    __tablename__ = "property_staff"
    __table_args__ = (UniqueConstraint("company_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("property_companies.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
