"""Typed button payloads: each kind of button packs its fields into a short string and back.

Modelled on aiogram 3's CallbackData: a class names its prefix, its fields are typed, pack()
joins them with the separator and unpack() checks every part, so a forged or malformed payload
(which any client can send) is refused with a PayloadError that says why, never half-read.
The wire format is the one Jiesu has always sent ("fu1:12:y", "wz:cat:road-damage" …).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self, dataclass_transform, get_type_hints

SEP = ":"
SHOWN = 64  # how much of a bad payload an error message quotes
_INT = re.compile(r"^[1-9][0-9]{0,11}$")
_TOKEN = re.compile(r"^[^\s:]{1,48}$")  # a code: no blanks, no separator
_BOOL = {"y": True, "n": False}


class PayloadError(ValueError):
    """A payload that no button of ours carries; the message says what is wrong with it."""


@dataclass_transform(frozen_default=True)
class Payload:
    """Base of every button payload: a prefix, then the fields in order, joined by SEP.

    A kind of button is declared as `class Grab(Payload, prefix="grab"): ticket_id: int`.
    """

    prefix: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Any]]  # every subclass is made a dataclass

    def __init_subclass__(cls, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is not None:
            cls.prefix = prefix
        dataclass(frozen=True)(cls)

    def pack(self) -> str:
        """The string a button carries."""
        parts = [self.prefix]
        for f in dataclasses.fields(self):
            parts.append(_encode(getattr(self, f.name), f.name))
        return SEP.join(parts)  # a channel with a size limit keeps long ones aside (Telegram: 64 bytes)

    @classmethod
    def unpack(cls, payload: str) -> Self:
        """Read a payload of this kind; raise PayloadError for anything else."""
        head = cls.prefix + SEP
        if not payload.startswith(head) and payload != cls.prefix:
            raise PayloadError(f"{payload[:SHOWN]!r} does not start with {head!r}")
        fields = dataclasses.fields(cls)
        parts = payload[len(head) :].split(SEP) if fields else []
        if len(parts) != len(fields) or (not fields and payload != cls.prefix):
            raise PayloadError(f"{payload[:SHOWN]!r}: expected {len(fields)} field(s) after {head!r}")
        hints = _hints(cls)
        values = {f.name: _decode(part, hints[f.name], f.name) for f, part in zip(fields, parts, strict=True)}
        return cls(**values)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """A payload class's field types, read once (get_type_hints evaluates every annotation anew)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def _encode(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "y" if value else "n"
    text = str(value)  # a StrEnum member is its value
    if SEP in text or not text:
        raise ValueError(f"field {name}: {text!r} is empty or holds {SEP!r}")
    return text


def _decode(part: str, kind: Any, name: str) -> Any:
    if kind is bool:
        if part not in _BOOL:
            raise PayloadError(f"field {name}: {part!r} is not y or n")
        return _BOOL[part]
    if kind is int:
        if not _INT.match(part):
            raise PayloadError(f"field {name}: {part!r} is not a positive whole number")
        return int(part)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(part)
        except ValueError:
            raise PayloadError(f"field {name}: {part!r} is not one of {[m.value for m in kind]}") from None
    if kind is str:
        if not _TOKEN.match(part):
            raise PayloadError(f"field {name}: {part!r} is not a code")
        return part
    raise TypeError(f"field {name}: payloads cannot carry {kind!r}")


class MenuAction(StrEnum):
    """The entries of the resident's main menu."""

    REPORT = "report"
    MY = "my"
    HELP = "help"


class WizardAction(StrEnum):
    """The wizard's own buttons."""

    BACK = "back"
    CANCEL = "cancel"
    SKIP = "skip"
    SUBMIT = "submit"
    NONE_OF_THESE = "none"  # 都不是: none of the grids offered for a typed address
    RESUME = "resume"  # /report mid-report, 继续刚才的
    RESTART = "restart"  # /report mid-report, 重新开始


class ProxySource(StrEnum):
    """How a resident reached the worker who files for them (代办)."""

    VISIT = "visit"
    PHONE = "phone"
    WALKIN = "walkin"
    OTHER = "other"


class DuplicateAction(StrEnum):
    """The answers to 附近已有相同问题."""

    FOLLOW = "follow"
    NEW = "new"


class MeantAction(StrEnum):
    """The answers to 您是想 …？, asked when the reader is not sure what a message means."""

    PROBLEM = "problem"
    STATUS = "status"
    WITHDRAW = "withdraw"
    NONE = "none"


