"""滴滴调解 in chat: a mediator records the outcome (调解 N 成功|未成功|转… 协议 [金额]); the figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from handlers import texts
from models.errors import BadInput, NotAllowed, Refusal
from models.mediation import Mediation, Outcome
from models.mediation_cases import may_mediate, record
from models.store.unit_of_work import Unit
from models.tables import Person, Ticket

from .arguments import ticket_arg
from .normalise import Shape, nfkc
from .reports import weekly
from .reports.mediation import stats_text, yuan
from .reports.weekly import admin_scope
from .spec import Spec, Who
from .turn import Turn

# The outcome words a mediator types, folded (调解成功 and 成功 alike).
OUTCOME_WORDS: dict[str, Outcome] = {
    "成功": Outcome.SUCCESS,
    "调解成功": Outcome.SUCCESS,
    "达成协议": Outcome.SUCCESS,
    "success": Outcome.SUCCESS,
    "未成功": Outcome.FAILED,
    "不成功": Outcome.FAILED,
    "失败": Outcome.FAILED,
    "调解未成功": Outcome.FAILED,
    "调解不成功": Outcome.FAILED,
    "未达成": Outcome.FAILED,
    "failed": Outcome.FAILED,
}
TRANSFER_PREFIXES = ("转交", "移交", "转")  # 转法院, 转交 派出所, 移交信访 …
TRANSFER_MOST = 100
AMOUNT_MOST_FEN = 10**13  # 一千亿元: anything above is a typing slip
# The last word is an amount when it reads like one: digits (with , or .), 元 or 万 at the end, or 金额 first.
_AMOUNT_LIKE = re.compile(
    r"^(?:金额[:：]?)?[-+]?[\d.,，]*\d[\d.,，]*(?:元|万元|万)?$|^(?:金额[:：]?).+$|^.+元$"
)
_AMOUNT = re.compile(
    r"^(?:金额[:：]?)?(\d{1,12}(?:\.\d{1,2})?)(元)?$|^(?:金额[:：]?)?(\d{1,8}(?:\.\d{1,6})?)(万元|万)$"
)


@dataclass(frozen=True)
class Said:
    """A mediation outcome as typed: what, to whom (转…), the agreement and the sum in fen."""

    outcome: Outcome
    agreement: str
    amount_fen: int | None
    transferred_to: str | None = None


def parse_amount(word: str) -> int | None:
    """'3000', '3,000元', '1.5万' in fen; None when the word is no amount at all; refuse a bad one."""
    word = nfkc(word).replace(",", "").replace("，", "")
    if not _AMOUNT_LIKE.match(word):
        return None
    found = _AMOUNT.match(word)
    if found is None:
        raise BadInput(Refusal.AMOUNT_INVALID, amount=word)
    fen = Decimal(found.group(1)) * 100 if found.group(1) is not None else Decimal(found.group(3)) * 1_000_000
    try:
        value = int(fen.to_integral_exact())
    except InvalidOperation:  # pragma: no cover - the pattern allows no such number
        raise BadInput(Refusal.AMOUNT_INVALID, amount=word) from None
    if fen != value or value > AMOUNT_MOST_FEN:
        raise BadInput(Refusal.AMOUNT_INVALID, amount=word)
    return value


def parse_outcome(words: list[str], usage: str) -> Said:
    """[outcome word, agreement words …, amount?] read into a Said; refuse an unknown word or a bad sum."""
    if not words:
        raise BadInput(Refusal.USAGE, usage=usage)
    first, rest = nfkc(words[0]).strip(), list(words[1:])
    outcome = OUTCOME_WORDS.get(first.lower())
    to: str | None = None
    if outcome is None:
        prefix = next((p for p in TRANSFER_PREFIXES if first.startswith(p)), None)
        if prefix is None:
            raise BadInput(Refusal.OUTCOME_UNKNOWN, word=first)
        to = first[len(prefix) :].strip() or (rest.pop(0) if rest else "")
        if not to:
            raise BadInput(Refusal.USAGE, usage=usage)
        outcome = Outcome.TRANSFERRED
    amount = parse_amount(rest[-1]) if rest else None
    if amount is not None:
        rest = rest[:-1]
    agreement = " ".join(rest).strip()
    if not agreement:
        raise BadInput(Refusal.USAGE, usage=usage)
    return Said(outcome, agreement, amount, to[:TRANSFER_MOST] if to else None)


def said_from_form(form: dict[str, str]) -> Said:
    """The web office's form (outcome, to, agreement, amount) as the chat command would read it."""
    words = {Outcome.SUCCESS.value: "成功", Outcome.FAILED.value: "未成功"}
    outcome = form.get("outcome", "")
    if outcome == Outcome.TRANSFERRED:
        first = "转" + form.get("to", "").strip()
    else:
        first = words.get(outcome, outcome or "")
    tail = [form.get("agreement", "").strip()]
    said = parse_outcome([first, *(w for w in tail if w)], texts.USAGE_MEDIATE)
    amount = form.get("amount", "").strip()
    if not amount:
        return said
    fen = parse_amount(amount if any(ch in amount for ch in "元万") else amount + "元")
    return Said(said.outcome, said.agreement, fen, said.transferred_to)


