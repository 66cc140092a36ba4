"""SQLAlchemy models: territory, people, tickets, dialogs, outbox, ledger."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Double, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class AreaLevel(StrEnum):
    """Levels of territory (and the departments of the subdistrict)."""

    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"
    GRID = "grid"
    DEPARTMENT = "department"


class Status(StrEnum):
    """Ticket states (DESIGN §4)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    MERGED = "merged"
    RETURNED = "returned"  # a city order sent back to the city platform (退单), approved


ACTIVE = (Status.OPEN, Status.CLAIMED, Status.RESOLVED)
FINAL = (Status.CLOSED, Status.WITHDRAWN, Status.REJECTED, Status.MERGED, Status.RETURNED)
CITY_SOURCE = "12345"  # Ticket.source of a city hotline order (models/hotline.py)


class Tier(StrEnum):
    """The 135 tiers."""

    SIMPLE = "simple"
    DIFFICULT = "difficult"
    PENDING = "pending"
    NONE = "none"  # suggestions: no deadline
    CONSULT = "consult"  # 咨询: a question staff answer in words, within its own window (working days)


class Role(StrEnum):
    """Staff roles."""

    WORKER = "worker"
    ADMIN = "admin"
    VOLUNTEER = "volunteer"  # grabs only tickets of categories open to volunteers (models/volunteers.py)
    MEDIATOR = "mediator"  # 调解员: handles the dispute categories of their areas (models/mediation.py)


class Rating(StrEnum):
    """How a closed ticket was rated by its resident."""

    DOUBLE_YES = "double_yes"
    UNSATISFIED = "unsatisfied"
    UNRATED = "unrated"


class Area(Base):
    """A subdistrict, community, grid or department, with its code for commands."""

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # From the territory file (0004): the map's coordinate system (on the subdistrict), the area as a
    # GeoJSON geometry in it, the 小区 / street / building names of a grid, the top-level category
    # codes a department owns, and whether the area was dropped from the file (tickets keep it).
    datum: Mapped[str | None] = mapped_column(String(10))
    boundary: Mapped[dict[str, Any] | None]
    names: Mapped[list[Any] | None]
    owns: Mapped[list[Any] | None]
    retired: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class Category(Base):
    """A problem category with its owner department and default tier."""

    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    parent_code: Mapped[str | None] = mapped_column(String(40))
    default_tier: Mapped[str] = mapped_column(String(20), default=Tier.SIMPLE)
    department_code: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    # From the catalogue file (0004): words that suggest it, urgent (straight to the community and
    # the department, day and night), and whether it was dropped from the file (tickets keep it).
    keywords: Mapped[list[Any] | None]
    urgent: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    retired: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Volunteers may grab its tickets (0024): 邻里互助, help for the elderly.
    open_to_volunteers: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Who handles it instead of grid workers (0023): "mediation" (调解员), None for grid workers.
    route: Mapped[str | None] = mapped_column(String(20))
    # Who gets a ticket first (0022): "property" (the compound's property company), else the grid.
    first: Mapped[str | None] = mapped_column(String(20))


class Person(Base):
    """Someone who talks to the bot on one channel."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[str | None] = mapped_column(String(100))
    handle: Mapped[str | None] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    # Another identity of the same person (a staff member on several channels): the person is that one.
    same_as_id: Mapped[int | None]


class RoleGrant(Base):
    """A staff role of a person within an area (and everything below it)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role", "area_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    party_member: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # 0024