class WorkerAction(StrEnum):
    """What a worker's own words would do to a ticket, once he confirms."""

    GRAB = "grab"
    RESOLVE = "resolve"
    NOTE = "note"


class Menu(Payload, prefix="menu"):
    """menu:report — a main-menu entry."""

    action: MenuAction


class WizardNav(Payload, prefix="wz"):
    """wz:back, wz:cancel, wz:skip, wz:submit, wz:none."""

    action: WizardAction


class WizardSource(Payload, prefix="wz:src"):
    """wz:src:phone — the proxy filing's source."""

    source: ProxySource


class WizardCategory(Payload, prefix="wz:cat"):
    """wz:cat:CODE — a category (top level or below)."""

    code: str


class WizardDuplicate(Payload, prefix="wz:dup"):
    """wz:dup:follow — the same problem as a ticket nearby (follow it), or wz:dup:new (file anyway)."""

    action: DuplicateAction


class WizardCommunity(Payload, prefix="wz:comm"):
    """wz:comm:CODE — the community of a report without a grid."""

    code: str


class WizardGrid(Payload, prefix="wz:grid"):
    """wz:grid:CODE — the grid a typed address belongs to, of those offered."""

    code: str


class Grab(Payload, prefix="grab"):
    """grab:ID — a worker takes a ticket from a group card."""

    ticket_id: int


class Meant(Payload, prefix="mt"):
    """mt:status — what an unsure message meant, as the sender picked it."""

    action: MeantAction


class WithdrawPick(Payload, prefix="wd"):
    """wd:ID — withdraw this ticket (the confirmation of a withdrawal asked for in words)."""

    ticket_id: int


class Keep(Payload, prefix="keep"):
    """keep — leave the tickets as they are (the no of a confirmation)."""


class WorkerDo(Payload, prefix="wk"):
    """wk:resolve:ID — a worker confirms what his own words asked for (the words kept in his dialog)."""

    action: WorkerAction
    ticket_id: int


class Followup(Payload):
    """The resident's answer to a follow-up question: is it solved (stage 1), satisfied (stage 2)."""

    stage: ClassVar[int]
    ticket_id: int
    yes: bool


class FollowupSolved(Followup, prefix="fu1"):
    """fu1:ID:y — 是/否: has the problem been solved."""

    stage = 1


class FollowupSatisfied(Followup, prefix="fu2"):
    """fu2:ID:n — 满意/不满意 with the handling."""

    stage = 2


class FollowerSolved(Followup, prefix="ff1"):
    """ff1:ID:y — a follower's own 是/否 (residents following a ticket filed by another)."""

    stage = 1


class FollowerSatisfied(Followup, prefix="ff2"):
    """ff2:ID:n — a follower's own 满意/不满意."""

    stage = 2


class PhoneSolved(Followup, prefix="pfu1"):
    """pfu1:ID:y — an admin records the resident's 是/否 given on the phone (代办)."""

    stage = 1


class PhoneSatisfied(Followup, prefix="pfu2"):
    """pfu2:ID:n — an admin records the resident's 满意/不满意 given on the phone (代办)."""

    stage = 2


# 都不是 under the suggested categories: show the whole catalogue (no category has this code).
NO_SUGGESTION = WizardCategory("none")
WizardPress = WizardNav | WizardSource | WizardCategory | WizardCommunity | WizardGrid | WizardDuplicate
FollowerPress = FollowerSolved | FollowerSatisfied
PhonePress = PhoneSolved | PhoneSatisfied
ReadingPress = Meant | WithdrawPick | Keep | WorkerDo
Press = (
    Menu | WizardPress | Grab | FollowupSolved | FollowupSatisfied | FollowerPress | PhonePress | ReadingPress
)
# The longest prefix first, so wz:cat:… is not read as the wizard's own wz:… buttons.
KINDS: tuple[type[Payload], ...] = (
    WizardSource,
    WizardCategory,
    WizardCommunity,
    WizardGrid,
    WizardDuplicate,
    WizardNav,
    Menu,
    Grab,
    FollowupSolved,
    FollowupSatisfied,
    FollowerSolved,
    FollowerSatisfied,
    PhoneSolved,
    PhoneSatisfied,
    Meant,
    WithdrawPick,
    Keep,
    WorkerDo,
)


def unpack(payload: str) -> Press:
    """The button a payload stands for; PayloadError for one that none of our buttons carries."""
    for kind in KINDS:
        if payload.startswith(kind.prefix + SEP) or payload == kind.prefix:
            return kind.unpack(payload)  # type: ignore[return-value]
    raise PayloadError(f"{payload[:SHOWN]!r} has no known prefix")
