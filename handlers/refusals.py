"""Put a refused operation into words: the catalogue entry its Refusal names, with its facts."""

from __future__ import annotations

from models.errors import DomainError, Refusal
from models.tables import Status

from . import texts

SAYS: dict[Refusal, str] = {reason: getattr(texts, reason.value) for reason in Refusal}


def refusal_text(exc: DomainError) -> str:
    """The Chinese answer to a refused operation (words chosen by handlers pass through)."""
    if not isinstance(exc.reason, Refusal):
        return exc.reason
    facts = {k: texts.STATUS[v] if isinstance(v, Status) else v for k, v in exc.facts.items()}
    return SAYS[exc.reason].format(**facts)