class StaffInvite(Base):
    """A role from the staff file for someone not yet known: bound when they first write."""

    __tablename__ = "staff_invites"
    __table_args__ = (UniqueConstraint("channel", "key", "role", "area_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))  # a phone number (Telegram) or a channel user id
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    created_at: Mapped[datetime]
    party_member: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # 0024


class ChatBinding(Base):
    """A group chat bound to an area: where that area's cards and alerts go."""

    __tablename__ = "chat_bindings"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    created_at: Mapped[datetime]


class Ticket(Base):
    """One reported problem (工单) and where it stands."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_resident_status", "resident_id", "status"),
        Index("ix_tickets_handler_status", "handler_id", "status"),
        # The web office's list and Open311: the counts per status and a page's numbers read these
        # indexes, not the table (area carries the other filters a community admin narrows by).
        Index("ix_tickets_area_status", "area_id", "status", "category_code", "tier", "id"),
        Index("ix_tickets_status_created", "status", "created_at", "id"),
        Index("ix_tickets_category_status", "category_code", "status", "id"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_status_due", "status", "due_at", "overdue_since", "id"),
        # The statistics (三率, on-time per tier, slowest grids): grouped counts read this index
        # alone, by status and period, never the wide rows.
        Index(
            "ix_tickets_stats",
            "status",
            "created_at",
            "area_id",
            "category_code",
            "tier",
            "claimed_at",
            "resolved_at",
            "overdue_count",
            "rating",
        ),
        # The SLA scans walk these from the oldest due value (ties by id, so no sort is needed);
        # closed tickets (NULL) stay out.
        Index(
            "ix_tickets_next_check",
            "next_check_at",
            "id",
            postgresql_where=text("next_check_at IS NOT NULL"),
            sqlite_where=text("next_check_at IS NOT NULL"),
        ),
        Index(
            "ix_tickets_next_push",
            "next_push_at",
            "id",
            postgresql_where=text("next_push_at IS NOT NULL"),
            sqlite_where=text("next_push_at IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(20), default="self")
    contact_name: Mapped[str | None] = mapped_column(String(100))
    category_code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(500))
    # A photo's address given by an Open311 client (media_url), shown as a link, never fetched.
    media_url: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # The coordinate system of lat/lon as the channel sent them: "wgs84" or "gcj02" (models.geo).
    datum: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    anonymised_at: Mapped[datetime | None]  # personal data removed (retention or a request to erase)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # Stored as the same VARCHAR(20) strings as before (no constraint, no migration), read back as Status.
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Status.OPEN,
        index=True,
    )
    tier: Mapped[str] = mapped_column(String(20))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    level: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    window_started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    next_check_at: Mapped[datetime | None]
    next_push_at: Mapped[datetime | None]
    plan_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolution_photo: Mapped[str | None] = mapped_column(String(500))
    # Who reported it resolved; when that was not the handler (an admin acting on behalf), the
    # closing points go to credit_id, the worker the admin named, or to nobody.
    resolved_by_id: Mapped[int | None]
    credit_id: Mapped[int | None]
    followup_stage: Mapped[int] = mapped_column(default=0)
    followup_asked_at: Mapped[datetime | None]
    followup_reminded: Mapped[bool] = mapped_column(default=False)
    reopen_count: Mapped[int] = mapped_column(default=0)
    overdue_count: Mapped[int] = mapped_column(default=0)
    # The first deadline missed since the ticket was last claimed or reopened (None: on time).
    overdue_since: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rating: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # A city hotline order's 办结时限 (0013): the resolution deadline never runs past it.
    city_due_at: Mapped[datetime | None]
    # 挂起 (0013): paused since (None: the clock runs), until when at most, and the seconds of
    # pauses already ended (the deadline moved by each on resuming).
    paused_at: Mapped[datetime | None]
    pause_until: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    # lat/lon are a grid's centre found from a typed address (0013), not a point the resident sent.
    location_approx: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # 有事您找我 (0022): the property company the ticket went to first, and when its turn ended
    # (not taken or not finished in time: the community took over). None: never with a company.
    property_id: Mapped[int | None]
    property_left_at: Mapped[datetime | None]


class TicketEvent(Base):
    """Audit trail: who changed what on a ticket, when, and why."""

    __tablename__ = "ticket_events"
    # A ticket's events in time order; when it last changed (Open311's updated_datetime of up to
    # 1000 tickets at once) is read from this index alone.
    __table_args__ = (
        Index("ix_ticket_events_ticket_at", "ticket_id", "at"),
        # The tickets whose 回访 an admin took on the phone (a statistic): a few rows, not a scan.
        Index(
            "ix_ticket_events_phone_followup",
            "ticket_id",
            postgresql_where=text("kind = 'phone_followup'"),
            sqlite_where=text("kind = 'phone_followup'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class PointsEntry(Base):
    """One change of a worker's points, with its reason and ticket."""

    __tablename__ = "points_ledger"
    __table_args__ = (Index("ix_points_person_at", "person_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime]


class Reward(Base):
    """An item of 积分回馈: what points buy, from whom, and how many are left."""

    __tablename__ = "rewards"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    points: Mapped[int]
    stock: Mapped[int]
    provider: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)


class RedemptionStatus(StrEnum):
    """Where a redemption request stands."""

    PENDING = "pending"  # asked; the item is set aside, the points not yet debited
    APPROVED = "approved"  # an admin approved it: the ledger was debited once
    REJECTED = "rejected"  # an admin refused it: the item went back to the stock


class Redemption(Base):
    """A request to exchange points for a reward, decided by an admin."""

    __tablename__ = "redemptions"
    __table_args__ = (Index("ix_redemptions_person_status", "person_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reward_code: Mapped[str] = mapped_column(ForeignKey("rewards.code"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    points: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=RedemptionStatus.PENDING)
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class IdeaStage(Base):
    """Where a 金点子 (a ticket of the proposals category) stands in its screening, and why."""

    __tablename__ = "idea_stages"
    __table_args__ = (Index("ix_idea_stages_stage", "stage", "ticket_id"),)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class NightVisit(Base):
    """A 夜访日记 entry: when, which team, where, how many households, what was heard."""

    __tablename__ = "night_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    visited_on: Mapped[date]
    team: Mapped[str] = mapped_column(String(60))
    place: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    households: Mapped[int]
    notes: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class NightVisitTicket(Base):
    """A need noted on a night visit, filed as a 代办 ticket."""

    __tablename__ = "night_visit_tickets"
    __table_args__ = (Index("ix_night_visit_tickets_visit", "visit_id", "ticket_id"),)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("night_visits.id"))
class FaqEntry(Base):
    """One answer of the office's FAQ file (咨询答复库): the ways residents ask it, and the answer."""

    __tablename__ = "faq_entries"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int]  # its place in the file
    questions: Mapped[str] = mapped_column(Text)  # one question a line
    answer: Mapped[str] = mapped_column(Text)


class TicketPhoto(Base):
    """A report's further photos (the first is Ticket.photo), in the order they were sent."""

    __tablename__ = "ticket_photos"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # 2 for the second photo, 3 …
    ref: Mapped[str] = mapped_column(String(500))


IDLE = "idle"  # the dialog state of a chat in no flow


class Dialog(Base):
    """Where one person stands in a conversation in one chat."""

    __tablename__ = "dialogs"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(30), default=IDLE)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class SeenKey(Base):
    """Keys already processed: inbound message ids, replay nonces."""

    __tablename__ = "seen_keys"
    namespace: Mapped[str] = mapped_column(String(30), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)


class KeyValue(Base):
    """Small shared values with an expiry (e.g. a channel's access token)."""

    __tablename__ = "kv"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OutboxStatus(StrEnum):
    """Delivery states of an outgoing message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"  # a held notice that no longer mattered when its time came (`error` says why)


class Outbox(Base):
    """A message waiting to be (or already) delivered to a chat."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "channel", "chat_id", "id"),
        # Open rows only (pending, sending): lane heads and the claim order stay cheap however
        # many rows were ever sent.
        # (seq, id) is a lane's order: seq is stamped at commit on PostgreSQL (outbox.stamp_commit_order).
        Index(
            "ix_outbox_open_lane",
            "channel",
            "chat_id",
            "seq",
            "id",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        Index(
            "ix_outbox_open_order",
            "priority",
            "id",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        # A ticket's cards: the one to edit (or replace) is found without reading its chat's history.
        Index(
            "ix_outbox_card",
            "card_of",
            "channel",
            "chat_id",
            "id",
            postgresql_where=text("card_of IS NOT NULL"),
            sqlite_where=text("card_of IS NOT NULL"),
        ),
        # A ticket's notices not yet sent: what a status change drops when they are held (drop_held).
        Index(
            "ix_outbox_pending_ticket",
            "ticket_id",
            "status",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any] | None]
    photo: Mapped[str | None] = mapped_column(String(500))
    document: Mapped[str | None] = mapped_column(String(500))  # a local file sent as a file
    keyboard: Mapped[str | None] = mapped_column(String(20))
    ticket_id: Mapped[int | None]
    card_of: Mapped[int | None]
    edit_of: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(80))  # the process holding the lease
    priority: Mapped[int] = mapped_column(default=0, server_default="0")  # 0 reply, 1 bulk
    remote_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # PostgreSQL: the commit order of the transaction that wrote the row, stamped just before its
    # COMMIT (NULL on SQLite, where transactions commit one at a time: ids are commit order).
    seq: Mapped[int | None] = mapped_column(BigInteger)


class DeliveryLimit(Base):
    """One sending limit's recent sends (a bot, a chat, a group), shared by every process."""

    __tablename__ = "delivery_limits"
    scope: Mapped[str] = mapped_column(String(160), primary_key=True)
    sends: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of epoch seconds, oldest first
    paused_until: Mapped[float] = mapped_column(Double, default=0.0)  # a 429's retry_after, epoch seconds
    touched: Mapped[float] = mapped_column(Double, default=0.0)


# --- Web office and Open311 -------------------------------------------------------------------


class SignInLink(Base):
    """A single-use sign-in link for the web office (only its hash is stored)."""

    __tablename__ = "web_sign_in_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    next_path: Mapped[str | None] = mapped_column(String(200))  # the office page opened after sign-in


class WebSession(Base):
    """A signed-in browser: the cookie holds the token, the table its hash."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class TicketLink(Base):
    """A ticket's public tracking token (progress page) and the API client that filed it, if any."""

    __tablename__ = "ticket_links"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    api_client: Mapped[str | None] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime]


class TicketFollower(Base):
    """A resident who reported the same problem and follows an existing ticket."""

    __tablename__ = "ticket_followers"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    created_at: Mapped[datetime]
    # Their own follow-up: 1 = asked whether it is solved, 2 = whether satisfied, 0 = nothing owed.
    followup_stage: Mapped[int] = mapped_column(default=0)
    followup_asked_at: Mapped[datetime | None]
    resolved_answer: Mapped[bool | None]
    satisfied: Mapped[bool | None]


class SecurityEntry(Base):
    """One line of the security log: append-only (the database refuses UPDATE and DELETE)."""

    __tablename__ = "security_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    person_id: Mapped[int | None] = mapped_column(index=True)  # who acted (no foreign key: kept as is)
    source: Mapped[str] = mapped_column(String(80))  # web, chat, cli, open311:<client>
    detail: Mapped[str] = mapped_column(Text)


class SecondFactor(Base):
    """A staff member's TOTP secret (RFC 6238), confirmed once with a code from the app."""

    __tablename__ = "second_factors"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None]  # the time step of the last code accepted: each code works once


class TicketWord(Base):
    """The search index of the office: a ticket's character pairs and phone endings (models.search).

    Private words (the resident's phone, name and exact address) are marked, so a search by them only
    finds tickets the searcher may see them on."""

    __tablename__ = "ticket_words"
    word: Mapped[str] = mapped_column(String(24), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    private: Mapped[bool] = mapped_column(primary_key=True)


from .enterprise import ReporterEnterprise, TicketEnterprise  # noqa: E402, F401  (enterprise reporters)
from .hotline import HotlineOrder  # noqa: E402, F401  (registers the city orders' table with the others)
from .mediation import Mediation  # noqa: E402, F401  (registers the mediation outcomes' table)
from .property_tables import PropertyCompany  # noqa: E402, F401  (registers the property companies' tables)