def past(u: Unit, ticket_id: int) -> list[tuple[Mediation, str]]:
    """A ticket's recorded outcomes, oldest first, each with its words (调解成功（涉及金额 …）)."""
    rows = u.session.scalars(select(Mediation).where(Mediation.ticket_id == ticket_id).order_by(Mediation.id))
    out = []
    for m in rows:
        said = Said(Outcome(m.outcome), m.agreement, m.amount_fen, m.transferred_to)
        out.append((m, outcome_name(said) + amount_words(m.amount_fen)))
    return out


def amount_words(fen: int | None) -> str:
    """（涉及金额 3000 元） or nothing."""
    return texts.MEDIATION_AMOUNT.format(yuan=yuan(fen)) if fen else ""


def resident_note(said: Said) -> str:
    """What the resident reads as the ticket's resolution (and the 双是 question after it)."""
    if said.outcome == Outcome.SUCCESS:
        return texts.MEDIATION_NOTE_SUCCESS.format(
            agreement=said.agreement, amount=amount_words(said.amount_fen)
        )
    if said.outcome == Outcome.FAILED:
        return texts.MEDIATION_NOTE_FAILED.format(agreement=said.agreement)
    return texts.MEDIATION_NOTE_TRANSFERRED.format(to=said.transferred_to, agreement=said.agreement)


def record_said(u: Unit, person: Person, ticket_id: int, said: Said, source: str) -> tuple[Ticket, Mediation]:
    """Record a parsed outcome (chat and web alike)."""
    return record(
        u,
        ticket_id,
        person,
        said.outcome,
        said.agreement,
        said.amount_fen,
        resident_note(said),
        transferred_to=said.transferred_to,
        source=source,
    )


def mediate(turn: Turn, args: list[str]) -> None:
    """调解 N 成功|未成功|转… 协议内容 [金额]: the outcome; the resident is told and asked for the 双是."""
    if not may_mediate(turn.u, turn.person.id):
        raise NotAllowed(Refusal.NOT_MEDIATOR)
    ticket_id = ticket_arg(args, MEDIATE.usage, 3)
    said = parse_outcome(args[1:], MEDIATE.usage)
    ticket, _ = record_said(turn.u, turn.person, ticket_id, said, "chat")
    turn.reply(
        texts.MEDIATION_DONE.format(
            id=ticket.id, outcome=outcome_name(said), amount=amount_words(said.amount_fen)
        )
    )


def outcome_name(said: Said) -> str:
    """调解成功, 调解未成功, 转交法院."""
    if said.outcome == Outcome.TRANSFERRED:
        return texts.MEDIATION_OUTCOME_TRANSFERRED.format(to=said.transferred_to)
    return texts.MEDIATION_OUTCOME[said.outcome]


def mediation_stats(turn: Turn, args: list[str]) -> None:
    """/mediation [week|month|all]: cases, success rate, amounts, time to settle, per team and community."""
    u = turn.u
    scope = admin_scope(u, turn.person.id)
    if not scope.admin_areas:
        raise NotAllowed(Refusal.NOT_ADMIN)
    word = nfkc(args[0]).lower() if args else "month"
    period = {"周": "week", "本周": "week", "月": "month", "本月": "month", "全部": "all"}.get(word, word)
    if period not in texts.PERIOD or len(args) > 1:
        raise BadInput(Refusal.USAGE, usage=MEDIATION_STATS.usage)
    sc = weekly.scope(u, scope.everywhere, scope.admin_areas, period, None)
    heading = texts.MEDIATION_STATS_HEADER.format(period=texts.PERIOD[period], scope=sc.label)
    turn.reply(stats_text(u, sc.area_ids, sc.since, heading))


MEDIATE = Spec(
    "mediate",
    mediate,
    Who.WORKER,
    texts.USAGE_MEDIATE,
    ("调解",),
    Shape(2, True, 1),
    menu=texts.MENU_MEDIATE,
    help=texts.HELP_MEDIATE,
)
MEDIATION_STATS = Spec(
    "mediation",
    mediation_stats,
    Who.ADMIN,
    texts.USAGE_MEDIATION_STATS,
    ("调解统计",),
    menu=texts.MENU_MEDIATION_STATS,
    help=texts.HELP_MEDIATION_STATS,
)
SPECS = (MEDIATE, MEDIATION_STATS)
