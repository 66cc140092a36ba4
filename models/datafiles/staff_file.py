"""The staff file (TOML): grid workers and admins, known by phone or channel id, with their scopes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..tables import Role
from .problems import Collector, DataFileError, check_code, check_name, read_toml, unknown_keys

PERSON_KEYS = {"name", "role", "scopes", "phone", "telegram", "wechat", "wecom", "console", "party_member"}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
ID_CHANNELS = ("telegram", "wechat", "wecom", "console")


@dataclass(frozen=True)
class StaffMember:
    """One person of the staff file."""

    name: str
    role: Role
    scopes: tuple[str, ...]
    phone: str | None
    ids: tuple[tuple[str, str], ...]  # (channel, user id) known now
    where: str
    party_member: bool = False  # a volunteer who is a party member (党员志愿者)


@dataclass(frozen=True)
class CheckedStaff:
    """A parsed staff file and its warnings."""

    people: tuple[StaffMember, ...]
    collector: Collector


def check_phone(c: Collector, where: str, value: Any) -> str | None:
    """A mainland mobile number as 11 digits (absent: None)."""
    if value is None:
        return None
    digits = re.sub(r"[\s-]", "", str(value)).removeprefix("+86")
    if not MOBILE.match(digits):
        c.error(
            where, "phone", f'{value!r} is not a mainland mobile number; write 11 digits, e.g. "13800138000"'
        )
        return None
    return digits


def check_ids(c: Collector, table: str, index: int, item: dict[str, Any]) -> list[tuple[str, str]]:
    """The (channel, user id) pairs a person is known by: telegram, wechat, wecom, console."""
    ids = []
    for channel in ID_CHANNELS:
        value = item.get(channel)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
            c.error(c.at(table, index, channel), channel, f"{value!r}: write the {channel} user id")
            continue
        if channel == "telegram" and not str(value).isdigit():
            c.error(
                c.at(table, index, channel),
                channel,
                f"{value!r}: a Telegram user id is a number, not @name",
            )
            continue
        ids.append((channel, str(value).strip()))
    return ids


def parse(path: Path, scopes: frozenset[str] | None = None) -> CheckedStaff:
    """Read and check a staff file; raise DataFileError listing every error.

    scopes: the area codes of the territory (None: not known, so scopes are checked for form only)."""
    raw, locator = read_toml(path)
    c = Collector(path, locator)
    unknown_keys(c, "file", raw, {"people"}, "the staff file")
    items = raw.get("people")
    if not isinstance(items, list) or not items:
        c.error(
            "file", "[[people]]", "add [[people]] tables with name, role, scopes and a phone or channel id"
        )
        raise DataFileError(c.errors)
    known = scopes
    if known is None:
        c.warn(
            "file",
            "scopes",
            "no territory to check against (give --territory FILE, or import one first): "
            "scopes are checked when the file is imported",
        )
    people = []
    for index, item in enumerate(items):
        where = c.at("people", index)
        if not isinstance(item, dict):
            c.error(where, "people", "expected a [[people]] table")
            continue
        unknown_keys(c, where, item, PERSON_KEYS, "a person")
        name = check_name(c, c.at("people", index, "name"), item.get("name"))
        role_raw = item.get("role")
        role = None
        if role_raw not in {r.value for r in Role}:
            c.error(
                c.at("people", index, "role"),
                "role",
                f'{role_raw!r}: write role = "worker", "admin", "volunteer" or "mediator"',
            )
        else:
            role = Role(role_raw)
        scopes_raw = item.get("scopes")
        wanted: list[str] = []
        if not isinstance(scopes_raw, list) or not scopes_raw:
            c.error(
                c.at("people", index, "scopes"), "scopes", 'write the area codes, e.g. scopes = ["siji-1"]'
            )
        else:
            for s in scopes_raw:
                code = check_code(c, c.at("people", index, "scopes"), s, "scopes")
                if code and known is not None and code not in known:
                    c.error(
                        c.at("people", index, "scopes"),
                        "scopes",
                        f"{code!r} is no grid, community or department of the territory; "
                        "write one of its codes (`/areas` lists them)",
                    )
                elif code:
                    wanted.append(code)
        phone = check_phone(c, c.at("people", index, "phone"), item.get("phone"))
        ids = check_ids(c, "people", index, item)
        if phone is None and not ids and "phone" not in item:
            c.error(
                where,
                "phone",
                "give a phone (bound when they share it on Telegram) or a telegram / wechat / wecom id",
            )
        party = item.get("party_member", False)
        if not isinstance(party, bool):
            c.error(c.at("people", index, "party_member"), "party_member", f"{party!r}: write true or false")
            party = False
        elif party and role not in (None, Role.VOLUNTEER):
            c.error(
                c.at("people", index, "party_member"),
                "party_member",
                'only a volunteer carries the flag: write role = "volunteer" or leave party_member out',
            )
        if name and role and wanted and (phone or ids):
            people.append(StaffMember(name, role, tuple(wanted), phone, tuple(ids), where, party))
    c.raise_if_errors()
    return CheckedStaff(tuple(people), c)
