"""Import a staff file: roles for people known by channel id now, invitations for those known by phone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..people import get_or_create_person, grant
from ..store.unit_of_work import Unit
from ..tables import Person, Role, StaffInvite
from .importing import Report
from .problems import DataFileError, Problem
from .staff_file import StaffMember

# Phones bind on Telegram, where a person can share their own number with the bot.
PHONE_CHANNEL = "telegram"
WECOM_CHANNEL = "wecom"


def one_person(u: Unit, name: str, ids: tuple[tuple[str, str], ...], report: Report) -> Person | None:
    """The person behind a file's row of channel ids (None: no id), the other ids linked to it.

    Several ids are one person: the 企业微信 one (where staff work in a mainland office) or
    else the first holds the roles, points and tasks; the others point at it."""
    primary: Person | None = None
    for channel, external_id in sorted(ids, key=lambda i: i[0] != WECOM_CHANNEL):
        person = get_or_create_person(u.session, channel, external_id, u.now, name=name, chat_id=external_id)
        if primary is None:
            primary = person
        elif person.id != primary.id and (person.channel, person.external_id) == (channel, external_id):
            person.same_as_id = primary.id  # not linked yet
            report.lines.append(
                f"link {channel} {external_id} to {primary.channel} {primary.external_id} "
                f"({name}: one person)"
            )
    return primary


def import_staff(u: Unit, path: Path, people: tuple[StaffMember, ...]) -> Report:
    """Grant every listed role; nothing is revoked (roles given in chat stay)."""
    report = Report()
    problems = []
    for member in people:
        areas = []
        for code in member.scopes:
            area = u.tree.by_code(code)
            if area is None:
                problems.append(
                    Problem(
                        str(path), member.where, "scopes", f"{code!r} is no area of the territory; see /areas"
                    )
                )
            else:
                areas.append(area)
        if problems:
            continue
        primary = one_person(u, member.name, member.ids, report)
        if primary is not None:
            channel, external_id = sorted(member.ids, key=lambda i: i[0] != WECOM_CHANNEL)[0]
            for area in areas:
                if grant(
                    u.session, primary, member.role, area.id, None, u.now, party_member=member.party_member
                ):
                    report.lines.append(
                        f"grant {member.role} {area.code} to {member.name} ({channel} {external_id})"
                    )
        if member.phone is None:
            continue
        for area in areas:
            exists = u.session.scalar(
                select(StaffInvite.id).where(
                    StaffInvite.channel == PHONE_CHANNEL,
                    StaffInvite.key == member.phone,
                    StaffInvite.role == member.role,
                    StaffInvite.area_id == area.id,
                )
            )
            if exists is None:
                u.session.add(
                    StaffInvite(
                        channel=PHONE_CHANNEL,
                        key=member.phone,
                        name=member.name,
                        role=member.role,
                        area_id=area.id,
                        created_at=u.now,
                        party_member=member.party_member,
                    )
                )
                report.lines.append(
                    f"invite {member.name} ({_masked(member.phone)}) as {member.role} of {area.code}: "
                    "bound when they share this phone with the bot"
                )
    if problems:
        raise DataFileError(problems)
    u.session.flush()
    return report


def _masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def redeem(u: Unit, person: Person, channel: str, phone: str) -> list[StaffInvite]:
    """Grant the roles waiting for this phone to the person who shared it; return the new ones.

    Invitations stay (so importing the file again changes nothing); granting twice is a no-op."""
    invites = u.session.scalars(
        select(StaffInvite)
        .where(StaffInvite.channel == channel, StaffInvite.key == phone)
        .order_by(StaffInvite.id)
    )
    granted = [
        i
        for i in invites
        if grant(u.session, person, Role(i.role), i.area_id, None, u.now, party_member=i.party_member)
    ]
    if granted:
        person.name = granted[0].name
    return granted
