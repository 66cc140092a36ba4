"""The territory file's property companies (有事您找我): each compound's company and its staff."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .addresses import normalise
from .problems import Collector, check_code, check_name, check_strings, unknown_keys
from .staff_file import ID_CHANNELS, check_ids, check_phone

COMPANY_KEYS = {"code", "name", "phone", "compounds", "staff"}
STAFF_KEYS = {"name", "phone", *ID_CHANNELS}
# A service desk's number: a landline with its area code, a mobile, or a 400 line.
DESK_PHONE = re.compile(r"^[0-9][0-9-]{6,19}$")


@dataclass(frozen=True)
class CompanyStaff:
    """One person who answers for a company: their name, phone and channel identities."""

    name: str
    phone: str
    ids: tuple[tuple[str, str], ...]
    where: str


@dataclass(frozen=True)
class Company:
    """A property company, the compounds it serves (as the grids list them) and its staff."""

    code: str
    name: str
    phone: str | None
    compounds: tuple[str, ...]
    staff: tuple[CompanyStaff, ...]
    where: str


def companies(c: Collector, raw: Any, grid_names: dict[str, str], codes: set[str]) -> tuple[Company, ...]:
    """Check the [[property]] tables; grid_names: every name a grid lists -> that grid's code."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.error("file", "property", "write each property company as a [[property]] table")
        return ()
    listed = {normalise(n): n for n in grid_names}
    served: dict[str, str] = {}  # compound -> the company that serves it
    known: dict[tuple[str, str], str] = {}  # (channel, id) -> the company that has them
    out: list[Company] = []
    staff_index = 0
    for index, item in enumerate(raw):
        where = c.at("property", index)
        if not isinstance(item, dict):
            c.error(where, "property", "expected a [[property]] table")
            continue
        unknown_keys(c, where, item, COMPANY_KEYS, "a property company")
        code = check_code(c, c.at("property", index, "code"), item.get("code"))
        if code is not None and code in codes:
            c.error(
                c.at("property", index, "code"),
                "code",
                f"{code!r} is already used; every code must be unique",
            )
            code = None
        name = check_name(c, c.at("property", index, "name"), item.get("name"))
        phone = _desk_phone(c, c.at("property", index, "phone"), item.get("phone"))
        compounds = _compounds(c, c.at("property", index, "compounds"), item.get("compounds"), listed)
        for compound in compounds:
            other = served.setdefault(compound, code or "?")
            if other != (code or "?"):
                c.error(
                    c.at("property", index, "compounds"),
                    "compounds",
                    f"{compound!r} is already served by {other}; a compound has one property company",
                )
        staff_raw = item.get("staff")
        staff: list[CompanyStaff] = []
        if not isinstance(staff_raw, list) or not staff_raw:
            c.error(
                where,
                "staff",
                "add [[property.staff]] tables (name, phone and a wecom, telegram or wechat id): "
                "they get the company's tickets",
            )
            staff_raw = []
        for person in staff_raw:
            member = _staff(c, staff_index, person)
            staff_index += 1
            if member is None:
                continue
            for key in member.ids:
                other = known.setdefault(key, code or "?")
                if other != (code or "?"):
                    c.error(
                        member.where,
                        key[0],
                        f"{key[1]!r} already answers for {other}; a person answers for one company",
                    )
            staff.append(member)
        if code is not None:
            codes.add(code)
        if code and name and compounds and staff:
            out.append(Company(code, name, phone, compounds, tuple(staff), where))
    return tuple(out)


def _desk_phone(c: Collector, where: str, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not DESK_PHONE.match(text):
        c.error(where, "phone", f'{value!r}: write the service desk\'s number, e.g. "0579-85550101"')
        return None
    return text


def _compounds(c: Collector, where: str, value: Any, listed: dict[str, str]) -> tuple[str, ...]:
    names = check_strings(c, where, value, "compounds")
    if not names:
        if value is None or value == []:
            c.error(
                where,
                "compounds",
                'list the compounds it serves, as the grids name them, e.g. compounds = ["现代花园"]',
            )
        return ()
    out = []
    for name in names:
        if normalise(name) in listed:
            out.append(listed[normalise(name)])
            continue
        close = difflib.get_close_matches(name, list(listed.values()), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        c.error(
            where,
            "compounds",
            f"{name!r} is no name any grid lists{hint}; write a compound as a grid's names give it, "
            "or add it to that grid's names",
        )
    return tuple(out)


def _staff(c: Collector, index: int, raw: Any) -> CompanyStaff | None:
    table = "property.staff"
    where = c.at(table, index)
    if not isinstance(raw, dict):
        c.error(where, "staff", "expected a [[property.staff]] table")
        return None
    unknown_keys(c, where, raw, STAFF_KEYS, "a property company's staff member")
    name = check_name(c, c.at(table, index, "name"), raw.get("name"))
    phone = check_phone(c, c.at(table, index, "phone"), raw.get("phone"))
    if "phone" not in raw:
        c.error(
            where,
            "phone",
            'write their mobile, e.g. phone = "13800138000": the office calls them when a ticket waits',
        )
    ids = check_ids(c, table, index, raw)
    if not ids and not any(k in raw for k in ID_CHANNELS):
        c.error(
            where,
            "wecom",
            "give a wecom, telegram or wechat id (console in a demo): cards and reminders go to that chat",
        )
    if name is None or phone is None or not ids:
        return None
    return CompanyStaff(name, phone, tuple(ids), where)
