"""Enterprise reporters in chat: 企业 名称 [统一社会信用代码] files the sender's reports for a company."""

from __future__ import annotations

import re

from handlers import texts
from models import enterprise
from models.errors import BadInput, Refusal

from .normalise import nfkc
from .spec import Spec, Who
from .ticket_text import code_words
from .turn import Turn

# A last word that is meant as a credit code: letters and digits only, long enough to be one.
_CODE_LIKE = re.compile(r"^[0-9A-Za-z]{15,20}$")
NAME_LEAST = 2


def company(turn: Turn, args: list[str]) -> None:
    """企业: what the sender reports as; 企业 名称 [代码]: for that company; 企业 取消: as himself again."""
    u, pid = turn.u, turn.person.id
    if not args:
        row = enterprise.of_person(u.session, pid)
        if row is None:
            turn.reply(texts.COMPANY_NONE)
        else:
            turn.reply(texts.COMPANY_NOW.format(name=row.name, code=code_words(row.credit_code)))
        return
    if len(args) == 1 and nfkc(args[0]).lower() in texts.COMPANY_CLEAR_WORDS:
        enterprise.withdraw(u.session, pid)
        turn.reply(texts.COMPANY_CLEARED)
        return
    words = [nfkc(a).strip() for a in args]
    code: str | None = None
    if len(words) > 1 and _CODE_LIKE.match(words[-1]) and any(ch.isdigit() for ch in words[-1]):
        code = words.pop().upper()
        if not enterprise.credit_code_ok(code):
            raise BadInput(Refusal.CREDIT_CODE_INVALID, code=code)
    name = " ".join(words)
    if not NAME_LEAST <= len(name) <= enterprise.NAME_MOST:
        raise BadInput(Refusal.COMPANY_NAME_BAD, most=enterprise.NAME_MOST)
    enterprise.declare(u.session, pid, name, code, u.now)
    turn.reply(texts.COMPANY_SET.format(name=name, code=code_words(code)))


COMPANY = Spec(
    "company",
    company,
    Who.RESIDENT,
    texts.USAGE_COMPANY,
    ("企业", "企业身份"),
    menu=texts.MENU_COMPANY,
    personal=True,
    help=texts.HELP_COMPANY,
)
SPECS = (COMPANY,)
