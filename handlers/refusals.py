"""Put a refused operation into words: the catalogue entry its Refusal names, with its facts."""

from __future__ import annotations

from models.errors import DomainError, Refusal
from models.events import EventKind
from models.ideas import Stage
from models.tables import Status

from . import texts

SAYS: dict[Refusal, str] = {reason: getattr(texts, reason.value) for reason in Refusal}


def refusal_text(exc: DomainError, *, staff: bool = True) -> str:
    """The Chinese answer to a refused operation.

    staff: the reader works on tickets (the office, a worker), so statuses are named from their side.
    """
    names = texts.STAFF_STATUS if staff else texts.STATUS
    facts = {
        k: names[v] if isinstance(v, Status) else texts.DONE[v] if isinstance(v, EventKind) else v
        for k, v in exc.facts.items()
    }
    facts = {k: texts.IDEA_STAGE[v] if isinstance(v, Stage) else v for k, v in facts.items()}  # 金点子
    if exc.reason == Refusal.ALREADY_DONE and facts.get("who") is None:
        facts["who"] = texts.DONE_BY_RESIDENT
    return SAYS[exc.reason].format(**facts)
