"""Refused domain operations: a typed reason and its facts; handlers put them into words."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """Why models refused an operation; the value names the catalogue entry that says it."""

    NOT_FOUND = "NOT_FOUND"  # id
    NOT_OPEN = "NOT_OPEN"  # id, status
    ALREADY_DONE = "ALREADY_DONE"  # id, who (None: the resident), done (an EventKind), status
    NOT_HANDLER = "NOT_HANDLER"  # id
    NOT_IN_SCOPE = "NOT_IN_SCOPE"  # id
    NOT_ADMIN = "NOT_ADMIN"
    ALREADY_CLAIMED = "ALREADY_CLAIMED"  # id, handler
    ALREADY_YOURS = "ALREADY_YOURS"  # id
    ASSIGN_NOT_IN_SCOPE = "ASSIGN_NOT_IN_SCOPE"  # id, user
    PLAN_NOT_PENDING = "PLAN_NOT_PENDING"  # id
    DATE_INVALID = "DATE_INVALID"  # example
    FOLLOWUP_NOT_NOW = "FOLLOWUP_NOT_NOW"  # id
    MERGE_SELF = "MERGE_SELF"
    MERGE_TARGET_FINAL = "MERGE_TARGET_FINAL"  # into, status
    CHOICE_EXPECTED = "CHOICE_EXPECTED"
    NOTE_REQUIRED = "NOTE_REQUIRED"
    REASON_REQUIRED = "REASON_REQUIRED"
    TOO_LONG = "TOO_LONG"  # limit
    SELF_RATING = "SELF_RATING"  # id
    CREDIT_NOT_ON_BEHALF = "CREDIT_NOT_ON_BEHALF"  # id
    CREDIT_NOT_IN_SCOPE = "CREDIT_NOT_IN_SCOPE"  # id, user
    NOT_FOLLOWING = "NOT_FOLLOWING"  # id
    # Refused by the chat flows before any operation runs.
    USAGE = "USAGE"  # usage: the command's usage line
    ERASE_TOP_ADMIN_ONLY = "ERASE_TOP_ADMIN_ONLY"
    NOT_STAFF = "NOT_STAFF"
    WEB_STAFF_ONLY = "WEB_STAFF_ONLY"
    USER_NOT_FOUND = "USER_NOT_FOUND"  # user
    AREA_NOT_FOUND = "AREA_NOT_FOUND"  # code
    ROLE_INVALID = "ROLE_INVALID"
    GRANT_OUTSIDE = "GRANT_OUTSIDE"  # area
    WX_BIND_OUTSIDE = "WX_BIND_OUTSIDE"  # area
    WX_BIND_NOT_STAFF = "WX_BIND_NOT_STAFF"  # id
    MOVE_TARGET_LEVEL = "MOVE_TARGET_LEVEL"  # code
    MOVE_NOT_ACTIVE = "MOVE_NOT_ACTIVE"  # id, status
    NOT_DISPATCHER = "NOT_DISPATCHER"
    NOT_CITY_ORDER = "NOT_CITY_ORDER"  # id
    NOT_CONSULT = "NOT_CONSULT"  # id
    REQUEST_PENDING = "REQUEST_PENDING"  # id
    NO_REQUEST = "NO_REQUEST"  # id
    ALREADY_PAUSED = "ALREADY_PAUSED"  # id
    NOT_PAUSED = "NOT_PAUSED"  # id
    PAUSE_TOO_LONG = "PAUSE_TOO_LONG"  # days
    REWARD_UNKNOWN = "REWARD_UNKNOWN"  # code
    POINTS_SHORT = "POINTS_SHORT"  # name, need, have
    REWARD_GONE = "REWARD_GONE"  # name
    REDEMPTION_UNKNOWN = "REDEMPTION_UNKNOWN"  # id
    REDEMPTION_DECIDED = "REDEMPTION_DECIDED"  # id
    # Refused by the web office's forms.
    WEB_SESSION_GONE = "WEB_SESSION_GONE"
    WEB_TICKET_HIDDEN = "WEB_TICKET_HIDDEN"  # id
    WEB_WORKER_REQUIRED = "WEB_WORKER_REQUIRED"
    WEB_NUMBER_REQUIRED = "WEB_NUMBER_REQUIRED"  # what: the field's name
    WEB_UNKNOWN_ACTION = "WEB_UNKNOWN_ACTION"
    VOLUNTEER_CLOSED = "VOLUNTEER_CLOSED"  # id
    IDEA_NOT_PROPOSAL = "IDEA_NOT_PROPOSAL"  # id
    IDEA_STAGE_UNKNOWN = "IDEA_STAGE_UNKNOWN"  # stage
    IDEA_STEP = "IDEA_STEP"  # id, at, to (ideas.Stage)
    VISIT_EMPTY = "VISIT_EMPTY"
    VISIT_UNKNOWN = "VISIT_UNKNOWN"  # id
    VISIT_DATE_BAD = "VISIT_DATE_BAD"  # date
    VISIT_HOUSEHOLDS_BAD = "VISIT_HOUSEHOLDS_BAD"  # count
    NOT_DISPUTE = "NOT_DISPUTE"  # id, category
    NOT_MEDIATOR = "NOT_MEDIATOR"
    OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"  # word
    AMOUNT_INVALID = "AMOUNT_INVALID"  # amount
    CREDIT_CODE_INVALID = "CREDIT_CODE_INVALID"  # code
    COMPANY_NAME_BAD = "COMPANY_NAME_BAD"  # most


class DomainError(Exception):
    """A refused operation: a Refusal with its facts; handlers/refusals.py puts it into words."""

    def __init__(self, reason: Refusal, **facts: object) -> None:
        if not isinstance(reason, Refusal):
            raise TypeError(f"a refusal is a Refusal, not words: {reason!r}")
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


class NotFound(DomainError):
    """The thing named does not exist (or may not be seen by this person)."""


class NotAllowed(DomainError):
    """The person lacks the role or scope for this operation."""


class InvalidTransition(DomainError):
    """The ticket is not in a state that allows this operation."""


class AlreadyClaimed(InvalidTransition):
    """Someone else grabbed the ticket first."""


class BadInput(DomainError):
    """The input was malformed, too long or otherwise unusable."""
